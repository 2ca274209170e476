//! Own-key mode's stand-in for credits: a local ledger of what each run cost on the user's
//! Replicate bill (the catalogue's price × images), and an optional monthly budget that blocks a
//! run which would pass it. Months are calendar months in UTC.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SpendEntry {
    pub id: i32,
    pub generation_id: Option<i32>,
    pub model: String,
    pub images: i32,
    pub amount_usd: f64,
    /// Still running: the amount is the estimate.
    pub pending: bool,
    #[specta(type = crate::JsInt)]
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SpendSummary {
    /// Spent this calendar month (UTC), including running jobs' estimates.
    pub month_usd: f64,
    pub all_time_usd: f64,
    pub monthly_budget_usd: Option<f64>,
    pub recent: Vec<SpendEntry>,
}

/// Start of the current UTC month, unix ms.
fn month_start(now_ms: i64) -> i64 {
    let date = time::OffsetDateTime::from_unix_timestamp(now_ms / 1000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let first = date.replace_day(1).unwrap_or(date).replace_time(time::Time::MIDNIGHT);
    first.unix_timestamp() * 1000
}

pub async fn month_total(pool: &SqlitePool, now_ms: i64) -> Result<f64> {
    let total: Option<f64> =
        sqlx::query_scalar!("SELECT SUM(amount_usd) FROM spend_ledger WHERE created_at >= ?", month_start(now_ms))
            .fetch_one(pool)
            .await?;
    Ok(total.unwrap_or(0.0))
}

pub async fn budget(pool: &SqlitePool) -> Result<Option<f64>> {
    Ok(sqlx::query_scalar!("SELECT monthly_usd FROM spend_budget WHERE id = 1").fetch_one(pool).await?)
}

pub async fn set_budget(pool: &SqlitePool, monthly_usd: Option<f64>, now_ms: i64) -> Result<()> {
    if let Some(b) = monthly_usd {
        if !b.is_finite() || b <= 0.0 || b > 100_000.0 {
            return Err(Error::invalid("monthly_budget_usd", "must be more than 0 and at most 100000"));
        }
    }
    sqlx::query!("UPDATE spend_budget SET monthly_usd = ?, updated_at = ? WHERE id = 1", monthly_usd, now_ms)
        .execute(pool)
        .await?;
    Ok(())
}

/// Refuses a run whose estimate would take this month's spend past the budget.
pub async fn check_budget(pool: &SqlitePool, estimate_usd: f64, now_ms: i64) -> Result<()> {
    let Some(budget_usd) = budget(pool).await? else { return Ok(()) };
    let spent_usd = month_total(pool, now_ms).await?;
    // A hair of tolerance: 100 runs at $0.003 must fit a $0.30 budget despite float sums.
    if spent_usd + estimate_usd > budget_usd + 1e-9 {
        return Err(Error::BudgetExceeded { budget_usd, spent_usd, estimate_usd });
    }
    Ok(())
}

/// Records a job's estimate as it is queued (so running jobs count against the budget).
pub async fn record_pending<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    generation_id: i32,
    model: &str,
    images: u32,
    estimate_usd: f64,
    now_ms: i64,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO spend_ledger (generation_id, model, images, amount_usd, state, created_at)
         VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT (generation_id) DO NOTHING",
        generation_id,
        model,
        images,
        estimate_usd,
        now_ms
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Settles a job's entry: what the images that came back cost (nothing for none).
/// A job reopened to fetch its missing outputs is pending again until it settles.
pub async fn reopen(pool: &SqlitePool, generation_id: i32) -> Result<()> {
    sqlx::query!("UPDATE spend_ledger SET state = 'pending' WHERE generation_id = ?", generation_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn settle(pool: &SqlitePool, generation_id: i32, images: u32, amount_usd: f64) -> Result<()> {
    sqlx::query!(
        "UPDATE spend_ledger SET images = ?, amount_usd = ?, state = 'final' WHERE generation_id = ?",
        images,
        amount_usd,
        generation_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn summary(pool: &SqlitePool, now_ms: i64, limit: i32) -> Result<SpendSummary> {
    let all: Option<f64> = sqlx::query_scalar!("SELECT SUM(amount_usd) FROM spend_ledger").fetch_one(pool).await?;
    let rows = sqlx::query!(
        "SELECT id, generation_id, model, images, amount_usd, state, created_at FROM spend_ledger
         ORDER BY created_at DESC, id DESC LIMIT ?",
        limit.clamp(1, 1000)
    )
    .fetch_all(pool)
    .await?;
    Ok(SpendSummary {
        month_usd: month_total(pool, now_ms).await?,
        all_time_usd: all.unwrap_or(0.0),
        monthly_budget_usd: budget(pool).await?,
        recent: rows
            .into_iter()
            .map(|row| SpendEntry {
                id: row.id as i32,
                generation_id: row.generation_id.map(|g| g as i32),
                model: row.model,
                images: row.images as i32,
                amount_usd: row.amount_usd,
                pending: row.state == "pending",
                created_at: row.created_at,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    const NOV_27: i64 = 1_795_773_600_000; // 2026-11-27T10:00:00Z

    #[test]
    fn months_start_on_the_first_at_midnight_utc() {
        assert_eq!(month_start(NOV_27), 1_793_491_200_000); // 2026-11-01T00:00:00Z
    }

    #[tokio::test]
    async fn the_budget_blocks_a_run_that_would_pass_it_and_settling_frees_room() {
        let (_dir, pool) = fixtures::open().await;
        check_budget(&pool, 1_000.0, NOV_27).await.expect("no budget: anything goes");
        set_budget(&pool, Some(0.10), NOV_27).await.unwrap();
        let a = fixtures::generation(&pool, "flux-dev", "a", NOV_27).await;
        record_pending(&pool, a, "flux-dev", 4, 0.10, NOV_27).await.unwrap();
        let err = check_budget(&pool, 0.003, NOV_27).await.unwrap_err();
        assert_eq!(err, Error::BudgetExceeded { budget_usd: 0.10, spent_usd: 0.10, estimate_usd: 0.003 });
        assert!(err.to_string().contains("monthly budget of $0.10"), "{err}");
        // Two of four images came back: only they are paid for.
        settle(&pool, a, 2, 0.05).await.unwrap();
        check_budget(&pool, 0.05, NOV_27).await.unwrap();
        // Last month's spend does not count.
        let old = fixtures::generation(&pool, "flux-dev", "b", NOV_27 - 40 * 86_400_000).await;
        record_pending(&pool, old, "flux-dev", 1, 9.0, NOV_27 - 40 * 86_400_000).await.unwrap();
        let s = summary(&pool, NOV_27, 10).await.unwrap();
        assert!((s.month_usd - 0.05).abs() < 1e-12 && (s.all_time_usd - 9.05).abs() < 1e-9, "{s:?}");
        assert_eq!(s.recent[0].generation_id, Some(a));
        assert!(!s.recent[0].pending && s.recent[1].pending);
        assert!(set_budget(&pool, Some(-1.0), NOV_27).await.is_err());
    }

    #[tokio::test]
    async fn spend_outlives_the_deleted_generation() {
        let (dir, pool) = fixtures::open().await;
        let id = fixtures::generation(&pool, "flux-schnell", "x", NOV_27).await;
        record_pending(&pool, id, "flux-schnell", 1, 0.003, NOV_27).await.unwrap();
        crate::history::deletion::delete_generations(&pool, dir.path(), &[id]).await.unwrap();
        let s = summary(&pool, NOV_27, 10).await.unwrap();
        assert_eq!((s.recent.len(), s.recent[0].generation_id), (1, None));
    }
}
