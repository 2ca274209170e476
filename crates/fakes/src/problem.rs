//! RFC 7807 problem+json answers, as Replicate and the platform send them.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    with_body(status, json!({ "title": title, "detail": detail, "status": status.as_u16() }))
}

pub fn with_body(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// The platform's problems also carry a stable machine-readable `code` (docs/platform-api.md §2), which
/// names the `type` too; `extra` adds fields such as `balance` and `needed`.
pub fn coded(status: StatusCode, code: &str, title: &str, detail: &str, extra: Value) -> Response {
    let mut body = json!({
        "type": format!("urn:flux-krea:problem:{code}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    with_body(status, body)
}
