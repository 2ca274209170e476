//! The platform as a client of Replicate: requests go to the inner fake's real router in-process
//! with the platform's own token, and answers come back in the platform's terms (its URLs, its
//! problem codes, `credits_charged`).

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tower::ServiceExt;

use super::PlatformFake;

/// Generous: a create holds data URIs up to Replicate's 10 MB; answers are small.
const MAX_ANSWER: usize = 64 * 1024 * 1024;

pub(super) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl PlatformFake {
    /// `method /v1{path}` on the inner Replicate fake, with `cancel_after` passed through.
    pub(super) async fn upstream(
        &self,
        method: Method,
        path: &str,
        cancel_after: Option<&HeaderValue>,
        body: Bytes,
    ) -> Answer {
        self.upstream_as(method, path, "application/json", cancel_after, body).await
    }

    /// The same with another body type (an upload's multipart form).
    pub(super) async fn upstream_as(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        cancel_after: Option<&HeaderValue>,
        body: Bytes,
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("/v1{path}"))
            .header(header::HOST, "api.replicate.internal")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.inner.replicate_token))
            .header(header::CONTENT_TYPE, content_type);
        if let Some(value) = cancel_after {
            req = req.header("cancel-after", value);
        }
        let Ok(req) = req.body(Body::from(body)) else {
            return Answer { status: StatusCode::BAD_REQUEST, headers: HeaderMap::new(), body: Bytes::new() };
        };
        // The router's error type is Infallible.
        let res = match self.inner.upstream.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
        let (parts, body) = res.into_parts();
        let body = to_bytes(body, MAX_ANSWER).await.unwrap_or_default();
        Answer { status: parts.status, headers: parts.headers, body }
    }
}

/// A failed upstream call as the platform's problem+json: Replicate's fields (`detail`,
/// `invalid_fields`) kept, a `code` added, `Retry-After` passed on.
pub(super) fn upstream_error(answer: &Answer) -> Response {
    let (code, title) = match answer.status {
        StatusCode::BAD_REQUEST => ("bad_request", "Bad request"),
        StatusCode::NOT_FOUND => ("not_found", "Not found"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Payload too large"),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_input", "Input validation failed"),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "Too many requests"),
        s if s.is_server_error() => ("unavailable", "Service Unavailable"),
        _ => ("upstream_error", "Upstream error"),
    };
    let mut body = answer.json().filter(Value::is_object).unwrap_or_else(|| json!({}));
    body["type"] = json!(format!("urn:flux-krea:problem:{code}"));
    body["code"] = json!(code);
    body["status"] = json!(answer.status.as_u16());
    if body["title"].is_null() {
        body["title"] = json!(title);
    }
    if body["detail"].is_null() {
        body["detail"] = json!(title);
    }
    let mut res = crate::problem::with_body(answer.status, body);
    if let Some(after) = answer.headers.get(header::RETRY_AFTER) {
        res.headers_mut().insert(header::RETRY_AFTER, after.clone());
    }
    res
}

/// A Replicate prediction as the platform shows it: links to the platform (not Replicate, whose
/// web page is the platform's account, so `urls.web` goes), the net `credits_charged`, and no
/// input once the user erased their prompts.
pub(super) fn present(mut p: Value, base: &str, charged: i64, input_erased: bool) -> Value {
    let get = format!("{base}/api/v1/predictions/{}", p["id"].as_str().unwrap_or_default());
    p["urls"] = json!({ "get": get, "cancel": format!("{get}/cancel") });
    p["credits_charged"] = json!(charged);
    if input_erased {
        p["input"] = json!({});
    }
    p
}

/// The create answer: 201 once terminal, else 202, with `Location` as Replicate sends it.
pub(super) fn created(p: Value) -> Response {
    let terminal = !matches!(p["status"].as_str(), Some("starting" | "processing"));
    let status = if terminal { StatusCode::CREATED } else { StatusCode::ACCEPTED };
    let location = p["urls"]["get"].as_str().unwrap_or_default().to_string();
    let mut res = (status, axum::Json(p)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, value);
    }
    res
}
