//! Background work, run by every replica on a timer: each job claims its rows with
//! `FOR UPDATE SKIP LOCKED` (and, where the work is slow, a lease on the row), so replicas share
//! the work without coordinating and a replica that dies mid-job only delays it.

mod sweep;

use futures_util::StreamExt;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::predictions::settle;

pub use sweep::Swept;

/// Predictions one replica's poller settles at once.
const SETTLE_AT_ONCE: usize = 8;

/// Runs [`run_once`] every sweep interval until the task is dropped.
pub fn spawn(app: App) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(app.config().sweep_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&app).await {
                tracing::warn!(error = %e, "background work failed; next round retries");
            }
        }
    })
}

/// One round of every job; what it did.
pub async fn run_once(app: &App) -> Result<Swept, sqlx::Error> {
    let settled = settle_due(app).await?;
    let mut swept = sweep::run(app).await?;
    swept.settled = settled;
    swept.deletions = crate::privacy::deletion::run_due(app).await?;
    swept.history = crate::privacy::sweep_history(app).await?;
    Ok(swept)
}

/// Predictions a lost webhook left open: claimed in batches, looked at again later if still running.
async fn settle_due(app: &App) -> Result<usize, sqlx::Error> {
    let later = app.config().sweep_interval.as_secs_f64();
    let mut tx = app.db().begin().await?;
    let ids = sqlx::query_scalar!(
        "SELECT id FROM predictions
         WHERE settled_at IS NULL AND next_check_at <= now() AND (lease_until IS NULL OR lease_until < now())
         ORDER BY next_check_at LIMIT 50 FOR UPDATE SKIP LOCKED"
    )
    .fetch_all(&mut *tx)
    .await?;
    // Pushed back first, so other replicas move on to other rows.
    sqlx::query!(
        "UPDATE predictions SET next_check_at = now() + make_interval(secs => $2) WHERE id = ANY($1)",
        &ids,
        later
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // Several at a time: a backlog (storage back after an outage) clears within a round, and one
    // slow copy does not hold up the rest.
    let done = futures_util::stream::iter(ids)
        .map(|id| {
            let app = app.clone();
            async move {
                let outcome = settle::settle(&app, &id, None).await;
                if let Err(e) = &outcome {
                    tracing::warn!(prediction = %id, error = ?e, "poller could not settle");
                }
                outcome.is_ok()
            }
        })
        .buffer_unordered(SETTLE_AT_ONCE)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    Ok(done)
}
