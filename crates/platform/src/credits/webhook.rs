//! `POST /webhooks/stripe`: the signature is checked on the raw bytes before anything is parsed;
//! each event id is acted on once (the insert into `stripe_events` shares the effect's
//! transaction); an event about a purchase not known yet is refused so Stripe retries it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{fulfil, stripe};
use crate::app::App;
use crate::problem::{ApiError, ApiResult};

pub async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let secret = app.config().stripe_webhook_secret.expose();
    if !stripe::signature_valid(signature, &body, secret, chrono::Utc::now().timestamp()) {
        tracing::warn!("Stripe webhook refused: bad or stale signature");
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_signature",
            "Bad signature",
            "The Stripe-Signature does not verify.",
        ));
    }
    let event: Value = serde_json::from_slice(&body).map_err(|_| ApiError::invalid("The event is not JSON."))?;
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(ApiError::invalid("The event has no id or type."));
    };
    let object = &event["data"]["object"];
    let mut tx = app.db().begin().await?;
    let first = sqlx::query_scalar!(
        "INSERT INTO stripe_events (id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true AS \"ok!\"",
        id,
        kind
    )
    .fetch_optional(&mut *tx)
    .await?;
    if first.is_none() {
        return Ok(StatusCode::OK.into_response());
    }
    let known = match kind {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed"
        | "checkout.session.expired" => {
            // A session of ours is known or adopted from its metadata; one without is another
            // product's on the same Stripe account: acknowledged, never retried for days.
            let ours = object["metadata"]["pack_id"].is_string();
            fulfil::apply(&mut tx, object, Some(kind)).await? || !ours
        }
        "charge.refunded" => fulfil::reverse(&mut tx, object, false).await?,
        "charge.dispute.created" => fulfil::reverse(&mut tx, object, true).await?,
        // Other events are not ours to act on; acknowledged so Stripe stops sending them.
        _ => true,
    };
    if !known {
        // Rolled back: the event is not recorded, so its retry is acted on.
        tracing::warn!(kind, "Stripe event about an unknown purchase: refused for a retry");
        return Ok(StatusCode::CONFLICT.into_response());
    }
    tx.commit().await?;
    Ok(StatusCode::OK.into_response())
}
