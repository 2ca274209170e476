//! `POST /credits/checkout` (a Stripe Checkout Session per Idempotency-Key) and
//! `GET /credits/checkout/{id}` (asks Stripe while still open), plus the pages Stripe sends the
//! browser back to.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{fulfil, stripe};
use crate::app::App;
use crate::auth::Caller;
use crate::idempotency::{self, Begun, Scope};
use crate::problem::{ApiError, ApiResult};

pub fn api_routes() -> Router<App> {
    Router::new().route("/credits/checkout", post(create)).route("/credits/checkout/{id}", get(status))
}

pub fn page_routes() -> Router<App> {
    let page = |text: &'static str| async move {
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>Flux Krea</title><h1>{text}</h1><p>You can close this tab.</p>"
        ))
    };
    Router::new()
        .route("/checkout/done", get(move || page("Payment received — return to Flux Krea")))
        .route("/checkout/cancelled", get(move || page("Payment cancelled — return to Flux Krea")))
}

#[derive(Deserialize)]
struct CreateBody {
    pack_id: String,
}

async fn create(State(app): State<App>, caller: Caller, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let key = idempotency::header(&headers)?;
    let k =
        match idempotency::begin(app.db(), caller.user_id, Scope::Checkout, key, &body, idempotency::LEASE_S).await? {
            Begun::Replay(status, body) => return Ok((status, Json(body)).into_response()),
            Begun::Fresh(k) => k,
            // A checkout records no progress.
            Begun::Resume(..) => return Err(ApiError::internal("a checkout key holds progress")),
        };
    let (status, answer) = match open(&app, caller, &k.key, &body).await {
        Ok(answer) => (StatusCode::OK, answer),
        Err(ApiError::Problem { status, code, title, detail, extra }) => {
            // A refusal is an answer too: replayed like a success.
            let mut body = crate::problem::problem_body(status, code, title, &detail);
            if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
                b.extend(extra);
            }
            (status, body)
        }
        Err(other) => {
            idempotency::abandon(app.db(), &k).await?;
            return Err(other);
        }
    };
    idempotency::finish(app.db(), &k, status, &answer).await?;
    if status.is_success() {
        Ok(Json(answer).into_response())
    } else {
        Ok(crate::problem::problem_response(status, answer))
    }
}

async fn open(app: &App, caller: Caller, key: &str, body: &[u8]) -> ApiResult<Value> {
    let body: CreateBody =
        serde_json::from_slice(body).map_err(|_| ApiError::invalid("The body must be {\"pack_id\": \"...\"}."))?;
    let pack = sqlx::query!(
        "SELECT id, credits, price_cents, currency FROM credit_packs WHERE id = $1 AND active",
        body.pack_id
    )
    .fetch_optional(app.db())
    .await?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_pack",
            "Unknown pack",
            format!("There is no pack {}.", body.pack_id),
        )
    })?;
    let new = stripe::NewSession {
        user: caller.user_id,
        pack_id: &pack.id,
        credits: pack.credits,
        price_cents: pack.price_cents,
        currency: &pack.currency,
        idempotency: key,
    };
    let session = stripe::create_session(app, &new).await.map_err(ApiError::Unavailable)?;
    let (Some(id), Some(url)) = (session["id"].as_str(), session["url"].as_str()) else {
        return Err(ApiError::Unavailable("Stripe session without id or url".into()));
    };
    let expires_at = DateTime::<Utc>::from_timestamp(session["expires_at"].as_i64().unwrap_or(0), 0)
        .filter(|t| t.timestamp() > 0)
        .unwrap_or_else(|| Utc::now() + chrono::Duration::hours(24));
    sqlx::query!(
        "INSERT INTO checkouts (id, user_id, pack_id, credits, status, checkout_url, expires_at)
         VALUES ($1, $2, $3, $4, 'open', $5, $6) ON CONFLICT (id) DO NOTHING",
        id,
        caller.user_id,
        pack.id,
        pack.credits,
        url,
        expires_at
    )
    .execute(app.db())
    .await?;
    Ok(json!({ "session_id": id, "checkout_url": url, "expires_at": crate::time::rfc3339(expires_at) }))
}

async fn status(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let row = sqlx::query!("SELECT status, credits FROM checkouts WHERE id = $1 AND user_id = $2", id, caller.user_id)
        .fetch_optional(app.db())
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found", "No such checkout session."))?;
    let mut status = row.status;
    if status == "open" {
        // A lost or late webhook must not leave the app waiting: ask Stripe.
        match stripe::get_session(&app, &id).await {
            Ok(session) => {
                let mut tx = app.db().begin().await?;
                fulfil::apply(&mut tx, &session, None).await?;
                status =
                    sqlx::query_scalar!("SELECT status FROM checkouts WHERE id = $1", id).fetch_one(&mut *tx).await?;
                tx.commit().await?;
            }
            Err(why) => tracing::warn!(reason = %why, "checkout status: Stripe not asked"),
        }
    }
    let granted = if status == "complete" { row.credits } else { 0 };
    Ok(Json(json!({ "status": status, "credits_granted": granted })))
}
