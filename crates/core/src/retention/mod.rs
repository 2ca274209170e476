//! How long history is kept, and the purge that enforces it.
//!
//! The policy lives in its own single-row table (`retention_policy`, migration 0002). The shell
//! runs [`purge`] at start-up and periodically, and shows [`preview`] before a change is saved.

mod plan;
mod purge;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::error::{Error, Result};

pub use purge::{preview, purge, PurgePreview, PurgeReport, BATCH_ROWS, SWEEP_GRACE};

pub const DEFAULT_WINDOW_DAYS: i32 = 365;
/// The longest window offered: 12 months.
pub const MAX_WINDOW_DAYS: i32 = 365;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// 2^53: the largest byte count a JavaScript number holds exactly.
const MAX_BUDGET_BYTES: i64 = 9_007_199_254_740_992;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct RetentionPolicy {
    /// Keep generations this many days (1–365); none keeps them forever.
    pub window_days: Option<i32>,
    /// When the cached images exceed this many bytes, the oldest go first; none for no limit.
    #[specta(type = Option<crate::JsInt>)]
    pub disk_budget_bytes: Option<i64>,
    /// Never purge favourites (neither by age nor for the disk budget).
    pub keep_favourites: bool,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { window_days: Some(DEFAULT_WINDOW_DAYS), disk_budget_bytes: None, keep_favourites: false }
    }
}

impl RetentionPolicy {
    pub fn validate(&self) -> Result<()> {
        if let Some(days) = self.window_days {
            if !(1..=MAX_WINDOW_DAYS).contains(&days) {
                return Err(Error::invalid("window_days", format!("must be between 1 and {MAX_WINDOW_DAYS} days")));
            }
        }
        if let Some(bytes) = self.disk_budget_bytes {
            if !(1..=MAX_BUDGET_BYTES).contains(&bytes) {
                return Err(Error::invalid("disk_budget_bytes", "must be a whole, positive number of bytes"));
            }
        }
        Ok(())
    }

    /// Generations created before this instant (unix ms) are past the window.
    pub(crate) fn cutoff(&self, now: i64) -> Option<i64> {
        self.window_days.map(|days| now - i64::from(days) * DAY_MS)
    }

    pub(crate) fn budget(&self) -> Option<u64> {
        self.disk_budget_bytes.map(|b| b as u64)
    }
}

pub async fn load(pool: &SqlitePool) -> Result<RetentionPolicy> {
    let row = sqlx::query!(
        r#"SELECT window_days AS "window_days: i32", disk_budget_bytes, keep_favourites AS "keep_favourites: bool"
         FROM retention_policy WHERE id = 1"#
    )
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        None => RetentionPolicy::default(),
        Some(r) => RetentionPolicy {
            window_days: r.window_days,
            disk_budget_bytes: r.disk_budget_bytes,
            keep_favourites: r.keep_favourites,
        },
    })
}

pub async fn save(pool: &SqlitePool, policy: &RetentionPolicy, now: i64) -> Result<()> {
    policy.validate()?;
    sqlx::query!(
        "INSERT INTO retention_policy (id, window_days, disk_budget_bytes, keep_favourites, updated_at)
         VALUES (1, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET window_days = excluded.window_days,
             disk_budget_bytes = excluded.disk_budget_bytes, keep_favourites = excluded.keep_favourites,
             updated_at = excluded.updated_at",
        policy.window_days,
        policy.budget().map(|b| b as i64),
        policy.keep_favourites,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn default_is_a_year_and_changes_persist() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), RetentionPolicy::default());
        let policy =
            RetentionPolicy { window_days: Some(30), disk_budget_bytes: Some(5_000_000_000), keep_favourites: true };
        save(&pool, &policy, 1).await.unwrap();
        pool.close().await;
        let pool = crate::database::open(dir.path()).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), policy);
        let forever = RetentionPolicy { window_days: None, disk_budget_bytes: None, keep_favourites: false };
        save(&pool, &forever, 2).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), forever);
    }

    #[test]
    fn out_of_range_values_name_their_field() {
        let field_of = |p: RetentionPolicy| match p.validate() {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let base = RetentionPolicy::default();
        assert_eq!(field_of(RetentionPolicy { window_days: Some(0), ..base.clone() }), "window_days");
        assert_eq!(field_of(RetentionPolicy { window_days: Some(366), ..base.clone() }), "window_days");
        for bad in [0, -5, i64::MAX] {
            assert_eq!(field_of(RetentionPolicy { disk_budget_bytes: Some(bad), ..base.clone() }), "disk_budget_bytes");
        }
        assert!(RetentionPolicy { window_days: Some(1), ..base }.validate().is_ok());
    }
}
