//! `GET/PUT /privacy/consents`: three opt-in consents, off until granted. A PUT may name any
//! subset, each as a bare bool or `{granted}`; every change is also kept in `consent_history`.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::app::App;
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult};

pub const KINDS: [&str; 3] = ["marketing_emails", "product_analytics", "training_use"];

pub async fn current(conn: &mut sqlx::PgConnection, user: Uuid) -> Result<Value, sqlx::Error> {
    let rows =
        sqlx::query!("SELECT kind, granted, updated_at FROM consents WHERE user_id = $1", user).fetch_all(conn).await?;
    let object: Map<String, Value> = KINDS
        .iter()
        .map(|kind| {
            let row = rows.iter().find(|r| r.kind == *kind);
            let body = json!({
                "granted": row.is_some_and(|r| r.granted),
                "updated_at": row.map(|r| crate::time::rfc3339(r.updated_at)),
            });
            (kind.to_string(), body)
        })
        .collect();
    Ok(Value::Object(object))
}

pub async fn read(State(app): State<App>, caller: Caller) -> ApiResult<Json<Value>> {
    let mut conn = app.db().acquire().await?;
    Ok(Json(current(&mut conn, caller.user_id).await?))
}

pub async fn update(State(app): State<App>, caller: Caller, body: Bytes) -> ApiResult<Json<Value>> {
    let changes = parse(&body).map_err(ApiError::invalid)?;
    let mut tx = app.db().begin().await?;
    for (kind, granted) in changes {
        sqlx::query!(
            "INSERT INTO consents (user_id, kind, granted) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, kind) DO UPDATE SET granted = $3, updated_at = now()",
            caller.user_id,
            kind,
            granted
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO consent_history (user_id, kind, granted) VALUES ($1, $2, $3)",
            caller.user_id,
            kind,
            granted
        )
        .execute(&mut *tx)
        .await?;
    }
    let answer = current(&mut tx, caller.user_id).await?;
    tx.commit().await?;
    Ok(Json(answer))
}

/// (kind, granted) for each key given.
fn parse(body: &[u8]) -> Result<Vec<(&'static str, bool)>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("The body is not JSON: {e}"))?;
    let Value::Object(fields) = value else { return Err("The body must be a JSON object.".into()) };
    fields
        .iter()
        .map(|(key, v)| {
            let kind = KINDS.iter().find(|k| *k == key).ok_or_else(|| format!("Unknown consent {key}."))?;
            let granted = match v {
                Value::Bool(b) => Some(*b),
                Value::Object(o) if o.keys().all(|k| k == "granted" || k == "updated_at") => {
                    o.get("granted").and_then(Value::as_bool)
                }
                _ => None,
            };
            granted.map(|g| (*kind, g)).ok_or_else(|| format!("{key} must be true, false or {{\"granted\": bool}}."))
        })
        .collect()
}
