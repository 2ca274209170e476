//! The Flux Krea platform fake (docs/platform-api.md): a GoTrue-compatible auth broker under `/auth/v1`,
//! the platform API under `/api/v1`, a stand-in for Stripe's hosted checkout page under
//! `/checkout/{id}`, avatars under `/avatars`, and unauthenticated `/_fake/*` controls.
//!
//! Predictions are proxied to an inner [`ReplicateFake`] through its real router (in-process), as
//! the production platform proxies Replicate; its delivery host is "the platform's temporary
//! storage". Credits are reserved at create and refunded, once, for every image not delivered.
//!
//! Not modelled: listing predictions and uploading files through the platform (not in the
//! contract); real OAuth providers (the consent screen is skipped: one fixed identity per
//! provider); Stripe webhooks (tests complete checkouts directly or through the pay page).

mod auth;
mod catalog;
mod checkout;
mod consents;
mod credits;
mod files;
mod knobs;
mod predictions;
mod privacy;
mod requests;
mod sessions;
mod settle;
mod tokens;
mod upstream;
mod users;

pub use knobs::PlatformKnobs;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{middleware, Router};
use serde_json::json;

use crate::problem::coded;
use crate::replicate::{ids, ReplicateFake};
use crate::RunningFake;

/// The anon key the app sends as `apikey` to the auth broker.
pub const ANON_KEY: &str = "fake-anon-key";

#[derive(Clone)]
pub struct PlatformFake {
    inner: Arc<Inner>,
}

struct Inner {
    replicate: ReplicateFake,
    /// The platform's own Replicate token: random per fake, never shown to the app.
    replicate_token: String,
    /// The inner fake's API, called in-process.
    upstream: Router,
    /// Serialises creates so an Idempotency-Key replay can never race the first request.
    creates: tokio::sync::Mutex<()>,
    state: Mutex<Store>,
}

/// Everything the platform remembers. Never held across an `.await`, and never held while the
/// inner Replicate fake's lock is taken.
#[derive(Default)]
struct Store {
    knobs: PlatformKnobs,
    users: Vec<users::User>,
    flows: Vec<auth::Flow>,
    sessions: sessions::Sessions,
    checkouts: Vec<checkout::Checkout>,
    charges: Vec<predictions::Charge>,
    deletions: Vec<privacy::Deletion>,
    /// "METHOD /path" of every request, oldest first.
    requests: Vec<String>,
    /// Orders ledger entries across users; ledger cursors use it.
    next_seq: u64,
}

impl Store {
    fn user(&self, id: &str) -> Option<&users::User> {
        self.users.iter().find(|u| u.id == id)
    }

    fn user_mut(&mut self, id: &str) -> Option<&mut users::User> {
        self.users.iter_mut().find(|u| u.id == id)
    }

    fn user_by_email(&self, email: &str) -> Option<&users::User> {
        self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email))
    }
}

impl Default for PlatformFake {
    fn default() -> Self {
        PlatformFake::new()
    }
}

impl PlatformFake {
    pub fn new() -> PlatformFake {
        let replicate_token = format!("r8_{}", ids::token(37));
        let replicate = ReplicateFake::new([replicate_token.clone()]);
        let upstream = replicate.router();
        PlatformFake {
            inner: Arc::new(Inner {
                replicate,
                replicate_token,
                upstream,
                creates: tokio::sync::Mutex::new(()),
                state: Mutex::new(Store::default()),
            }),
        }
    }

    /// Every route on one port: `/auth/v1`, `/api/v1`, `/checkout`, `/avatars`, `/_fake`.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .merge(users::routes())
            .merge(catalog::routes())
            .merge(credits::routes())
            .merge(checkout::api_routes())
            .merge(predictions::routes())
            .merge(files::routes())
            .merge(privacy::routes())
            .merge(consents::routes())
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.clone(), tokens::require_bearer))
            .layer(middleware::from_fn_with_state(self.clone(), knobs::api_server_errors));
        let auth = Router::new()
            .route("/authorize", get(auth::authorize))
            .route("/token", post(tokens::token))
            .route("/logout", post(tokens::logout));
        Router::new()
            .nest("/auth/v1", auth)
            .nest("/api/v1", api)
            .merge(checkout::page_routes())
            .merge(users::avatar_routes())
            .merge(knobs::control_routes())
            .layer(middleware::from_fn_with_state(self.clone(), requests::record))
            .with_state(self.clone())
    }

    /// The inner Replicate fake, so tests can set its knobs (run_ms, filter_images, fail_with...).
    pub fn replicate(&self) -> ReplicateFake {
        self.inner.replicate.clone()
    }

    pub fn knobs(&self) -> PlatformKnobs {
        self.state().knobs.clone()
    }

    pub fn set_knobs(&self, knobs: PlatformKnobs) {
        self.state().knobs = knobs;
    }

    fn state(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere must not wedge every later test assertion.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The platform and its delivery host on loopback ports.
pub struct RunningPlatform {
    pub fake: PlatformFake,
    pub api: RunningFake,
    /// Serves output images (the platform's temporary storage).
    pub delivery: RunningFake,
}

impl RunningPlatform {
    pub async fn start() -> std::io::Result<RunningPlatform> {
        RunningPlatform::start_on(0, 0).await
    }

    /// On fixed ports (0 = any free port), for the binary.
    pub async fn start_on(port: u16, delivery_port: u16) -> std::io::Result<RunningPlatform> {
        let fake = PlatformFake::new();
        let delivery = RunningFake::serve_on(delivery_port, fake.replicate().delivery_router()).await?;
        fake.replicate().set_delivery_url(&delivery.url());
        let api = RunningFake::serve_on(port, fake.router()).await?;
        Ok(RunningPlatform { fake, api, delivery })
    }

    /// The platform root (no trailing slash): the value for `FLUX_KREA_PLATFORM_URL`.
    pub fn url(&self) -> String {
        self.api.url()
    }
}

/// `http://<Host>`: links (avatars, checkout, `urls.get`) use the address the client used.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn problem(status: StatusCode, code: &str, title: &str, detail: &str) -> Response {
    coded(status, code, title, detail, json!({}))
}

fn missing() -> Response {
    problem(StatusCode::NOT_FOUND, "not_found", "Not found", "The requested resource could not be found.")
}

async fn not_found() -> Response {
    missing()
}
