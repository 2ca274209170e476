//! `POST /auth/v1/token` (pkce and refresh_token grants, GoTrue's shapes) and `/logout`. Refresh
//! tokens are single-use and stored only as hashes; a spent one presented again after the reuse
//! interval ends its session (GoTrue's reuse detection).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{Postgres, Transaction};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::flow::FLOW_TTL_S;
use super::jwt::{self, Claims};
use super::{bearer, caller, check_apikey};
use crate::app::App;
use crate::ids;
use crate::problem::{ApiError, ApiResult};

/// Two requests of one client racing with the same refresh token both succeed within this.
const REUSE_INTERVAL_S: f64 = 10.0;

#[derive(Deserialize)]
pub struct TokenQuery {
    grant_type: Option<String>,
}

#[derive(Deserialize)]
struct PkceBody {
    #[serde(default)]
    auth_code: String,
    #[serde(default)]
    code_verifier: String,
}

#[derive(Deserialize)]
struct RefreshBody {
    #[serde(default)]
    refresh_token: String,
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|_| {
        ApiError::gotrue(StatusCode::BAD_REQUEST, "validation_failed", "Could not parse request body as JSON")
    })
}

/// A refused refresh in both of GoTrue's error shapes, so any GoTrue client reads it.
fn invalid_grant(error_code: &'static str, msg: &str) -> Response {
    let body = json!({
        "code": 400,
        "error_code": error_code,
        "msg": format!("Invalid Refresh Token: {msg}"),
        "error": "invalid_grant",
        "error_description": format!("Invalid Refresh Token: {msg}"),
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

pub async fn token(
    State(app): State<App>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    check_apikey(&app, &headers)?;
    let mut tx = app.db().begin().await?;
    let session = match q.grant_type.as_deref() {
        Some("pkce") => exchange(&mut tx, parse(&body)?).await?,
        Some("refresh_token") => match rotate(&mut tx, &parse::<RefreshBody>(&body)?.refresh_token).await? {
            Ok(session) => session,
            Err(refused) => {
                // A detected reuse ended the session: that must stick.
                tx.commit().await?;
                return Ok(refused);
            }
        },
        _ => return Err(ApiError::gotrue(StatusCode::BAD_REQUEST, "validation_failed", "unsupported_grant_type")),
    };
    let answer = issue(&app, &mut tx, session).await?;
    tx.commit().await?;
    // RFC 6749 §5.1: token answers are never cached.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response())
}

/// Consumes the flow of a PKCE code; the new session.
async fn exchange(tx: &mut Transaction<'_, Postgres>, body: PkceBody) -> ApiResult<Uuid> {
    // Locked, so two racing exchanges of one code cannot both win.
    let flow = sqlx::query!(
        "SELECT id, code_challenge, user_id AS \"user_id!\", (created_at < now() - make_interval(secs => $2)) AS \"expired!\"
         FROM flow_states WHERE auth_code_hash = $1 AND user_id IS NOT NULL FOR UPDATE",
        ids::sha256(&body.auth_code),
        FLOW_TTL_S as f64
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(flow) = flow else {
        return Err(ApiError::gotrue(
            StatusCode::NOT_FOUND,
            "flow_state_not_found",
            "invalid flow state, no valid flow state found",
        ));
    };
    if flow.expired {
        return Err(ApiError::gotrue(
            StatusCode::UNPROCESSABLE_ENTITY,
            "flow_state_expired",
            "invalid flow state, flow state has expired",
        ));
    }
    let v = &body.code_verifier;
    let well_formed =
        (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
    if !well_formed || !bool::from(computed.as_bytes().ct_eq(flow.code_challenge.as_bytes())) {
        return Err(ApiError::gotrue(
            StatusCode::BAD_REQUEST,
            "bad_code_verifier",
            "code challenge does not match previously saved code verifier",
        ));
    }
    sqlx::query!("DELETE FROM flow_states WHERE id = $1", flow.id).execute(&mut **tx).await?;
    let session = Uuid::new_v4();
    sqlx::query!("INSERT INTO sessions (id, user_id) VALUES ($1, $2)", session, flow.user_id)
        .execute(&mut **tx)
        .await?;
    Ok(session)
}

/// Spends a refresh token: Ok(session) to issue a new pair for, or the refusal to answer.
async fn rotate(tx: &mut Transaction<'_, Postgres>, token: &str) -> ApiResult<Result<Uuid, Response>> {
    let row = sqlx::query!(
        "SELECT r.session_id, s.ended_at IS NOT NULL AS \"ended!\",
                r.spent_at IS NOT NULL AS \"spent!\",
                COALESCE(r.spent_at > now() - make_interval(secs => $2), false) AS \"recent!\"
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
         WHERE r.token_hash = $1 FOR UPDATE OF r, s",
        ids::sha256(token),
        REUSE_INTERVAL_S
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(Err(invalid_grant("refresh_token_not_found", "Refresh Token Not Found"))) };
    if row.ended {
        return Ok(Err(invalid_grant("session_not_found", "Refresh Token Not Found")));
    }
    if row.spent && !row.recent {
        sqlx::query!(
            "UPDATE sessions SET ended_at = now(), end_reason = 'refresh_token_reused' WHERE id = $1",
            row.session_id
        )
        .execute(&mut **tx)
        .await?;
        tracing::warn!(session = %row.session_id, "spent refresh token presented again: session revoked");
        return Ok(Err(invalid_grant("refresh_token_already_used", "Already Used")));
    }
    sqlx::query!(
        "UPDATE refresh_tokens SET spent_at = COALESCE(spent_at, now()) WHERE token_hash = $1",
        ids::sha256(token)
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!("UPDATE sessions SET refreshed_at = now() WHERE id = $1", row.session_id).execute(&mut **tx).await?;
    Ok(Ok(row.session_id))
}

/// A new access/refresh pair for the session, in GoTrue's response shape.
async fn issue(app: &App, tx: &mut Transaction<'_, Postgres>, session: Uuid) -> ApiResult<Value> {
    let u = sqlx::query!(
        "SELECT u.id, u.email AS \"email!\", u.name, u.avatar_url, u.provider, u.created_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        session
    )
    .fetch_one(&mut **tx)
    .await?;
    let ttl = app.config().access_ttl.as_secs() as i64;
    let now = Utc::now().timestamp();
    let claims = Claims {
        iss: app.public("/auth/v1"),
        sub: u.id.to_string(),
        aud: "authenticated".into(),
        role: "authenticated".into(),
        email: u.email.clone(),
        session_id: session.to_string(),
        iat: now,
        exp: now + ttl,
    };
    let access = jwt::sign(&claims, app.config().jwt_secret.expose().as_bytes());
    let refresh = ids::secret(32);
    sqlx::query!("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)", ids::sha256(&refresh), session)
        .execute(&mut **tx)
        .await?;
    Ok(json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl,
        "expires_at": now + ttl,
        "refresh_token": refresh,
        "user": {
            "id": u.id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": u.email,
            "app_metadata": { "provider": u.provider, "providers": [u.provider] },
            "user_metadata": { "full_name": u.name, "avatar_url": u.avatar_url, "email": u.email },
            "created_at": crate::time::rfc3339(u.created_at),
        },
    }))
}

/// `POST /auth/v1/logout`: ends the session of the presented access token, for every replica at once.
pub async fn logout(State(app): State<App>, headers: HeaderMap) -> ApiResult<Response> {
    check_apikey(&app, &headers)?;
    if bearer(&headers).is_none() {
        return Err(ApiError::gotrue(
            StatusCode::UNAUTHORIZED,
            "no_authorization",
            "This endpoint requires a Bearer token",
        ));
    }
    let Some(who) = caller(&app, &headers).await? else {
        return Err(ApiError::gotrue(
            StatusCode::UNAUTHORIZED,
            "bad_jwt",
            "invalid JWT: unable to parse or verify signature",
        ));
    };
    sqlx::query!(
        "UPDATE sessions SET ended_at = now(), end_reason = 'logout' WHERE id = $1 AND ended_at IS NULL",
        who.session_id
    )
    .execute(app.db())
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
