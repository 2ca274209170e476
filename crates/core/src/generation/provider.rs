//! The HTTP client for Replicate's prediction API (docs/wire-facts.md §Replicate). The platform proxies the
//! same format, so one client serves both modes: a base URL, a bearer token and, for the platform,
//! an `Idempotency-Key` on creates.
//!
//! Retries: reads, cancels and downloads are retried on throttling, 502/503/504 and broken
//! connections; a create only on 429 (anything else might have created it — the job runner finds
//! it again instead of paying twice).

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::generation::prediction::{decode_data_uri, malformed, Prediction, PredictionPage};
use crate::http::{fetchable, host_of, Redirects};
use crate::remote::{answer_body, answer_error, honour_retry_after, retry_read, transport, MAX_ANSWER_BYTES};
use crate::secrets::Sensitive;

/// How long a create holds the connection waiting for the result (`Prefer: wait=N`, 1..=60).
pub const WAIT_SECONDS: u64 = 60;
/// Predictions that have not finished by then are stopped by Replicate instead of billing on.
const CANCEL_AFTER: &str = "15m";
/// Outputs larger than this are refused rather than held in memory.
const MAX_DOWNLOAD: u64 = 200 * 1024 * 1024;
/// Every API call ends within this (a create's own deadline is its wait plus 30 s).
const API_TIMEOUT: Duration = Duration::from_secs(WAIT_SECONDS + 30);
/// One output (at most `MAX_DOWNLOAD`) is downloaded within this, or the attempt fails.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a create waits out a `409` for its Idempotency-Key (about a minute): the platform's
/// answer to the same key, still in progress, is at most a `Prefer: wait` and a copy away.
fn in_flight_retry() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(5))
        .with_max_times(15)
        .with_jitter()
}

/// The Replicate account a token belongs to (`GET /account`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ProviderAccount {
    #[serde(rename = "type")]
    pub kind: String,
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Clone)]
pub struct ProviderClient {
    service: &'static str,
    base: String,
    token: Sensitive<String>,
    http: reqwest::Client,
    idempotent_creates: bool,
    retry: ExponentialBuilder,
    download_timeout: Duration,
}

impl ProviderClient {
    /// A client for Replicate itself (own-key mode).
    pub fn replicate(base_url: &str, token: Sensitive<String>) -> Result<ProviderClient> {
        ProviderClient::new("Replicate", base_url, token, false)
    }

    pub fn new(
        service: &'static str,
        base_url: &str,
        token: Sensitive<String>,
        idempotent_creates: bool,
    ) -> Result<ProviderClient> {
        // Output files may sit behind a CDN's redirect; API calls are not redirected in practice.
        let http = crate::http::client(API_TIMEOUT, Redirects::Secure)?;
        let retry = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(250))
            .with_max_delay(Duration::from_secs(8))
            .with_max_times(4)
            .with_jitter();
        Ok(ProviderClient {
            service,
            base: base_url.trim_end_matches('/').to_string(),
            token,
            http,
            idempotent_creates,
            retry,
            download_timeout: DOWNLOAD_TIMEOUT,
        })
    }

    /// Shorter waits between retries, for tests.
    pub fn with_retry_delays(mut self, min: Duration, max: Duration) -> Self {
        self.retry = ExponentialBuilder::default().with_min_delay(min).with_max_delay(max).with_max_times(4);
        self
    }

    /// A shorter deadline per download attempt, for tests.
    pub fn with_download_timeout(mut self, timeout: Duration) -> Self {
        self.download_timeout = timeout;
        self
    }

    /// Creates carry an `Idempotency-Key`: sending one again returns the same prediction.
    pub fn idempotent_creates(&self) -> bool {
        self.idempotent_creates
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    fn auth(&self) -> Result<HeaderValue> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
            .map_err(|_| Error::invalid("token", "contains characters a token cannot have"))?;
        value.set_sensitive(true);
        Ok(value)
    }

    pub async fn account(&self) -> Result<ProviderAccount> {
        let url = format!("{}/account", self.base);
        let call = || async { self.send_json(self.http.get(&url).header(AUTHORIZATION, self.auth()?)).await };
        let value =
            call.retry(self.retry).sleep(tokio::time::sleep).when(retry_read).adjust(honour_retry_after).await?;
        serde_json::from_value(value).map_err(|_| malformed("the account is not in the documented shape"))
    }

    /// Creates a prediction of an official model, waiting up to `wait` for it to finish.
    pub async fn create(&self, model: &str, input: &Value, submit_key: &str, wait: Duration) -> Result<Prediction> {
        let url = format!("{}/models/{model}/predictions", self.base);
        let wait_s = wait.as_secs().clamp(1, WAIT_SECONDS);
        let body = serde_json::json!({ "input": input });
        let call = || async {
            let mut request = self
                .http
                .post(&url)
                .header(AUTHORIZATION, self.auth()?)
                .header("Prefer", format!("wait={wait_s}"))
                .header("Cancel-After", CANCEL_AFTER)
                .timeout(Duration::from_secs(wait_s + 30))
                .json(&body);
            if self.idempotent_creates {
                request = request.header("Idempotency-Key", submit_key);
            }
            self.send_json(request).await
        };
        let retry_create =
            |e: &Error| matches!(e, Error::RateLimited { .. }) || (self.idempotent_creates && retry_read(e));
        let create = || async {
            call.retry(self.retry).sleep(tokio::time::sleep).when(retry_create).adjust(honour_retry_after).await
        };
        // 409 under our key: the platform is still answering the same create (sent before a
        // crash, or by a process resuming the job); its stored answer is replayed once written.
        let in_flight = |e: &Error| self.idempotent_creates && matches!(e, Error::Upstream { status: 409, .. });
        let value = create.retry(in_flight_retry()).sleep(tokio::time::sleep).when(in_flight).await?;
        parse_prediction(value)
    }

    pub async fn get(&self, id: &str) -> Result<Prediction> {
        // By id under our base URL, not the `urls.get` the server sent: the token only ever goes
        // to the host the user configured.
        let url = format!("{}/predictions/{}", self.base, path_segment(id)?);
        let call = || async { self.send_json(self.http.get(&url).header(AUTHORIZATION, self.auth()?)).await };
        parse_prediction(
            call.retry(self.retry).sleep(tokio::time::sleep).when(retry_read).adjust(honour_retry_after).await?,
        )
    }

    pub async fn cancel(&self, id: &str) -> Result<Prediction> {
        let url = format!("{}/predictions/{}/cancel", self.base, path_segment(id)?);
        let call = || async { self.send_json(self.http.post(&url).header(AUTHORIZATION, self.auth()?)).await };
        parse_prediction(
            call.retry(self.retry).sleep(tokio::time::sleep).when(retry_read).adjust(honour_retry_after).await?,
        )
    }

    /// Finds a prediction created after `created_after` (RFC 3339) of this model with this prompt
    /// and seed (the seed is random per job): the runner's way to recover a create whose answer
    /// was lost, instead of creating (and paying for) it twice.
    pub async fn find(&self, model: &str, prompt: &str, seed: i64, created_after: &str) -> Result<Option<Prediction>> {
        let mut url = format!("{}/predictions?created_after={created_after}", self.base);
        for _ in 0..20 {
            let call = || async { self.send_json(self.http.get(&url).header(AUTHORIZATION, self.auth()?)).await };
            let value =
                call.retry(self.retry).sleep(tokio::time::sleep).when(retry_read).adjust(honour_retry_after).await?;
            let page: PredictionPage = serde_json::from_value(value)
                .map_err(|_| malformed("the prediction list is not in the documented shape"))?;
            let same = |p: &Prediction| {
                p.model.as_deref().is_none_or(|m| m == model)
                    && p.input.get("prompt").and_then(Value::as_str) == Some(prompt)
                    && p.input.get("seed").and_then(Value::as_i64) == Some(seed)
            };
            if let Some(found) = page.results.into_iter().find(same) {
                return Ok(Some(found));
            }
            match page.next {
                // `next` is followed only while it stays on our host.
                Some(next) if same_origin(&next, &self.base) => url = next,
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Uploads a file (`POST /files`) and returns the URL a model input can point at.
    pub async fn upload(&self, bytes: Vec<u8>, file_name: &str, mime: &str) -> Result<String> {
        let url = format!("{}/files", self.base);
        let call = || async {
            let part = reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(file_name.to_string())
                .mime_str(mime)
                .map_err(|_| Error::internal("bad MIME type"))?;
            let form = reqwest::multipart::Form::new()
                .part("content", part)
                .text("filename", file_name.to_string())
                .text("type", mime.to_string());
            self.send_json(self.http.post(&url).header(AUTHORIZATION, self.auth()?).multipart(form)).await
        };
        let value =
            call.retry(self.retry).sleep(tokio::time::sleep).when(retry_read).adjust(honour_retry_after).await?;
        value
            .pointer("/urls/get")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| malformed("the uploaded file has no urls.get"))
    }

    /// Downloads one output (or decodes a data URI), reporting bytes received. The token goes
    /// only to the API's own files (under the base URL), never to a delivery host, even if it
    /// answers 401: a file host that wants credentials is an error naming it.
    pub async fn download(&self, url: &str, progress: &(dyn Fn(u64, Option<u64>) + Sync)) -> Result<Vec<u8>> {
        if url.starts_with("data:") {
            return decode_data_uri(url);
        }
        let url = fetchable(self.service, "an output URL", url)?;
        let call = || async { self.fetch(&url, progress).await };
        call.retry(self.retry).sleep(tokio::time::sleep).when(retry_read).adjust(honour_retry_after).await
    }

    /// A URL under our base URL, on its origin: the API's own file, which takes the token.
    fn is_ours(&self, url: &url::Url) -> bool {
        let Ok(base) = url::Url::parse(&self.base) else { return false };
        let prefix = base.path().trim_end_matches('/');
        let under = |path: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        url.origin() == base.origin() && under(url.path())
    }

    async fn fetch(&self, url: &url::Url, progress: &(dyn Fn(u64, Option<u64>) + Sync)) -> Result<Vec<u8>> {
        use futures_util::StreamExt;
        let ours = self.is_ours(url);
        let mut request = self.http.get(url.clone()).timeout(self.download_timeout);
        if ours {
            request = request.header(AUTHORIZATION, self.auth()?);
        }
        let response = request.send().await.map_err(|e| transport(self.service, e))?;
        if response.status() == StatusCode::UNAUTHORIZED && !ours {
            return Err(Error::Upstream {
                service: host_of(url),
                status: 401,
                detail: format!(
                    "the file host asked for credentials; the {} token is only sent to {}",
                    self.service,
                    url::Url::parse(&self.base).map(|b| host_of(&b)).unwrap_or_default()
                ),
            });
        }
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let body = answer_body(self.service, response, MAX_ANSWER_BYTES).await.unwrap_or_default();
            return Err(answer_error(self.service, status, &headers, &body));
        }
        let expected = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if expected.is_some_and(|n| n > MAX_DOWNLOAD) {
            return Err(malformed("an output file larger than 200 MB"));
        }
        let mut bytes = Vec::with_capacity(expected.unwrap_or(1 << 20).min(MAX_DOWNLOAD) as usize);
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| transport(self.service, e))?;
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > MAX_DOWNLOAD {
                return Err(malformed("an output file larger than 200 MB"));
            }
            progress(bytes.len() as u64, expected);
        }
        if let Some(n) = expected.filter(|n| *n != bytes.len() as u64) {
            return Err(Error::Network {
                service: self.service.into(),
                detail: format!("the download ended early ({} of {n} bytes)", bytes.len()),
            });
        }
        Ok(bytes)
    }

    async fn send_json(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let response = request.send().await.map_err(|e| transport(self.service, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = answer_body(self.service, response, MAX_ANSWER_BYTES).await?;
        json_answer(self.service, status, &headers, &body)
    }
}

/// An answer's body as JSON, or the app's error for an error status (the fuzz targets call this).
pub(crate) fn json_answer(service: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<Value> {
    if !status.is_success() {
        return Err(answer_error(service, status, headers, body));
    }
    serde_json::from_slice(body).map_err(|_| malformed("the answer is not JSON"))
}

pub(crate) fn parse_prediction(value: Value) -> Result<Prediction> {
    serde_json::from_value(value).map_err(|_| malformed("the prediction is not in the documented shape"))
}

pub(crate) fn path_segment(id: &str) -> Result<&str> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        Ok(id)
    } else {
        Err(malformed("a prediction id with unexpected characters"))
    }
}

pub(crate) fn same_origin(url: &str, base: &str) -> bool {
    match (url::Url::parse(url), url::Url::parse(base)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_next_links_stay_on_our_host() {
        assert!(path_segment("../x").is_err());
        assert!(same_origin("http://127.0.0.1:9/v1/predictions?cursor=a", "http://127.0.0.1:9/v1"));
        assert!(!same_origin("https://evil.example/v1", "http://127.0.0.1:9/v1"));
    }
}
