//! The CLI's JSON, for people and scripts: integers print as integers (the core's types make sure),
//! and every time as RFC 3339 in UTC, as in the export (`clock::times_as_rfc3339`).

use flux_krea_core::Error;

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    let mut value = serde_json::to_value(value).map_err(|e| Error::internal(e.to_string()))?;
    flux_krea_core::clock::times_as_rfc3339(&mut value);
    serde_json::to_string_pretty(&value).map_err(|e| Error::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn times_become_rfc3339_and_integers_stay_integers() {
        let value = json!({
            "id": 7, "seed": 922285343, "bytes": 29864, "cost_usd": 0.003,
            "created_at": 1796367231054_i64, "completed_at": null,
            "images": [{"downloaded_at": 1796367232000_i64, "width": 64}],
            "last_check": {"at_ms": 0, "outcome": "Up to date"},
        });
        let text = super::to_json(&value).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["created_at"], "2026-12-04T06:53:51.054Z");
        assert_eq!(back["images"][0]["downloaded_at"], "2026-12-04T06:53:52Z");
        assert_eq!(back["last_check"]["at_ms"], "1970-01-01T00:00:00Z");
        assert_eq!(back["completed_at"], serde_json::Value::Null);
        assert!(text.contains("\"seed\": 922285343\n") && text.contains("\"bytes\": 29864,"), "{text}");
        assert_eq!(back["images"][0]["width"], 64);
    }
}
