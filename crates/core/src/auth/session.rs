//! The signed-in session: the access/refresh pair, kept only in the OS keychain and in memory.
//!
//! Both tokens live in ONE keychain entry, so storing a rotated pair is a single write: a crash
//! between two writes could otherwise leave a spent refresh token next to a new access token.
//! Refreshes happen under one lock, so two callers never spend the same single-use token.

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;

use crate::auth::broker::TokenAnswer;
use crate::error::{Error, Result};
use crate::secrets::{blocking, KeychainEntry, Sensitive};

const KEYCHAIN_NAME: &str = "platform-session";
/// A session signed out here whose logout could not reach the platform (`park`).
const PARKED_NAME: &str = "platform-session-ending";
/// Refresh this long before the access token runs out, so a request never leaves with a dying one.
pub const REFRESH_MARGIN_S: i64 = 60;

#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Session {
    pub fn from_answer(answer: TokenAnswer, now_s: i64) -> Session {
        Session {
            // Saturating: absurd numbers in a broker's answer must not overflow.
            expires_at: answer.expires_at.unwrap_or(now_s.saturating_add(answer.expires_in.max(0))),
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
        }
    }

    pub fn access(&self) -> Sensitive<String> {
        Sensitive::new(self.access_token.clone())
    }

    pub fn refresh(&self) -> Sensitive<String> {
        Sensitive::new(self.refresh_token.clone())
    }

    pub fn needs_refresh(&self, now_s: i64) -> bool {
        self.expires_at.saturating_sub(now_s) <= REFRESH_MARGIN_S
    }
}

#[derive(Default)]
pub struct Slot {
    loaded: bool,
    session: Option<Sensitive<Session>>,
}

impl Slot {
    pub fn current(&self) -> Option<&Session> {
        self.session.as_ref().map(|s| s.expose())
    }
}

/// What the core holds for account mode.
#[derive(Default)]
pub struct AccountState {
    slot: Mutex<Slot>,
    /// Cancels the sign-in in progress, if any.
    pub(crate) sign_in: std::sync::Mutex<Option<CancellationToken>>,
    /// Cancels the checkout being waited for, if any.
    pub(crate) checkout: std::sync::Mutex<Option<CancellationToken>>,
}

impl AccountState {
    /// The slot, read from the keychain on first use.
    pub async fn slot(&self) -> Result<MutexGuard<'_, Slot>> {
        let mut slot = self.slot.lock().await;
        if !slot.loaded {
            reload(&mut slot).await?;
        }
        Ok(slot)
    }
}

/// Reads the pair from the keychain again. The window and the CLI share the entry: either may
/// have stored a rotated pair since this process read it.
/// A keychain that cannot be reached (#24) changes nothing already in memory; before the first
/// read it means signed out, and the keychain is asked again next time.
pub async fn reload(slot: &mut Slot) -> Result<()> {
    let raw = blocking(|| Ok(KeychainEntry::new(KEYCHAIN_NAME).read())).await?;
    if crate::secrets::unreachable_reason().is_some() {
        return Ok(());
    }
    slot.session = match raw {
        None => None,
        Some(raw) => match serde_json::from_str::<Session>(raw.expose()) {
            Ok(s) => Some(Sensitive::new(s)),
            Err(_) => {
                tracing::warn!("the stored session was unreadable; signing out");
                blocking(|| KeychainEntry::new(KEYCHAIN_NAME).delete()).await?;
                None
            }
        },
    };
    slot.loaded = true;
    Ok(())
}

/// Stores the pair in the keychain first, then in memory: if the keychain refuses, nothing changes.
pub async fn store(slot: &mut Slot, session: Session) -> Result<()> {
    let json = serde_json::to_string(&session).map_err(|_| Error::internal("could not encode the session"))?;
    let value = Sensitive::new(json);
    blocking(move || KeychainEntry::new(KEYCHAIN_NAME).set(&value)).await?;
    slot.session = Some(Sensitive::new(session));
    slot.loaded = true;
    Ok(())
}

/// Forgets the session here (memory and keychain).
pub async fn clear(slot: &mut Slot) -> Result<()> {
    slot.session = None;
    slot.loaded = true;
    blocking(|| KeychainEntry::new(KEYCHAIN_NAME).delete()).await
}

/// What `Core::end_parked_session` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkedSession {
    /// No sign-out was waiting to reach the platform.
    None,
    /// The platform was told: the session is over there too.
    Ended,
    /// The platform had already ended it (revoked or expired); it was only forgotten here.
    AlreadyEnded,
}

/// Keeps a session signed out here, but still alive on the platform, until it can be ended there
/// (`Core::end_parked_session`). Keychain only, like the live one; nothing uses it for anything else.
pub async fn park(session: &Session) -> Result<()> {
    let json = serde_json::to_string(session).map_err(|_| Error::internal("could not encode the session"))?;
    let value = Sensitive::new(json);
    blocking(move || KeychainEntry::new(PARKED_NAME).set(&value)).await
}

/// The parked session, if any (an unreadable one is dropped: it could not be used to end anything).
pub async fn parked() -> Result<Option<Session>> {
    let raw = blocking(|| Ok(KeychainEntry::new(PARKED_NAME).read())).await?;
    match raw.map(|raw| serde_json::from_str::<Session>(raw.expose())) {
        None => Ok(None),
        Some(Ok(session)) => Ok(Some(session)),
        Some(Err(_)) => {
            unpark().await?;
            Ok(None)
        }
    }
}

pub async fn unpark() -> Result<()> {
    blocking(|| KeychainEntry::new(PARKED_NAME).delete()).await
}

pub fn now_s() -> i64 {
    crate::clock::now_ms() / 1000
}

pub fn unavailable() -> Error {
    Error::invalid(
        "platform_url",
        "account mode is not set up in this build (no platform_url / platform_anon_key); your own Replicate key works fully",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(expires_in: i64, expires_at: Option<i64>) -> TokenAnswer {
        TokenAnswer { access_token: "a".into(), expires_in, expires_at, refresh_token: "r".into() }
    }

    #[test]
    fn absurd_expiry_times_from_the_broker_neither_overflow_nor_wrap() {
        // Both panicked with "attempt to add/subtract with overflow" (and wrapped in release builds).
        let now = 1_795_000_000;
        let far = Session::from_answer(answer(i64::MAX, None), now);
        assert_eq!(far.expires_at, i64::MAX);
        assert!(!far.needs_refresh(now));
        let long_gone = Session::from_answer(answer(3600, Some(i64::MIN)), now);
        assert!(long_gone.needs_refresh(now));
        let normal = Session::from_answer(answer(3600, None), now);
        assert_eq!(normal.expires_at, now + 3600);
        assert!(!normal.needs_refresh(now));
        assert!(normal.needs_refresh(now + 3600 - REFRESH_MARGIN_S));
    }
}
