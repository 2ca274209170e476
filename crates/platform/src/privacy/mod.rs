//! The privacy rights carried out on the server (docs/privacy-promises.md): export, erase prompts,
//! erase images (objects too), consents, account deletion, and the 12-month history sweep.

mod consents;
pub mod deletion;

use axum::extract::State;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::App;
use crate::auth::Caller;
use crate::credits::ledger;
use crate::problem::{ApiError, ApiResult};
use crate::time::rfc3339;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/privacy/export", get(export))
        .route("/privacy/prompts", delete(erase_prompts))
        .route("/privacy/images", delete(erase_images))
        .route("/privacy/account-deletion", post(deletion::request).delete(deletion::cancel))
        .route("/privacy/consents", get(consents::read).put(consents::update))
}

async fn export(State(app): State<App>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut conn = app.db().acquire().await?;
    let u = sqlx::query!(
        "SELECT id, email, name, avatar_url, provider, created_at, balance FROM users WHERE id = $1",
        caller.user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(ApiError::not_found)?;
    let identities =
        sqlx::query!("SELECT provider, created_at FROM identities WHERE user_id = $1 ORDER BY created_at", u.id)
            .fetch_all(&mut *conn)
            .await?;
    let entries = ledger::page(&mut conn, u.id, i64::MAX, i64::MAX).await?;
    let prompts = sqlx::query!(
        "SELECT id, model, input AS \"input!\", created_at FROM predictions
         WHERE user_id = $1 AND input IS NOT NULL ORDER BY created_at",
        u.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let images = sqlx::query!(
        "SELECT o.prediction_id, o.idx, o.content_type, o.expires_at FROM outputs o JOIN predictions p ON p.id = o.prediction_id
         WHERE p.user_id = $1 ORDER BY o.created_at DESC, o.idx",
        u.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let consents = consents::current(&mut conn, u.id).await?;
    Ok(Json(json!({
        "profile": {
            "id": u.id, "email": u.email, "name": u.name, "avatar_url": u.avatar_url,
            "provider": u.provider, "created_at": rfc3339(u.created_at),
        },
        "identities": identities.iter().map(|i| json!({ "provider": i.provider, "created_at": rfc3339(i.created_at) })).collect::<Vec<_>>(),
        "balance": u.balance,
        "ledger": entries.iter().map(ledger::Entry::to_json).collect::<Vec<_>>(),
        "consents": consents,
        "prompts": prompts.iter().map(|p| json!({
            "prediction_id": p.id, "model": p.model, "prompt": p.input["prompt"], "params": p.input,
            "created_at": rfc3339(p.created_at),
        })).collect::<Vec<_>>(),
        "images": images.iter().map(|i| json!({
            "prediction_id": i.prediction_id, "index": i.idx, "content_type": i.content_type,
            "expires_at": rfc3339(i.expires_at),
        })).collect::<Vec<_>>(),
    })))
}

async fn erase_prompts(State(app): State<App>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut tx = app.db().begin().await?;
    let deleted = sqlx::query!(
        "UPDATE predictions SET input = NULL, input_erased_at = now() WHERE user_id = $1 AND input IS NOT NULL",
        caller.user_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // Stored create answers (for Idempotency-Key replays) carry the input too.
    sqlx::query!(
        "UPDATE idempotency_keys SET response = jsonb_set(response, '{input}', '{}') WHERE user_id = $1 AND response ? 'input'",
        caller.user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "deleted": deleted })))
}

async fn erase_images(State(app): State<App>, caller: Caller) -> ApiResult<Json<Value>> {
    let deleted = remove_images(&app, caller.user_id).await.map_err(ApiError::Unavailable)?;
    Ok(Json(json!({ "deleted": deleted })))
}

/// Deletes the user's stored outputs, objects first; how many.
pub async fn remove_images(app: &App, user: Uuid) -> Result<usize, String> {
    let keys = sqlx::query_scalar!(
        "SELECT o.object_key FROM outputs o JOIN predictions p ON p.id = o.prediction_id WHERE p.user_id = $1",
        user
    )
    .fetch_all(app.db())
    .await
    .map_err(|e| e.to_string())?;
    for key in &keys {
        app.storage().delete(key).await.map_err(|e| format!("storage: {e}"))?;
    }
    sqlx::query!("DELETE FROM outputs WHERE object_key = ANY($1)", &keys)
        .execute(app.db())
        .await
        .map_err(|e| e.to_string())?;
    Ok(keys.len())
}

/// The platform keeps its history 12 months (§4.5): prompts and parameters go first, then the
/// prediction rows (ledger entries keep their prediction ids).
pub async fn sweep_history(app: &App) -> Result<u64, sqlx::Error> {
    let erased = sqlx::query!(
        "UPDATE predictions SET input = NULL, input_erased_at = now(), upstream = NULL
         WHERE created_at < now() - interval '12 months' AND (input IS NOT NULL OR upstream IS NOT NULL)"
    )
    .execute(app.db())
    .await?
    .rows_affected();
    let removed = sqlx::query!(
        "DELETE FROM predictions WHERE created_at < now() - interval '12 months' AND settled_at IS NOT NULL"
    )
    .execute(app.db())
    .await?
    .rows_affected();
    Ok(erased + removed)
}
