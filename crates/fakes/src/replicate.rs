//! The Replicate API fake (external-apis.md §A), mounted under `/v1`.
//! Auth accepts `Bearer <token>` and the older `Token <token>` for the configured tokens.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::problem::problem;

#[derive(Clone)]
pub struct ReplicateFake {
    inner: Arc<Inner>,
}

struct Inner {
    tokens: HashSet<String>,
    username: String,
}

impl ReplicateFake {
    /// A fake that accepts exactly these tokens.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(tokens: I) -> Self {
        ReplicateFake {
            inner: Arc::new(Inner {
                tokens: tokens.into_iter().map(Into::into).collect(),
                username: "fake-user".into(),
            }),
        }
    }

    pub fn router(&self) -> Router {
        Router::new().nest("/v1", Router::new().route("/account", get(account)).with_state(self.clone()))
    }

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
