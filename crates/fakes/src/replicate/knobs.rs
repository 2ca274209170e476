//! Fault and timing knobs, and the unauthenticated `/_fake/*` endpoints scripts use to set them.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ReplicateFake;
use crate::problem::problem;

/// How the fake misbehaves. Countdown knobs (`server_errors`, `throttle`, `reset_downloads`,
/// `truncate_downloads`) fire once per request and count down to 0. The rest are read when a
/// prediction is created and apply to it for its whole life.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Knobs {
    /// Created → finished, in ms. The first fifth is spent `starting`, the rest `processing`.
    pub run_ms: u64,
    /// Delay before the delivery host answers.
    pub delivery_latency_ms: u64,
    /// Delay between the ~4 chunks of a delivery body.
    pub delivery_chunk_delay_ms: u64,
    /// The next N API requests (any `/v1` endpoint except `/account`) answer 503.
    pub server_errors: u32,
    /// The next N creates answer 429.
    pub throttle: u32,
    /// Sent as `Retry-After` on 429s when set.
    pub retry_after_s: Option<u32>,
    /// The next N downloads send half the body, then drop the connection.
    pub reset_downloads: u32,
    /// The next N downloads declare a longer Content-Length than they send, then end.
    pub truncate_downloads: u32,
    /// The safety filter drops this many images (the first ones) from each prediction.
    pub filter_images: u32,
    /// Predictions end `failed` with this error.
    pub fail_with: Option<String>,
    /// Longest side of generated images instead of the real size (fast tests).
    pub image_side: Option<u32>,
    /// Uploads of this many bytes or more answer 413 (default 100 MiB, Replicate's limit).
    pub max_upload_bytes: Option<u64>,
    /// Webhooks are not sent (a poller must settle); read when each would be sent.
    pub drop_webhooks: bool,
    /// Each webhook is sent twice, with the same `webhook-id`.
    pub duplicate_webhooks: bool,
}

/// Consumes one unit of a countdown knob; true when it fired.
pub(super) fn take(counter: &mut u32) -> bool {
    let fired = *counter > 0;
    *counter = counter.saturating_sub(1);
    fired
}

pub(super) const DEFAULT_MAX_UPLOAD: u64 = 100 * 1024 * 1024;

pub(super) fn control_routes() -> Router<ReplicateFake> {
    Router::new()
        .route("/_fake/knobs", get(read).post(replace))
        .route("/_fake/expire", post(expire))
        .route("/_fake/predictions", get(list_predictions))
}

async fn read(State(fake): State<ReplicateFake>) -> Json<Knobs> {
    Json(fake.knobs())
}

async fn replace(State(fake): State<ReplicateFake>, Json(knobs): Json<Knobs>) -> Json<Knobs> {
    fake.set_knobs(knobs.clone());
    Json(knobs)
}

async fn expire(State(fake): State<ReplicateFake>) -> StatusCode {
    fake.expire_outputs();
    StatusCode::NO_CONTENT
}

async fn list_predictions(State(fake): State<ReplicateFake>) -> Json<Vec<serde_json::Value>> {
    Json(fake.predictions())
}

/// Middleware: the `server_errors` knob, checked before auth as a failing front end would be.
pub(super) async fn server_errors(State(fake): State<ReplicateFake>, req: Request, next: Next) -> Response {
    let exempt = req.uri().path().ends_with("/account");
    if !exempt && take(&mut fake.state().knobs.server_errors) {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "The service is temporarily unavailable. Please try again later.",
        );
    }
    next.run(req).await
}

/// The `throttle` knob for creates: Replicate's 429 carries only `detail`.
pub(super) fn throttled(fake: &ReplicateFake) -> Option<Response> {
    let mut state = fake.state();
    if !take(&mut state.knobs.throttle) {
        return None;
    }
    let body = json!({ "detail": "Request was throttled. Your rate limit resets in ~1s." }).to_string();
    let mut res = (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(s) = state.knobs.retry_after_s {
        res.headers_mut().insert(header::RETRY_AFTER, s.into());
    }
    Some(res)
}
