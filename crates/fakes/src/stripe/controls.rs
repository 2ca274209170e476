//! The unauthenticated `/_fake/*` routes tests and scripts steer the Stripe fake with.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{StripeFake, StripeKnobs};
use crate::webhook::Delivery;

pub(super) fn routes() -> Router<StripeFake> {
    Router::new()
        .route("/_fake/knobs", get(read_knobs).post(replace_knobs))
        .route("/_fake/webhook", post(set_webhook))
        .route("/_fake/release", post(release))
        .route("/_fake/deliveries", get(deliveries))
        .route("/_fake/events", get(events))
        .route("/_fake/sessions", get(sessions))
        .route("/_fake/sessions/{id}/{action}", post(act))
}

async fn read_knobs(State(fake): State<StripeFake>) -> Json<StripeKnobs> {
    Json(fake.knobs())
}

async fn replace_knobs(State(fake): State<StripeFake>, Json(knobs): Json<StripeKnobs>) -> Json<StripeKnobs> {
    fake.set_knobs(knobs.clone());
    Json(knobs)
}

#[derive(Deserialize)]
struct Webhook {
    url: String,
    secret: String,
}

async fn set_webhook(State(fake): State<StripeFake>, Json(w): Json<Webhook>) -> StatusCode {
    fake.set_webhook(&w.url, &w.secret);
    StatusCode::NO_CONTENT
}

async fn release(State(fake): State<StripeFake>) -> Json<Value> {
    Json(json!({ "released": fake.release() }))
}

async fn deliveries(State(fake): State<StripeFake>) -> Json<Vec<Delivery>> {
    Json(fake.deliveries())
}

async fn events(State(fake): State<StripeFake>) -> Json<Vec<Value>> {
    Json(fake.events())
}

async fn sessions(State(fake): State<StripeFake>) -> Json<Vec<Value>> {
    Json(fake.sessions())
}

#[derive(Default, Deserialize)]
struct Act {
    /// `refund` only: cents to refund (default: what is left).
    amount: Option<i64>,
}

/// `pay | fail | expire | refund | dispute`; 404 unknown session or action, 409 not possible now.
async fn act(
    State(fake): State<StripeFake>,
    Path((sid, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    let args: Act = serde_json::from_slice(&body).unwrap_or_default();
    if fake.session(&sid).is_none() {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": format!("no such session {sid}") }))).into_response();
    }
    let done = match action.as_str() {
        "pay" => fake.pay(&sid),
        "fail" => fake.fail(&sid),
        "expire" => fake.expire(&sid),
        "refund" => fake.refund(&sid, args.amount),
        "dispute" => fake.dispute(&sid),
        _ => return (StatusCode::NOT_FOUND, Json(json!({ "error": format!("no action {action}") }))).into_response(),
    };
    match done {
        Ok(v) => Json(v).into_response(),
        Err(e) => (StatusCode::CONFLICT, Json(json!({ "error": e }))).into_response(),
    }
}
