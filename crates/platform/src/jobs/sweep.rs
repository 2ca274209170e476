//! Expiry: stored outputs past their TTL (objects, then rows), idempotency keys after 24 h,
//! abandoned sign-in flows.

use crate::app::App;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Predictions looked at by the poller.
    pub settled: usize,
    /// Output objects deleted.
    pub outputs: usize,
    pub keys: u64,
    pub flows: u64,
    /// Account deletions carried out.
    pub deletions: usize,
    /// Predictions past the 12-month history whose prompts or rows went.
    pub history: u64,
}

pub async fn run(app: &App) -> Result<Swept, sqlx::Error> {
    let outputs = outputs(app).await?;
    let keys = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'
         AND (locked_until IS NULL OR locked_until < now())"
    )
    .execute(app.db())
    .await?
    .rows_affected();
    let flows = sqlx::query!("DELETE FROM flow_states WHERE created_at < now() - interval '1 hour'")
        .execute(app.db())
        .await?
        .rows_affected();
    Ok(Swept { outputs, keys, flows, ..Swept::default() })
}

/// Deletes expired objects, then their rows; an object the store will not delete keeps its row
/// for the next round.
async fn outputs(app: &App) -> Result<usize, sqlx::Error> {
    let mut total = 0;
    loop {
        let mut tx = app.db().begin().await?;
        let due = sqlx::query!(
            "SELECT prediction_id, idx, object_key FROM outputs WHERE expires_at <= now()
             ORDER BY expires_at LIMIT 200 FOR UPDATE SKIP LOCKED"
        )
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(total);
        }
        let mut gone = Vec::new();
        for o in &due {
            match app.storage().delete(&o.object_key).await {
                Ok(()) => gone.push(o.object_key.clone()),
                Err(e) => {
                    tracing::warn!(error = %e, "expired output not deleted; next round retries");
                    break;
                }
            }
        }
        sqlx::query!("DELETE FROM outputs WHERE object_key = ANY($1)", &gone).execute(&mut *tx).await?;
        tx.commit().await?;
        total += gone.len();
        if gone.len() < due.len() {
            return Ok(total);
        }
    }
}
