//! Calls to the platform API (`{platform}/api/v1`) with the session's bearer token: refreshed
//! before it expires, refreshed once more on a 401, and signed out cleanly when that fails too.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::remote::{answer_body, answer_error, honour_retry_after, retry_read, transport, MAX_ANSWER_BYTES};
use crate::secrets::Sensitive;
use crate::Core;

pub const SERVICE: &str = "Flux Krea";

/// One request, described so it can be sent again after a refresh.
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub body: Option<&'a Value>,
    pub idempotency_key: Option<&'a str>,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str) -> Self {
        Call { method: Method::GET, path, body: None, idempotency_key: None }
    }
}

pub fn http() -> Result<reqwest::Client> {
    crate::http::client(Duration::from_secs(30), crate::http::Redirects::Never)
}

/// `{platform}/api/v1`, or why account mode is off.
pub(super) fn api_base(core: &Core) -> Result<String> {
    let config = core.config();
    match (&config.platform_url.value, &config.platform_anon_key.value) {
        (Some(url), Some(_)) => Ok(format!("{url}/api/v1")),
        _ => Err(crate::auth::session::unavailable()),
    }
}

/// Sends `call` with the session, refreshing once on a 401; a second 401 signs out.
pub(super) async fn send_call<T: DeserializeOwned>(core: &Core, call: Call<'_>) -> Result<T> {
    let token = super::access_token(core).await?;
    match send_call_with(core, &token, &call).await {
        Err(Error::AuthRequired) => {
            let fresh = super::refresh_after_rejection(core, &token).await?;
            match send_call_with(core, &fresh, &call).await {
                Err(Error::AuthRequired) => {
                    tracing::warn!("the platform refused a fresh token; signing out");
                    super::forget_session(core).await?;
                    Err(Error::AuthRequired)
                }
                other => other,
            }
        }
        other => other,
    }
}

/// Sends `call` with this exact token (sign-in uses it before the session is stored).
pub(super) async fn send_call_with<T: DeserializeOwned>(
    core: &Core,
    token: &Sensitive<String>,
    call: &Call<'_>,
) -> Result<T> {
    let url = format!("{}{}", api_base(core)?, call.path);
    let http = http()?;
    let send = || async {
        let mut request = http.request(call.method.clone(), &url).bearer_auth(token.expose());
        if let Some(body) = call.body {
            request = request.json(body);
        }
        if let Some(key) = call.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.map_err(|e| transport(SERVICE, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = answer_body(SERVICE, response, MAX_ANSWER_BYTES).await?;
        read_answer(call.path, status, &headers, &bytes)
    };
    // Reads and idempotent writes may be repeated; others could take effect twice.
    let repeatable = call.method == Method::GET || call.idempotency_key.is_some();
    let retry = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(4))
        .with_max_times(3)
        .with_jitter();
    send.retry(retry)
        .sleep(tokio::time::sleep)
        .when(|e| if repeatable { retry_read(e) } else { matches!(e, Error::RateLimited { .. }) })
        .adjust(honour_retry_after)
        .await
}

/// A platform answer as `T`, or the app's error for an error status (the fuzz targets call this).
pub(crate) fn read_answer<T: DeserializeOwned>(
    path: &str,
    status: StatusCode,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<T> {
    if !status.is_success() {
        return Err(answer_error(SERVICE, status, headers, bytes));
    }
    let bytes = if bytes.is_empty() { &b"null"[..] } else { bytes };
    serde_json::from_slice::<T>(bytes).map_err(|_| Error::Upstream {
        service: SERVICE.into(),
        status: status.as_u16(),
        detail: format!("the answer to {path} is not in the documented shape"),
    })
}
