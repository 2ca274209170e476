//! How answers and failures of remote services (Replicate, the platform, its broker) become the
//! app's errors, and which of them are worth retrying. Never the URL or the body verbatim: either
//! could carry a signed query or a token.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;

use crate::error::{Error, FieldProblem};

/// The most a service's JSON answer may be. Real answers are a few kilobytes (a prediction with
/// inline outputs, the largest, stays under a few megabytes); more is refused before it fills memory.
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// Reads an answer's body, refusing more than `limit` bytes: by its Content-Length before reading,
/// else as it streams in.
pub async fn answer_body(service: &str, mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Error> {
    let status = response.status().as_u16();
    let too_large = || Error::Upstream {
        service: service.into(),
        status,
        detail: match limit >> 20 {
            0 => format!("the answer is larger than {} KiB", limit >> 10),
            mib => format!("the answer is larger than {mib} MiB"),
        },
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(service, e))? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Turns a transport failure into words; never the URL (it could carry a signed query).
pub fn transport(service: &str, err: reqwest::Error) -> Error {
    let service = service.to_string();
    if err.is_connect() {
        Error::Offline { service }
    } else if err.is_timeout() {
        Error::Network { service, detail: "it took too long to answer".into() }
    } else if err.is_redirect() {
        // http.rs refused it: away from https, or a loop.
        Error::Network { service, detail: "it redirected away from https (or in a loop); not followed".into() }
    } else {
        Error::Network { service, detail: "the connection broke".into() }
    }
}

/// Maps an error answer (problem+json, or `{detail}` for 429) to the app's error.
pub fn answer_error(service: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let detail = json
        .get("detail")
        .and_then(Value::as_str)
        .or_else(|| json.get("title").and_then(Value::as_str))
        .unwrap_or("")
        .trim()
        .to_string();
    match status {
        StatusCode::UNAUTHORIZED => Error::AuthRequired,
        // The platform refuses a create the account cannot pay for (docs/platform-api.md).
        StatusCode::PAYMENT_REQUIRED if json.get("code").and_then(Value::as_str) == Some("insufficient_credits") => {
            let int = |k: &str| json.get(k).and_then(Value::as_i64).unwrap_or(0);
            Error::InsufficientCredits {
                needed: int("needed").clamp(0, i64::from(u32::MAX)) as u32,
                balance: int("balance").clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
            }
        }
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited { retry_after_s: retry_after(headers, &detail) },
        // The platform is still answering an earlier try with this Idempotency-Key (docs/platform-api.md
        // §4.1): the same as "busy, retry shortly", so a retried checkout or create waits for it.
        StatusCode::CONFLICT if json.get("code").and_then(Value::as_str) == Some("idempotency_key_in_flight") => {
            Error::RateLimited { retry_after_s: retry_after(headers, &detail) }
        }
        StatusCode::UNPROCESSABLE_ENTITY => match json.get("invalid_fields").and_then(Value::as_array) {
            Some(fields) if !fields.is_empty() => {
                Error::InvalidFields { fields: fields.iter().map(field_problem).collect() }
            }
            _ => Error::Upstream { service: service.into(), status: 422, detail },
        },
        _ => Error::Upstream {
            service: service.into(),
            status: status.as_u16(),
            detail: if detail.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { detail },
        },
    }
}

/// `input.num_outputs` → `num_outputs`: the form's field names.
pub fn field_problem(item: &Value) -> FieldProblem {
    let field = item.get("field").and_then(Value::as_str).unwrap_or("input");
    let field = field.strip_prefix("input.").unwrap_or(field).to_string();
    let reason = item.get("description").and_then(Value::as_str).unwrap_or("is not accepted by the model").to_string();
    FieldProblem { field, reason }
}

/// Seconds to wait from `Retry-After`, else the detail's hint, else 1. Replicate has worded the
/// hint "Expected available in N seconds" and now "Your rate limit resets in ~Ns" (docs/wire-facts.md
/// §Replicate); both are read.
pub fn retry_after(headers: &HeaderMap, detail: &str) -> u32 {
    if let Some(s) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()?.trim().parse::<u32>().ok()) {
        return s.clamp(1, 3600);
    }
    ["available in ", "resets in "]
        .iter()
        .find_map(|marker| detail.split(marker).nth(1))
        .and_then(|rest| {
            let rest = rest.trim_start().trim_start_matches('~');
            let number: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
            let number = number.trim_end_matches('.');
            // "30s", "3", "0.4", "inf", "NaN": the unit letter is not part of the number.
            let number = number.strip_suffix('s').filter(|n| n.parse::<f64>().is_ok()).unwrap_or(number);
            number.parse::<f64>().ok()
        })
        .filter(|s| !s.is_nan())
        .map(|s| s.ceil().clamp(1.0, 3600.0) as u32)
        .unwrap_or(1)
}

pub fn retry_read(err: &Error) -> bool {
    match err {
        Error::RateLimited { .. } | Error::Network { .. } | Error::Offline { .. } => true,
        Error::Upstream { status, .. } => matches!(status, 502..=504),
        _ => false,
    }
}

pub fn honour_retry_after(err: &Error, planned: Option<Duration>) -> Option<Duration> {
    match (err, planned) {
        (Error::RateLimited { retry_after_s }, Some(p)) => Some(p.max(Duration::from_secs(u64::from(*retry_after_s)))),
        (_, p) => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_prefers_the_header_then_the_detail_hint() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, "Request was throttled. Expected available in 3 seconds."), 3);
        assert_eq!(retry_after(&headers, "Request was throttled. Expected available in 0.4 second."), 1);
        assert_eq!(retry_after(&headers, "slow down"), 1);
        assert_eq!(retry_after(&headers, "Expected available in NaN seconds."), 1, "NaN is no number of seconds");
        assert_eq!(retry_after(&headers, "Expected available in inf seconds."), 3600);
        let now = r#"Request was throttled. Your rate limit resets in ~30s."#;
        assert_eq!(retry_after(&headers, now), 30, "Replicate's current wording");
        assert_eq!(retry_after(&headers, "Your rate limit resets in 2.5s"), 3);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, "Expected available in 3 seconds."), 7);
    }

    #[test]
    fn invalid_fields_lose_their_input_prefix() {
        let p = field_problem(
            &serde_json::json!({"type": "x", "field": "input.num_outputs", "description": "Must be ≤ 4"}),
        );
        assert_eq!((p.field.as_str(), p.reason.as_str()), ("num_outputs", "Must be ≤ 4"));
    }

    #[test]
    fn an_idempotency_key_still_in_flight_is_waited_for_like_a_throttle() {
        let body = br#"{"title":"Request in progress","status":409,"code":"idempotency_key_in_flight","detail":"retry shortly."}"#;
        let err = answer_error("Flux Krea", StatusCode::CONFLICT, &HeaderMap::new(), body);
        assert_eq!(err, Error::RateLimited { retry_after_s: 1 });
        assert!(retry_read(&err), "a repeatable call tries again");
        let other = answer_error("Flux Krea", StatusCode::CONFLICT, &HeaderMap::new(), br#"{"code":"conflict"}"#);
        assert!(matches!(other, Error::Upstream { status: 409, .. }), "{other:?}");
    }

    #[test]
    fn only_safe_failures_are_retried() {
        assert!(retry_read(&Error::RateLimited { retry_after_s: 1 }));
        assert!(retry_read(&Error::Upstream { service: "R".into(), status: 503, detail: String::new() }));
        assert!(!retry_read(&Error::Upstream { service: "R".into(), status: 500, detail: String::new() }));
        assert!(!retry_read(&Error::AuthRequired));
    }

    #[test]
    fn insufficient_credits_carries_the_numbers() {
        let body =
            br#"{"title":"Insufficient credits","status":402,"code":"insufficient_credits","balance":3,"needed":10}"#;
        let err = answer_error("Flux Krea", StatusCode::PAYMENT_REQUIRED, &HeaderMap::new(), body);
        assert_eq!(err, Error::InsufficientCredits { needed: 10, balance: 3 });
    }
}
