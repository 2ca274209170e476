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
