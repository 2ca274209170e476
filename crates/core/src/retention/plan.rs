//! What a purge would remove, computed read-only so the preview and the purge agree.
//!
//! Files are shared between rows (content-addressed), so a file is freed only when the last row
//! referencing it goes; the plan counts references to get the bytes exactly.

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
    /// Generations to delete, oldest first.
    pub ids: Vec<i64>,
    /// Cache files (relative paths) that no remaining row would reference.
    pub files: Vec<String>,
    pub bytes: u64,
}

struct FileUse {
    remaining: i64,
    size: u64,
}

pub(crate) async fn make(pool: &SqlitePool, policy: &RetentionPolicy, now: i64) -> Result<Plan> {
    policy.validate()?;
    // One read transaction: every query sees the same snapshot.
    let mut tx = pool.begin().await?;
    let mut plan = Plan::default();
    let mut uses = HashMap::new();
    let keep_favourites = policy.keep_favourites;
    let cutoff = policy.cutoff(now);
    if let Some(cutoff) = cutoff {
        // Runtime-checked: FINISHED is formatted in (see the note on the imports).
        let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM generations WHERE created_at < ?1 AND {FINISHED} AND (?2 = 0 OR favourite = 0)
             ORDER BY created_at, id"
        )))
        .bind(cutoff)
        .bind(keep_favourites)
        .fetch_all(&mut *tx)
        .await?;
        // One pass over the expired rows' images (a query per chunk costs 3x more at 100k rows).
        // Runtime-checked: FINISHED is formatted in.
        let rows: Vec<ImageRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT i.generation_id, i.file, i.bytes, i.thumb, i.thumb_bytes FROM generations g
             JOIN images i ON i.generation_id = g.id
             WHERE g.created_at < ?1 AND {FINISHED} AND (?2 = 0 OR g.favourite = 0)"
        )))
        .bind(cutoff)
        .bind(keep_favourites)
        .fetch_all(&mut *tx)
        .await?;
        take(&mut tx, &mut uses, &mut plan, &ids, rows, |_| false).await?;
    }
    if let Some(budget) = policy.budget() {
        let usage = usage(&mut tx).await?;
        // Oldest first among what the window keeps, until the cache fits the budget.
        let mut after = (cutoff.unwrap_or(i64::MIN), i64::MIN);
        while usage.saturating_sub(plan.bytes) > budget {
            // Runtime-checked: FINISHED and CHUNK are formatted in.
            let rows: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT id, created_at FROM generations
                 WHERE created_at >= ?1 AND (created_at, id) > (?2, ?3) AND {FINISHED} AND (?4 = 0 OR favourite = 0)
                 ORDER BY created_at, id LIMIT {CHUNK}"
            )))
            .bind(cutoff.unwrap_or(i64::MIN))
            .bind(after.0)
            .bind(after.1)
            .bind(keep_favourites)
            .fetch_all(&mut *tx)
            .await?;
            let Some(&(last_id, last_time)) = rows.last() else { break };
            after = (last_time, last_id);
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let images: Vec<ImageRow> = sqlx::query!(
                "SELECT generation_id, file, bytes, thumb, thumb_bytes FROM images
                 WHERE generation_id IN (SELECT value FROM json_each(?))",
                id_list(&ids)
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|i| (i.generation_id, i.file, i.bytes, i.thumb, i.thumb_bytes))
            .collect();
            let enough = |freed| usage.saturating_sub(freed) <= budget;
            let done = take(&mut tx, &mut uses, &mut plan, &ids, images, enough).await?;
            if done {
                break;
            }
        }
    }
    tx.rollback().await?;
    Ok(plan)
}

/// (generation_id, file, bytes, thumb, thumb_bytes)
type ImageRow = (i64, String, i64, Option<String>, i64);

/// Adds `ids` (in order, with their image rows) to the plan, stopping early once
/// `enough(bytes freed so far)` holds. Returns whether it stopped early.
async fn take(
    tx: &mut Transaction<'static, Sqlite>,
    uses: &mut HashMap<String, FileUse>,
    plan: &mut Plan,
    ids: &[i64],
    rows: Vec<ImageRow>,
    enough: impl Fn(u64) -> bool,
) -> Result<bool> {
    let mut files_of: HashMap<i64, Vec<(String, u64)>> = HashMap::new();
    for (generation, file, bytes, thumb, thumb_bytes) in rows {
        let entry = files_of.entry(generation).or_default();
        entry.push((file, bytes.max(0) as u64));
        if let Some(thumb) = thumb {
            entry.push((thumb, thumb_bytes.max(0) as u64));
        }
    }
    count_references(tx, uses, files_of.values().flatten().map(|(path, size)| (path, *size))).await?;
    for &id in ids {
        for (path, _) in files_of.remove(&id).unwrap_or_default() {
            let file_use = uses.get_mut(&path).ok_or_else(|| Error::internal("file reference not counted"))?;
            file_use.remaining -= 1;
            if file_use.remaining == 0 {
                plan.bytes += file_use.size;
                plan.files.push(path);
            }
        }
        plan.ids.push(id);
        if enough(plan.bytes) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Loads how many rows reference each not-yet-seen path (as original or as thumbnail).
async fn count_references<'a>(
    tx: &mut Transaction<'static, Sqlite>,
    uses: &mut HashMap<String, FileUse>,
    paths: impl Iterator<Item = (&'a String, u64)>,
) -> Result<()> {
    let mut unseen: HashMap<&String, u64> = HashMap::new();
    for (path, size) in paths {
        if !uses.contains_key(path) {
            unseen.insert(path, size);
        }
    }
    let unseen: Vec<(&String, u64)> = unseen.into_iter().collect();
    for chunk in unseen.chunks(CHUNK) {
        let paths: Vec<&String> = chunk.iter().map(|(p, _)| *p).collect();
        let list = serde_json::to_string(&paths).map_err(|e| Error::internal(e.to_string()))?;
        // `+value` (the same value) because sqlx cannot describe a column of a table-valued function.
        let counts: Vec<(String, i64)> = sqlx::query!(
            r#"SELECT +value AS "value!: String", (SELECT COUNT(*) FROM images WHERE file = value)
                         + (SELECT COUNT(*) FROM images WHERE thumb = value) AS "remaining!: i64"
             FROM json_each(?)"#,
            list
        )
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .map(|c| (c.value, c.remaining))
        .collect();
        let sizes: HashMap<&String, u64> = chunk.iter().copied().collect();
        for (path, remaining) in counts {
            let size = sizes.get(&path).copied().unwrap_or(0);
            uses.insert(path, FileUse { remaining, size });
        }
    }
    Ok(())
}

/// Bytes of the cache as recorded: each distinct original and thumbnail once.
async fn usage(tx: &mut Transaction<'static, Sqlite>) -> Result<u64> {
    let total: i64 = sqlx::query_scalar!(
        r#"SELECT COALESCE((SELECT SUM(b) FROM (SELECT MAX(bytes) AS b FROM images GROUP BY file)), 0)
              + COALESCE((SELECT SUM(b) FROM (SELECT MAX(thumb_bytes) AS b FROM images WHERE thumb IS NOT NULL GROUP BY thumb)), 0)
              AS "total!""#,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(total.max(0) as u64)
}
