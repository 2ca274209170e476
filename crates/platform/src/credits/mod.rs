//! Credits: the balance, the keyset-paged ledger (newest first), and buying packs through Stripe.

pub mod checkout;
mod fulfil;
pub mod ledger;
mod stripe;
pub mod webhook;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, Token};
use crate::problem::{ApiError, ApiResult};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 100;

pub fn routes() -> Router<App> {
    Router::new().route("/credits", get(balance)).route("/credits/ledger", get(page)).merge(checkout::api_routes())
}

async fn balance(State(app): State<App>, token: Token) -> ApiResult<Json<Value>> {
    // The session check and the read in one round trip (see `Token`).
    let row = sqlx::query!(
        "SELECT u.balance, u.balance_updated_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.user_id = $2 AND s.ended_at IS NULL AND u.deleted_at IS NULL",
        token.session_id,
        token.user_id
    )
    .fetch_optional(app.db())
    .await?
    .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(json!({ "balance": row.balance, "updated_at": crate::time::rfc3339(row.balance_updated_at) })))
}

#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    /// Text, so a malformed limit gets a problem+json answer.
    limit: Option<String>,
}

async fn page(State(app): State<App>, caller: Caller, Query(q): Query<PageQuery>) -> ApiResult<Json<Value>> {
    let before = match q.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor) {
        None => i64::MAX,
        Some(Some(id)) => id,
        Some(None) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_cursor", "Bad request", "Invalid cursor"))
        }
    };
    let limit = match q.limit.as_deref().map(str::parse::<i64>) {
        None => DEFAULT_PAGE,
        Some(Ok(n)) => n.clamp(1, MAX_PAGE),
        Some(Err(_)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "Bad request",
                "limit must be a number",
            ))
        }
    };
    let mut conn = app.db().acquire().await?;
    // One more than the page tells whether there is a next one.
    let mut entries = ledger::page(&mut conn, caller.user_id, before, limit + 1).await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next = match (more, entries.last()) {
        (true, Some(last)) => json!(URL_SAFE_NO_PAD.encode(format!("before:{}", last.id))),
        _ => Value::Null,
    };
    Ok(Json(json!({ "entries": entries.iter().map(ledger::Entry::to_json).collect::<Vec<_>>(), "next": next })))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("before:")?.parse().ok()
}
