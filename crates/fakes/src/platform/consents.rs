//! `GET/PUT /privacy/consents`: three opt-in consents, all off until the user grants them. A PUT
//! may name any subset, each as a bare bool or `{granted}`; the answer is the full object.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::tokens::Caller;
use super::{ids, now, problem, PlatformFake};

const KINDS: [&str; 3] = ["marketing_emails", "product_analytics", "training_use"];

#[derive(Clone, Copy, Default)]
struct Consent {
    granted: bool,
    /// None until the user first sets it.
    updated_at: Option<DateTime<Utc>>,
}

/// In `KINDS` order.
#[derive(Clone, Copy, Default)]
pub(super) struct Consents([Consent; 3]);

impl Consents {
    pub fn to_json(self) -> Value {
        let object: Map<String, Value> = KINDS
            .iter()
            .zip(self.0)
            .map(|(kind, c)| {
                let body = json!({ "granted": c.granted, "updated_at": c.updated_at.map(ids::rfc3339) });
                (kind.to_string(), body)
            })
            .collect();
        Value::Object(object)
    }
}

pub(super) fn routes() -> Router<PlatformFake> {
    Router::new().route("/privacy/consents", get(read).put(update))
}

async fn read(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>) -> Response {
    match fake.state().user(&caller.user_id) {
        Some(u) => Json(u.consents.to_json()).into_response(),
        None => super::missing(),
    }
}

async fn update(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>, body: Bytes) -> Response {
    let changes = match parse(&body) {
        Ok(changes) => changes,
        Err(why) => return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "Invalid consents", &why),
    };
    let mut state = fake.state();
    let Some(u) = state.user_mut(&caller.user_id) else { return super::missing() };
    let at = now();
    for (index, granted) in changes {
        u.consents.0[index] = Consent { granted, updated_at: Some(at) };
    }
    Json(u.consents.to_json()).into_response()
}

/// (index in KINDS, granted) for each key given.
fn parse(body: &[u8]) -> Result<Vec<(usize, bool)>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("The body is not JSON: {e}"))?;
    let Value::Object(fields) = value else { return Err("The body must be a JSON object.".into()) };
    fields
        .iter()
        .map(|(key, v)| {
            let index = KINDS.iter().position(|k| k == key).ok_or_else(|| format!("Unknown consent {key}."))?;
            let granted = match v {
                Value::Bool(b) => Some(*b),
                Value::Object(o) if o.keys().all(|k| k == "granted" || k == "updated_at") => {
                    o.get("granted").and_then(Value::as_bool)
                }
                _ => None,
            };
            granted.map(|g| (index, g)).ok_or_else(|| format!("{key} must be true, false or {{\"granted\": bool}}."))
        })
        .collect()
}

impl PlatformFake {
    /// The stored consents object, as `GET /privacy/consents` shows it.
    pub fn consents(&self, email: &str) -> Option<Value> {
        self.state().user_by_email(email).map(|u| u.consents.to_json())
    }
}
