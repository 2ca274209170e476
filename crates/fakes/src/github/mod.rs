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

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::idp::{IdpFake, RunningIdp};
use crate::oauth::IdpConfig;

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

/// The GitHub fake; `GithubFake::start` serves it.
pub type GithubFake = IdpFake<GithubUser>;
/// The fake on a loopback port; derefs to [`GithubFake`].
pub type RunningGithub = RunningIdp<GithubUser>;

impl IdpFake<GithubUser> {
    pub async fn start(config: IdpConfig) -> std::io::Result<RunningGithub> {
        GithubFake::start_on(0, config).await
    }

    pub async fn start_on(port: u16, config: IdpConfig) -> std::io::Result<RunningGithub> {
        IdpFake::serve(port, config, routes).await
    }

    /// Web and API routes together, plus `/_fake/knobs` and `/_fake/user`.
    pub fn router(&self) -> Router {
        self.router_with(routes)
    }
}

fn routes(router: Router<GithubFake>) -> Router<GithubFake> {
    router
        .route("/login/oauth/authorize", get(endpoints::authorize))
        .route("/login/oauth/access_token", post(endpoints::access_token))
        .route("/user", get(endpoints::user))
        .route("/user/emails", get(endpoints::emails))
}

impl RunningIdp<GithubUser> {
    /// `GITHUB_API_URL`: the same port as `GITHUB_URL` ([`RunningIdp::url`]).
    pub fn api_url(&self) -> String {
        self.url()
    }
    pub fn authorize_url(&self) -> String {
        format!("{}/login/oauth/authorize", self.url())
    }
    pub fn token_url(&self) -> String {
        format!("{}/login/oauth/access_token", self.url())
    }
    pub fn env_lines(&self) -> Vec<String> {
        let c = self.config();
        vec![
            format!("GITHUB_URL={}", self.url()),
            format!("GITHUB_API_URL={}", self.api_url()),
            format!("GITHUB_CLIENT_ID={}", c.client_id),
            format!("GITHUB_CLIENT_SECRET={}", c.client_secret),
        ]
    }
}
