//! The sign-in broker under `/auth/v1` (GoTrue-compatible, docs/platform-api.md §1) and the Bearer
//! check in front of `/api/v1`.

mod flow;
pub mod jwt;
mod providers;
mod redirect;
mod tokens;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::Router;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::app::App;
use crate::problem::ApiError;

pub use redirect::redirect_allowed;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/authorize", get(flow::authorize))
        .route("/callback", get(flow::callback))
        .route("/token", post(tokens::token))
        .route("/logout", post(tokens::logout))
}

/// The signed-in caller of `/api/v1`: a valid JWT whose session is live right now (so a logout
/// on any replica takes effect at once).
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, ApiError> {
        caller(app, &parts.headers).await?.ok_or_else(ApiError::unauthorized)
    }
}

/// A Bearer token with a good signature and expiry, its session not looked up yet. Only for the
/// hottest reads (`/me`, `/credits`): their one query joins `sessions` itself (live, not ended, the
/// user not deleted) instead of paying a second round trip, and answers 401 when it finds no row.
#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

impl FromRequestParts<App> for Token {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Token, ApiError> {
        token(app, &parts.headers).ok_or_else(ApiError::unauthorized)
    }
}

fn token(app: &App, headers: &HeaderMap) -> Option<Token> {
    let secret = app.config().jwt_secret.expose().as_bytes();
    let claims = jwt::verify(bearer(headers)?, secret, chrono::Utc::now().timestamp())?;
    Some(Token { user_id: claims.sub.parse().ok()?, session_id: claims.session_id.parse().ok()? })
}

/// The live session behind the Bearer token, if any.
async fn caller(app: &App, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
    let Some(Token { user_id, session_id }) = token(app, headers) else { return Ok(None) };
    let live = sqlx::query_scalar!(
        "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.ended_at IS NULL AND u.deleted_at IS NULL",
        session_id
    )
    .fetch_optional(app.db())
    .await?;
    Ok((live == Some(user_id)).then_some(Caller { user_id, session_id }))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim())
}

/// The `apikey` header equals the anon key (compared in constant time).
fn check_apikey(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers.get("apikey").map(|v| v.as_bytes()).unwrap_or_default();
    let expected = app.config().anon_key.expose().as_bytes();
    if given.ct_eq(expected).into() {
        Ok(())
    } else {
        Err(ApiError::gotrue(axum::http::StatusCode::UNAUTHORIZED, "no_authorization", "Invalid API key"))
    }
}
