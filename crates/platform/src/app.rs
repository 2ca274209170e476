//! The shared state of one replica and its router. Nothing here is needed by another replica:
//! all coordination goes through Postgres.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sqlx::PgPool;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::config::Config;
use crate::problem::ApiError;
use crate::storage::Storage;

/// Data URIs in a create may reach Replicate's 10 MB; everything else is small.
const BODY_LIMIT: usize = 12 * 1024 * 1024;
/// Above `Prefer: wait=60` plus the copy of its outputs.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    db: PgPool,
    storage: Storage,
    http: reqwest::Client,
}

impl App {
    pub fn new(config: Config, db: PgPool, storage: Storage) -> App {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(75))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the HTTP client builds with static settings");
        App { inner: Arc::new(Inner { config, db, storage, http }) }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    pub fn db(&self) -> &PgPool {
        &self.inner.db
    }
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// `{PUBLIC_URL}{path}`.
    pub fn public(&self, path: &str) -> String {
        format!("{}{path}", self.config().public_url.as_str().trim_end_matches('/'))
    }
}

/// Every route of the service.
pub fn router(app: App) -> Router {
    let sensitive: Arc<[HeaderName]> = Arc::new([
        header::AUTHORIZATION,
        header::COOKIE,
        header::SET_COOKIE,
        HeaderName::from_static("apikey"),
        HeaderName::from_static("stripe-signature"),
        HeaderName::from_static("webhook-signature"),
    ]);
    Router::new()
        .route("/healthz", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/readyz", get(readyz))
        .nest("/auth/v1", crate::auth::routes())
        .nest("/api/v1", crate::api_routes())
        .merge(crate::webhook_routes())
        .fallback(|| async { ApiError::not_found() })
        .with_state(app)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, REQUEST_TIMEOUT))
        // The span names the path only: queries carry OAuth codes, states and redirect targets.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    |req: &Request| tracing::info_span!("request", method = %req.method(), path = %req.uri().path()),
                )
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetSensitiveRequestHeadersLayer::from_shared(sensitive))
}

async fn readyz(State(app): State<App>) -> Response {
    let db = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(app.db()).await.is_ok();
    let storage = app.storage().reachable().await;
    let status = if db && storage { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "database": db, "storage": storage }))).into_response()
}
