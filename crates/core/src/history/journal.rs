//! Writing history: a generation is recorded before its request is sent (the job journal), its
//! status follows the job, and each delivered image is stored, thumbnailed and recorded. This is
//! the only writer of a generation's job state (status, cancel flag, cost); the runner and the
//! façade call it.

use std::path::Path;

use serde::Serialize;
use sqlx::SqlitePool;

use crate::error::{Error, Result};
use crate::history::images::{self, Area};
use crate::history::{thumbnail, to_ui_id, Provider, Status};
use crate::styles::AppliedStyle;

/// A generation about to be submitted.
#[derive(Debug, Clone)]
pub struct NewGeneration {
    pub provider: Provider,
    pub model: String,
    /// The validated model inputs, as sent.
    pub inputs: serde_json::Value,
    pub prompt: String,
    pub seed: Option<i64>,
    pub images_requested: i32,
    pub parent_id: Option<i32>,
    pub cost_usd: Option<f64>,
    pub cost_credits: Option<i32>,
    /// The catalogue price per image when the job was made.
    pub price_usd: Option<f64>,
    /// The platform's credits per image when the job was made (account mode).
    pub price_credits: Option<i32>,
    pub status: Status,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The style applied (#23), recorded for Re-run.
    pub style: Option<AppliedStyle>,
}

/// Records a generation and returns its id. A `parent_id` that no longer exists is recorded as none.
pub async fn insert_generation<'e>(db: impl sqlx::SqliteExecutor<'e>, new: &NewGeneration) -> Result<i32> {
    if new.model.trim().is_empty() {
        return Err(Error::invalid("model", "must not be empty"));
    }
    if new.images_requested < 0 {
        return Err(Error::invalid("images_requested", "must not be negative"));
    }
    let style = new.style.as_ref().map(|s| serde_json::json!(s).to_string());
    let id: i64 = sqlx::query_scalar!(
        "INSERT INTO generations (provider, model, inputs, prompt, seed, status, images_requested, parent_id,
                                  cost_usd, cost_credits, created_at, price_usd, price_credits, style)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT id FROM generations WHERE id = ?8), ?9, ?10, ?11, ?12, ?13, ?14)
         RETURNING id",
        new.provider.as_str(),
        new.model,
        new.inputs.to_string(),
        new.prompt,
        new.seed,
        new.status.as_str(),
        new.images_requested,
        new.parent_id,
        new.cost_usd,
        new.cost_credits,
        new.created_at,
        new.price_usd,
        new.price_credits,
        style
    )
    .fetch_one(db)
    .await?;
    to_ui_id(id)
}

/// A change of a generation's status. `None` fields keep their stored value.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: Status,
    pub error: Option<String>,
    pub prediction_id: Option<String>,
    pub completed_at: Option<i64>,
}

pub async fn set_status(pool: &SqlitePool, id: i32, change: &StatusChange) -> Result<()> {
    let updated = sqlx::query!(
        "UPDATE generations SET status = ?2, error = COALESCE(?3, error),
                prediction_id = COALESCE(?4, prediction_id), completed_at = COALESCE(?5, completed_at)
         WHERE id = ?1",
        id,
        change.status.as_str(),
        change.error,
        change.prediction_id,
        change.completed_at
    )
    .execute(pool)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(Error::NotFound { what: format!("generation {id}") });
    }
    Ok(())
}

/// A job as stored: what the runner needs to start or resume it.
#[derive(Debug, Clone)]
pub struct StoredJob {
    pub model: String,
    /// The model inputs as sent, a JSON object.
    pub inputs: String,
    pub status: Status,
    pub prediction_id: Option<String>,
    pub created_at: i64,
    pub provider: Provider,
}

pub async fn load(pool: &SqlitePool, id: i32) -> Result<StoredJob> {
    let raw = sqlx::query!(
        "SELECT model, inputs, status, prediction_id, created_at, provider FROM generations WHERE id = ?",
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound { what: format!("job {id}") })?;
    Ok(StoredJob {
        model: raw.model,
        inputs: raw.inputs,
        status: Status::parse(&raw.status)?,
        prediction_id: raw.prediction_id,
        created_at: raw.created_at,
        provider: Provider::parse(&raw.provider)?,
    })
}

pub async fn cancel_requested(pool: &SqlitePool, id: i32) -> Result<bool> {
    let flag: i64 =
        sqlx::query_scalar!("SELECT cancel_requested FROM generations WHERE id = ?", id).fetch_one(pool).await?;
    Ok(flag != 0)
}

/// The user asked to stop the job; the runner sees the flag at its next step.
pub async fn request_cancel(pool: &SqlitePool, id: i32) -> Result<()> {
    sqlx::query!("UPDATE generations SET cancel_requested = 1 WHERE id = ?", id).execute(pool).await?;
    Ok(())
}

/// Ends a job that has not started yet. False when the runner took it up meanwhile.
pub async fn cancel_if_queued(pool: &SqlitePool, id: i32, now: i64) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE generations SET status = 'canceled', completed_at = ?2 WHERE id = ?1 AND status = 'queued'",
        id,
        now
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A failed job whose prediction succeeded goes back to fetching its missing outputs (no new charge).
pub async fn reopen_for_download(pool: &SqlitePool, id: i32) -> Result<()> {
    sqlx::query!(
        "UPDATE generations SET status = 'downloading', error = NULL, completed_at = NULL, cancel_requested = 0
         WHERE id = ?",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What a finished job cost, now written on its row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Settled {
    /// Account mode: credits per image × images delivered (the platform refunds the rest).
    Credits,
    /// Own key: the catalogue price × images delivered, for the spend ledger too.
    Usd { images: u32, cost: f64 },
}

/// Cost = price × images actually delivered.
pub async fn settle_cost(pool: &SqlitePool, id: i32) -> Result<Settled> {
    let prices = sqlx::query!("SELECT images_returned, price_usd, price_credits FROM generations WHERE id = ?", id)
        .fetch_one(pool)
        .await?;
    let returned = prices.images_returned;
    if let Some(per_image) = prices.price_credits {
        sqlx::query!("UPDATE generations SET cost_credits = ? WHERE id = ?", per_image * returned, id)
            .execute(pool)
            .await?;
        return Ok(Settled::Credits);
    }
    let cost = prices.price_usd.unwrap_or(0.0) * returned as f64;
    sqlx::query!("UPDATE generations SET cost_usd = ? WHERE id = ?", cost, id).execute(pool).await?;
    Ok(Settled::Usd { images: returned as u32, cost })
}

/// One stored image, as the gallery and details show it. Paths are relative to the data folder.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ImageEntry {
    pub id: i32,
    pub idx: i32,
    pub file: String,
    pub thumb: Option<String>,
    pub width: i32,
    pub height: i32,
    pub format: String,
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
    pub source_url: Option<String>,
    #[specta(type = crate::JsInt)]
    pub downloaded_at: i64,
}

/// Validates and stores a delivered image (original + thumbnail, content-addressed) and records it
/// as image `idx` of the generation. Recording the same `idx` again replaces the earlier file.
pub async fn add_image(
    pool: &SqlitePool,
    data_dir: &Path,
    generation_id: i32,
    idx: i32,
    bytes: Vec<u8>,
    source_url: Option<String>,
    now: i64,
) -> Result<ImageEntry> {
    if idx < 0 {
        return Err(Error::invalid("idx", "must not be negative"));
    }
    let label = format!("image {idx} of generation {generation_id}");
    let dir = data_dir.to_path_buf();
    let (original, thumb, made, bytes, hash) = images::blocking(move || {
        let made = thumbnail::make(&bytes, &label)?;
        let hash = images::content_hash(&bytes);
        let original = images::store(&dir, Area::Images, &hash, made.source_format.extension(), &bytes)?;
        let thumb = images::store(&dir, Area::Thumbs, &hash, "jpg", &made.jpeg)?;
        Ok((original, thumb, made, bytes, hash))
    })
    .await?;
    let mut tx = pool.begin().await?;
    let row: Option<i64> = sqlx::query_scalar!(
        "INSERT INTO images (generation_id, idx, file, thumb, width, height, format, bytes, thumb_bytes,
                             source_url, downloaded_at)
         SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM generations WHERE id = ?1
         ON CONFLICT (generation_id, idx) DO UPDATE SET file = excluded.file, thumb = excluded.thumb,
             width = excluded.width, height = excluded.height, format = excluded.format, bytes = excluded.bytes,
             thumb_bytes = excluded.thumb_bytes, source_url = excluded.source_url,
             downloaded_at = excluded.downloaded_at
         RETURNING id",
        generation_id,
        idx,
        original.relative,
        thumb.relative,
        made.source_width as i64,
        made.source_height as i64,
        made.source_format.extension(),
        original.bytes as i64,
        thumb.bytes as i64,
        source_url,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(image_id) = row else {
        return Err(Error::NotFound { what: format!("generation {generation_id}") });
    };
    sqlx::query!(
        "UPDATE generations SET images_returned = (SELECT COUNT(*) FROM images WHERE generation_id = ?1) WHERE id = ?1",
        generation_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // A concurrent delete may have removed an identical, then unreferenced, file between our write
    // and our row; now that the row exists nothing removes it, so storing again restores it if it went.
    let dir = data_dir.to_path_buf();
    let ext = made.source_format.extension();
    let jpeg = made.jpeg;
    images::blocking(move || {
        images::store(&dir, Area::Images, &hash, ext, &bytes)?;
        images::store(&dir, Area::Thumbs, &hash, "jpg", &jpeg)
    })
    .await?;
    Ok(ImageEntry {
        id: to_ui_id(image_id)?,
        idx,
        file: original.relative,
        thumb: Some(thumb.relative),
        width: made.source_width as i32,
        height: made.source_height as i32,
        format: made.source_format.extension().to_string(),
        bytes: original.bytes as i64,
        source_url,
        downloaded_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    #[tokio::test]
    async fn a_job_is_recorded_then_completed_with_its_images() {
        let (dir, pool) = fixtures::open().await;
        let id = fixtures::generation(&pool, "flux-dev", "a red fox", 1_000).await;
        let change = StatusChange {
            status: Status::Submitted,
            error: None,
            prediction_id: Some("p-1".into()),
            completed_at: None,
        };
        set_status(&pool, id, &change).await.unwrap();
        let png = fixtures::png(640, 480, 9);
        let entry = add_image(&pool, dir.path(), id, 0, png.clone(), None, 2_000).await.unwrap();
        assert_eq!((entry.width, entry.height, entry.format.as_str()), (640, 480, "png"));
        assert_eq!(std::fs::read(images::absolute(dir.path(), &entry.file).unwrap()).unwrap(), png);
        assert!(images::absolute(dir.path(), entry.thumb.as_deref().unwrap()).unwrap().exists());
        let done = StatusChange { status: Status::Done, error: None, prediction_id: None, completed_at: Some(3_000) };
        set_status(&pool, id, &done).await.unwrap();
        let r = sqlx::query!("SELECT status, prediction_id, images_returned FROM generations WHERE id = ?", id)
            .fetch_one(&pool)
            .await
            .unwrap();
        let (status, prediction, returned): (String, String, i64) =
            (r.status, r.prediction_id.expect("a prediction id"), r.images_returned);
        assert_eq!((status.as_str(), prediction.as_str(), returned), ("done", "p-1", 1));
    }

    #[tokio::test]
    async fn bad_images_and_unknown_generations_are_refused_clearly() {
        let (dir, pool) = fixtures::open().await;
        let id = fixtures::generation(&pool, "flux-dev", "x", 1).await;
        let err = add_image(&pool, dir.path(), id, 0, b"<html>".to_vec(), None, 2).await.unwrap_err();
        assert!(err.to_string().contains("image 0 of generation"), "{err}");
        let err = add_image(&pool, dir.path(), 999, 0, fixtures::png(8, 8, 1), None, 2).await.unwrap_err();
        assert_eq!(err, Error::NotFound { what: "generation 999".into() });
        let change = StatusChange { status: Status::Failed, error: None, prediction_id: None, completed_at: None };
        assert!(matches!(set_status(&pool, 999, &change).await, Err(Error::NotFound { .. })));
    }
}
