//! "What is stored": every kind of data the app holds on this computer, with counts, sizes, the
//! oldest item, the retention window and the next purge, and the keychain entries (names only).
//! Also the usage statistics, computed here and sent nowhere.

use std::path::Path;

use serde::Serialize;
use sqlx::SqlitePool;

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct StoredKind {
    /// A stable key (`generations`, `images`, …) and a label for people.
    pub key: String,
    pub label: String,
    #[specta(type = crate::JsInt)]
    pub count: i64,
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct UsageStats {
    pub runs: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub canceled: i32,
    /// Share of finished runs that succeeded, 0..1 (`None` before the first run).
    pub success_rate: Option<f64>,
    /// Average seconds from queued to done, over successful runs.
    pub average_seconds: Option<f64>,
    pub spend_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct PrivacyReport {
    pub data_dir: String,
    pub kinds: Vec<StoredKind>,
    #[specta(type = Option<crate::JsInt>)]
    pub oldest_item_at: Option<i64>,
    /// Days history is kept (`None` = forever).
    pub retention_days: Option<i32>,
    /// When the next automatic purge runs, unix ms (every few hours while the app is open).
    #[specta(type = Option<crate::JsInt>)]
    pub next_purge_at: Option<i64>,
    /// Names of the app's keychain entries that exist (never their values).
    pub keychain_entries: Vec<String>,
    pub usage: UsageStats,
}

fn folder_size(dir: &Path) -> (u64, u64) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            let (n, b) = folder_size(&path);
            total = (total.0 + n, total.1 + b);
        } else if let Ok(meta) = entry.metadata() {
            total = (total.0 + 1, total.1 + meta.len());
        }
    }
    total
}

pub async fn usage(pool: &SqlitePool) -> Result<UsageStats> {
    let r = sqlx::query!(
        r#"SELECT COUNT(*) AS "runs!: i64", COALESCE(SUM(status = 'done'), 0) AS "succeeded!: i64",
                COALESCE(SUM(status = 'failed'), 0) AS "failed!: i64",
                COALESCE(SUM(status = 'canceled'), 0) AS "canceled!: i64",
                AVG(CASE WHEN status = 'done' AND completed_at IS NOT NULL THEN (completed_at - created_at) / 1000.0 END)
                    AS "avg?: f64"
         FROM generations WHERE provider IN ('replicate', 'platform')"#
    )
    .fetch_one(pool)
    .await?;
    let (runs, succeeded, failed, canceled, avg): (i64, i64, i64, i64, Option<f64>) =
        (r.runs, r.succeeded, r.failed, r.canceled, r.avg);
    let spend: Option<f64> = sqlx::query_scalar!("SELECT SUM(amount_usd) FROM spend_ledger").fetch_one(pool).await?;
    let finished = succeeded + failed + canceled;
    Ok(UsageStats {
        runs: runs as i32,
        succeeded: succeeded as i32,
        failed: failed as i32,
        canceled: canceled as i32,
        success_rate: (finished > 0).then(|| succeeded as f64 / finished as f64),
        average_seconds: avg,
        spend_usd: spend.unwrap_or(0.0),
    })
}

pub struct ReportInput<'a> {
    pub pool: &'a SqlitePool,
    pub data_dir: &'a Path,
    pub log_dir: &'a Path,
    pub retention_days: Option<i32>,
    pub last_purge_at: Option<i64>,
    pub purge_every_ms: i64,
    pub keychain_entries: Vec<String>,
}

pub async fn report(input: ReportInput<'_>) -> Result<PrivacyReport> {
    let pool = input.pool;
    let r =
        sqlx::query!(r#"SELECT COUNT(*) AS "generations!: i64", MIN(created_at) AS "oldest?: i64" FROM generations"#)
            .fetch_one(pool)
            .await?;
    let (generations, oldest): (i64, Option<i64>) = (r.generations, r.oldest);
    let prompts: i64 =
        sqlx::query_scalar!("SELECT COUNT(*) FROM generations WHERE prompt != ''").fetch_one(pool).await?;
    let collections: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM collections").fetch_one(pool).await?;
    let ledger: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM spend_ledger").fetch_one(pool).await?;
    let consents: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM consent_changes").fetch_one(pool).await?;
    let dir = input.data_dir;
    let db_bytes: u64 = ["history.db", "history.db-wal", "history.db-shm"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let (image_files, image_bytes) = folder_size(&dir.join("images"));
    let (thumb_files, thumb_bytes) = folder_size(&dir.join("thumbs"));
    let (staged, staged_bytes) = folder_size(&dir.join("staging"));
    let (sent, sent_bytes) = folder_size(&dir.join(crate::history::images::INPUTS_DIR));
    let (logs, log_bytes) = folder_size(input.log_dir);
    let db = dir.join("history.db").display().to_string();
    let kind = |key: &str, label: &str, count: i64, bytes: u64, location: String| StoredKind {
        key: key.into(),
        label: label.into(),
        count,
        bytes: bytes as i64,
        location,
    };
    let kinds = vec![
        kind("generations", "Generations (model, settings, status, cost, times)", generations, db_bytes, db.clone()),
        kind("prompts", "Prompts (searchable)", prompts, 0, db.clone()),
        kind("images", "Images", image_files as i64, image_bytes, dir.join("images").display().to_string()),
        kind("thumbnails", "Thumbnails", thumb_files as i64, thumb_bytes, dir.join("thumbs").display().to_string()),
        kind(
            "input_pictures",
            "Pasted input pictures",
            staged as i64,
            staged_bytes,
            dir.join("staging").display().to_string(),
        ),
        kind(
            "sent_pictures",
            "Input pictures kept with their generations (metadata removed)",
            sent as i64,
            sent_bytes,
            dir.join(crate::history::images::INPUTS_DIR).display().to_string(),
        ),
        kind("collections", "Collections", collections, 0, db.clone()),
        kind("spend_ledger", "Spend ledger entries", ledger, 0, db.clone()),
        kind("consent_changes", "Consent changes", consents, 0, db),
        kind(
            "logs",
            "Log files (no prompts, keys or addresses)",
            logs as i64,
            log_bytes,
            input.log_dir.display().to_string(),
        ),
    ];
    Ok(PrivacyReport {
        data_dir: dir.display().to_string(),
        kinds,
        oldest_item_at: oldest,
        retention_days: input.retention_days,
        next_purge_at: input.last_purge_at.map(|t| t + input.purge_every_ms),
        keychain_entries: input.keychain_entries,
        usage: usage(pool).await?,
    })
}
