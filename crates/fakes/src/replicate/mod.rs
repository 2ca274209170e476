//! The Replicate API fake (docs/wire-facts.md §Replicate), mounted under `/v1`, and the delivery host that
//! serves output files (`replicate.delivery` in production). Auth accepts `Bearer <token>` and the
//! older `Token <token>` for the configured tokens; the delivery host needs none.
//!
//! Tests usually call [`RunningReplicate::start`]; scripts run the `flux-krea-fakes` binary and steer
//! it through `/_fake/knobs`.
//!
//! Webhooks are signed and sent as `webhooks.rs` describes. Not modelled: streaming (`urls.stream`);
//! rate limits other than the `throttle` knob; retention of uploaded files.

mod delivery;
mod files;
pub(crate) mod headers;
pub(crate) mod ids;
mod images;
mod inputs;
mod internal;
mod knobs;
mod lifecycle;
mod models;
mod prediction;
mod predictions;
mod schema;
mod webhooks;

pub use files::Upload;
pub use knobs::Knobs;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde_json::{json, Value};

use crate::problem::problem;
use crate::RunningFake;

/// Data URIs ride inside create bodies; Replicate allows 10 MB of them, so leave room above that.
const MAX_JSON_BODY: usize = 32 * 1024 * 1024;

#[derive(Clone)]
pub struct ReplicateFake {
    inner: Arc<Inner>,
}

struct Inner {
    tokens: HashSet<String>,
    username: String,
    state: Mutex<Store>,
    /// Every webhook delivery attempt.
    webhooks: crate::webhook::Log,
}

/// Everything the fake remembers. Never held across an `.await`.
#[derive(Default)]
struct Store {
    knobs: Knobs,
    delivery_url: String,
    /// Oldest first; a prediction's index is its sequence number (list cursors use it).
    predictions: Vec<prediction::Prediction>,
    files: Vec<files::StoredFile>,
    /// Delivery-host path (`/xezq/...`) → the output file.
    outputs: HashMap<String, delivery::OutputFile>,
    creates: usize,
    downloads: usize,
    last_inputs: Option<Value>,
    /// The account's Standard Webhooks secret (`whsec_…`).
    webhook_secret: String,
}

impl Store {
    fn prediction_mut(&mut self, id: &str) -> Option<&mut prediction::Prediction> {
        self.predictions.iter_mut().rev().find(|p| p.id == id)
    }
}

impl ReplicateFake {
    /// A fake that accepts exactly these tokens.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(tokens: I) -> Self {
        let state = Store {
            delivery_url: "http://replicate.delivery.invalid".into(),
            webhook_secret: crate::signatures::new_standard_secret(),
            ..Store::default()
        };
        ReplicateFake {
            inner: Arc::new(Inner {
                tokens: tokens.into_iter().map(Into::into).collect(),
                username: "fake-user".into(),
                state: Mutex::new(state),
                webhooks: crate::webhook::Log::default(),
            }),
        }
    }

    /// The API under `/v1`, plus the unauthenticated `/_fake/*` control endpoints.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/account", get(account))
            .route("/webhooks/default/secret", get(webhooks::secret))
            .route("/models/{owner}/{name}/predictions", post(predictions::create))
            .route("/predictions", get(predictions::list))
            .route("/predictions/{id}", get(predictions::get))
            .route("/predictions/{id}/cancel", post(predictions::cancel))
            // Uploads enforce their own (knob-controlled) limit while streaming.
            .route("/files", get(files::list).post(files::upload).layer(DefaultBodyLimit::disable()))
            .route("/files/{id}", get(files::get).delete(files::delete))
            .route("/files/{id}/download", get(files::download))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
            .layer(middleware::from_fn_with_state(self.clone(), knobs::server_errors));
        Router::new()
            .nest("/v1", api)
            .merge(knobs::control_routes())
            .merge(webhooks::control_routes())
            .with_state(self.clone())
    }

    /// The delivery host: `GET /xezq/...` serves output files, no auth.
    pub fn delivery_router(&self) -> Router {
        delivery::router(self.clone())
    }

    /// Where output URLs point, e.g. `http://127.0.0.1:4567` (no trailing slash needed).
    pub fn set_delivery_url(&self, base: &str) {
        self.state().delivery_url = base.trim_end_matches('/').to_string();
    }

    pub fn knobs(&self) -> Knobs {
        self.state().knobs.clone()
    }

    pub fn set_knobs(&self, knobs: Knobs) {
        self.state().knobs = knobs;
    }

    /// Replaces the webhook signing secret (`whsec_<base64>`, e.g. the service's
    /// `REPLICATE_WEBHOOK_SECRET`); by default each fake makes its own.
    pub fn set_webhook_secret(&self, secret: &str) {
        self.state().webhook_secret = secret.to_string();
    }

    /// What `GET /v1/webhooks/default/secret` answers.
    pub fn webhook_secret(&self) -> String {
        self.state().webhook_secret.clone()
    }

    /// Every webhook delivery attempt so far (dropped ones with `attempt: 0`), in order.
    pub fn webhook_deliveries(&self) -> Vec<crate::webhook::Delivery> {
        self.inner.webhooks.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until `pred` holds for the deliveries (or `limit` passes); answers them either way.
    pub async fn wait_for_webhooks(
        &self,
        limit: std::time::Duration,
        pred: impl Fn(&[crate::webhook::Delivery]) -> bool,
    ) -> Vec<crate::webhook::Delivery> {
        crate::webhook::wait_for(&self.inner.webhooks, limit, pred).await
    }

    /// Every prediction as the API would show it now, oldest first.
    pub fn predictions(&self) -> Vec<Value> {
        self.state().predictions.iter().map(|p| p.to_json()).collect()
    }

    /// Successful creates (throttled or rejected requests do not count).
    pub fn creates(&self) -> usize {
        self.state().creates
    }

    /// Output downloads whose whole body was handed to the connection.
    pub fn downloads(&self) -> usize {
        self.state().downloads
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.state().files.iter().map(|f| f.upload.clone()).collect()
    }

    /// The `input` object of the last successful create, as sent.
    pub fn last_inputs(&self) -> Option<Value> {
        self.state().last_inputs.clone()
    }

    /// As if Replicate's 1-hour retention passed: finished predictions lose their output and the
    /// delivery host forgets their files. Running ones are untouched.
    pub fn expire_outputs(&self) {
        let mut state = self.state();
        let mut expired = HashSet::new();
        for p in state.predictions.iter_mut().filter(|p| p.status.is_terminal()) {
            p.output = Value::Null;
            p.data_removed = true;
            expired.insert(p.id.clone());
        }
        state.outputs.retain(|_, file| !expired.contains(&file.prediction));
    }

    /// Runs `f` on a prediction under the lock; the default value when it does not exist.
    fn with_prediction<R: Default>(&self, id: &str, f: impl FnOnce(&mut prediction::Prediction) -> R) -> R {
        self.state().prediction_mut(id).map(f).unwrap_or_default()
    }

    fn state(&self) -> MutexGuard<'_, Store> {
        // A panic elsewhere must not wedge every later test assertion.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
    fn authorize(&self, headers: &HeaderMap) -> Result<(), Response> {
        let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("Token "));
        match token {
            Some(t) if self.inner.tokens.contains(t) => Ok(()),
            // Replicate's 401 body, as its clients see it.
            _ => Err(problem(
                StatusCode::UNAUTHORIZED,
                "Unauthenticated",
                "You did not pass a valid authentication token",
            )),
        }
    }
}

/// Both servers on loopback ports, with output URLs pointing at the delivery host.
pub struct RunningReplicate {
    pub fake: ReplicateFake,
    pub api: RunningFake,
    pub delivery: RunningFake,
}

impl RunningReplicate {
    pub async fn start(tokens: &[&str]) -> std::io::Result<RunningReplicate> {
        let fake = ReplicateFake::new(tokens.iter().copied());
        let delivery = RunningFake::serve(fake.delivery_router()).await?;
        fake.set_delivery_url(&delivery.url());
        let api = RunningFake::serve(fake.router()).await?;
        Ok(RunningReplicate { fake, api, delivery })
    }

    /// `http://127.0.0.1:<port>/v1`: the value for `FLUX_KREA_REPLICATE_URL`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.api.url())
    }
}

/// `http://<Host>`: the fake builds `urls.get` from the address the client used.
fn api_base(headers: &HeaderMap) -> String {
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

async fn account(State(fake): State<ReplicateFake>, headers: HeaderMap) -> Response {
    if let Err(denied) = fake.authorize(&headers) {
        return denied;
    }
    Json(json!({
        "type": "user",
        "username": fake.inner.username,
        "name": "Fake User",
        "github_url": null,
        "avatar_url": null
    }))
    .into_response()
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not found", "The requested resource could not be found.")
}
