//! Erasure: "erase prompts and parameters" (images kept, the words gone, the Create screen's draft
//! too) and "erase everything" (saved styles too).
//! Afterwards no erased text is left in the database file, its search index or the WAL: rows are
//! overwritten (secure_delete), the index is rebuilt, the file rewritten (VACUUM) and the WAL
//! truncated. Jobs still running are left alone (they need their inputs) and counted.

use std::path::Path;

use serde::Serialize;
use sqlx::SqlitePool;

use crate::error::Result;
use crate::history::{deletion, images};

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ErasureReport {
    /// Generations whose prompt and parameters were erased (or which were deleted).
    pub generations: i32,
    pub files_removed: i32,
    #[specta(type = crate::JsInt)]
    pub bytes_removed: i64,
    /// Unfinished jobs left as they are.
    pub skipped_running: i32,
    /// What the platform did with its copies when signed in (or why it could not be asked).
    pub platform: Option<String>,
}

pub async fn erase_prompts(pool: &SqlitePool, data_dir: &Path) -> Result<ErasureReport> {
    let mut conn = pool.acquire().await?;
    // Dynamic: a PRAGMA (untyped result), which the query macros cannot describe.
    sqlx::query("PRAGMA secure_delete = 1").execute(&mut *conn).await?;
    let updated = sqlx::query!(
        "UPDATE generations SET prompt = '', inputs = '{}', seed = NULL, style = NULL
         WHERE status IN ('done', 'failed', 'canceled')
           AND (prompt != '' OR inputs != '{}' OR seed IS NOT NULL OR style IS NOT NULL)",
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // The Create screen's draft is prompt text too. Saved styles stay: they are the user's
    // tools, listed and removed on their own (and by "erase everything").
    sqlx::query!("DELETE FROM prompt_draft").execute(&mut *conn).await?;
    // The pictures sent as inputs are parameters too (#19); their files go once unreferenced.
    let sent: Vec<String> = sqlx::query_scalar!(
        "SELECT DISTINCT file FROM input_images
         WHERE generation_id IN (SELECT id FROM generations WHERE status IN ('done', 'failed', 'canceled'))"
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM input_images
         WHERE generation_id IN (SELECT id FROM generations WHERE status IN ('done', 'failed', 'canceled'))"
    )
    .execute(&mut *conn)
    .await?;
    drop(conn);
    let candidates = sent.into_iter().map(|file| images::CachedImage { file, thumb: None }).collect();
    let removed = images::remove_unreferenced(pool, data_dir, candidates).await?;
    compact(pool).await?;
    tracing::info!(generations = updated, "prompts and parameters erased");
    Ok(ErasureReport {
        generations: updated as i32,
        files_removed: removed.files as i32,
        bytes_removed: removed.bytes as i64,
        skipped_running: running(pool).await?,
        platform: None,
    })
}

pub async fn erase_everything(pool: &SqlitePool, data_dir: &Path) -> Result<ErasureReport> {
    let mut report =
        ErasureReport { generations: 0, files_removed: 0, bytes_removed: 0, skipped_running: 0, platform: None };
    loop {
        let ids: Vec<i32> = sqlx::query_scalar!(
            r#"SELECT id AS "id: i32" FROM generations WHERE status IN ('done', 'failed', 'canceled')
               ORDER BY id LIMIT 500"#,
        )
        .fetch_all(pool)
        .await?;
        if ids.is_empty() {
            break;
        }
        let deleted = deletion::delete_generations(pool, data_dir, &ids).await?;
        report.generations += deleted.items;
        report.files_removed += deleted.files_removed;
        report.bytes_removed += deleted.bytes_removed;
    }
    let mut tx = pool.begin().await?;
    sqlx::query!("DELETE FROM collection_items").execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM collections").execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM spend_ledger").execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM consent_changes").execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM styles").execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM prompt_draft").execute(&mut *tx).await?;
    tx.commit().await?;
    // Pasted input pictures are the user's too.
    let staging = data_dir.join("staging");
    if staging.is_dir() {
        for entry in std::fs::read_dir(&staging).map_err(|e| crate::Error::storage(&staging, e))?.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    compact(pool).await?;
    report.skipped_running = running(pool).await?;
    tracing::info!(generations = report.generations, files = report.files_removed, "everything erased");
    Ok(report)
}

async fn running(pool: &SqlitePool) -> Result<i32> {
    let n: i64 =
        sqlx::query_scalar!("SELECT COUNT(*) FROM generations WHERE status NOT IN ('done', 'failed', 'canceled')")
            .fetch_one(pool)
            .await?;
    Ok(n as i32)
}

/// Leaves no erased bytes behind: a fresh search index, a rewritten file, an empty WAL.
async fn compact(pool: &SqlitePool) -> Result<()> {
    sqlx::query!("INSERT INTO generations_fts(generations_fts) VALUES ('rebuild')").execute(pool).await?;
    let mut conn = pool.acquire().await?;
    // The search's word list goes with the words it was made of.
    crate::history::terms::rebuild(&mut conn).await?;
    sqlx::query!("VACUUM").execute(&mut *conn).await?;
    drop(conn);
    // Dynamic: a PRAGMA (untyped result columns).
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;
    use crate::history::journal::{self, NewGeneration};
    use crate::history::Status;

    const SECRET: &str = "zebraquokka7781";

    fn file_holds(path: &Path, needle: &str) -> bool {
        let bytes = std::fs::read(path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    fn anywhere(dir: &Path, needle: &str) -> Vec<String> {
        ["history.db", "history.db-wal", "history.db-shm"]
            .into_iter()
            .filter(|f| file_holds(&dir.join(f), needle))
            .map(String::from)
            .collect()
    }

    async fn seed(pool: &SqlitePool, dir: &Path, n: i64) -> i32 {
        let mut first = 0;
        for i in 0..n {
            let new = NewGeneration {
                inputs: serde_json::json!({ "prompt": format!("{SECRET} lighthouse {i}"), "guidance": 3.5 }),
                prompt: format!("{SECRET} lighthouse {i}"),
                ..fixtures::new_generation("flux-dev", "", 1_000 + i)
            };
            let id = journal::insert_generation(pool, &new).await.unwrap();
            journal::add_image(pool, dir, id, 0, fixtures::png(32, 32, i as u8), None, 2_000).await.unwrap();
            if i == 0 {
                first = id;
            }
        }
        first
    }

    #[tokio::test]
    async fn erased_prompts_leave_no_trace_in_the_file_the_index_or_the_wal() {
        let (dir, pool) = fixtures::open().await;
        let first = seed(&pool, dir.path(), 60).await;
        let running =
            NewGeneration { status: Status::Running, ..fixtures::new_generation("flux-dev", "still running", 5_000) };
        journal::insert_generation(&pool, &running).await.unwrap();
        assert!(!anywhere(dir.path(), SECRET).is_empty(), "the test must start with the text on disk");
        let report = erase_prompts(&pool, dir.path()).await.unwrap();
        assert_eq!((report.generations, report.skipped_running), (60, 1));
        assert!(anywhere(dir.path(), SECRET).is_empty(), "erased text found in {:?}", anywhere(dir.path(), SECRET));
        let hits: i64 =
            sqlx::query_scalar!("SELECT COUNT(*) FROM generations_fts WHERE generations_fts MATCH ?", SECRET)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(hits, 0);
        // The images stay.
        let images: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM images").fetch_one(&pool).await.unwrap();
        assert_eq!(images, 60);
        let row =
            sqlx::query!("SELECT prompt, inputs FROM generations WHERE id = ?", first).fetch_one(&pool).await.unwrap();
        let (prompt, inputs): (String, String) = (row.prompt, row.inputs);
        assert_eq!((prompt.as_str(), inputs.as_str()), ("", "{}"));
    }

    #[tokio::test]
    async fn erase_everything_removes_rows_files_boards_and_ledger() {
        let (dir, pool) = fixtures::open().await;
        seed(&pool, dir.path(), 12).await;
        crate::history::collections::create(&pool, &format!("{SECRET} board"), 1).await.unwrap();
        let report = erase_everything(&pool, dir.path()).await.unwrap();
        assert_eq!(report.generations, 12);
        assert_eq!(report.files_removed, 24, "12 originals and 12 thumbnails");
        let left: i64 = sqlx::query_scalar!(
            r#"SELECT (SELECT COUNT(*) FROM generations) + (SELECT COUNT(*) FROM collections) AS "n!""#
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(left, 0);
        assert!(anywhere(dir.path(), SECRET).is_empty());
        let files: usize = std::fs::read_dir(dir.path().join("images"))
            .map(|shards| shards.flatten().map(|s| std::fs::read_dir(s.path()).map(|f| f.count()).unwrap_or(0)).sum())
            .unwrap_or(0);
        assert_eq!(files, 0, "no shard folder keeps a file");
    }
}
