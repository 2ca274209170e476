//! Stripe Checkout (docs.stripe.com/api/checkout/sessions, /webhooks, /api/idempotent_requests;
//! docs/wire-facts.md §Stripe Checkout): `POST /v1/checkout/sessions` (form-encoded, `Authorization: Bearer sk_…`,
//! `Idempotency-Key`), `GET /v1/checkout/sessions/{id}`, `POST /v1/checkout/sessions/{id}/expire`,
//! the hosted page at the session's `url` (`/c/pay/{id}`: GET shows a Pay button, POST pays), and
//! webhook events signed with the real `Stripe-Signature` scheme to one configured endpoint.
//!
//! Test controls (unauthenticated): `POST /_fake/sessions/{id}/pay|fail|expire|refund|dispute`,
//! `GET|POST /_fake/knobs` ([`StripeKnobs`]), `POST /_fake/webhook` (`{"url","secret"}`),
//! `POST /_fake/release` (held events), `GET /_fake/deliveries`, `GET /_fake/events`.
//!
//! Not modelled: customers, subscriptions and other modes than `payment`, `/v1/events` listing,
//! PaymentIntent and Charge endpoints (their objects appear only inside events), Stripe's 3-day retry
//! schedule (compressed to milliseconds by `retry_base_ms`).

mod api;
mod controls;
mod events;
mod form;
mod objects;
mod page;
mod params;
mod payments;

pub use events::{DelayedOutcome, StripeKnobs};

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use crate::webhook::{self, Delivery};
use crate::RunningFake;

/// The key the binary's `stripe` verb accepts unless told otherwise.
pub const DEFAULT_SECRET_KEY: &str = "sk_test_fake_51FluxKreaPlatform";
pub const DEFAULT_WEBHOOK_SECRET: &str = "whsec_fake_flux_krea_endpoint_secret";

/// A price known to the fake, for `line_items[N][price]=price_…`.
#[derive(Clone, Debug)]
pub struct Price {
    pub id: String,
    /// In the currency's smallest unit (cents).
    pub unit_amount: i64,
    pub currency: String,
    pub product_name: String,
}

#[derive(Clone, Debug)]
pub struct StripeConfig {
    /// The only API key accepted (`STRIPE_SECRET_KEY`).
    pub secret_key: String,
    /// Where events are POSTed; None records events without delivering (set later with
    /// [`StripeFake::set_webhook`], e.g. once the service's port is known).
    pub webhook_url: Option<String>,
    /// The endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`, `whsec_…`).
    pub webhook_secret: String,
    pub prices: Vec<Price>,
}

impl Default for StripeConfig {
    fn default() -> Self {
        StripeConfig {
            secret_key: DEFAULT_SECRET_KEY.into(),
            webhook_url: None,
            webhook_secret: DEFAULT_WEBHOOK_SECRET.into(),
            prices: Vec::new(),
        }
    }
}

#[derive(Clone)]
pub struct StripeFake {
    inner: Arc<Inner>,
}

struct Inner {
    secret_key: String,
    prices: Vec<Price>,
    state: Mutex<Store>,
    deliveries: webhook::Log,
}

#[derive(Default)]
struct Store {
    knobs: StripeKnobs,
    webhook_url: Option<String>,
    webhook_secret: String,
    sessions: Vec<objects::Session>,
    /// Idempotency-Key → the first answer.
    idempotent: HashMap<String, api::Replay>,
    /// Every event made, oldest first.
    events: Vec<Value>,
    /// Events waiting for [`StripeFake::release`] (the `hold` knob).
    held: Vec<Value>,
}

impl StripeFake {
    pub fn new(config: StripeConfig) -> StripeFake {
        let store =
            Store { webhook_url: config.webhook_url, webhook_secret: config.webhook_secret, ..Store::default() };
        StripeFake {
            inner: Arc::new(Inner {
                secret_key: config.secret_key,
                prices: config.prices,
                state: Mutex::new(store),
                deliveries: webhook::Log::default(),
            }),
        }
    }

    pub async fn start(config: StripeConfig) -> std::io::Result<RunningStripe> {
        StripeFake::start_on(0, config).await
    }

    pub async fn start_on(port: u16, config: StripeConfig) -> std::io::Result<RunningStripe> {
        let fake = StripeFake::new(config);
        let server = RunningFake::serve_on(port, fake.router()).await?;
        Ok(RunningStripe { fake, server })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/checkout/sessions", post(api::create))
            .route("/v1/checkout/sessions/{id}", get(api::get))
            .route("/v1/checkout/sessions/{id}/expire", post(api::expire))
            .route("/c/pay/{id}", get(page::show).post(page::pay))
            .merge(controls::routes())
            .fallback(api::not_found)
            .with_state(self.clone())
    }

    /// Where events go and the secret they are signed with (the first `v1=`).
    pub fn set_webhook(&self, url: &str, secret: &str) {
        let mut state = self.state();
        state.webhook_url = Some(url.into());
        state.webhook_secret = secret.into();
    }

    pub fn knobs(&self) -> StripeKnobs {
        self.state().knobs.clone()
    }

    pub fn set_knobs(&self, knobs: StripeKnobs) {
        self.state().knobs = knobs;
    }

    /// The session as `GET /v1/checkout/sessions/{id}` shows it.
    pub fn session(&self, id: &str) -> Option<Value> {
        self.state().sessions.iter().find(|s| s.id == id).map(|s| s.to_json())
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Vec<Value> {
        self.state().sessions.iter().map(|s| s.to_json()).collect()
    }

    /// The customer pays (as the hosted page's Pay button does): `checkout.session.completed`, paid
    /// at once, or unpaid then an async outcome with the `delayed_payment` knob. This and the other
    /// steps below answer the new object (or why not) and send their events from tasks: call them
    /// inside a Tokio runtime.
    pub fn pay(&self, session_id: &str) -> Result<Value, String> {
        payments::pay(self, session_id, None)
    }

    /// A delayed payment method that fails: `completed` (unpaid), then `async_payment_failed`.
    pub fn fail(&self, session_id: &str) -> Result<Value, String> {
        payments::pay(self, session_id, Some(DelayedOutcome::Fail))
    }

    /// The session expires unpaid: `checkout.session.expired`.
    pub fn expire(&self, session_id: &str) -> Result<Value, String> {
        payments::expire(self, session_id)
    }

    /// Refunds the paid session's charge, all of it when `amount` is None: `charge.refunded`.
    pub fn refund(&self, session_id: &str, amount: Option<i64>) -> Result<Value, String> {
        payments::refund(self, session_id, amount)
    }

    /// The cardholder disputes the charge: `charge.dispute.created`.
    pub fn dispute(&self, session_id: &str) -> Result<Value, String> {
        payments::dispute(self, session_id)
    }

    /// Sends the events the `hold` knob kept back (shuffled with the `shuffle` knob); how many.
    pub fn release(&self) -> usize {
        events::release(self)
    }

    /// Every event made, oldest first, whether delivered or not.
    pub fn events(&self) -> Vec<Value> {
        self.state().events.clone()
    }

    /// Every delivery attempt so far, in the order they were made.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until `n` attempts answered 2xx (or `limit` passes); answers every attempt so far.
    pub async fn wait_for_delivered(&self, n: usize, limit: Duration) -> Vec<Delivery> {
        webhook::wait_for(&self.inner.deliveries, limit, |d| d.iter().filter(|d| d.ok()).count() >= n).await
    }

    fn state(&self) -> MutexGuard<'_, Store> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fake on a loopback port; derefs to [`StripeFake`] (`pay`, `refund`, `deliveries`, knobs…).
pub struct RunningStripe {
    pub fake: StripeFake,
    pub server: RunningFake,
}

impl Deref for RunningStripe {
    type Target = StripeFake;
    fn deref(&self) -> &StripeFake {
        &self.fake
    }
}

impl RunningStripe {
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `STRIPE_API_URL`: the service appends `/v1/checkout/sessions`.
    pub fn api_url(&self) -> String {
        self.server.url()
    }

    pub fn env_lines(&self) -> Vec<String> {
        let state = self.fake.state();
        vec![
            format!("STRIPE_API_URL={}", self.api_url()),
            format!("STRIPE_SECRET_KEY={}", self.fake.inner.secret_key),
            format!("STRIPE_WEBHOOK_SECRET={}", state.webhook_secret),
        ]
    }
}
