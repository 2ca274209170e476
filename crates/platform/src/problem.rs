//! RFC 7807 problem+json answers with a stable `code` (docs/platform-api.md §2), and GoTrue's error shape
//! for `/auth/v1`. Internal failures are logged by kind and answered without detail.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug)]
pub enum ApiError {
    Problem {
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: String,
        extra: Value,
    },
    /// A problem answered with `Retry-After` (seconds).
    RetryAfter(Box<ApiError>, u64),
    /// GoTrue's `{code, error_code, msg}` (`/auth/v1`).
    GoTrue {
        status: StatusCode,
        error_code: &'static str,
        msg: String,
    },
    /// Logged (never with secrets or personal data: callers pass a description), answered as 500.
    Internal(String),
    /// An upstream (Replicate, Stripe, a provider) failed: 502/503.
    Unavailable(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Problem { status, code, title, detail: detail.into(), extra: Value::Null }
    }

    pub fn retry_after(self, seconds: u64) -> ApiError {
        ApiError::RetryAfter(Box::new(self), seconds)
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found", "The requested resource could not be found.")
    }

    pub fn invalid(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "Invalid input", detail)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Unauthorized",
            "The access token is missing, unknown, expired or signed out.",
        )
    }

    pub fn gotrue(status: StatusCode, error_code: &'static str, msg: impl Into<String>) -> ApiError {
        ApiError::GoTrue { status, error_code, msg: msg.into() }
    }

    pub fn internal(what: impl Into<String>) -> ApiError {
        ApiError::Internal(what.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        // sqlx errors carry SQL and server messages, never bound parameter values.
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<object_store::Error> for ApiError {
    fn from(e: object_store::Error) -> ApiError {
        ApiError::Unavailable(format!("storage: {e}"))
    }
}

pub fn problem_body(status: StatusCode, code: &str, title: &str, detail: &str) -> Value {
    json!({
        "type": format!("urn:flux-krea:problem:{code}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    })
}

pub fn problem_response(status: StatusCode, body: Value) -> Response {
    let mut res = (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer error=\"invalid_token\""));
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Problem { status, code, title, detail, extra } => {
                let mut body = problem_body(status, code, title, &detail);
                if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
                    body.extend(extra);
                }
                problem_response(status, body)
            }
            ApiError::RetryAfter(inner, seconds) => {
                let mut res = inner.into_response();
                res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
                res
            }
            ApiError::GoTrue { status, error_code, msg } => {
                let body = json!({ "code": status.as_u16(), "error_code": error_code, "msg": msg });
                (status, axum::Json(body)).into_response()
            }
            ApiError::Internal(what) => {
                tracing::error!(error = %what, "internal error");
                let status = StatusCode::INTERNAL_SERVER_ERROR;
                problem_response(status, problem_body(status, "internal", "Internal error", "Something went wrong."))
            }
            ApiError::Unavailable(what) => {
                tracing::warn!(error = %what, "upstream unavailable");
                let status = StatusCode::SERVICE_UNAVAILABLE;
                let detail = "A service Flux Krea depends on is unavailable; try again shortly.";
                problem_response(status, problem_body(status, "unavailable", "Service Unavailable", detail))
            }
        }
    }
}
