//! The Flux Krea platform service (docs/platform-api.md): a stateless axum service over Postgres and
//! S3-compatible storage. Any number of replicas serve the API and run the background work; they
//! coordinate only through Postgres (row locks, unique constraints, SKIP LOCKED leases).

mod account;
pub mod app;
mod auth;
pub mod config;
mod credits;
mod idempotency;
mod ids;
pub mod jobs;
mod lease;
mod predictions;
mod privacy;
mod problem;
pub mod serve;
pub mod storage;
#[cfg(feature = "testing")]
pub mod testing;
mod time;

use axum::Router;

use crate::app::App;

pub use crate::app::router;
pub use crate::config::{Config, ConfigError};

/// Everything under `/api/v1`.
fn api_routes() -> Router<App> {
    Router::new()
        .merge(account::routes())
        .merge(credits::routes())
        .merge(predictions::routes())
        .merge(privacy::routes())
}

/// The upstreams' webhooks.
fn webhook_routes() -> Router<App> {
    Router::new()
        .route("/webhooks/stripe", axum::routing::post(credits::webhook::receive))
        .route("/webhooks/replicate", axum::routing::post(predictions::webhook::receive))
        .merge(credits::checkout::page_routes())
}
