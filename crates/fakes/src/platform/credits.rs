//! The credit ledger: every change of a balance is an entry; `GET /credits` and the keyset-paged
//! `GET /credits/ledger` (newest first).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::tokens::Caller;
use super::{ids, now, problem, PlatformFake, Store};

const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 100;

pub(super) struct Entry {
    /// Global order; the ledger cursor points at it.
    pub seq: u64,
    pub delta: i64,
    pub reason: &'static str,
    pub prediction_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Entry {
    pub fn to_json(&self) -> Value {
        let mut e = json!({
            "id": format!("le_{:08}", self.seq),
            "delta": self.delta,
            "reason": self.reason,
            "created_at": ids::rfc3339(self.created_at),
        });
        // Only generation and refund entries belong to a prediction.
        if let Some(id) = &self.prediction_id {
            e["prediction_id"] = json!(id);
        }
        e
    }
}

impl Store {
    /// Adds a ledger entry and applies it to the balance.
    pub(super) fn post(&mut self, user_id: &str, delta: i64, reason: &'static str, prediction_id: Option<&str>) {
        self.next_seq += 1;
        let seq = self.next_seq;
        if let Some(u) = self.user_mut(user_id) {
            u.balance += delta;
            let prediction_id = prediction_id.map(str::to_string);
            u.ledger.push(Entry { seq, delta, reason, prediction_id, created_at: now() });
        }
    }
}

pub(super) fn routes() -> Router<PlatformFake> {
    Router::new().route("/credits", get(balance)).route("/credits/ledger", get(ledger))
}

async fn balance(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>) -> Response {
    fake.settle(&caller.user_id);
    let state = fake.state();
    let Some(u) = state.user(&caller.user_id) else { return super::missing() };
    let updated_at = u.ledger.last().map_or(u.created_at, |e| e.created_at);
    Json(json!({ "balance": u.balance, "updated_at": ids::rfc3339(updated_at) })).into_response()
}

#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    /// Text, so a malformed limit gets a problem+json answer rather than axum's plain 400.
    limit: Option<String>,
}

async fn ledger(
    State(fake): State<PlatformFake>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<PageQuery>,
) -> Response {
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor) {
        None => u64::MAX,
        Some(Some(seq)) => seq,
        Some(None) => return problem(StatusCode::BAD_REQUEST, "invalid_cursor", "Bad request", "Invalid cursor"),
    };
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => DEFAULT_PAGE,
        Some(Ok(n)) => n.clamp(1, MAX_PAGE),
        Some(Err(_)) => {
            return problem(StatusCode::BAD_REQUEST, "invalid_input", "Bad request", "limit must be a number")
        }
    };
    fake.settle(&caller.user_id);
    let state = fake.state();
    let Some(u) = state.user(&caller.user_id) else { return super::missing() };
    let mut older = u.ledger.iter().rev().filter(|e| e.seq < before);
    let page: Vec<&Entry> = older.by_ref().take(limit).collect();
    let next = match (page.last(), older.next()) {
        (Some(last), Some(_)) => json!(URL_SAFE_NO_PAD.encode(format!("before:{}", last.seq))),
        _ => Value::Null,
    };
    let entries: Vec<Value> = page.iter().map(|e| e.to_json()).collect();
    Json(json!({ "entries": entries, "next": next })).into_response()
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("before:")?.parse().ok()
}

impl PlatformFake {
    /// The user's balance after settling their finished predictions; None for an unknown user.
    pub fn balance(&self, email: &str) -> Option<i64> {
        let id = self.state().user_by_email(email)?.id.clone();
        self.settle(&id);
        self.state().user(&id).map(|u| u.balance)
    }

    /// Every ledger entry, newest first, as the API shows them (after settling).
    pub fn ledger(&self, email: &str) -> Vec<Value> {
        let Some(id) = self.state().user_by_email(email).map(|u| u.id.clone()) else { return Vec::new() };
        self.settle(&id);
        self.state().user(&id).map(|u| u.ledger.iter().rev().map(Entry::to_json).collect()).unwrap_or_default()
    }

    /// Adds a "grant" entry, creating the user (not yet signed in) if needed.
    pub fn grant(&self, email: &str, credits: i64) {
        let mut state = self.state();
        let id = state.ensure_user(email);
        state.post(&id, credits, "grant", None);
    }
}
