//! The privacy endpoints (docs/privacy-promises.md): export everything held server side, erase stored
//! prompts and generated images, and request account deletion (answered within 30 days) or
//! withdraw that request while it is pending (docs/platform-api.md §4.4).

use std::collections::HashSet;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::tokens::Caller;
use super::{base_url, ids, now, PlatformFake};

/// A prompt and its parameters as the platform keeps them from a create.
pub(super) struct StoredPrompt {
    pub prediction_id: String,
    pub prompt: String,
    /// The whole `input`; erased with the prompt.
    pub params: Value,
    pub created_at: DateTime<Utc>,
}

pub(super) struct Deletion {
    id: String,
    user_id: String,
    email: String,
    requested_at: DateTime<Utc>,
    due_by: DateTime<Utc>,
    cancelled: bool,
}

impl Deletion {
    fn answer(&self) -> Value {
        json!({ "request_id": self.id, "due_by": ids::rfc3339(self.due_by) })
    }
}

pub(super) fn routes() -> Router<PlatformFake> {
    Router::new()
        .route("/privacy/export", get(export))
        .route("/privacy/prompts", delete(erase_prompts))
        .route("/privacy/images", delete(erase_images))
        .route("/privacy/account-deletion", post(request_deletion).delete(cancel_deletion))
}

async fn export(
    State(fake): State<PlatformFake>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    fake.settle(&caller.user_id);
    let state = fake.state();
    let Some(u) = state.user(&caller.user_id) else { return super::missing() };
    let prompts: Vec<Value> = u
        .prompts
        .iter()
        .map(|p| {
            json!({
                "prediction_id": p.prediction_id,
                "prompt": p.prompt,
                "params": p.params,
                "created_at": ids::rfc3339(p.created_at),
            })
        })
        .collect();
    Json(json!({
        "profile": u.me(&base_url(&headers)),
        "ledger": u.ledger.iter().rev().map(|e| e.to_json()).collect::<Vec<_>>(),
        "consents": u.consents.to_json(),
        "prompts": prompts,
    }))
    .into_response()
}

async fn erase_prompts(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>) -> Response {
    let mut state = fake.state();
    let Some(u) = state.user_mut(&caller.user_id) else { return super::missing() };
    let deleted = u.prompts.len();
    u.prompts.clear();
    u.prompts_erased = true;
    // Predictions the platform shows from now on carry no input either.
    state.charges.iter_mut().filter(|c| c.user_id == caller.user_id).for_each(|c| c.input_erased = true);
    Json(json!({ "deleted": deleted })).into_response()
}

async fn erase_images(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>) -> Response {
    // Refunds count delivered images, so settle before they go.
    fake.settle(&caller.user_id);
    let mine: HashSet<String> =
        fake.state().charges.iter().filter(|c| c.user_id == caller.user_id).map(|c| c.id.clone()).collect();
    let deleted = fake.replicate().erase_outputs(&mine);
    if let Some(u) = fake.state().user_mut(&caller.user_id) {
        u.images_erased = true;
    }
    Json(json!({ "deleted": deleted })).into_response()
}

async fn request_deletion(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>) -> Response {
    let mut state = fake.state();
    if let Some(pending) = state.deletions.iter().find(|d| d.user_id == caller.user_id && !d.cancelled) {
        return (StatusCode::ACCEPTED, Json(pending.answer())).into_response();
    }
    let Some(email) = state.user(&caller.user_id).map(|u| u.email.clone()) else { return super::missing() };
    let at = now();
    let deletion = Deletion {
        id: format!("del_{}", ids::token(20)),
        user_id: caller.user_id,
        email,
        requested_at: at,
        due_by: at + Duration::days(30),
        cancelled: false,
    };
    let answer = deletion.answer();
    state.deletions.push(deletion);
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

async fn cancel_deletion(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>) -> Response {
    let mut state = fake.state();
    let Some(pending) = state.deletions.iter_mut().find(|d| d.user_id == caller.user_id && !d.cancelled) else {
        let detail = "There is no pending deletion request.";
        return super::problem(StatusCode::NOT_FOUND, "not_found", "Not found", detail);
    };
    pending.cancelled = true;
    Json(json!({ "request_id": pending.id, "status": "cancelled" })).into_response()
}

impl PlatformFake {
    /// `{request_id, user_id, email, status:"pending"|"cancelled", requested_at, due_by}`, oldest first.
    pub fn deletion_requests(&self) -> Vec<Value> {
        let state = self.state();
        state
            .deletions
            .iter()
            .map(|d| {
                json!({
                    "request_id": d.id,
                    "user_id": d.user_id,
                    "email": d.email,
                    "status": if d.cancelled { "cancelled" } else { "pending" },
                    "requested_at": ids::rfc3339(d.requested_at),
                    "due_by": ids::rfc3339(d.due_by),
                })
            })
            .collect()
    }

    /// The user erased their prompts and none has been stored since.
    pub fn prompts_erased(&self, email: &str) -> bool {
        self.state().user_by_email(email).is_some_and(|u| u.prompts_erased && u.prompts.is_empty())
    }

    /// The user erased their images and has created none since.
    pub fn images_erased(&self, email: &str) -> bool {
        self.state().user_by_email(email).is_some_and(|u| u.images_erased)
    }
}
