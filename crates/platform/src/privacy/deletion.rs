//! Account deletion (docs/platform-api.md §4.4): a request is answered with `due_by` = request + 30
//! days and carried out 7 days after it unless cancelled. Carrying it out erases profile,
//! identities, sessions, prompts, images and consents; ledger and purchase rows stay, tied only to
//! the user's random id (pseudonymous).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use uuid::Uuid;

use crate::app::App;
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult};

const GRACE_DAYS: f64 = 7.0;
const DUE_DAYS: f64 = 30.0;

pub async fn request(State(app): State<App>, caller: Caller) -> ApiResult<Response> {
    let id = format!("del_{}", crate::ids::alnum(20));
    // The partial unique index keeps one pending request per user, whichever replica answers.
    sqlx::query!(
        "INSERT INTO deletion_requests (id, user_id, run_at, due_by)
         VALUES ($1, $2, now() + make_interval(days => $3::float8::int), now() + make_interval(days => $4::float8::int))
         ON CONFLICT DO NOTHING",
        id,
        caller.user_id,
        GRACE_DAYS,
        DUE_DAYS
    )
    .execute(app.db())
    .await?;
    let pending = sqlx::query!(
        "SELECT id, due_by, run_at FROM deletion_requests WHERE user_id = $1 AND cancelled_at IS NULL AND completed_at IS NULL",
        caller.user_id
    )
    .fetch_one(app.db())
    .await?;
    let body = json!({
        "request_id": pending.id,
        "due_by": crate::time::rfc3339(pending.due_by),
        "scheduled_for": crate::time::rfc3339(pending.run_at),
    });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

pub async fn cancel(State(app): State<App>, caller: Caller) -> ApiResult<Json<serde_json::Value>> {
    let cancelled = sqlx::query_scalar!(
        "UPDATE deletion_requests SET cancelled_at = now()
         WHERE user_id = $1 AND cancelled_at IS NULL AND completed_at IS NULL RETURNING id",
        caller.user_id
    )
    .fetch_optional(app.db())
    .await?
    .ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found", "There is no pending deletion request.")
    })?;
    Ok(Json(json!({ "request_id": cancelled, "status": "cancelled" })))
}

/// Carries out due requests, claimed with SKIP LOCKED and a lease; how many were completed.
pub async fn run_due(app: &App) -> Result<usize, sqlx::Error> {
    let due = sqlx::query!(
        "UPDATE deletion_requests SET lease_until = now() + interval '10 minutes'
         WHERE id IN (SELECT id FROM deletion_requests
                      WHERE cancelled_at IS NULL AND completed_at IS NULL AND run_at <= now()
                        AND (lease_until IS NULL OR lease_until < now())
                      LIMIT 10 FOR UPDATE SKIP LOCKED)
         RETURNING id, user_id"
    )
    .fetch_all(app.db())
    .await?;
    let mut done = 0;
    for d in due {
        match erase(app, d.user_id).await {
            Ok(()) => {
                sqlx::query!(
                    "UPDATE deletion_requests SET completed_at = now(), lease_until = NULL WHERE id = $1",
                    d.id
                )
                .execute(app.db())
                .await?;
                done += 1;
            }
            Err(e) => tracing::warn!(error = %e, "account deletion not finished; retried after its lease"),
        }
    }
    Ok(done)
}

/// Removes everything personal of the user; objects first, so a failure leaves rows to retry with.
async fn erase(app: &App, user: Uuid) -> Result<(), String> {
    super::remove_images(app, user).await?;
    let mut tx = app.db().begin().await.map_err(|e| e.to_string())?;
    let steps = [
        sqlx::query!(
            "UPDATE predictions SET input = NULL, input_erased_at = now(), upstream = NULL WHERE user_id = $1",
            user
        ),
        sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user),
        sqlx::query!("DELETE FROM identities WHERE user_id = $1", user),
        sqlx::query!("DELETE FROM consents WHERE user_id = $1", user),
        sqlx::query!("DELETE FROM consent_history WHERE user_id = $1", user),
        sqlx::query!("DELETE FROM flow_states WHERE user_id = $1", user),
        sqlx::query!("DELETE FROM idempotency_keys WHERE user_id = $1", user),
        sqlx::query!(
            "UPDATE users SET email = NULL, name = '', avatar_url = NULL, deleted_at = now() WHERE id = $1",
            user
        ),
    ];
    for step in steps {
        step.execute(&mut *tx).await.map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())
}
