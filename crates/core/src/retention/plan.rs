//! What a purge would remove, computed read-only so the preview and the purge agree.
//!
//! Files are shared between rows (content-addressed), so a file is freed only when the last row
//! referencing it goes. Each file's reference count is kept by triggers (`cached_files`, migration
//! 0013), so the plan weighs bytes without grouping every expired image row. A thumbnail goes with
//! its original (see `CachedImage`).

use std::collections::HashMap;

// Only constants are formatted into SQL (`AssertSqlSafe`); values are always bound. Those statements
// stay runtime-checked: they share the FINISHED filter (and CHUNK) through `format!`, which the
// compile-checked macros cannot take; every other statement here is a macro.
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool, Transaction};

use crate::error::{Error, Result};
use crate::history::id_list;
use crate::retention::RetentionPolicy;

const CHUNK: usize = 500;
/// Only finished jobs are purged; the job runner still owns the others.
pub(crate) const FINISHED: &str = "status IN ('done', 'failed', 'canceled')";

#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Generations to delete, oldest first (left empty by `measure`).
    pub ids: Vec<i64>,
    pub items: u64,
    /// Bytes of the cache files no remaining row would reference.
    pub bytes: u64,
}

struct FileUse {
    /// References from rows the window keeps and the budget has not taken yet.
    remaining: i64,
    /// The original's bytes plus its thumbnail's.
    size: u64,
}

/// (generation_id, file, bytes of the file and its thumbnail)
type ImageRow = (i64, String, i64);

/// The plan with the ids to delete, for the purge.
pub(crate) async fn make(pool: &SqlitePool, policy: &RetentionPolicy, now: i64) -> Result<Plan> {
    plan(pool, policy, now, true).await
}

/// Only how many items and bytes, for the preview: the window's rows are counted, not listed.
pub(crate) async fn measure(pool: &SqlitePool, policy: &RetentionPolicy, now: i64) -> Result<Plan> {
    plan(pool, policy, now, false).await
}

async fn plan(pool: &SqlitePool, policy: &RetentionPolicy, now: i64, list: bool) -> Result<Plan> {
    policy.validate()?;
    // One read transaction: every query sees the same snapshot.
    let mut tx = pool.begin().await?;
    let mut plan = Plan::default();
    let keep_favourites = policy.keep_favourites;
    // Nothing is older than i64::MIN: without a window, no row has expired.
    let cutoff = policy.cutoff(now).unwrap_or(i64::MIN);
    // Rows of `generations g` past the window (?1 = cutoff, ?2 = keep favourites).
    let expired = format!("g.created_at < ?1 AND g.{FINISHED} AND (?2 = 0 OR g.favourite = 0)");
    if policy.window_days.is_some() {
        // Runtime-checked, like every statement built on `expired` (see the note on the imports).
        if list {
            plan.ids = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT id FROM generations g WHERE {expired} ORDER BY created_at, id"
            )))
            .bind(cutoff)
            .bind(keep_favourites)
            .fetch_all(&mut *tx)
            .await?;
            plan.items = plan.ids.len() as u64;
        } else {
            let items: i64 =
                sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM generations g WHERE {expired}")))
                    .bind(cutoff)
                    .bind(keep_favourites)
                    .fetch_one(&mut *tx)
                    .await?;
            plan.items = items.max(0) as u64;
        }
        plan.bytes = window_bytes(&mut tx, &expired, plan.items, cutoff, keep_favourites).await?;
    }
    if let Some(budget) = policy.budget() {
        let usage = usage(&mut tx).await?;
        let mut uses = HashMap::new();
        // The window's references per file, read once when the budget needs to go on past it.
        let mut expired_refs: Option<HashMap<String, i64>> = None;
        // Oldest first among what the window keeps, until the cache fits the budget.
        let mut after = (cutoff, i64::MIN);
        while usage.saturating_sub(plan.bytes) > budget {
            // Runtime-checked: FINISHED and CHUNK are formatted in.
            let rows: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT id, created_at FROM generations
                 WHERE created_at >= ?1 AND (created_at, id) > (?2, ?3) AND {FINISHED} AND (?4 = 0 OR favourite = 0)
                 ORDER BY created_at, id LIMIT {CHUNK}"
            )))
            .bind(cutoff)
            .bind(after.0)
            .bind(after.1)
            .bind(keep_favourites)
            .fetch_all(&mut *tx)
            .await?;
            let Some(&(last_id, last_time)) = rows.last() else { break };
            after = (last_time, last_id);
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let images: Vec<ImageRow> = sqlx::query!(
                r#"SELECT generation_id, file, bytes + thumb_bytes AS "size!: i64" FROM images
                 WHERE generation_id IN (SELECT value FROM json_each(?))"#,
                id_list(&ids)
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|i| (i.generation_id, i.file, i.size))
            .collect();
            if expired_refs.is_none() {
                expired_refs = Some(window_references(&mut tx, &expired, cutoff, keep_favourites).await?);
            }
            let expired_refs = expired_refs.as_ref().ok_or_else(|| Error::internal("window references not read"))?;
            count_references(&mut tx, &mut uses, &images, expired_refs).await?;
            let enough = |freed| usage.saturating_sub(freed) <= budget;
            if take(&mut uses, &mut plan, &ids, images, enough)? {
                break;
            }
        }
    }
    tx.rollback().await?;
    Ok(plan)
}

/// Adds `ids` (in order, with their image rows) to the plan, stopping early once
/// `enough(bytes freed so far)` holds. Returns whether it stopped early.
fn take(
    uses: &mut HashMap<String, FileUse>,
    plan: &mut Plan,
    ids: &[i64],
    rows: Vec<ImageRow>,
    enough: impl Fn(u64) -> bool,
) -> Result<bool> {
    let mut files_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (generation, file, _) in rows {
        files_of.entry(generation).or_default().push(file);
    }
    for &id in ids {
        for file in files_of.remove(&id).unwrap_or_default() {
            let file_use = uses.get_mut(&file).ok_or_else(|| Error::internal("file reference not counted"))?;
            file_use.remaining -= 1;
            if file_use.remaining == 0 {
                plan.bytes += file_use.size;
            }
        }
        plan.ids.push(id);
        plan.items += 1;
        if enough(plan.bytes) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How many of the window's expired rows reference each file (none without a window).
async fn window_references(
    tx: &mut Transaction<'static, Sqlite>,
    expired: &str,
    cutoff: i64,
    keep_favourites: bool,
) -> Result<HashMap<String, i64>> {
    // Runtime-checked: `expired` is formatted in.
    let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT i.file, COUNT(*) FROM images i JOIN generations g ON g.id = i.generation_id
         WHERE {expired} GROUP BY i.file"
    )))
    .bind(cutoff)
    .bind(keep_favourites)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Loads how many rows outside the window reference each not-yet-seen file: its count less the
/// window's references. (A file the window frees has none left, so no row the budget takes can
/// reference it: nothing is counted twice.)
async fn count_references(
    tx: &mut Transaction<'static, Sqlite>,
    uses: &mut HashMap<String, FileUse>,
    rows: &[ImageRow],
    expired_refs: &HashMap<String, i64>,
) -> Result<()> {
    let mut unseen: HashMap<&String, i64> = HashMap::new();
    for (_, file, size) in rows {
        if !uses.contains_key(file) {
            unseen.insert(file, *size);
        }
    }
    let unseen: Vec<(&String, i64)> = unseen.into_iter().collect();
    for chunk in unseen.chunks(CHUNK) {
        let files: Vec<&String> = chunk.iter().map(|(f, _)| *f).collect();
        let list = serde_json::to_string(&files).map_err(|e| Error::internal(e.to_string()))?;
        let counts =
            sqlx::query!(r#"SELECT file, refs FROM cached_files WHERE file IN (SELECT value FROM json_each(?))"#, list)
                .fetch_all(&mut **tx)
                .await?;
        let known: HashMap<&String, i64> = chunk.iter().copied().collect();
        for row in counts {
            let size = known.get(&row.file).copied().unwrap_or(0);
            let remaining = row.refs - expired_refs.get(&row.file).copied().unwrap_or(0);
            uses.insert(row.file, FileUse { remaining, size: size.max(0) as u64 });
        }
    }
    Ok(())
}

/// Bytes of the cache as recorded: each referenced original and its thumbnail once.
async fn usage(tx: &mut Transaction<'static, Sqlite>) -> Result<u64> {
    let total: i64 =
        sqlx::query_scalar!(r#"SELECT COALESCE(SUM(bytes), 0) AS "total!: i64" FROM cached_files WHERE refs > 0"#)
            .fetch_one(&mut **tx)
            .await?;
    Ok(total.max(0) as u64)
}

/// Bytes of the files every reference of which expires (`items` rows of `expired`). Whichever side
/// is smaller is read: with most rows expired, the files the kept rows use are subtracted from the
/// whole cache; with few, the expired rows' references per file are compared with its count.
async fn window_bytes(
    tx: &mut Transaction<'static, Sqlite>,
    expired: &str,
    items: u64,
    cutoff: i64,
    keep_favourites: bool,
) -> Result<u64> {
    let total: i64 =
        sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM generations"#).fetch_one(&mut **tx).await?;
    if items.saturating_mul(2) <= total.max(0) as u64 {
        // Runtime-checked: `expired` is formatted in.
        let freed: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COALESCE(SUM(f.bytes), 0)
             FROM (SELECT i.file, COUNT(*) AS n FROM images i JOIN generations g ON g.id = i.generation_id
                   WHERE {expired} GROUP BY i.file) AS e
             JOIN cached_files f ON f.file = e.file AND f.refs = e.n"
        )))
        .bind(cutoff)
        .bind(keep_favourites)
        .fetch_one(&mut **tx)
        .await?;
        return Ok(freed.max(0) as u64);
    }
    // The rows the window keeps, each part by its own index: young, unfinished, kept favourites.
    let kept: i64 = sqlx::query_scalar!(
        r#"SELECT COALESCE(SUM(bytes), 0) AS "kept!: i64" FROM cached_files WHERE file IN (
             SELECT file FROM images WHERE generation_id IN (
               SELECT id FROM generations WHERE created_at >= ?1
               UNION ALL SELECT id FROM generations
                 WHERE status IN ('queued', 'submitted', 'running', 'downloading')
               UNION ALL SELECT id FROM generations WHERE ?2 = 1 AND favourite = 1))"#,
        cutoff,
        keep_favourites
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(usage(tx).await?.saturating_sub(kept.max(0) as u64))
}
