//! GitHub as an OAuth provider (github/docs `authorizing-oauth-apps.md`, REST `users` and `emails`;
//! docs/wire-facts.md §OAuth providers). GitHub's web host (`GITHUB_URL`: `/login/oauth/authorize`,
//! `/login/oauth/access_token`) and API host (`GITHUB_API_URL`: `/user`, `/user/emails`) are two base
//! URLs in production; their paths do not collide, so this fake serves both on one port and the
//! service is configured with both pointing at it.
//!
//! Faithful quirks a client must handle: the token endpoint answers errors with HTTP 200 and an
//! `error` key, and form-encoded unless `Accept: application/json`; scopes come back comma-separated;
//! the API refuses requests without a `User-Agent` (403); `/user/emails` needs the `user:email` scope.
//!
//! Not modelled: expiring user tokens and refresh, the device flow, XML answers.

mod endpoints;

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::oauth::{Grants, IdpConfig, IdpKnobs};
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
            .route("/login/oauth/authorize", get(endpoints::authorize))
            .route("/login/oauth/access_token", post(endpoints::access_token))
            .route("/user", get(endpoints::user))
            .route("/user/emails", get(endpoints::emails))
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
