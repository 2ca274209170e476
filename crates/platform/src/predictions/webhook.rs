//! `POST /webhooks/replicate`: Standard Webhooks signature checked on the raw bytes first; then
//! the prediction it names is settled (idempotent, so duplicates and retries are harmless).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{replicate, settle};
use crate::app::App;
use crate::problem::{ApiError, ApiResult};

pub async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
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
    let ours = sqlx::query_scalar!("SELECT id FROM predictions WHERE replicate_id = $1", replicate_id)
        .fetch_optional(app.db())
        .await?;
    // Unknown: a create whose answer is still being recorded; the poller settles it.
    if let Some(id) = ours {
        settle::settle(&app, &id, Some(&p)).await?;
    }
    Ok(StatusCode::OK.into_response())
}
