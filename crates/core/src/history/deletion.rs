//! Deleting generations the user picked: the rows in one transaction, then the files no row
//! references any more. (Files shared with a surviving row stay.)

use std::path::Path;

use serde::Serialize;
use sqlx::{Connection, SqliteConnection, SqlitePool};

use crate::error::Result;
use crate::history::images::{self, CachedImage};
use crate::history::inputs;
use crate::history::{check_ids, id_list};

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct DeleteReport {
    pub items: i32,
    pub files_removed: i32,
    #[specta(type = crate::JsInt)]
    pub bytes_removed: i64,
    /// Signed in: what Flux Krea did with its copies of deleted account-mode images.
    pub platform: Option<String>,
}

pub async fn delete_generations(pool: &SqlitePool, data_dir: &Path, ids: &[i32]) -> Result<DeleteReport> {
    check_ids("ids", ids)?;
    let mut conn = pool.acquire().await?;
    // The deleted text is overwritten in the file, not left in free pages. (Its words leave the
    // search index at the next purge, which merges the index.)
    // Dynamic: PRAGMA results are untyped, which the query macros cannot describe.
    let previous: i64 = sqlx::query_scalar("PRAGMA secure_delete").fetch_one(&mut *conn).await?;
    sqlx::query("PRAGMA secure_delete = 1").execute(&mut *conn).await?;
    let deleted = delete_rows(&mut conn, &id_list(ids)).await;
    let restore = if previous == 0 { "PRAGMA secure_delete = 0" } else { "PRAGMA secure_delete = 1" };
    sqlx::query(restore).execute(&mut *conn).await?;
    drop(conn);
    let (items, files) = deleted?;
    let removed = images::remove_unreferenced(pool, data_dir, files).await?;
    Ok(DeleteReport {
        items: items as i32,
        files_removed: removed.files as i32,
        bytes_removed: removed.bytes as i64,
        platform: None,
    })
}

/// Deletes the rows in one transaction; returns how many went and the files they referenced.
async fn delete_rows(conn: &mut SqliteConnection, list: &str) -> Result<(u64, Vec<CachedImage>)> {
    let mut tx = conn.begin().await?;
    let files: Vec<CachedImage> = sqlx::query!(
        r#"SELECT file AS "file!", MAX(thumb) AS thumb FROM images WHERE generation_id IN (SELECT value FROM json_each(?1))
         GROUP BY file"#,
        list
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| CachedImage { file: r.file, thumb: r.thumb })
    .collect();
    let mut files = files;
    files.extend(inputs::files_of(&mut tx, list).await?);
    // Images and collection memberships cascade; children keep living with parent_id = NULL.
    let deleted = sqlx::query!("DELETE FROM generations WHERE id IN (SELECT value FROM json_each(?))", list)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((deleted.rows_affected(), files))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{fixtures, journal};

    #[tokio::test]
    async fn rows_and_their_own_files_go_and_nothing_else() {
        let (dir, pool) = fixtures::open().await;
        let keep = fixtures::generation(&pool, "m", "keep me", 1).await;
        let mut child = fixtures::new_generation("m", "child", 3);
        let gone = fixtures::generation(&pool, "m", "delete me", 2).await;
        child.parent_id = Some(gone);
        let child = journal::insert_generation(&pool, &child).await.unwrap();
        let shared = fixtures::png(64, 64, 1);
        let kept_img = journal::add_image(&pool, dir.path(), keep, 0, shared.clone(), None, 5).await.unwrap();
        let shared_img = journal::add_image(&pool, dir.path(), gone, 0, shared, None, 5).await.unwrap();
        let own_img = journal::add_image(&pool, dir.path(), gone, 1, fixtures::png(64, 64, 2), None, 5).await.unwrap();
        assert_eq!(kept_img.file, shared_img.file, "same bytes, same file");
        let c = crate::history::collections::create(&pool, "c", 1).await.unwrap();
        crate::history::collections::add(&pool, c.id, &[gone, keep], 1).await.unwrap();

        let report = delete_generations(&pool, dir.path(), &[gone]).await.unwrap();
        assert_eq!(report.items, 1);
        assert_eq!(report.files_removed, 2, "its own image and thumbnail");
        let exists = |rel: &str| images::absolute(dir.path(), rel).unwrap().exists();
        assert!(!exists(&own_img.file) && !exists(own_img.thumb.as_deref().unwrap()));
        assert!(exists(&kept_img.file) && exists(kept_img.thumb.as_deref().unwrap()), "shared files stay");
        let rows: Vec<(i64, Option<i64>)> = sqlx::query!("SELECT id, parent_id FROM generations ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.parent_id))
            .collect();
        assert_eq!(rows, vec![(keep as i64, None), (child as i64, None)]);
        let c = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM images) AS "images!", (SELECT COUNT(*) FROM collection_items) AS "items!",
                    (SELECT COUNT(*) FROM generations_fts WHERE generations_fts MATCH 'delete') AS "matches!""#
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let counts: (i64, i64, i64) = (c.images, c.items, c.matches);
        assert_eq!(counts, (1, 1, 0), "cascades ran and the prompt left the search index");
    }
}
