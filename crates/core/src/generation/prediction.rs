//! Replicate's prediction object (docs/wire-facts.md §Replicate), as much of it as the app reads.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PredictionStatus {
    Starting,
    Processing,
    Succeeded,
    Failed,
    Canceled,
    Aborted,
}

impl PredictionStatus {
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled | Self::Aborted)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Urls {
    pub get: String,
    #[serde(default)]
    pub cancel: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Prediction {
    pub id: String,
    #[serde(default)]
    pub model: Option<String>,
    pub status: PredictionStatus,
    #[serde(default)]
    pub input: Value,
    #[serde(default)]
    pub output: Value,
    #[serde(default)]
    pub error: Value,
    #[serde(default)]
    pub data_removed: bool,
    #[serde(default)]
    pub logs: Option<String>,
    pub urls: Urls,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// One `GET /predictions` page.
#[derive(Debug, Clone, Deserialize)]
pub struct PredictionPage {
    pub next: Option<String>,
    pub results: Vec<Prediction>,
}

impl Prediction {
    /// The output as a list of URIs: one string, an array of strings, or nothing yet.
    pub fn output_urls(&self) -> Result<Vec<String>> {
        match &self.output {
            Value::Null => Ok(Vec::new()),
            Value::String(s) => Ok(vec![s.clone()]),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| malformed("an output item is not a string")))
                .collect(),
            _ => Err(malformed("output is neither a string nor a list")),
        }
    }

    /// The model's error as text (Replicate sends a string; anything else is shown as JSON).
    pub fn error_text(&self) -> Option<String> {
        match &self.error {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// Progress 0..1 from the model's tqdm logs (`45%|…`), when it prints them.
    pub fn progress(&self) -> Option<f64> {
        let logs = self.logs.as_deref()?;
        let last = logs.rsplit(['\n', '\r']).find_map(|line| {
            let (pct, _) = line.split_once("%|")?;
            // "NaN%|" parses as an f64, but it is no percentage.
            pct.trim().rsplit(' ').next()?.parse::<f64>().ok().filter(|p| !p.is_nan())
        })?;
        Some((last / 100.0).clamp(0.0, 1.0))
    }
}

pub fn malformed(what: &str) -> Error {
    Error::Upstream { service: "Replicate".into(), status: 200, detail: format!("unexpected answer: {what}") }
}

/// Decodes a `data:` URI's bytes (outputs may come inline).
pub fn decode_data_uri(uri: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    let rest = uri.strip_prefix("data:").ok_or_else(|| malformed("not a data URI"))?;
    let (meta, data) = rest.split_once(',').ok_or_else(|| malformed("a data URI without data"))?;
    if !meta.ends_with(";base64") {
        return Err(malformed("a data URI that is not base64"));
    }
    base64::engine::general_purpose::STANDARD.decode(data.trim()).map_err(|_| malformed("a data URI with bad base64"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prediction(output: Value, logs: Option<&str>) -> Prediction {
        serde_json::from_value(json!({
            "id": "p1", "model": "black-forest-labs/flux-dev", "version": "hidden", "input": {},
            "output": output, "data_removed": false, "error": null, "status": "processing",
            "created_at": "2026-11-27T10:00:00Z", "logs": logs,
            "urls": {"get": "https://x/v1/predictions/p1", "cancel": "https://x/v1/predictions/p1/cancel", "web": "w"}
        }))
        .unwrap()
    }

    #[test]
    fn output_is_a_string_a_list_or_nothing() {
        assert_eq!(prediction(json!("https://d/a.webp"), None).output_urls().unwrap(), ["https://d/a.webp"]);
        assert_eq!(prediction(json!(["u1", "u2"]), None).output_urls().unwrap(), ["u1", "u2"]);
        assert!(prediction(Value::Null, None).output_urls().unwrap().is_empty());
        assert!(prediction(json!({"a": 1}), None).output_urls().is_err());
        assert!(prediction(json!([1]), None).output_urls().is_err());
    }

    #[test]
    fn progress_comes_from_the_last_tqdm_line() {
        let p = prediction(Value::Null, Some("Using seed: 1\n 25%|██▌       | 7/28\n 50%|█████     | 14/28"));
        assert_eq!(p.progress(), Some(0.5));
        assert_eq!(prediction(Value::Null, Some("loading")).progress(), None);
        assert_eq!(prediction(Value::Null, Some("NaN%|")).progress(), None, "NaN is no progress");
        assert_eq!(prediction(Value::Null, Some(" 10%|█\nNaN%|")).progress(), Some(0.1));
        assert_eq!(prediction(Value::Null, Some("inf%|")).progress(), Some(1.0));
    }

    #[test]
    fn data_uris_decode_and_bad_ones_are_refused() {
        assert_eq!(decode_data_uri("data:image/png;base64,aGk=").unwrap(), b"hi");
        assert!(decode_data_uri("data:image/png,hi").is_err());
        assert!(decode_data_uri("data:image/png;base64,***").is_err());
    }
}
