//! Platform knobs, the 503 countdowns, and the unauthenticated `/_fake/*` control routes.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{problem, PlatformFake};
use crate::replicate::Knobs;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformKnobs {
    /// `expires_in` of issued access tokens.
    pub access_ttl_s: u64,
    /// How long a PKCE flow (authorize → token) stays valid; GoTrue's is 300 s.
    pub flow_ttl_s: u64,
    /// `/authorize` redirects with `error=<this>` instead of signing in.
    pub authorize_error: Option<String>,
    /// Granted (a "grant" ledger entry) the first time a user signs in.
    pub initial_credits: i64,
    /// The next N `/auth/v1/token` calls answer 503.
    pub token_server_errors: u32,
    /// The next N `/api/v1` calls answer 503.
    pub api_server_errors: u32,
    /// The next N `/auth/v1/logout` calls answer 503 (a sign-out that cannot reach the platform).
    pub logout_server_errors: u32,
}

impl Default for PlatformKnobs {
    fn default() -> Self {
        PlatformKnobs {
            access_ttl_s: 3600,
            flow_ttl_s: 300,
            authorize_error: None,
            initial_credits: 20,
            token_server_errors: 0,
            api_server_errors: 0,
            logout_server_errors: 0,
        }
    }
}

/// Consumes one unit of a countdown; true when it fired.
fn take(counter: &mut u32) -> bool {
    let fired = *counter > 0;
    *counter = counter.saturating_sub(1);
    fired
}

impl PlatformFake {
    /// The `token_server_errors` countdown, checked before anything else on `/token`.
    pub(super) fn token_outage(&self) -> bool {
        take(&mut self.state().knobs.token_server_errors)
    }

    /// The `logout_server_errors` countdown.
    pub(super) fn logout_outage(&self) -> bool {
        take(&mut self.state().knobs.logout_server_errors)
    }
}

/// Middleware: `api_server_errors`, before auth, as a failing front end would answer.
pub(super) async fn api_server_errors(State(fake): State<PlatformFake>, req: Request, next: Next) -> Response {
    if take(&mut fake.state().knobs.api_server_errors) {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service Unavailable",
            "The service is temporarily unavailable. Please try again later.",
        );
    }
    next.run(req).await
}

pub(super) fn control_routes() -> Router<PlatformFake> {
    Router::new()
        .route("/_fake/knobs", get(read).post(replace))
        .route("/_fake/replicate/knobs", get(read_replicate).post(replace_replicate))
        .route("/_fake/checkout/{id}/complete", post(complete))
        .route("/_fake/state", get(state))
}

async fn read(State(fake): State<PlatformFake>) -> Json<PlatformKnobs> {
    Json(fake.knobs())
}

async fn replace(State(fake): State<PlatformFake>, Json(knobs): Json<PlatformKnobs>) -> Json<PlatformKnobs> {
    fake.set_knobs(knobs.clone());
    Json(knobs)
}

async fn read_replicate(State(fake): State<PlatformFake>) -> Json<Knobs> {
    Json(fake.replicate().knobs())
}

async fn replace_replicate(State(fake): State<PlatformFake>, Json(knobs): Json<Knobs>) -> Json<Knobs> {
    fake.replicate().set_knobs(knobs.clone());
    Json(knobs)
}

async fn complete(State(fake): State<PlatformFake>, Path(id): Path<String>) -> Response {
    if fake.complete_checkout(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::NOT_FOUND, Json(json!({ "error": "no open or complete checkout session with that id" })))
            .into_response()
    }
}

/// Users with balances, live sessions and checkout sessions; no tokens.
async fn state(State(fake): State<PlatformFake>) -> Json<Value> {
    let emails: Vec<String> = fake.state().users.iter().map(|u| u.email.clone()).collect();
    let users: Vec<Value> = emails
        .iter()
        .filter_map(|email| {
            let balance = fake.balance(email)?;
            let s = fake.state();
            let u = s.user_by_email(email)?;
            Some(json!({ "id": u.id, "email": u.email, "name": u.name, "provider": u.provider, "balance": balance }))
        })
        .collect();
    Json(json!({
        "users": users,
        "sessions": fake.live_sessions(),
        "checkout_sessions": fake.checkout_sessions(),
    }))
}
