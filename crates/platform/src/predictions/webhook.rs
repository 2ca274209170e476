//! `POST /webhooks/replicate?prediction=<our id>`: Standard Webhooks signature checked on the raw
//! bytes first; then the prediction it names is settled (idempotent, so duplicates and retries are
//! harmless). The query names our row: a replica that died after Replicate accepted the create,
//! before recording Replicate's id, left a row only this can match, and its images are delivered
//! (and charged once) instead of being refunded and paid for at Replicate anyway.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::{replicate, settle};
use crate::app::App;
use crate::problem::{ApiError, ApiResult};

#[derive(Deserialize)]
pub struct Named {
    prediction: Option<String>,
}

pub async fn receive(
    State(app): State<App>,
    Query(named): Query<Named>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let secret = app.config().replicate_webhook_secret.expose();
    if !replicate::signature_valid(&headers, &body, secret, chrono::Utc::now().timestamp()) {
        tracing::warn!("Replicate webhook refused: bad or stale signature");
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_signature",
            "Bad signature",
            "The webhook signature does not verify.",
        ));
    }
    let p: Value = serde_json::from_slice(&body).map_err(|_| ApiError::invalid("The webhook body is not JSON."))?;
    let Some(replicate_id) = p["id"].as_str() else { return Err(ApiError::invalid("The prediction has no id.")) };
    let mut ours = sqlx::query_scalar!("SELECT id FROM predictions WHERE replicate_id = $1", replicate_id)
        .fetch_optional(app.db())
        .await?;
    if let (None, Some(named)) = (&ours, &named.prediction) {
        // Replicate's id, recorded for the row that has none yet (an open create); the settling
        // below waits for the create's lease, so a live create finishes its own work.
        ours = sqlx::query_scalar!(
            "UPDATE predictions SET replicate_id = $2
             WHERE id = $1 AND replicate_id IS NULL AND settled_at IS NULL RETURNING id",
            named,
            replicate_id
        )
        .fetch_optional(app.db())
        .await?;
        if ours.is_some() {
            tracing::info!(prediction = %named, "webhook matched a create that had not recorded its answer");
        }
    }
    // Unknown: a create whose answer is still being recorded; the poller settles it.
    if let Some(id) = ours {
        settle::settle(&app, &id, Some(&p)).await?;
    }
    Ok(StatusCode::OK.into_response())
}
