//! Webhooks (replicate.com/docs/topics/webhooks): a create with `webhook` gets POSTs of the
//! prediction JSON for the events in `webhook_events_filter` (all four when it is absent): `start`
//! at create, `logs` when the logs grow, `output` when the output changes, `completed` at a terminal
//! status. Signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`;
//! see [`crate::signatures`]) with the account's secret from `GET /v1/webhooks/default/secret`.
//! Only `completed` is retried, briefly; the others are sent once, as Replicate does.
//!
//! Knobs: `drop_webhooks` (nothing is sent; recorded as dropped), `duplicate_webhooks` (each message
//! sent twice with the same `webhook-id`).

use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{ids, ReplicateFake};
use crate::signatures::standard_webhooks;
use crate::webhook::{deliver, Delivery, Outgoing, Retry};

/// How often a followed prediction is looked at for new logs or output.
const LOOK_EVERY: Duration = Duration::from_millis(50);
const FINAL_RETRY: Retry = Retry { attempts: 4, base: Duration::from_millis(200) };
const ONCE: Retry = Retry { attempts: 1, base: Duration::ZERO };

/// Which events the create asked for.
#[derive(Clone, Copy)]
pub(super) struct Filter {
    start: bool,
    output: bool,
    logs: bool,
    completed: bool,
}

impl Filter {
    /// From a validated `webhook_events_filter` (absent: every event).
    pub fn from_body(filter: &Value) -> Filter {
        let Some(list) = filter.as_array() else {
            return Filter { start: true, output: true, logs: true, completed: true };
        };
        let has = |e: &str| list.iter().any(|v| v == e);
        Filter { start: has("start"), output: has("output"), logs: has("logs"), completed: has("completed") }
    }
}

/// `GET /v1/webhooks/default/secret` (authenticated): `{"key":"whsec_…"}`.
pub(super) async fn secret(State(fake): State<ReplicateFake>, headers: HeaderMap) -> Response {
    if let Err(denied) = fake.authorize(&headers) {
        return denied;
    }
    Json(json!({ "key": fake.webhook_secret() })).into_response()
}

/// `GET /_fake/webhooks`: every delivery attempt.
pub(super) fn control_routes() -> Router<ReplicateFake> {
    Router::new().route(
        "/_fake/webhooks",
        get(|State(fake): State<ReplicateFake>| async move { Json(fake.webhook_deliveries()) }),
    )
}

/// Follows one prediction from create to its end, sending what the filter asks for.
pub(super) async fn follow(fake: ReplicateFake, id: String, url: String, filter: Filter) {
    let Some(mut done) = fake.done_signal(&id) else { return };
    let Some(first) = fake.prediction_json(&id) else { return };
    if filter.start {
        tokio::spawn(send(fake.clone(), url.clone(), "start", first.clone(), ONCE));
    }
    let (mut logs, mut output) = (first["logs"].clone(), first["output"].clone());
    loop {
        let finished = tokio::time::timeout(LOOK_EVERY, done.wait_for(|d| *d)).await.is_ok_and(|r| r.is_ok());
        let Some(now) = fake.prediction_json(&id) else { return };
        if filter.output && now["output"] != output && !now["output"].is_null() {
            tokio::spawn(send(fake.clone(), url.clone(), "output", now.clone(), ONCE));
        }
        if filter.logs && now["logs"] != logs && !finished {
            tokio::spawn(send(fake.clone(), url.clone(), "logs", now.clone(), ONCE));
        }
        (logs, output) = (now["logs"].clone(), now["output"].clone());
        if finished {
            if filter.completed {
                send(fake, url, "completed", now, FINAL_RETRY).await;
            }
            return;
        }
    }
}

/// One message (and its duplicate with the knob), signed per attempt with the current secret.
async fn send(fake: ReplicateFake, url: String, event: &'static str, prediction: Value, retry: Retry) {
    let knobs = fake.knobs();
    let msg_id = format!("msg_{}", ids::token(27));
    let body = prediction.to_string();
    if knobs.drop_webhooks {
        let at_ms = chrono::Utc::now().timestamp_millis();
        let dropped = Delivery {
            id: msg_id,
            kind: event.into(),
            url,
            attempt: 0,
            status: None,
            error: Some("dropped by the drop_webhooks knob".into()),
            headers: Vec::new(),
            body,
            at_ms,
        };
        fake.inner.webhooks.lock().unwrap_or_else(|e| e.into_inner()).push(dropped);
        return;
    }
    let copies = if knobs.duplicate_webhooks { 2 } else { 1 };
    for _ in 0..copies {
        let secret = fake.webhook_secret();
        let (signed_id, signed_body) = (msg_id.clone(), body.clone());
        let out = Outgoing {
            id: msg_id.clone(),
            kind: event.into(),
            url: url.clone(),
            body: body.clone(),
            sign: Box::new(move |t| {
                let signature = standard_webhooks(&secret, &signed_id, t, signed_body.as_bytes()).unwrap_or_default();
                vec![
                    ("webhook-id".into(), signed_id.clone()),
                    ("webhook-timestamp".into(), t.to_string()),
                    ("webhook-signature".into(), signature),
                ]
            }),
            user_agent: "flux-krea-fakes (Replicate webhooks)",
        };
        deliver(out, retry, fake.inner.webhooks.clone()).await;
    }
}
