//! `POST /files`: as the platform does, an input picture too big to inline goes to Replicate's
//! `POST /v1/files` (here the inner fake) with the platform's token, as sent; the answer's
//! `urls.get` is what the prediction's input names.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::upstream::upstream_error;
use super::{problem, PlatformFake};

/// The app's largest input picture (20 MiB) and the form around it, as on the platform.
const MAX_UPLOAD: usize = 21 * 1024 * 1024;

pub(super) fn routes() -> Router<PlatformFake> {
    Router::new().route("/files", post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)))
}

async fn upload(State(fake): State<PlatformFake>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("multipart/form-data") {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_input",
            "Not a multipart form",
            "Send the picture as multipart/form-data with a `content` part, as Replicate's POST /files takes.",
        );
    }
    let answer = fake.upstream_as(Method::POST, "/files", content_type, None, body).await;
    match answer.json() {
        Some(file) if answer.status.is_success() => (StatusCode::CREATED, Json(file)).into_response(),
        _ => upstream_error(&answer),
    }
}
