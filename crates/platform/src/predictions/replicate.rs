//! The platform as a Replicate client (docs/wire-facts.md §Replicate), with its own token: create (with a
//! webhook to us), get, cancel; and the Standard Webhooks check on what Replicate sends back.

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::app::App;

/// Standard Webhooks' tolerance for `webhook-timestamp`.
const TOLERANCE_S: i64 = 300;

/// Replicate's answer: status and body, or why it could not be reached.
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub body: Value,
    /// Replicate's `Retry-After`, passed on with a 429.
    pub retry_after: Option<String>,
}

fn url(app: &App, path: &str) -> String {
    format!("{}{path}", app.config().upstreams.replicate_api.as_str().trim_end_matches('/'))
}

async fn send(req: reqwest::RequestBuilder) -> Result<Answer, String> {
    let res = req.send().await.map_err(|e| format!("Replicate unreachable: {e}"))?;
    let status = res.status();
    let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    Ok(Answer { status, body, retry_after })
}

/// Creates the prediction `ours` (our row's id) on Replicate. The webhook URL names our row, so
/// the outcome finds it even when this replica dies before it records Replicate's id.
pub async fn create(
    app: &App,
    ours: &str,
    model: &str,
    input: &Value,
    prefer: Option<&str>,
    cancel_after: Option<&str>,
) -> Result<Answer, String> {
    let body = json!({
        "input": input,
        "webhook": app.public(&format!("/webhooks/replicate?prediction={ours}")),
        "webhook_events_filter": ["completed"],
    });
    let mut req = app
        .http()
        .post(url(app, &format!("/models/{model}/predictions")))
        .bearer_auth(app.config().replicate_api_token.expose())
        .json(&body);
    if let Some(p) = prefer {
        req = req.header("prefer", p);
    }
    if let Some(c) = cancel_after {
        req = req.header("cancel-after", c);
    }
    send(req).await
}

/// `POST /files`: the multipart body as the app sent it, under the platform's token.
pub async fn upload(app: &App, content_type: &str, body: axum::body::Bytes) -> Result<Answer, String> {
    let req = app
        .http()
        .post(url(app, "/files"))
        .bearer_auth(app.config().replicate_api_token.expose())
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body);
    send(req).await
}

pub async fn get(app: &App, replicate_id: &str) -> Result<Answer, String> {
    let req = app
        .http()
        .get(url(app, &format!("/predictions/{replicate_id}")))
        .bearer_auth(app.config().replicate_api_token.expose());
    send(req).await
}

pub async fn cancel(app: &App, replicate_id: &str) -> Result<Answer, String> {
    let req = app
        .http()
        .post(url(app, &format!("/predictions/{replicate_id}/cancel")))
        .bearer_auth(app.config().replicate_api_token.expose());
    send(req).await
}

pub fn terminal(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "canceled" | "aborted")
}

/// Standard Webhooks: `webhook-signature` holds space-separated `v1,<base64>` entries over
/// `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 secret after `whsec_`.
pub fn signature_valid(headers: &HeaderMap, body: &[u8], secret: &str, now: i64) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(id), Some(ts), Some(sigs)) =
        (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"))
    else {
        return false;
    };
    let Ok(t) = ts.parse::<i64>() else { return false };
    if (now - t).abs() > TOLERANCE_S {
        return false;
    }
    let Ok(key) = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{t}.").as_bytes());
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    sigs.split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b| STANDARD.decode(b).ok())
        .fold(false, |ok, s| ok | bool::from(s.as_slice().ct_eq(&expected[..])))
}
