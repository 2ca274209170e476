//! The request headers that shape a create: `Prefer: wait[=N]` and `Cancel-After`.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::problem::problem;

const MAX_WAIT_S: u64 = 60;
const MIN_CANCEL_AFTER_S: u64 = 5;

/// How long to hold the create response. `Prefer: wait` is 60 s; `wait=N` needs N in 1..=60.
/// An out-of-range or malformed `wait` is a 422 naming the header (stricter than ignoring it, so a
/// client bug shows up in tests). Other preferences in the header are ignored.
#[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
pub(crate) fn prefer_wait(headers: &HeaderMap) -> Result<Option<Duration>, Response> {
    let Some(value) = headers.get("prefer") else { return Ok(None) };
    let value = value.to_str().map_err(|_| invalid("Prefer", "Prefer header is not valid text"))?;
    for pref in value.split(',').map(str::trim) {
        if pref == "wait" {
            return Ok(Some(Duration::from_secs(MAX_WAIT_S)));
        }
        if let Some(n) = pref.strip_prefix("wait=") {
            return match n.trim().parse::<u64>() {
                Ok(n @ 1..=MAX_WAIT_S) => Ok(Some(Duration::from_secs(n))),
                _ => Err(invalid("Prefer", "Prefer: wait=N needs N between 1 and 60 seconds")),
            };
        }
    }
    Ok(None)
}

/// `Cancel-After: 30s | 5m | 1h30m | <seconds>`, at least 5 s.
#[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
pub(super) fn cancel_after(headers: &HeaderMap) -> Result<Option<Duration>, Response> {
    let Some(value) = headers.get("cancel-after") else { return Ok(None) };
    let secs = value.to_str().ok().and_then(parse_duration);
    match secs {
        Some(s) if s >= MIN_CANCEL_AFTER_S => Ok(Some(Duration::from_secs(s))),
        Some(_) => Err(invalid("Cancel-After", "Cancel-After must be at least 5 seconds")),
        None => Err(invalid(
            "Cancel-After",
            "Cancel-After must be a duration such as 30s, 5m, 1h30m or a number of seconds",
        )),
    }
}

/// Go-style `1h30m15s` or a bare number of seconds.
fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let (mut total, mut digits) = (0u64, String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total += digits.parse::<u64>().ok()? * unit;
        digits.clear();
    }
    (digits.is_empty() && !s.is_empty()).then_some(total)
}

fn invalid(header: &str, detail: &str) -> Response {
    problem(StatusCode::UNPROCESSABLE_ENTITY, &format!("Invalid {header} header"), detail)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(30));
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("42"), Some(42));
        for bad in ["", "5x", "m", "5m3", "1.5s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
