//! Everything about one generation: the row, its images and the collections holding it.

use serde::Serialize;
use sqlx::SqlitePool;

use crate::error::{Error, Result};
use crate::history::inputs::{self, KeptInput};
use crate::history::journal::ImageEntry;
use crate::history::{to_ui_id, Provider, Status};

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Generation {
    pub id: i32,
    pub provider: Provider,
    pub model: String,
    /// The model inputs as sent, a JSON object.
    pub inputs: String,
    pub prompt: String,
    #[specta(type = Option<crate::JsInt>)]
    pub seed: Option<i64>,
    pub status: Status,
    pub error: Option<String>,
    pub prediction_id: Option<String>,
    pub cost_usd: Option<f64>,
    pub cost_credits: Option<i32>,
    pub images_requested: i32,
    pub images_returned: i32,
    pub parent_id: Option<i32>,
    pub favourite: bool,
    #[specta(type = crate::JsInt)]
    pub created_at: i64,
    #[specta(type = Option<crate::JsInt>)]
    pub completed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct CollectionRef {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct GenerationDetails {
    pub generation: Generation,
    pub images: Vec<ImageEntry>,
    pub collections: Vec<CollectionRef>,
    /// The pictures sent as inputs, as kept in the cache (#19).
    pub input_pictures: Vec<KeptInput>,
    /// What was made from this one (Re-run, Remix, edits), newest first, at most [`MAX_CHILDREN`].
    pub children: Vec<i32>,
}

/// The most children the details list; the lineage walks on from them.
pub const MAX_CHILDREN: i64 = 50;

pub async fn details(pool: &SqlitePool, id: i32) -> Result<GenerationDetails> {
    // One read transaction: the three reads see the same snapshot.
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT id, provider, model, inputs, prompt, seed, status, error, prediction_id, cost_usd,
                cost_credits AS "cost_credits: i32", images_requested AS "images_requested: i32",
                images_returned AS "images_returned: i32", parent_id, favourite AS "favourite: bool", created_at,
                completed_at
         FROM generations WHERE id = ?"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = row else {
        return Err(Error::NotFound { what: format!("generation {id}") });
    };
    let generation = Generation {
        id: to_ui_id(r.id)?,
        provider: Provider::parse(&r.provider)?,
        model: r.model,
        inputs: r.inputs,
        prompt: r.prompt,
        seed: r.seed,
        status: Status::parse(&r.status)?,
        error: r.error,
        prediction_id: r.prediction_id,
        cost_usd: r.cost_usd,
        cost_credits: r.cost_credits,
        images_requested: r.images_requested,
        images_returned: r.images_returned,
        parent_id: r.parent_id.map(to_ui_id).transpose()?,
        favourite: r.favourite,
        created_at: r.created_at,
        completed_at: r.completed_at,
    };
    let images = sqlx::query!(
        r#"SELECT id, idx AS "idx: i32", file, thumb, width AS "width: i32", height AS "height: i32", format, bytes,
                source_url, downloaded_at
         FROM images WHERE generation_id = ? ORDER BY idx"#,
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    let images = images
        .into_iter()
        .map(|i| {
            Ok(ImageEntry {
                id: to_ui_id(i.id)?,
                idx: i.idx,
                file: i.file,
                thumb: i.thumb,
                width: i.width,
                height: i.height,
                format: i.format,
                bytes: i.bytes,
                source_url: i.source_url,
                downloaded_at: i.downloaded_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let collections = sqlx::query!(
        r#"SELECT c.id AS "id: i32", c.name FROM collection_items ci JOIN collections c ON c.id = ci.collection_id
         WHERE ci.generation_id = ? ORDER BY c.name COLLATE NOCASE"#,
        id
    )
    .fetch_all(&mut *tx)
    .await?;
    let input_pictures = inputs::of_generation(&mut *tx, id).await?;
    let children: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM generations WHERE parent_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
        id,
        MAX_CHILDREN
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let collections = collections.into_iter().map(|c| CollectionRef { id: c.id, name: c.name }).collect();
    let children = children.into_iter().map(to_ui_id).collect::<Result<Vec<_>>>()?;
    Ok(GenerationDetails { generation, images, collections, input_pictures, children })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{collections, fixtures, journal};

    #[tokio::test]
    async fn details_bring_the_row_its_images_in_order_and_its_collections() {
        let (dir, pool) = fixtures::open().await;
        let parent = fixtures::generation(&pool, "flux-dev", "a cat", 10).await;
        let mut new = fixtures::new_generation("flux-dev", "a cat, remixed", 20);
        new.parent_id = Some(parent);
        new.images_requested = 2;
        let id = journal::insert_generation(&pool, &new).await.unwrap();
        journal::add_image(&pool, dir.path(), id, 1, fixtures::png(32, 16, 1), Some("https://x/1".into()), 30)
            .await
            .unwrap();
        journal::add_image(&pool, dir.path(), id, 0, fixtures::png(16, 32, 2), None, 31).await.unwrap();
        let c = collections::create(&pool, "Cats", 40).await.unwrap();
        collections::add(&pool, c.id, &[id], 41).await.unwrap();

        let d = details(&pool, id).await.unwrap();
        assert_eq!(d.generation.prompt, "a cat, remixed");
        assert_eq!(d.generation.parent_id, Some(parent));
        assert_eq!(d.generation.images_returned, 2);
        assert_eq!(d.generation.seed, Some(42));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&d.generation.inputs).unwrap()["prompt"],
            "a cat, remixed"
        );
        assert_eq!(d.images.iter().map(|i| (i.idx, i.width)).collect::<Vec<_>>(), vec![(0, 16), (1, 32)]);
        assert_eq!(d.images[1].source_url.as_deref(), Some("https://x/1"));
        assert_eq!(d.collections, vec![CollectionRef { id: c.id, name: "Cats".into() }]);
        assert_eq!(details(&pool, 12345).await.unwrap_err(), Error::NotFound { what: "generation 12345".into() });
    }
}
