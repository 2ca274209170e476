//! The provider's three endpoints: authorize (error page or 302), token (JSON errors, 400/401) and
//! userinfo (fields by scope).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use super::GoogleFake;
use crate::oauth::{bearer, found, take, with_query, GrantError};

/// Google's error page for a request it will not redirect back from.
fn error_page(status: StatusCode, error: &str, detail: &str) -> Response {
    let body = format!(
        "<!doctype html><title>Error {0}: {error}</title><h1>Access blocked: authorization error</h1>\
         <p>Error {0}: {error}</p><p>{detail}</p>",
        status.as_u16()
    );
    (status, Html(body)).into_response()
}

/// Scopes userinfo understands, with their long forms.
fn scope_ok(scope: &str) -> bool {
    matches!(
        scope,
        "openid"
            | "email"
            | "profile"
            | "https://www.googleapis.com/auth/userinfo.email"
            | "https://www.googleapis.com/auth/userinfo.profile"
    )
}

pub(super) async fn authorize(State(fake): State<GoogleFake>, Query(q): Query<HashMap<String, String>>) -> Response {
    let config = fake.config();
    let param = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let missing =
        |k: &str| error_page(StatusCode::BAD_REQUEST, "invalid_request", &format!("Missing required parameter: {k}"));
    let Some(client_id) = param("client_id") else { return missing("client_id") };
    if client_id != config.client_id {
        return error_page(StatusCode::UNAUTHORIZED, "invalid_client", "The OAuth client was not found.");
    }
    let Some(redirect_uri) = param("redirect_uri") else { return missing("redirect_uri") };
    if !config.redirect_allowed(redirect_uri) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "redirect_uri is not registered for this client",
        );
    }
    let Some(response_type) = param("response_type") else { return missing("response_type") };
    if response_type != "code" {
        let detail = format!("Invalid response_type: {response_type}");
        return error_page(StatusCode::BAD_REQUEST, "unsupported_response_type", &detail);
    }
    let Some(scope) = param("scope") else { return missing("scope") };
    if let Some(bad) = scope.split(' ').find(|s| !scope_ok(s)) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("Some requested scopes were invalid: {bad}"),
        );
    }
    // Google accepts a request without state; the fake insists, since a broker without it is a bug.
    let Some(state) = param("state") else { return missing("state") };
    let challenge = match (param("code_challenge"), param("code_challenge_method")) {
        (None, None) => None,
        (Some(c), Some("S256")) if c.len() == 43 => Some(c.to_string()),
        _ => {
            let detail = "code_challenge must be a S256 challenge (43 characters) with code_challenge_method=S256";
            return error_page(StatusCode::BAD_REQUEST, "invalid_request", detail);
        }
    };
    let mut store = fake.state();
    if store.knobs.deny {
        return found(&with_query(redirect_uri, &[("error", "access_denied"), ("state", state)]));
    }
    let mut user = store.user.clone();
    user.email_verified &= !store.knobs.email_unverified;
    let code = store.grants.issue(Some(redirect_uri.into()), challenge, scope, user);
    let to = with_query(redirect_uri, &[("state", state), ("code", &code), ("scope", scope)]);
    found(&to)
}

/// Google's token errors: JSON `{error, error_description}`.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

pub(super) async fn token(State(fake): State<GoogleFake>, headers: HeaderMap, body: Bytes) -> Response {
    if take(&mut fake.state().knobs.token_server_errors) {
        return token_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "Service unavailable");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let param = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // client_secret_post or client_secret_basic: Google's discovery document lists both.
    let basic = basic_auth(&headers);
    let client_id = param("client_id").or(basic.as_ref().map(|(id, _)| id.as_str()));
    let secret = param("client_secret").or(basic.as_ref().map(|(_, s)| s.as_str()));
    let config = fake.config();
    match param("grant_type") {
        Some("authorization_code") => {}
        other => {
            let detail = format!("Invalid grant_type: {}", other.unwrap_or(""));
            return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", &detail);
        }
    }
    if client_id != Some(config.client_id.as_str()) {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client", "The OAuth client was not found.");
    }
    if secret != Some(config.client_secret.as_str()) {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    let Some(code) = param("code") else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter: code");
    };
    let Some(redirect_uri) = param("redirect_uri") else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter: redirect_uri");
    };
    let mut store = fake.state();
    let grant = match store.grants.redeem(code, Some(redirect_uri), param("code_verifier")) {
        Ok(grant) => grant,
        Err(GrantError::BadCode) => return token_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad Request"),
        Err(GrantError::RedirectMismatch) => {
            return token_error(StatusCode::BAD_REQUEST, "redirect_uri_mismatch", "Bad Request")
        }
        Err(GrantError::BadVerifier) => {
            return token_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid code verifier.")
        }
    };
    // Google answers the granted scopes in their long forms.
    let scope: Vec<&str> = grant
        .scope
        .split(' ')
        .map(|s| match s {
            "email" => "https://www.googleapis.com/auth/userinfo.email",
            "profile" => "https://www.googleapis.com/auth/userinfo.profile",
            other => other,
        })
        .collect();
    let scope = scope.join(" ");
    let access = store.grants.token_for("ya29.", grant.user, &scope);
    Json(json!({ "access_token": access, "expires_in": 3599, "scope": scope, "token_type": "Bearer" })).into_response()
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(value).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

/// OpenID Connect userinfo: `sub` always, e-mail fields with the `email` scope, name and picture
/// with `profile`.
pub(super) async fn userinfo(State(fake): State<GoogleFake>, headers: HeaderMap) -> Response {
    let found = bearer(&headers).and_then(|t| fake.state().grants.tokens.get(t).cloned());
    let Some((user, scope)) = found else {
        let www = r#"Bearer realm="https://accounts.google.com/", error="invalid_token""#;
        let body = json!({ "error": "invalid_request", "error_description": "Invalid Credentials" });
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, www)], Json(body)).into_response();
    };
    let has = |short: &str| scope.split(' ').any(|s| s == short || s.ends_with(&format!("userinfo.{short}")));
    let mut info = json!({ "sub": user.sub });
    if has("email") {
        info["email"] = json!(user.email);
        info["email_verified"] = json!(user.email_verified);
    }
    if has("profile") {
        let (given, family) = user.name.split_once(' ').unwrap_or((&user.name, ""));
        info["name"] = json!(user.name);
        info["given_name"] = json!(given);
        info["family_name"] = json!(family);
        info["picture"] = json!(user.picture);
    }
    Json(info).into_response()
}
