//! The sign-in broker (`{platform}/auth/v1`, GoTrue-compatible; docs/platform-api.md §1): the authorize
//! URL, the PKCE code exchange, refresh and logout.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::remote::{answer_body, honour_retry_after, transport, MAX_ANSWER_BYTES};
use crate::secrets::Sensitive;

const SERVICE: &str = "the Flux Krea sign-in service";

/// The identity providers the broker offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum IdentityProvider {
    Google,
    Github,
}

impl IdentityProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityProvider::Google => "google",
            IdentityProvider::Github => "github",
        }
    }

    pub fn parse(name: &str) -> Result<IdentityProvider> {
        match name.trim().to_ascii_lowercase().as_str() {
            "google" => Ok(IdentityProvider::Google),
            "github" => Ok(IdentityProvider::Github),
            other => Err(Error::invalid("provider", format!("{other:?} is not offered; use google or github"))),
        }
    }
}

/// A token answer: the pair and who it belongs to.
#[derive(Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub expires_in: i64,
    #[serde(default)]
    pub expires_at: Option<i64>,
    pub refresh_token: String,
}

pub struct Broker {
    base: String,
    anon_key: String,
    http: reqwest::Client,
    retry: ExponentialBuilder,
}

impl Broker {
    pub fn new(platform_url: &str, anon_key: &str) -> Result<Broker> {
        let http = crate::http::client(Duration::from_secs(30), crate::http::Redirects::Never)?;
        let retry = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(4))
            .with_max_times(3)
            .with_jitter();
        Ok(Broker {
            base: format!("{}/auth/v1", platform_url.trim_end_matches('/')),
            anon_key: anon_key.into(),
            http,
            retry,
        })
    }

    pub fn authorize_url(&self, provider: IdentityProvider, redirect_to: &str, challenge: &str) -> Result<String> {
        let mut url = url::Url::parse(&format!("{}/authorize", self.base))
            .map_err(|_| Error::invalid("platform_url", "is not a valid URL"))?;
        url.query_pairs_mut()
            .append_pair("provider", provider.as_str())
            .append_pair("redirect_to", redirect_to)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "s256");
        Ok(url.into())
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Result<TokenAnswer> {
        self.token("pkce", json!({ "auth_code": code, "code_verifier": verifier })).await
    }

    /// Refresh tokens are single-use: the caller must store the new pair before using it.
    pub async fn refresh(&self, refresh_token: &Sensitive<String>) -> Result<TokenAnswer> {
        self.token("refresh_token", json!({ "refresh_token": refresh_token.expose() })).await
    }

    pub async fn logout(&self, access_token: &Sensitive<String>) -> Result<()> {
        let response = self
            .http
            .post(format!("{}/logout", self.base))
            .header("apikey", &self.anon_key)
            .bearer_auth(access_token.expose())
            .send()
            .await
            .map_err(|e| transport(SERVICE, e))?;
        match response.status() {
            // Already signed out on the server counts as signed out.
            s if s.is_success() || s == StatusCode::UNAUTHORIZED || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(Error::Upstream { service: SERVICE.into(), status: s.as_u16(), detail: "logout failed".into() }),
        }
    }

    async fn token(&self, grant: &str, body: Value) -> Result<TokenAnswer> {
        let url = format!("{}/token?grant_type={grant}", self.base);
        // Only answers that prove the server did nothing are retried: a refresh token is
        // single-use, so a lost answer after it was spent cannot be replayed.
        let call = || async {
            let response = self
                .http
                .post(&url)
                .header("apikey", &self.anon_key)
                .json(&body)
                .send()
                .await
                .map_err(|e| transport(SERVICE, e))?;
            let status = response.status();
            let bytes = answer_body(SERVICE, response, MAX_ANSWER_BYTES).await?;
            token_answer(status, &bytes)
        };
        let retry = |e: &Error| match e {
            Error::RateLimited { .. } | Error::Offline { .. } => true,
            Error::Upstream { status, .. } => *status == 503,
            _ => false,
        };
        call.retry(self.retry).sleep(tokio::time::sleep).when(retry).adjust(honour_retry_after).await
    }
}

/// The token pair, or why not (the fuzz targets call this).
pub(crate) fn token_answer(status: StatusCode, bytes: &[u8]) -> Result<TokenAnswer> {
    if status.is_success() {
        return serde_json::from_slice::<TokenAnswer>(bytes).map_err(|_| Error::Upstream {
            service: SERVICE.into(),
            status: status.as_u16(),
            detail: "the token answer is not in the documented shape".into(),
        });
    }
    Err(token_error(status, bytes))
}

/// GoTrue answers `{code, error_code, msg}` or `{error, error_description}`.
fn token_error(status: StatusCode, body: &[u8]) -> Error {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |k: &str| json.get(k).and_then(Value::as_str).unwrap_or("");
    let code = [text("error_code"), text("error")].into_iter().find(|c| !c.is_empty()).unwrap_or("");
    let again = |reason: &str| Error::invalid("sign_in", format!("{reason}; start the sign-in again"));
    match (status.as_u16(), code) {
        (422, "flow_state_expired") => again("the sign-in took too long and expired"),
        (404, "flow_state_not_found") => again("this sign-in was already used or is unknown to the broker"),
        (400, "bad_code_verifier") => again("the broker could not verify this app's sign-in (PKCE)"),
        (400, "invalid_grant" | "refresh_token_already_used" | "refresh_token_not_found" | "session_not_found") => {
            Error::AuthRequired
        }
        (401, _) if text("message").to_ascii_lowercase().contains("api key") => {
            Error::invalid("platform_anon_key", "the sign-in service did not accept this app's API key")
        }
        (429, _) => Error::RateLimited { retry_after_s: 2 },
        (s, _) => {
            let detail = [text("msg"), text("error_description"), text("message")]
                .into_iter()
                .find(|t| !t.is_empty())
                .unwrap_or("the request failed");
            Error::Upstream { service: SERVICE.into(), status: s, detail: detail.chars().take(200).collect() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_become_clear_messages() {
        let e = token_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            br#"{"code":422,"error_code":"flow_state_expired","msg":"x"}"#,
        );
        assert!(e.to_string().contains("expired"), "{e}");
        let e = token_error(StatusCode::BAD_REQUEST, br#"{"code":400,"error_code":"bad_code_verifier","msg":"x"}"#);
        assert!(e.to_string().contains("PKCE"), "{e}");
        let e = token_error(StatusCode::NOT_FOUND, br#"{"code":404,"error_code":"flow_state_not_found","msg":"x"}"#);
        assert!(e.to_string().contains("already used"), "{e}");
        let e =
            token_error(StatusCode::BAD_REQUEST, br#"{"error":"invalid_grant","error_description":"Already Used"}"#);
        assert_eq!(e, Error::AuthRequired);
    }

    #[test]
    fn authorize_url_carries_the_pkce_parameters() {
        let broker = Broker::new("http://127.0.0.1:9", "anon").unwrap();
        let url =
            broker.authorize_url(IdentityProvider::Github, "http://127.0.0.1:5000/callback?state=abc", "CHAL").unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(parsed.path(), "/auth/v1/authorize");
        assert_eq!(q["provider"], "github");
        assert_eq!(q["redirect_to"], "http://127.0.0.1:5000/callback?state=abc");
        assert_eq!(q["code_challenge"], "CHAL");
        assert_eq!(q["code_challenge_method"], "s256");
    }
}
