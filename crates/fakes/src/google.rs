//! Google as an OAuth 2.0 / OpenID Connect provider (developers.google.com/identity/protocols/oauth2
//! and /openid-connect; external-apis.md §B), on one port:
//! `GET /o/oauth2/v2/auth` (accounts.google.com), `POST /token` (oauth2.googleapis.com) and
//! `GET /v1/userinfo` (openidconnect.googleapis.com).
//!
//! Authorize skips the consent screen: it signs in the configured user at once and redirects to
//! `redirect_uri?code=…&state=…` (or `error=access_denied` with the `deny` knob). A malformed request
//! gets Google's error page (HTML, 400/401) instead of a redirect, as Google shows one.
//!
//! Not modelled: `id_token` (an RS256 JWT needs Google's keys; the platform reads userinfo over TLS
//! instead, platform-service.md), refresh tokens (`access_type=offline`), revocation, discovery.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::oauth::{bearer, found, with_query, GrantError, Grants, IdpConfig, IdpKnobs};
use crate::RunningFake;

/// The client id the `google` verb of the binary accepts unless told otherwise.
pub const DEFAULT_CLIENT_ID: &str = "fake-google-client.apps.googleusercontent.com";
pub const DEFAULT_CLIENT_SECRET: &str = "fake-google-client-secret";

/// The identity authorize signs in. Fields as userinfo answers them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleUser {
    /// Google's stable account id: the key to store, never the e-mail.
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub picture: String,
}

impl Default for GoogleUser {
    fn default() -> Self {
        GoogleUser {
            sub: "104359270119541260001".into(),
            email: "ada.fake@gmail.com".into(),
            email_verified: true,
            name: "Ada Fake".into(),
            picture: "https://lh3.googleusercontent.com/a/fake-ada".into(),
        }
    }
}

#[derive(Clone)]
pub struct GoogleFake {
    inner: Arc<Inner>,
}

struct Inner {
    config: IdpConfig,
    state: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    user: GoogleUser,
    knobs: IdpKnobs,
    grants: Grants<GoogleUser>,
}

impl GoogleFake {
    pub fn new(config: IdpConfig) -> GoogleFake {
        GoogleFake { inner: Arc::new(Inner { config, state: Mutex::new(Store::default()) }) }
    }

    /// Serves the fake on a free loopback port.
    pub async fn start(config: IdpConfig) -> std::io::Result<RunningGoogle> {
        GoogleFake::start_on(0, config).await
    }

    pub async fn start_on(port: u16, config: IdpConfig) -> std::io::Result<RunningGoogle> {
        let fake = GoogleFake::new(config);
        let server = RunningFake::serve_on(port, fake.router()).await?;
        Ok(RunningGoogle { fake, server })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/o/oauth2/v2/auth", get(authorize))
            .route("/token", post(token))
            .route("/v1/userinfo", get(userinfo))
            .route("/_fake/knobs", get(read_knobs).post(replace_knobs))
            .route("/_fake/user", get(read_user).post(replace_user))
            .with_state(self.clone())
    }

    /// The identity the next authorize signs in (codes already issued keep theirs).
    pub fn set_user(&self, user: GoogleUser) {
        self.state().user = user;
    }

    pub fn user(&self) -> GoogleUser {
        self.state().user.clone()
    }

    pub fn set_knobs(&self, knobs: IdpKnobs) {
        self.state().knobs = knobs;
    }

    pub fn knobs(&self) -> IdpKnobs {
        self.state().knobs.clone()
    }

    fn state(&self) -> MutexGuard<'_, Store> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fake on a loopback port; derefs to [`GoogleFake`] for `set_user`/`set_knobs`.
pub struct RunningGoogle {
    pub fake: GoogleFake,
    pub server: RunningFake,
}

impl Deref for RunningGoogle {
    type Target = GoogleFake;
    fn deref(&self) -> &GoogleFake {
        &self.fake
    }
}

impl RunningGoogle {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }
    /// `GOOGLE_AUTH_URL`.
    pub fn auth_url(&self) -> String {
        format!("{}/o/oauth2/v2/auth", self.url())
    }
    /// `GOOGLE_TOKEN_URL`.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.url())
    }
    /// `GOOGLE_USERINFO_URL`.
    pub fn userinfo_url(&self) -> String {
        format!("{}/v1/userinfo", self.url())
    }
    /// `NAME=value` lines for the platform service: the three URLs and the client it accepts.
    pub fn env_lines(&self) -> Vec<String> {
        let c = &self.fake.inner.config;
        vec![
            format!("GOOGLE_AUTH_URL={}", self.auth_url()),
            format!("GOOGLE_TOKEN_URL={}", self.token_url()),
            format!("GOOGLE_USERINFO_URL={}", self.userinfo_url()),
            format!("GOOGLE_CLIENT_ID={}", c.client_id),
            format!("GOOGLE_CLIENT_SECRET={}", c.client_secret),
        ]
    }
}

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

async fn authorize(State(fake): State<GoogleFake>, Query(q): Query<HashMap<String, String>>) -> Response {
    let config = &fake.inner.config;
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

async fn token(State(fake): State<GoogleFake>, headers: HeaderMap, body: Bytes) -> Response {
    if crate::oauth::take(&mut fake.state().knobs.token_server_errors) {
        return token_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "Service unavailable");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let param = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // client_secret_post or client_secret_basic: Google's discovery document lists both.
    let basic = basic_auth(&headers);
    let client_id = param("client_id").or(basic.as_ref().map(|(id, _)| id.as_str()));
    let secret = param("client_secret").or(basic.as_ref().map(|(_, s)| s.as_str()));
    let config = &fake.inner.config;
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
    let access = store.grants.token_for("ya29.", grant.user, &grant.scope);
    Json(json!({ "access_token": access, "expires_in": 3599, "scope": grant.scope, "token_type": "Bearer" }))
        .into_response()
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
async fn userinfo(State(fake): State<GoogleFake>, headers: HeaderMap) -> Response {
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

async fn read_knobs(State(fake): State<GoogleFake>) -> Json<IdpKnobs> {
    Json(fake.knobs())
}

async fn replace_knobs(State(fake): State<GoogleFake>, Json(knobs): Json<IdpKnobs>) -> Json<IdpKnobs> {
    fake.set_knobs(knobs.clone());
    Json(knobs)
}

async fn read_user(State(fake): State<GoogleFake>) -> Json<GoogleUser> {
    Json(fake.user())
}

async fn replace_user(State(fake): State<GoogleFake>, Json(user): Json<GoogleUser>) -> Json<Value> {
    fake.set_user(user.clone());
    Json(json!(user))
}
