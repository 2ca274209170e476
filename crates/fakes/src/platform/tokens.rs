//! `POST /auth/v1/token` (the pkce and refresh_token grants, GoTrue's shapes), `/logout`, and the
//! Bearer check in front of `/api/v1`.

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{auth, base_url, ids, now, problem, PlatformFake, Store, ANON_KEY};

/// Who is calling `/api/v1`, put in the request's extensions by [`require_bearer`].
#[derive(Clone)]
pub(super) struct Caller {
    pub user_id: String,
}

/// GoTrue's error body: `{code, error_code, msg}`.
pub(super) fn gotrue_error(status: StatusCode, error_code: &str, msg: &str) -> Response {
    (status, Json(json!({ "code": status.as_u16(), "error_code": error_code, "msg": msg }))).into_response()
}

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    grant_type: Option<String>,
}

#[derive(Deserialize)]
struct RefreshBody {
    #[serde(default)]
    refresh_token: String,
}

pub(super) async fn token(
    State(fake): State<PlatformFake>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if fake.token_outage() {
        return gotrue_error(StatusCode::SERVICE_UNAVAILABLE, "unexpected_failure", "Service Unavailable");
    }
    if let Err(denied) = check_apikey(&headers) {
        return denied;
    }
    let mut state = fake.state();
    match grant(&mut state, q.grant_type.as_deref(), &body) {
        Ok(session) => Json(issue(&mut state, &session, &base_url(&headers))).into_response(),
        Err(refused) => refused,
    }
}

/// The session the grant signs into (new for pkce, the same one for a refresh).
#[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
fn grant(state: &mut Store, grant_type: Option<&str>, body: &[u8]) -> Result<String, Response> {
    match grant_type {
        Some("pkce") => {
            let user_id = auth::exchange(state, parse(body)?)?;
            Ok(state.sessions.start(&user_id))
        }
        Some("refresh_token") => state.sessions.rotate(&parse::<RefreshBody>(body)?.refresh_token),
        _ => Err(gotrue_error(StatusCode::BAD_REQUEST, "validation_failed", "unsupported_grant_type")),
    }
}

#[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        let msg = format!("Could not parse request body as JSON: {e}");
        gotrue_error(StatusCode::BAD_REQUEST, "validation_failed", &msg)
    })
}

#[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
fn check_apikey(headers: &HeaderMap) -> Result<(), Response> {
    match headers.get("apikey").and_then(|v| v.to_str().ok()) {
        Some(ANON_KEY) => Ok(()),
        _ => Err((StatusCode::UNAUTHORIZED, Json(json!({ "message": "Invalid API key" }))).into_response()),
    }
}

/// A new access/refresh pair for the session, in GoTrue's response shape.
fn issue(state: &mut Store, session: &str, base: &str) -> Value {
    let user_id = state.sessions.user_of(session).unwrap_or_default();
    let (email, user) = state.user(&user_id).map(|u| (u.email.clone(), u.gotrue(base))).unwrap_or_default();
    let ttl = state.knobs.access_ttl_s;
    let expires_at = now() + Duration::seconds(ttl as i64);
    let access = jwt(&json!({
        "iss": format!("{base}/auth/v1"),
        "sub": user_id,
        "aud": "authenticated",
        "role": "authenticated",
        "email": email,
        "session_id": session,
        "iat": now().timestamp(),
        "exp": expires_at.timestamp(),
        "jti": ids::token(12),
    }));
    let refresh = ids::token(24);
    state.sessions.insert(session, access.clone(), expires_at, refresh.clone());
    json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl,
        "expires_at": expires_at.timestamp(),
        "refresh_token": refresh,
        "user": user,
    })
}

/// `header.payload.signature`, base64url; the "signature" is a hash, which no client checks.
fn jwt(claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let signing_input = format!("{}.{}", part(&json!({ "alg": "HS256", "typ": "JWT" })), part(claims));
    let signature = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("fake-jwt-secret.{signing_input}")));
    format!("{signing_input}.{signature}")
}

/// Middleware in front of `/api/v1`: 401 `invalid_token` unless a live access token is presented.
pub(super) async fn require_bearer(State(fake): State<PlatformFake>, mut req: Request, next: Next) -> Response {
    let Some((_, user_id)) = fake.state().sessions.bearer(req.headers()) else {
        let detail = "The access token is missing, unknown, expired or signed out.";
        let mut denied = problem(StatusCode::UNAUTHORIZED, "invalid_token", "Unauthorized", detail);
        let challenge = HeaderValue::from_static("Bearer error=\"invalid_token\"");
        denied.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        return denied;
    };
    req.extensions_mut().insert(Caller { user_id });
    next.run(req).await
}

/// `POST /auth/v1/logout`: ends the session of the presented access token.
pub(super) async fn logout(State(fake): State<PlatformFake>, headers: HeaderMap) -> Response {
    if let Err(denied) = check_apikey(&headers) {
        return denied;
    }
    if fake.logout_outage() {
        return gotrue_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the service is temporarily unavailable");
    }
    let mut state = fake.state();
    let Some((session, _)) = state.sessions.bearer(&headers) else {
        return gotrue_error(StatusCode::UNAUTHORIZED, "bad_jwt", "invalid JWT: unable to parse or verify signature");
    };
    state.sessions.log_out(&session);
    StatusCode::NO_CONTENT.into_response()
}
