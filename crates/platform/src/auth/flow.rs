//! One sign-in: `/authorize` stores a flow (the app's challenge, its redirect, our verifier toward
//! the provider) whose id is the provider `state`; `/callback` claims the flow once, signs the
//! user in with the provider and sends the browser back with a single-use code; the PKCE grant
//! (tokens.rs) consumes that code under a row lock.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sqlx::{Postgres, Transaction};
use url::Url;
use uuid::Uuid;

use super::providers::{self, Profile, Provider};
use super::redirect_allowed;
use crate::app::App;
use crate::credits::ledger::{self, Reason, Refs};
use crate::ids;
use crate::problem::{ApiError, ApiResult};

/// GoTrue's flow lifetime: authorize → token within 5 minutes.
pub const FLOW_TTL_S: i64 = 300;

#[derive(Deserialize)]
pub struct AuthorizeQuery {
    provider: Option<String>,
    redirect_to: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

fn invalid(msg: &str) -> ApiError {
    ApiError::gotrue(StatusCode::BAD_REQUEST, "validation_failed", msg)
}

pub async fn authorize(State(app): State<App>, Query(q): Query<AuthorizeQuery>) -> ApiResult<Response> {
    let provider = q
        .provider
        .as_deref()
        .and_then(Provider::parse)
        .ok_or_else(|| invalid("Unsupported provider: provider is not enabled"))?;
    let redirect = q
        .redirect_to
        .as_deref()
        .and_then(|r| redirect_allowed(r, &app.config().redirect_allow))
        .ok_or_else(|| invalid("redirect_to must be a loopback http URL or an allow-listed https URL"))?;
    let challenge = q.code_challenge.unwrap_or_default();
    if challenge.len() != 43 || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(invalid("code_challenge must be 43 characters of base64url (S256 of the verifier)"));
    }
    if !q.code_challenge_method.is_some_and(|m| m.eq_ignore_ascii_case("s256")) {
        return Err(invalid("code_challenge_method must be s256"));
    }
    let id = Uuid::new_v4();
    let verifier = ids::secret(48);
    sqlx::query!(
        "INSERT INTO flow_states (id, provider, code_challenge, redirect_to, provider_verifier) VALUES ($1, $2, $3, $4, $5)",
        id,
        provider.as_str(),
        challenge,
        redirect.as_str(),
        verifier
    )
    .execute(app.db())
    .await?;
    let ours = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let to = providers::authorize_url(&app, provider, &id.to_string(), &ours);
    Ok(found(to.as_str()))
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location.to_string()), (header::CACHE_CONTROL, "no-store".into())])
        .into_response()
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

pub async fn callback(State(app): State<App>, Query(q): Query<CallbackQuery>) -> ApiResult<Response> {
    let Some(id) = q.state.as_deref().and_then(|s| s.parse::<Uuid>().ok()) else {
        return Err(invalid("invalid state"));
    };
    // Claims the flow: the verifier is taken out once, so a replayed callback finds nothing.
    let flow = sqlx::query!(
        "UPDATE flow_states f SET provider_verifier = NULL
         FROM (SELECT id, provider_verifier FROM flow_states WHERE id = $1 FOR UPDATE) old
         WHERE f.id = old.id AND old.provider_verifier IS NOT NULL
           AND f.created_at > now() - make_interval(secs => $2)
         RETURNING f.provider, f.redirect_to, old.provider_verifier AS \"verifier!\"",
        id,
        FLOW_TTL_S as f64
    )
    .fetch_optional(app.db())
    .await?;
    let Some(flow) = flow else {
        // Too slow at the provider: send the browser back to the app, which says so.
        let expired = sqlx::query_scalar!(
            "SELECT redirect_to FROM flow_states WHERE id = $1 AND provider_verifier IS NOT NULL",
            id
        )
        .fetch_optional(app.db())
        .await?;
        if let Some(mut back) = expired.and_then(|r| Url::parse(&r).ok()) {
            back.query_pairs_mut()
                .append_pair("error", "flow_state_expired")
                .append_pair("error_description", "The sign-in took too long; please start again.")
                .append_pair("error_code", "flow_state_expired");
            return Ok(found(back.as_str()));
        }
        return Err(ApiError::gotrue(
            StatusCode::NOT_FOUND,
            "flow_state_not_found",
            "invalid flow state, no valid flow state found",
        ));
    };
    let mut back = Url::parse(&flow.redirect_to).map_err(|_| ApiError::internal("stored redirect_to unparsable"))?;
    let provider = Provider::parse(&flow.provider).ok_or_else(|| ApiError::internal("stored provider unknown"))?;
    let refuse = |mut back: Url, code: &str, why: &str| {
        back.query_pairs_mut()
            .append_pair("error", code)
            .append_pair("error_description", why)
            .append_pair("error_code", code);
        Ok(found(back.as_str()))
    };
    if q.error.is_some() || q.code.is_none() {
        return refuse(back, "access_denied", "The sign-in was not completed: the provider refused it.");
    }
    let profile = match providers::profile(&app, provider, q.code.as_deref().unwrap_or_default(), &flow.verifier).await
    {
        Ok(p) => p,
        Err(providers::Refused(why)) => {
            tracing::warn!(provider = provider.as_str(), reason = %why, "sign-in refused by the provider");
            return refuse(back, "server_error", "The sign-in provider could not be reached or refused the sign-in.");
        }
    };
    if !profile.email_verified || profile.email.is_empty() {
        return refuse(back, "email_not_verified", "The provider has not verified this account's e-mail address.");
    }
    let code = ids::secret(32);
    let mut tx = app.db().begin().await?;
    let user = upsert(&app, &mut tx, provider, &profile).await?;
    sqlx::query!(
        "UPDATE flow_states SET auth_code_hash = $2, user_id = $3, authenticated_at = now() WHERE id = $1",
        id,
        ids::sha256(&code),
        user
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    back.query_pairs_mut().append_pair("code", &code);
    Ok(found(back.as_str()))
}

/// The user of this identity, created (with the sign-up grant) or linked by verified e-mail.
async fn upsert(app: &App, tx: &mut Transaction<'_, Postgres>, provider: Provider, p: &Profile) -> ApiResult<Uuid> {
    // Serialises first sign-ins of the same identity, across replicas.
    let lock_key = format!("identity:{}:{}", provider.as_str(), p.subject);
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", lock_key).execute(&mut **tx).await?;
    let known = sqlx::query_scalar!(
        "UPDATE identities SET email = $3, updated_at = now() WHERE provider = $1 AND subject = $2 RETURNING user_id",
        provider.as_str(),
        p.subject,
        p.email
    )
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(user) = known {
        sqlx::query!("UPDATE users SET name = $2, avatar_url = $3 WHERE id = $1", user, p.name, p.avatar_url)
            .execute(&mut **tx)
            .await?;
        return Ok(user);
    }
    // A verified e-mail another provider already signed in with is the same person (GoTrue links).
    let linked = sqlx::query_scalar!(
        "SELECT id FROM users WHERE lower(email) = lower($1) AND deleted_at IS NULL ORDER BY created_at LIMIT 1",
        p.email
    )
    .fetch_optional(&mut **tx)
    .await?;
    let user = match linked {
        Some(user) => user,
        None => {
            let user = Uuid::new_v4();
            sqlx::query!(
                "INSERT INTO users (id, email, name, avatar_url, provider) VALUES ($1, $2, $3, $4, $5)",
                user,
                p.email,
                p.name,
                p.avatar_url,
                provider.as_str()
            )
            .execute(&mut **tx)
            .await?;
            let credits = app.config().signup_credits;
            if credits > 0 {
                ledger::post(tx, user, credits, Reason::Grant, Refs::default()).await?;
            }
            user
        }
    };
    sqlx::query!(
        "INSERT INTO identities (provider, subject, user_id, email) VALUES ($1, $2, $3, $4)",
        provider.as_str(),
        p.subject,
        user,
        p.email
    )
    .execute(&mut **tx)
    .await?;
    Ok(user)
}
