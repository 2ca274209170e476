//! `POST /files`: an input picture too big to inline (docs/wire-facts.md §Replicate: data URLs up
//! to 256 KB) goes on to Replicate's own `POST /files` with the platform's token, as sent
//! (multipart); the answer's `urls.get` is what the prediction's input then names. Nothing is kept
//! here, and Replicate deletes API uploads after an hour.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{present, replicate};
use crate::app::App;
use crate::auth::Caller;
use crate::problem::{problem_response, ApiError, ApiResult};

/// The app's largest input picture (20 MiB, the catalogue's `max_bytes`) and the form around it.
pub const MAX_UPLOAD: usize = 21 * 1024 * 1024;

pub async fn upload(State(app): State<App>, _caller: Caller, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("multipart/form-data") {
        let detail = "Send the picture as multipart/form-data with a `content` part, as Replicate's POST /files takes.";
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_input", "Not a multipart form", detail));
    }
    let answer = replicate::upload(&app, content_type, body).await.map_err(ApiError::Unavailable)?;
    if answer.status.is_success() {
        return Ok((StatusCode::CREATED, Json(answer.body)).into_response());
    }
    if answer.status == StatusCode::TOO_MANY_REQUESTS {
        let retry = answer.retry_after.as_deref().and_then(|r| r.parse::<u64>().ok()).unwrap_or(1);
        return Err(ApiError::new(
            answer.status,
            "rate_limited",
            "Too many requests",
            "Uploads are busy; retry shortly.",
        )
        .retry_after(retry));
    }
    if answer.status.is_client_error() {
        let (status, body) = present::upstream_problem(&answer);
        return Ok(problem_response(status, body));
    }
    Err(ApiError::Unavailable(format!("Replicate upload answered {}", answer.status)))
}
