//! `GET /auth/v1/authorize` and the PKCE half of `/token` (docs/wire-facts.md §Sign-in broker): a flow state is
//! stored at authorize and consumed, once, by a token request that proves the verifier.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::tokens::gotrue_error;
use super::{ids, now, users, PlatformFake, Store};

pub(super) struct Flow {
    pub code: String,
    pub challenge: String,
    pub provider: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
pub(super) struct AuthorizeQuery {
    provider: Option<String>,
    redirect_to: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

pub(super) async fn authorize(State(fake): State<PlatformFake>, Query(q): Query<AuthorizeQuery>) -> Response {
    let provider = q.provider.unwrap_or_default();
    if !users::is_provider(&provider) {
        return invalid("Unsupported provider: provider is not enabled");
    }
    let Some(mut redirect) = q.redirect_to.as_deref().and_then(allowed_redirect) else {
        return invalid("redirect_to must be an http://127.0.0.1:<port>/ or http://localhost:<port>/ URL");
    };
    let challenge = q.code_challenge.unwrap_or_default();
    if challenge.len() != 43 || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return invalid("code_challenge must be 43 characters of base64url (S256 of the verifier)");
    }
    if !q.code_challenge_method.is_some_and(|m| m.eq_ignore_ascii_case("s256")) {
        return invalid("code_challenge_method must be s256");
    }

    let mut state = fake.state();
    if let Some(error) = state.knobs.authorize_error.clone() {
        redirect
            .query_pairs_mut()
            .append_pair("error", &error)
            .append_pair("error_description", "The sign-in was not completed: the provider refused it.")
            .append_pair("error_code", &error);
    } else {
        // GoTrue's auth codes are UUIDs; the fake's only need to be unguessable within a run.
        let code = format!("{}-{}", ids::token(16), ids::token(16));
        redirect.query_pairs_mut().append_pair("code", &code);
        state.flows.push(Flow { code, challenge, provider, created_at: now() });
    }
    (StatusCode::FOUND, [(header::LOCATION, redirect.to_string())]).into_response()
}

/// The loopback allow-list (RFC 8252): `http`, 127.0.0.1 or localhost, an explicit port.
fn allowed_redirect(raw: &str) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
    (url.scheme() == "http" && loopback && url.port().is_some()).then_some(url)
}

fn invalid(msg: &str) -> Response {
    gotrue_error(StatusCode::BAD_REQUEST, "validation_failed", msg)
}

#[derive(Deserialize)]
pub(super) struct PkceBody {
    #[serde(default)]
    auth_code: String,
    #[serde(default)]
    code_verifier: String,
}

/// Checks and consumes a flow; the signed-in user's id.
#[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
pub(super) fn exchange(state: &mut Store, body: PkceBody) -> Result<String, Response> {
    let Some(at) = state.flows.iter().position(|f| f.code == body.auth_code) else {
        return Err(gotrue_error(
            StatusCode::NOT_FOUND,
            "flow_state_not_found",
            "invalid flow state, no valid flow state found",
        ));
    };
    let ttl = Duration::seconds(state.knobs.flow_ttl_s as i64);
    if now() - state.flows[at].created_at > ttl {
        return Err(gotrue_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "flow_state_expired",
            "invalid flow state, flow state has expired",
        ));
    }
    let verifier = body.code_verifier;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed || URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != state.flows[at].challenge {
        return Err(gotrue_error(
            StatusCode::BAD_REQUEST,
            "bad_code_verifier",
            "code challenge does not match previously saved code verifier",
        ));
    }
    let flow = state.flows.remove(at);
    state
        .sign_in(&flow.provider)
        .ok_or_else(|| gotrue_error(StatusCode::BAD_REQUEST, "validation_failed", "unknown provider"))
}

impl PlatformFake {
    /// Every pending PKCE flow is now older than `flow_ttl_s`.
    pub fn expire_flows(&self) {
        let mut state = self.state();
        let past = now() - Duration::seconds(state.knobs.flow_ttl_s as i64 + 1);
        for flow in &mut state.flows {
            flow.created_at = past;
        }
    }
}
