//! Buying credits: `POST /credits/checkout` opens a session (Stripe Checkout in production, 24 h
//! expiry, idempotent on `Idempotency-Key`), `/checkout/{id}` stands in for Stripe's hosted page,
//! and fulfilment (the `checkout.session.completed` webhook) grants the pack's credits once.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::catalog::{pack, Pack};
use super::predictions::idempotency_key;
use super::tokens::Caller;
use super::{base_url, ids, now, problem, PlatformFake, Store};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Complete,
    Expired,
}

pub(super) struct Checkout {
    id: String,
    user_id: String,
    pack: &'static Pack,
    key: String,
    status: Status,
    expires_at: DateTime<Utc>,
}

impl Checkout {
    /// Open sessions past `expires_at` count as expired, as Stripe expires them.
    fn status(&self) -> Status {
        match self.status {
            Status::Open if now() >= self.expires_at => Status::Expired,
            s => s,
        }
    }

    fn status_str(&self) -> &'static str {
        match self.status() {
            Status::Open => "open",
            Status::Complete => "complete",
            Status::Expired => "expired",
        }
    }

    fn created(&self, base: &str) -> Value {
        json!({
            "session_id": self.id,
            "checkout_url": format!("{base}/checkout/{}", self.id),
            "expires_at": ids::rfc3339(self.expires_at),
        })
    }
}

pub(super) fn api_routes() -> Router<PlatformFake> {
    Router::new().route("/credits/checkout", post(create)).route("/credits/checkout/{id}", get(status))
}

pub(super) fn page_routes() -> Router<PlatformFake> {
    Router::new().route("/checkout/{id}", get(page)).route("/checkout/{id}/pay", post(pay))
}

#[derive(Deserialize)]
struct CreateBody {
    pack_id: String,
}

async fn create(
    State(fake): State<PlatformFake>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(missing) => return missing,
    };
    let base = base_url(&headers);
    let mut state = fake.state();
    if let Some(first) = state.checkouts.iter().find(|c| c.user_id == caller.user_id && c.key == key) {
        return Json(first.created(&base)).into_response();
    }
    let Ok(body) = serde_json::from_slice::<CreateBody>(&body) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "Invalid input",
            "The body must be {\"pack_id\": \"...\"}.",
        );
    };
    let Some(pack) = pack(&body.pack_id) else {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown_pack",
            "Unknown pack",
            &format!("There is no pack {}.", body.pack_id),
        );
    };
    let checkout = Checkout {
        id: format!("cs_test_{}", ids::token(58)),
        user_id: caller.user_id,
        pack,
        key,
        status: Status::Open,
        expires_at: now() + Duration::hours(24),
    };
    let answer = checkout.created(&base);
    state.checkouts.push(checkout);
    Json(answer).into_response()
}

async fn status(
    State(fake): State<PlatformFake>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let state = fake.state();
    match state.checkouts.iter().find(|c| c.id == id && c.user_id == caller.user_id) {
        Some(c) => {
            let granted = if c.status() == Status::Complete { c.pack.credits } else { 0 };
            Json(json!({ "status": c.status_str(), "credits_granted": granted })).into_response()
        }
        None => problem(StatusCode::NOT_FOUND, "not_found", "Not found", "No such checkout session."),
    }
}

fn dollars(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;text-align:center}}\
         button{{font-size:1.1rem;padding:.6rem 1.4rem}}</style></head>\
         <body><p><small>Flux Krea test checkout (fake Stripe)</small></p>{body}</body></html>"
    );
    (status, Html(page)).into_response()
}

/// Stripe's hosted checkout page, reduced to one button.
async fn page(State(fake): State<PlatformFake>, Path(id): Path<String>) -> Response {
    let state = fake.state();
    let Some(c) = state.checkouts.iter().find(|c| c.id == id) else {
        return html(StatusCode::NOT_FOUND, "Not found", "<h1>This checkout session does not exist</h1>");
    };
    match c.status() {
        Status::Complete => paid(),
        Status::Expired => expired(),
        Status::Open => {
            let what = format!("Pay {} for {} credits", dollars(c.pack.price_cents), c.pack.credits);
            let body = format!(
                "<h1>{what}</h1><form method=\"post\" action=\"/checkout/{id}/pay\"><button type=\"submit\">{what}</button></form>"
            );
            html(StatusCode::OK, &what, &body)
        }
    }
}

async fn pay(State(fake): State<PlatformFake>, Path(id): Path<String>) -> Response {
    if fake.complete_checkout(&id) {
        return paid();
    }
    let known = fake.state().checkouts.iter().any(|c| c.id == id);
    if known {
        expired()
    } else {
        html(StatusCode::NOT_FOUND, "Not found", "<h1>This checkout session does not exist</h1>")
    }
}

fn paid() -> Response {
    html(
        StatusCode::OK,
        "Payment received",
        "<h1>Payment received — return to Flux Krea</h1><p>You can close this tab.</p>",
    )
}

fn expired() -> Response {
    html(StatusCode::GONE, "Session expired", "<h1>This checkout session has expired</h1>")
}

impl Store {
    /// Fulfilment, idempotent on the session: an open session completes and grants its credits;
    /// a complete one stays as it is. False for an unknown or expired session.
    fn fulfil(&mut self, id: &str) -> bool {
        let Some(c) = self.checkouts.iter_mut().find(|c| c.id == id) else { return false };
        match c.status() {
            Status::Complete => true,
            Status::Expired => false,
            Status::Open => {
                c.status = Status::Complete;
                let (user, credits) = (c.user_id.clone(), c.pack.credits);
                self.post(&user, credits, "purchase", None);
                true
            }
        }
    }
}

impl PlatformFake {
    /// `{session_id, pack_id, status, email, idempotency_key}` for every session, oldest first.
    pub fn checkout_sessions(&self) -> Vec<Value> {
        let state = self.state();
        let email = |id: &str| state.user(id).map(|u| u.email.clone());
        state
            .checkouts
            .iter()
            .map(|c| {
                json!({
                    "session_id": c.id,
                    "pack_id": c.pack.id,
                    "status": c.status_str(),
                    "email": email(&c.user_id),
                    "idempotency_key": c.key,
                })
            })
            .collect()
    }

    /// As if Stripe's `checkout.session.completed` webhook arrived; credits are granted once.
    pub fn complete_checkout(&self, session_id: &str) -> bool {
        self.state().fulfil(session_id)
    }

    /// The session expires unpaid; false if unknown or already complete.
    pub fn expire_checkout(&self, session_id: &str) -> bool {
        let mut state = self.state();
        match state.checkouts.iter_mut().find(|c| c.id == session_id) {
            Some(c) if c.status() != Status::Complete => {
                c.status = Status::Expired;
                true
            }
            _ => false,
        }
    }
}
