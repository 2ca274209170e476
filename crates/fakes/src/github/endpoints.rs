//! The web host's authorize and access_token endpoints and the API's `/user` and `/user/emails`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{GithubFake, GithubUser};
use crate::oauth::{bearer, found, take, with_query, GrantError};

const DOCS: &str =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

fn page(status: StatusCode, text: &str) -> Response {
    (status, Html(format!("<!doctype html><title>GitHub</title><p>{text}</p>"))).into_response()
}

pub(super) async fn authorize(State(fake): State<GithubFake>, Query(q): Query<HashMap<String, String>>) -> Response {
    let config = fake.config();
    let param = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // An unknown client is a plain 404 page on github.com.
    if param("client_id") != Some(config.client_id.as_str()) {
        return page(StatusCode::NOT_FOUND, "Not Found");
    }
    let redirect_uri = match param("redirect_uri").or(config.redirect_uris.first().map(String::as_str)) {
        Some(r) if config.redirect_allowed(r) => r.to_string(),
        _ => return page(StatusCode::BAD_REQUEST, "The redirect_uri is not associated with this application."),
    };
    // GitHub does not require state; the fake does, since a broker without it is a bug.
    let Some(state) = param("state") else { return page(StatusCode::BAD_REQUEST, "Missing state") };
    let challenge = match (param("code_challenge"), param("code_challenge_method")) {
        (None, None) => None,
        (Some(c), Some("S256")) if c.len() == 43 => Some(c.to_string()),
        _ => return page(StatusCode::BAD_REQUEST, "code_challenge_method must be S256 with a 43-character challenge"),
    };
    let scope = param("scope").unwrap_or("");
    let mut store = fake.state();
    if store.knobs.deny {
        let to = with_query(
            &redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user has denied your application access."),
                ("error_uri", "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"),
                ("state", state),
            ],
        );
        return found(&to);
    }
    let mut user = store.user.clone();
    user.email_verified &= !store.knobs.email_unverified;
    let code = store.grants.issue(param("redirect_uri").map(Into::into), challenge, scope, user);
    found(&with_query(&redirect_uri, &[("code", &code), ("state", state)]))
}

/// The answer in the format the client asked for: JSON with `Accept: application/json`, else form.
fn answer(headers: &HeaderMap, body: Value) -> Response {
    let wants_json = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("json"));
    if wants_json {
        return Json(body).into_response();
    }
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in body.as_object().into_iter().flatten() {
        form.append_pair(k, v.as_str().unwrap_or_default());
    }
    ([(header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8")], form.finish()).into_response()
}

/// An error the GitHub way: HTTP 200 with an `error` key.
fn error(headers: &HeaderMap, error: &str, description: &str, anchor: &str) -> Response {
    let body = json!({ "error": error, "error_description": description, "error_uri": format!("{DOCS}/#{anchor}") });
    answer(headers, body)
}

pub(super) async fn access_token(
    State(fake): State<GithubFake>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if take(&mut fake.state().knobs.token_server_errors) {
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    // Parameters may come as a form, as JSON, or in the query string.
    let is_json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.contains("json"));
    let mut params: HashMap<String, String> = if is_json {
        let v: Value = serde_json::from_slice(&body).unwrap_or_default();
        v.as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect()
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    for (k, v) in query {
        params.entry(k).or_insert(v);
    }
    let param = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let config = fake.config();
    if param("client_id") != Some(config.client_id.as_str()) || param("client_secret") != Some(&config.client_secret) {
        let d = "The client_id and/or client_secret passed are incorrect.";
        return error(&headers, "incorrect_client_credentials", d, "incorrect-client-credentials");
    }
    let bad_code = || {
        error(&headers, "bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code")
    };
    let Some(code) = param("code") else { return bad_code() };
    let mut store = fake.state();
    // A PKCE mismatch is reported as a bad code here (GitHub's exact wording for it: unverified).
    let grant = match store.grants.redeem(code, param("redirect_uri"), param("code_verifier")) {
        Ok(grant) => grant,
        Err(GrantError::BadCode | GrantError::BadVerifier) => return bad_code(),
        Err(GrantError::RedirectMismatch) => {
            let d = "The redirect_uri MUST match the registered callback URL for this application.";
            return error(&headers, "redirect_uri_mismatch", d, "redirect-uri-mismatch");
        }
    };
    let scope = grant.scope.split([' ', ',']).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(",");
    let token = store.grants.token_for("gho_", grant.user, &scope);
    answer(&headers, json!({ "access_token": token, "token_type": "bearer", "scope": scope }))
}

/// The API's checks, in GitHub's order: a User-Agent, then the token.
#[allow(clippy::result_large_err)] // the Err is the early-return answer itself
fn api_caller(fake: &GithubFake, headers: &HeaderMap, docs: &str) -> Result<(GithubUser, String), Response> {
    if !headers.contains_key(header::USER_AGENT) {
        let text = "Request forbidden by administrative rules. Please make sure your request has a User-Agent \
                    header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).";
        return Err((StatusCode::FORBIDDEN, text).into_response());
    }
    let Some(token) = bearer(headers) else {
        let body = json!({ "message": "Requires authentication", "documentation_url": docs, "status": "401" });
        return Err((StatusCode::UNAUTHORIZED, Json(body)).into_response());
    };
    fake.state().grants.tokens.get(token).cloned().ok_or_else(|| {
        let body = json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401" });
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    })
}

pub(super) async fn user(State(fake): State<GithubFake>, headers: HeaderMap) -> Response {
    let docs = "https://docs.github.com/rest/users/users#get-the-authenticated-user";
    let (u, _) = match api_caller(&fake, &headers, docs) {
        Ok(found) => found,
        Err(denied) => return denied,
    };
    Json(json!({
        "login": u.login,
        "id": u.id,
        "node_id": format!("U_fake{}", u.id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", u.id),
        "html_url": format!("https://github.com/{}", u.login),
        "type": "User",
        "site_admin": false,
        "name": u.name,
        "email": if u.public_email { json!(u.email) } else { Value::Null },
        "created_at": "2015-03-14T09:26:53Z",
    }))
    .into_response()
}

/// The primary address and the account's noreply address (verified, never primary), so a client
/// must pick `primary && verified` rather than any verified one.
pub(super) async fn emails(State(fake): State<GithubFake>, headers: HeaderMap) -> Response {
    let docs = "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user";
    let (u, scope) = match api_caller(&fake, &headers, docs) {
        Ok(found) => found,
        Err(denied) => return denied,
    };
    // Without `user:email` (or `user`) GitHub answers 404 Not Found and names the scopes it wanted
    // (as reported in pyupio/pyup#229 and octokit/core.js#338).
    if !scope.split(',').any(|s| s == "user:email" || s == "user") {
        let body = json!({ "message": "Not Found", "documentation_url": docs, "status": "404" });
        let wanted = [("x-accepted-oauth-scopes", "user, user:email"), ("x-oauth-scopes", scope.as_str())];
        return (StatusCode::NOT_FOUND, wanted, Json(body)).into_response();
    }
    Json(json!([
        { "email": u.email, "primary": true, "verified": u.email_verified, "visibility": "private" },
        { "email": format!("{}+{}@users.noreply.github.com", u.id, u.login), "primary": false, "verified": true, "visibility": null },
    ]))
    .into_response()
}
