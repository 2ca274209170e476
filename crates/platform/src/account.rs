//! `GET /me` and the price lists (`/models`, `/credits/packs`), read from their tables.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::{Caller, Token};
use crate::problem::{ApiError, ApiResult};

pub fn routes() -> Router<App> {
    Router::new().route("/me", get(me)).route("/models", get(models)).route("/credits/packs", get(packs))
}

async fn me(State(app): State<App>, token: Token) -> ApiResult<Json<Value>> {
    // The session check and the read in one round trip (see `Token`).
    let u = sqlx::query!(
        "SELECT u.id, u.email AS \"email!\", u.name, u.avatar_url, u.provider, u.created_at
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.user_id = $2 AND s.ended_at IS NULL AND u.deleted_at IS NULL",
        token.session_id,
        token.user_id
    )
    .fetch_optional(app.db())
    .await?
    .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(json!({
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "avatar_url": u.avatar_url,
        "provider": u.provider,
        "created_at": crate::time::rfc3339(u.created_at),
    })))
}

async fn models(State(app): State<App>, _caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let rows = sqlx::query!("SELECT id, credits_per_image, max_outputs, enabled FROM models ORDER BY position, id")
        .fetch_all(app.db())
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "credits_per_image": m.credits_per_image,
                    "max_outputs": m.max_outputs,
                    "enabled": m.enabled,
                })
            })
            .collect(),
    ))
}

async fn packs(State(app): State<App>, _caller: Caller) -> ApiResult<Json<Vec<Value>>> {
    let rows =
        sqlx::query!("SELECT id, credits, price_cents, currency FROM credit_packs WHERE active ORDER BY position, id")
            .fetch_all(app.db())
            .await?;
    Ok(Json(
        rows.into_iter()
            .map(|p| json!({ "id": p.id, "credits": p.credits, "price_cents": p.price_cents, "currency": p.currency }))
            .collect(),
    ))
}
