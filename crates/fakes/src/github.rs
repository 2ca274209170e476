//! GitHub as an OAuth provider (github/docs `authorizing-oauth-apps.md`, REST `users` and `emails`;
//! external-apis.md §B). GitHub's web host (`GITHUB_URL`: `/login/oauth/authorize`,
//! `/login/oauth/access_token`) and API host (`GITHUB_API_URL`: `/user`, `/user/emails`) are two base
//! URLs in production; their paths do not collide, so this fake serves both on one port and the
//! service is configured with both pointing at it.
//!
//! Faithful quirks a client must handle: the token endpoint answers errors with HTTP 200 and an
//! `error` key, and form-encoded unless `Accept: application/json`; scopes come back comma-separated;
//! the API refuses requests without a `User-Agent` (403); `/user/emails` needs the `user:email` scope.
//!
//! Not modelled: expiring user tokens and refresh, the device flow, XML answers.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::oauth::{bearer, found, take, with_query, GrantError, Grants, IdpConfig, IdpKnobs};
use crate::RunningFake;

pub const DEFAULT_CLIENT_ID: &str = "Iv1.fakegithubclient";
pub const DEFAULT_CLIENT_SECRET: &str = "fake-github-client-secret";

/// The account authorize signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubUser {
    /// GitHub's numeric account id: the key to store (logins can be renamed).
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    /// The primary address, listed by `/user/emails`.
    pub email: String,
    pub email_verified: bool,
    /// Whether `/user` shows `email` (a public address) or null, as most accounts do.
    pub public_email: bool,
}

impl Default for GithubUser {
    fn default() -> Self {
        GithubUser {
            id: 5_830_001,
            login: "octo-fake".into(),
            name: Some("Octo Fake".into()),
            email: "octo.fake@example.com".into(),
            email_verified: true,
            public_email: false,
        }
    }
}

#[derive(Clone)]
pub struct GithubFake {
    inner: Arc<Inner>,
}

struct Inner {
    config: IdpConfig,
    state: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    user: GithubUser,
    knobs: IdpKnobs,
    grants: Grants<GithubUser>,
}

impl GithubFake {
    pub fn new(config: IdpConfig) -> GithubFake {
        GithubFake { inner: Arc::new(Inner { config, state: Mutex::new(Store::default()) }) }
    }

    pub async fn start(config: IdpConfig) -> std::io::Result<RunningGithub> {
        GithubFake::start_on(0, config).await
    }

    pub async fn start_on(port: u16, config: IdpConfig) -> std::io::Result<RunningGithub> {
        let fake = GithubFake::new(config);
        let server = RunningFake::serve_on(port, fake.router()).await?;
        Ok(RunningGithub { fake, server })
    }

    /// Web and API routes together, plus `/_fake/knobs` and `/_fake/user`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .route("/_fake/knobs", get(read_knobs).post(replace_knobs))
            .route("/_fake/user", get(read_user).post(replace_user))
            .with_state(self.clone())
    }

    /// The account the next authorize signs in (codes already issued keep theirs).
    pub fn set_user(&self, user: GithubUser) {
        self.state().user = user;
    }

    pub fn user(&self) -> GithubUser {
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

/// The fake on a loopback port; derefs to [`GithubFake`].
pub struct RunningGithub {
    pub fake: GithubFake,
    pub server: RunningFake,
}

impl Deref for RunningGithub {
    type Target = GithubFake;
    fn deref(&self) -> &GithubFake {
        &self.fake
    }
}

impl RunningGithub {
    /// `GITHUB_URL` (the web host): `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }
    /// `GITHUB_API_URL`: the same port.
    pub fn api_url(&self) -> String {
        self.server.url()
    }
    pub fn authorize_url(&self) -> String {
        format!("{}/login/oauth/authorize", self.url())
    }
    pub fn token_url(&self) -> String {
        format!("{}/login/oauth/access_token", self.url())
    }
    pub fn env_lines(&self) -> Vec<String> {
        let c = &self.fake.inner.config;
        vec![
            format!("GITHUB_URL={}", self.url()),
            format!("GITHUB_API_URL={}", self.api_url()),
            format!("GITHUB_CLIENT_ID={}", c.client_id),
            format!("GITHUB_CLIENT_SECRET={}", c.client_secret),
        ]
    }
}

const DOCS: &str =
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

fn page(status: StatusCode, text: &str) -> Response {
    (status, Html(format!("<!doctype html><title>GitHub</title><p>{text}</p>"))).into_response()
}

async fn authorize(State(fake): State<GithubFake>, Query(q): Query<HashMap<String, String>>) -> Response {
    let config = &fake.inner.config;
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

async fn access_token(
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
    let config = &fake.inner.config;
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

async fn user(State(fake): State<GithubFake>, headers: HeaderMap) -> Response {
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
async fn emails(State(fake): State<GithubFake>, headers: HeaderMap) -> Response {
    let docs = "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user";
    let (u, scope) = match api_caller(&fake, &headers, docs) {
        Ok(found) => found,
        Err(denied) => return denied,
    };
    // Without `user:email` (or `user`) the list is not visible; GitHub's exact status here: unverified.
    if !scope.split(',').any(|s| s == "user:email" || s == "user") {
        let body = json!({ "message": "Not Found", "documentation_url": docs, "status": "404" });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    Json(json!([
        { "email": u.email, "primary": true, "verified": u.email_verified, "visibility": "private" },
        { "email": format!("{}+{}@users.noreply.github.com", u.id, u.login), "primary": false, "verified": true, "visibility": null },
    ]))
    .into_response()
}

async fn read_knobs(State(fake): State<GithubFake>) -> Json<IdpKnobs> {
    Json(fake.knobs())
}

async fn replace_knobs(State(fake): State<GithubFake>, Json(knobs): Json<IdpKnobs>) -> Json<IdpKnobs> {
    fake.set_knobs(knobs.clone());
    Json(knobs)
}

async fn read_user(State(fake): State<GithubFake>) -> Json<GithubUser> {
    Json(fake.user())
}

async fn replace_user(State(fake): State<GithubFake>, Json(user): Json<GithubUser>) -> Json<GithubUser> {
    fake.set_user(user.clone());
    Json(user)
}
