//! Time as the app stores and shows it: unix milliseconds everywhere inside, RFC 3339 for programs
//! (the export, the CLI's JSON), a short UTC minute for people reading a listing.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, in unix milliseconds (the unit of every stored time).
pub fn now_ms() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

fn at(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// `2026-11-27 16:09` (UTC) for CLI listings.
pub fn format_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    at(ms).and_then(|t| t.format(&format).ok()).unwrap_or_else(|| "????-??-?? ??:??".to_string())
}

/// Full-precision RFC 3339 in UTC (`2026-11-27T16:09:03.12Z`), for what programs read.
pub fn rfc3339(ms: i64) -> String {
    at(ms).and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// The reverse of [`rfc3339`], for programs reading the CLI's JSON or an export (the tests).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Inside the app a time is unix milliseconds in a field named `*_at` (or `*_at_ms`): the IPC's
/// convention. What programs read outside (the export, the CLI's JSON) has every such field as
/// RFC 3339 instead, so one document never mixes two formats.
pub fn times_as_rfc3339(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v.as_i64() {
                    Some(ms) if is_time(key) => *v = Value::String(rfc3339(ms)),
                    _ => times_as_rfc3339(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(times_as_rfc3339),
        _ => {}
    }
}

fn is_time(key: &str) -> bool {
    key.ends_with("_at") || key.ends_with("_at_ms") || key == "at_ms"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(1_796_367_231_054), "2026-12-04T06:53:51.054Z");
        assert_eq!(format_time(1_796_367_231_054), "2026-12-04 06:53");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_rfc3339(&rfc3339(1_796_367_231_054)), Some(1_796_367_231_054));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
