//! A prediction as the app sees it: Replicate's format, our URLs, outputs as presigned URLs of
//! our storage, and the net `credits_charged`.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgConnection;

use crate::app::App;
use crate::problem::ApiResult;
use crate::storage::PRESIGN_TTL;
use crate::time::rfc3339;

pub struct Row {
    pub id: String,
    pub model: String,
    pub status: String,
    pub input: Option<Value>,
    pub error: Option<String>,
    pub upstream: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub settled: bool,
    pub charged: i64,
}

pub async fn load(conn: &mut PgConnection, id: &str, user: uuid::Uuid) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as!(
        Row,
        "SELECT p.id, p.model, p.status, p.input, p.error, p.upstream, p.created_at, p.started_at, p.completed_at,
                p.settled_at IS NOT NULL AS \"settled!\",
                COALESCE((SELECT -SUM(delta) FROM ledger_entries l WHERE l.prediction_id = p.id), 0)::bigint AS \"charged!\"
         FROM predictions p WHERE p.id = $1 AND p.user_id = $2",
        id,
        user
    )
    .fetch_optional(conn)
    .await
}

pub async fn present(app: &App, conn: &mut PgConnection, row: &Row) -> ApiResult<Value> {
    // Terminal upstream but not yet copied and settled: still processing to the app.
    let status = match row.status.as_str() {
        "creating" => "starting",
        s if super::replicate::terminal(s) && !row.settled => "processing",
        s => s,
    };
    let keys = sqlx::query_scalar!(
        "SELECT object_key FROM outputs WHERE prediction_id = $1 AND expires_at > now() ORDER BY idx",
        row.id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut urls = Vec::with_capacity(keys.len());
    for key in &keys {
        urls.push(app.storage().presign(key, PRESIGN_TTL).await?.to_string());
    }
    let single = row.upstream.as_ref().is_some_and(|u| u["output"].is_string());
    let delivered_any = status == "succeeded";
    let output = match (delivered_any, urls.is_empty(), single) {
        (false, _, _) | (true, true, _) => Value::Null,
        (true, false, true) => json!(urls[0]),
        (true, false, false) => json!(urls),
    };
    let get = app.public(&format!("/api/v1/predictions/{}", row.id));
    Ok(json!({
        "id": row.id,
        "model": row.model,
        "version": "hidden",
        "input": row.input.clone().unwrap_or_else(|| json!({})),
        "output": output,
        // Outputs past their storage TTL are gone, as Replicate's after its retention.
        "data_removed": delivered_any && urls.is_empty(),
        "error": row.error,
        "status": status,
        "created_at": rfc3339(row.created_at),
        "started_at": row.started_at.map(rfc3339),
        "completed_at": if status == row.status { row.completed_at.map(rfc3339) } else { None },
        "urls": { "get": get, "cancel": format!("{get}/cancel") },
        "source": "api",
        "credits_charged": row.charged,
    }))
}

/// Replicate's refusal (a validation error, say) as the platform's problem, its fields kept.
pub fn upstream_problem(a: &super::replicate::Answer) -> (StatusCode, Value) {
    let (code, title) = match a.status {
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_input", "Input validation failed"),
        StatusCode::NOT_FOUND => ("not_found", "Not found"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Payload too large"),
        _ => ("bad_request", "Bad request"),
    };
    let mut body = if a.body.is_object() { a.body.clone() } else { json!({}) };
    body["type"] = json!(format!("urn:flux-krea:problem:{code}"));
    body["code"] = json!(code);
    body["status"] = json!(a.status.as_u16());
    if body["title"].is_null() {
        body["title"] = json!(title);
    }
    if body["detail"].is_null() {
        body["detail"] = json!(title);
    }
    (a.status, body)
}
