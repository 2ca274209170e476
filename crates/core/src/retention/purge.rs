//! The purge: rows in small transactions (the gallery keeps answering in between), then their
//! files, then a sweep of orphan files, then a WAL checkpoint so the deleted text leaves the log.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use sqlx::{AssertSqlSafe, SqlitePool};

use crate::error::Result;
use crate::history::images::CachedImage;
use crate::history::{id_list, images, inputs};
use crate::retention::plan::{self, FINISHED};
use crate::retention::RetentionPolicy;
use crate::write_lock;

/// Rows deleted per transaction: about 45 ms of writing on a 2-core laptop, so a writer waiting
/// behind a batch still answers within 100 ms (readers never wait: WAL). Each commit rewrites the
/// index pages its rows touched, so halving this costs a 100k purge about a second.
pub const BATCH_ROWS: usize = 1000;
/// Orphan files younger than this are spared: a running job writes its file before its row.
pub const SWEEP_GRACE: Duration = Duration::from_secs(15 * 60);

/// What the next purge would remove.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, specta::Type)]
pub struct PurgePreview {
    pub items: i32,
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, specta::Type)]
pub struct PurgeReport {
    /// Generations deleted.
    pub items: i32,
    /// Bytes of their files that no other row used (removed from disk).
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
    pub files_removed: i32,
    /// Files no row referenced (left by a crash or an interrupted purge).
    pub orphan_files_removed: i32,
    #[specta(type = crate::JsInt)]
    pub orphan_bytes_removed: i64,
    /// False if a reader kept the WAL from being truncated; the next purge tries again. (Nothing to
    /// truncate when nothing was deleted: true.)
    pub wal_truncated: bool,
}

/// How many items and bytes `purge` with this policy would remove now.
pub async fn preview(pool: &SqlitePool, policy: &RetentionPolicy, now: i64) -> Result<PurgePreview> {
    let plan = plan::measure(pool, policy, now).await?;
    Ok(PurgePreview { items: plan.items as i32, bytes: plan.bytes as i64 })
}

/// Applies `policy` as of `now` (unix ms). Safe to interrupt: what is left is finished next time.
pub async fn purge(pool: &SqlitePool, data_dir: &Path, policy: &RetentionPolicy, now: i64) -> Result<PurgeReport> {
    let started = std::time::Instant::now();
    let plan = plan::make(pool, policy, now).await?;
    let planned = started.elapsed();
    let mut conn = pool.acquire().await?;
    let mut saved = [0i64; 3];
    // Dynamic, like every PRAGMA here that answers with a value: its result column is untyped (the
    // query macros cannot describe it), and `restore` formats the saved values in (pragmas take no binds).
    for (slot, pragma) in
        saved.iter_mut().zip(["PRAGMA secure_delete", "PRAGMA cache_size", "PRAGMA wal_autocheckpoint"])
    {
        *slot = sqlx::query_scalar(pragma).fetch_one(&mut *conn).await?;
    }
    // Deleted prompts are overwritten in the file, not left in free pages. A larger cache and fewer
    // intermediate checkpoints (the WAL is truncated at the end) halve the time at 100k rows.
    sqlx::query("PRAGMA secure_delete = 1").execute(&mut *conn).await?;
    sqlx::query!("PRAGMA cache_size = -65536").execute(&mut *conn).await?;
    sqlx::query("PRAGMA wal_autocheckpoint = 20000").execute(&mut *conn).await?;
    let deleted = delete_rows(&mut conn, &plan.ids, policy.keep_favourites).await;
    let rows_deleted = started.elapsed();
    // FTS5 keeps a deleted row's words in older index segments until they are merged; merging
    // everything scrubs them (including words of items the user deleted since the last purge).
    // On an index that is already one segment this is nearly free.
    let optimized = match deleted {
        Ok(_) => match crate::history::terms::merge_index(&mut conn).await {
            // The search's word list loses the words only purged prompts had.
            Ok(()) => crate::history::terms::rebuild(&mut conn).await,
            Err(e) => Err(e),
        },
        Err(_) => Ok(()),
    };
    let indexed = started.elapsed();
    restore(&mut conn, saved).await?;
    drop(conn);
    let (items, inputs_freed) = deleted?;
    optimized?;
    // The files whose last reference went (also any an interrupted purge left), and input pictures.
    let mut files = images::unused(pool).await?;
    files.extend(inputs_freed);
    let removed = images::remove_unreferenced(pool, data_dir, files).await?;
    let files_removed = started.elapsed();
    let orphans = images::sweep_orphans(pool, data_dir, SWEEP_GRACE).await?;
    // The log still holds the deleted rows' pages until it is truncated. Only then: a truncating
    // checkpoint blocks writers while it waits for readers (the start-up database check reads a
    // large file for seconds), so a purge with nothing deleted, as at most starts, skips it.
    // (busy, wal frames, checkpointed frames); busy = 1 when a reader held the log. Dynamic: a PRAGMA.
    let busy = if items > 0 {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(pool).await?;
        busy
    } else {
        0
    };
    let report = PurgeReport {
        items: items as i32,
        bytes: removed.bytes as i64,
        files_removed: removed.files as i32,
        orphan_files_removed: orphans.files as i32,
        orphan_bytes_removed: orphans.bytes as i64,
        wal_truncated: busy == 0,
    };
    // Where the time went (elapsed since the start at each phase's end), for the 1M measurement.
    tracing::info!(?report, ?planned, ?rows_deleted, ?indexed, ?files_removed, total = ?started.elapsed(), "history purged");
    Ok(report)
}

/// Deletes the planned rows, `BATCH_ROWS` per transaction, so readers and the job runner get the
/// database between batches.
/// Deletes the planned rows; returns how many went and the kept input pictures they referenced.
async fn delete_rows(
    conn: &mut sqlx::SqliteConnection,
    ids: &[i64],
    keep_favourites: bool,
) -> Result<(u64, Vec<CachedImage>)> {
    let (mut items, mut inputs_freed) = (0, Vec::new());
    for batch in ids.chunks(BATCH_ROWS) {
        // Candidates only: a row spared below keeps its file (removal checks references).
        inputs_freed.extend(inputs::files_of(conn, &id_list(batch)).await?);
        // The conditions are checked again: a row favourited since the plan was made stays.
        // Only a constant is formatted in; values are bound. (Runtime-checked: `format!`-built.)
        let deleted = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM generations WHERE id IN (SELECT value FROM json_each(?1)) AND {FINISHED}
               AND (?2 = 0 OR favourite = 0)"
        )))
        .bind(id_list(batch))
        .bind(keep_favourites)
        .execute(&mut *conn)
        .await?;
        items += deleted.rows_affected();
        write_lock::step_aside().await;
    }
    Ok((items, inputs_freed))
}

/// Puts the connection's settings back before it returns to the pool (pragmas take no binds;
/// the values are integers read from the same pragmas).
async fn restore(conn: &mut sqlx::SqliteConnection, [secure, cache, checkpoint]: [i64; 3]) -> Result<()> {
    let secure = match secure {
        0 => "0",
        1 => "1",
        _ => "FAST",
    };
    for statement in [
        format!("PRAGMA secure_delete = {secure}"),
        format!("PRAGMA cache_size = {cache}"),
        format!("PRAGMA wal_autocheckpoint = {checkpoint}"),
    ] {
        sqlx::query(AssertSqlSafe(statement)).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "purge_tests.rs"]
mod tests;
