//! Sign-in sessions and the tokens issued for them. Refresh tokens are single-use (each refresh
//! rotates the pair); access tokens live until their expiry or their session's logout. A revoked
//! session's refresh tokens die, but its access tokens, being JWTs, last until they expire.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{ids, now, PlatformFake};

#[derive(Default)]
pub(super) struct Sessions {
    list: Vec<Session>,
    access: HashMap<String, Access>,
    /// Every refresh token ever issued; `used` once rotated away.
    refresh: HashMap<String, Refresh>,
    refreshes: usize,
    logouts: usize,
}

struct Session {
    id: String,
    user_id: String,
    logged_out: bool,
    revoked: bool,
}

struct Access {
    session: String,
    user_id: String,
    expires_at: DateTime<Utc>,
}

struct Refresh {
    session: String,
    used: bool,
}

impl Sessions {
    pub fn start(&mut self, user_id: &str) -> String {
        let id = ids::token(20);
        self.list.push(Session { id: id.clone(), user_id: user_id.into(), logged_out: false, revoked: false });
        id
    }

    pub fn user_of(&self, session: &str) -> Option<String> {
        self.list.iter().find(|s| s.id == session).map(|s| s.user_id.clone())
    }

    /// Records a freshly minted pair for the session.
    pub fn insert(&mut self, session: &str, access: String, expires_at: DateTime<Utc>, refresh: String) {
        let user_id = self.user_of(session).unwrap_or_default();
        self.access.insert(access, Access { session: session.into(), user_id, expires_at });
        self.refresh.insert(refresh, Refresh { session: session.into(), used: false });
    }

    /// Spends a refresh token; its session, which gets a new pair.
    #[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
    pub fn rotate(&mut self, token: &str) -> Result<String, Response> {
        let invalid = |why: &str| {
            let body =
                json!({ "error": "invalid_grant", "error_description": format!("Invalid Refresh Token: {why}") });
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        };
        let Some(refresh) = self.refresh.get_mut(token) else { return Err(invalid("Refresh Token Not Found")) };
        let live = self.list.iter().any(|s| s.id == refresh.session && !s.logged_out && !s.revoked);
        if !live {
            return Err(invalid("Refresh Token Not Found"));
        }
        if refresh.used {
            return Err(invalid("Already Used"));
        }
        refresh.used = true;
        self.refreshes += 1;
        Ok(refresh.session.clone())
    }

    /// The live access token in an `Authorization: Bearer` header: (session, user id).
    pub fn bearer(&self, headers: &HeaderMap) -> Option<(String, String)> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
        let access = self.access.get(token.trim())?;
        let live = self.list.iter().any(|s| s.id == access.session && !s.logged_out);
        (live && now() < access.expires_at).then(|| (access.session.clone(), access.user_id.clone()))
    }

    pub fn log_out(&mut self, session: &str) {
        if let Some(s) = self.list.iter_mut().find(|s| s.id == session) {
            s.logged_out = true;
        }
        self.logouts += 1;
    }
}

impl PlatformFake {
    /// Every issued access token is now expired; refresh tokens still work.
    pub fn expire_access_tokens(&self) {
        let past = now() - Duration::seconds(1);
        self.state().sessions.access.values_mut().for_each(|a| a.expires_at = past);
    }

    /// Every refresh token is now invalid (as a server-side "sign out everywhere"); access tokens,
    /// being JWTs, keep working until they expire.
    pub fn revoke_sessions(&self) {
        self.state().sessions.list.iter_mut().for_each(|s| s.revoked = true);
    }

    /// Successful refresh_token grants.
    pub fn refreshes(&self) -> usize {
        self.state().sessions.refreshes
    }

    pub fn logouts(&self) -> usize {
        self.state().sessions.logouts
    }

    /// Sessions neither logged out nor revoked.
    pub fn live_sessions(&self) -> usize {
        self.state().sessions.list.iter().filter(|s| !s.logged_out && !s.revoked).count()
    }
}
