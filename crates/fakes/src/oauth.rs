//! What the Google and GitHub fakes share: the client they accept, their knobs, and the
//! authorization-code grant (RFC 6749 §4.1 with PKCE, RFC 7636): codes single-use, bound to the
//! client, the redirect URI, the PKCE challenge and the identity signed in at authorize time.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The OAuth client the provider knows: the platform's `GOOGLE_CLIENT_ID`/`_SECRET` or
/// `GITHUB_CLIENT_ID`/`_SECRET`.
#[derive(Clone, Debug)]
pub struct IdpConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs; empty accepts any http(s) URI. A loopback `http://127.0.0.1/...`
    /// entry matches any port, as both providers allow for native clients (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
}

impl IdpConfig {
    pub fn new(client_id: &str, client_secret: &str) -> IdpConfig {
        IdpConfig { client_id: client_id.into(), client_secret: client_secret.into(), redirect_uris: Vec::new() }
    }

    pub(crate) fn redirect_allowed(&self, uri: &str) -> bool {
        let Ok(url) = url::Url::parse(uri) else { return false };
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        if self.redirect_uris.is_empty() {
            return true;
        }
        let strip_port = |mut u: url::Url| {
            let loopback = matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
            if loopback && u.scheme() == "http" {
                let _ = u.set_port(None);
            }
            u.to_string()
        };
        let wanted = strip_port(url);
        self.redirect_uris.iter().filter_map(|r| url::Url::parse(r).ok()).any(|r| strip_port(r) == wanted)
    }
}

/// Faults, set with `POST /_fake/knobs` (the whole object; missing fields take their defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdpKnobs {
    /// Authorize answers `error=access_denied`, as when the user clicks Cancel on the consent screen.
    pub deny: bool,
    /// The signed-in identity's e-mail is reported unverified (Google `email_verified: false`;
    /// GitHub's primary address `verified: false`), whatever the user says.
    pub email_unverified: bool,
    /// The next N token calls answer 503.
    pub token_server_errors: u32,
}

/// One issued authorization code.
#[derive(Clone)]
pub(crate) struct Grant<U> {
    pub redirect_uri: Option<String>,
    pub challenge: Option<String>,
    pub scope: String,
    pub user: U,
    pub expires_at: DateTime<Utc>,
}

/// Why a code exchange failed; each provider words these its own way.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GrantError {
    /// Unknown, spent or expired code.
    BadCode,
    RedirectMismatch,
    /// A challenge was sent at authorize and the verifier is missing or does not match.
    BadVerifier,
}

/// Codes live 10 minutes at both providers (Google OAuth docs; GitHub "authorizing OAuth apps").
const CODE_TTL_MIN: i64 = 10;

pub(crate) struct Grants<U> {
    codes: HashMap<String, Grant<U>>,
    /// Access token → (user, scope).
    pub tokens: HashMap<String, (U, String)>,
}

impl<U: Clone> Default for Grants<U> {
    fn default() -> Self {
        Grants { codes: HashMap::new(), tokens: HashMap::new() }
    }
}

impl<U: Clone> Grants<U> {
    pub fn issue(&mut self, redirect_uri: Option<String>, challenge: Option<String>, scope: &str, user: U) -> String {
        let code = crate::replicate::ids::token(20);
        let expires_at = Utc::now() + Duration::minutes(CODE_TTL_MIN);
        self.codes.insert(code.clone(), Grant { redirect_uri, challenge, scope: scope.into(), user, expires_at });
        code
    }

    /// Spends the code (even when the exchange then fails, as the providers do, so a code is never
    /// tried twice) and checks what it was bound to.
    pub fn redeem(
        &mut self,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Grant<U>, GrantError> {
        let grant = self.codes.remove(code).filter(|g| g.expires_at > Utc::now()).ok_or(GrantError::BadCode)?;
        // A redirect_uri sent at token time must be the one authorize saw (Google requires it at
        // both; GitHub treats it as optional at token time).
        if redirect_uri.is_some() && grant.redirect_uri.as_deref() != redirect_uri {
            return Err(GrantError::RedirectMismatch);
        }
        if let Some(challenge) = &grant.challenge {
            let ok = verifier.is_some_and(|v| valid_verifier(v) && s256(v) == *challenge);
            if !ok {
                return Err(GrantError::BadVerifier);
            }
        }
        Ok(grant)
    }

    pub fn token_for(&mut self, prefix: &str, user: U, scope: &str) -> String {
        let token = format!("{prefix}{}", crate::replicate::ids::token(36));
        self.tokens.insert(token.clone(), (user, scope.into()));
        token
    }
}

/// Consumes one unit of a countdown knob; true when it fired.
pub(crate) fn take(counter: &mut u32) -> bool {
    let fired = *counter > 0;
    *counter = counter.saturating_sub(1);
    fired
}

/// `BASE64URL-nopad(SHA256(verifier))`, the S256 challenge.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// The bearer token of an `Authorization` header (`Bearer x`; GitHub also takes `token x`).
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).or_else(|| value.strip_prefix("token "))
}

/// 302 Found to `uri`, the status both providers redirect with.
pub(crate) fn found(uri: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::FOUND, [(axum::http::header::LOCATION, uri.to_string())]).into_response()
}

/// `uri` with `params` appended to its query.
pub(crate) fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(uri).expect("checked before");
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn loopback_redirects_match_any_port() {
        let mut c = IdpConfig::new("id", "secret");
        c.redirect_uris = vec!["http://127.0.0.1/auth/v1/callback".into()];
        assert!(c.redirect_allowed("http://127.0.0.1:5555/auth/v1/callback"));
        assert!(!c.redirect_allowed("http://127.0.0.1:5555/other"));
        assert!(!c.redirect_allowed("http://evil.example/auth/v1/callback"));
    }
}
