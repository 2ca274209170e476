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

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use crate::idp::{IdpFake, RunningIdp};
use crate::oauth::IdpConfig;

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

/// The Google fake; `GoogleFake::start` serves it.
pub type GoogleFake = IdpFake<GoogleUser>;
/// The fake on a loopback port; derefs to [`GoogleFake`] for `set_user`/`set_knobs`.
pub type RunningGoogle = RunningIdp<GoogleUser>;

impl IdpFake<GoogleUser> {
    /// Serves the fake on a free loopback port.
    pub async fn start(config: IdpConfig) -> std::io::Result<RunningGoogle> {
        GoogleFake::start_on(0, config).await
    }

    pub async fn start_on(port: u16, config: IdpConfig) -> std::io::Result<RunningGoogle> {
        IdpFake::serve(port, config, routes).await
    }

    pub fn router(&self) -> Router {
        self.router_with(routes)
    }
}

fn routes(router: Router<GoogleFake>) -> Router<GoogleFake> {
    router
        .route("/o/oauth2/v2/auth", get(endpoints::authorize))
        .route("/token", post(endpoints::token))
        .route("/v1/userinfo", get(endpoints::userinfo))
}

impl RunningIdp<GoogleUser> {
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
        let c = self.config();
        vec![
            format!("GOOGLE_AUTH_URL={}", self.auth_url()),
            format!("GOOGLE_TOKEN_URL={}", self.token_url()),
            format!("GOOGLE_USERINFO_URL={}", self.userinfo_url()),
            format!("GOOGLE_CLIENT_ID={}", c.client_id),
            format!("GOOGLE_CLIENT_SECRET={}", c.client_secret),
        ]
    }
}
