//! Google as an OAuth 2.0 / OpenID Connect provider (developers.google.com/identity/protocols/oauth2
//! and /openid-connect; docs/wire-facts.md §OAuth providers), on one port:
//! `GET /o/oauth2/v2/auth` (accounts.google.com), `POST /token` (oauth2.googleapis.com) and
//! `GET /v1/userinfo` (openidconnect.googleapis.com).
//!
//! Authorize skips the consent screen: it signs in the configured user at once and redirects to
//! `redirect_uri?code=…&state=…` (or `error=access_denied` with the `deny` knob). A malformed request
//! gets Google's error page (HTML, 400/401) instead of a redirect, as Google shows one.
//!
//! Not modelled: `id_token` (an RS256 JWT needs Google's keys; the platform reads userinfo over TLS
//! instead, docs/platform-api.md §5), refresh tokens (`access_type=offline`), revocation, discovery.

mod endpoints;

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::oauth::{Grants, IdpConfig, IdpKnobs};
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
            .route("/o/oauth2/v2/auth", get(endpoints::authorize))
            .route("/token", post(endpoints::token))
            .route("/v1/userinfo", get(endpoints::userinfo))
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
