//! Account mode's sign-in (docs/platform-api.md §1): PKCE with a loopback redirect through the
//! platform's broker, a keychain-held session, refresh, sign-out. The app holds no provider
//! secrets; the window only ever learns the profile, never a token.

pub mod broker;
pub(crate) mod loopback;
pub(crate) mod platform;
pub(crate) mod profile;
pub mod session;

use std::time::Duration;

use oauth2::{CsrfToken, PkceCodeChallenge};
use tokio_util::sync::CancellationToken;

pub use broker::IdentityProvider;
pub(crate) use platform::Call;
pub use profile::{AccountStatus, GenerationMode, Profile};
pub use session::{AccountState, ParkedSession};

use crate::error::{Error, Result};
use crate::secrets::Sensitive;
use crate::Core;
use broker::Broker;
use session::{now_s, Session};

/// How long the browser has to come back; the broker's flow state lives 300 s anyway.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

impl Core {
    fn broker(&self) -> Result<Broker> {
        let config = self.config();
        match (&config.platform_url.value, &config.platform_anon_key.value) {
            (Some(url), Some(key)) => Broker::new(url, key),
            _ => Err(session::unavailable()),
        }
    }

    /// Signs in with Google or GitHub: `open` is handed the authorize URL (the shell opens the
    /// system browser; the CLI prints it), then this waits for the one redirect, exchanges the
    /// code and fetches the profile. `cancel_sign_in` stops it.
    pub async fn sign_in(
        &self,
        provider: IdentityProvider,
        open: impl FnOnce(&str) -> Result<()>,
    ) -> Result<AccountStatus> {
        self.sign_in_within(provider, SIGN_IN_TIMEOUT, open).await
    }

    pub async fn sign_in_within(
        &self,
        provider: IdentityProvider,
        timeout: Duration,
        open: impl FnOnce(&str) -> Result<()>,
    ) -> Result<AccountStatus> {
        let broker = self.broker()?;
        self.retry_parked_session().await;
        if !self.age_confirmed().await? {
            return Err(Error::invalid(
                "age_confirmed",
                format!("confirm that you are {} or older before signing in", crate::privacy::platform::MINIMUM_AGE),
            ));
        }
        crate::secrets::ready().await?;
        let listener = loopback::Loopback::bind().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random();
        let url = broker.authorize_url(provider, &listener.redirect_uri(state.secret()), challenge.as_str())?;
        let cancel = CancellationToken::new();
        if let Some(previous) = self.account.sign_in.lock().map_err(|_| poisoned())?.replace(cancel.clone()) {
            previous.cancel();
        }
        tracing::info!(provider = provider.as_str(), "sign-in started");
        let outcome = async {
            open(&url)?;
            let code = listener.wait(state.secret(), timeout, &cancel).await?;
            let answer = broker.exchange(&code, verifier.secret()).await?;
            let session = Session::from_answer(answer, now_s());
            let profile = match profile::fetch(self, &session.access()).await {
                Ok(profile) => profile,
                Err(e) => {
                    // The exchange made a server session we will not keep: end it, not leave it live.
                    let _ = broker.logout(&session.access()).await;
                    return Err(e);
                }
            };
            let mut slot = self.account.slot().await?;
            if let Err(e) = session::store(&mut slot, session.clone()).await {
                // Never fall back to a file: end the server session we cannot keep.
                let _ = broker.logout(&session.access()).await;
                return Err(e);
            }
            drop(slot);
            profile::save(self, Some(&profile)).await
        }
        .await;
        self.account.sign_in.lock().map_err(|_| poisoned())?.take();
        match &outcome {
            Ok(()) => tracing::info!(provider = provider.as_str(), "signed in"),
            Err(e) => tracing::warn!(kind = kind(e), "sign-in did not finish"),
        }
        outcome?;
        let _ = self.refresh_balance().await;
        if let Err(e) = self.sync_consents().await {
            tracing::warn!(error = %e, "consents not synced at sign-in");
        }
        self.account_status().await
    }

    /// Stops the sign-in in progress; true if there was one.
    pub fn cancel_sign_in(&self) -> bool {
        match self.account.sign_in.lock().ok().and_then(|mut p| p.take()) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Ends the session on the platform and deletes the tokens from the keychain and the cached
    /// profile and balance from the database. Offline (or with the platform down) it still signs
    /// out here, and parks the session so it is ended on the platform later (`end_parked_session`).
    pub async fn sign_out(&self) -> Result<AccountStatus> {
        let signed_in = self.account.slot().await?.current().cloned();
        if let (Some(before), Ok(broker)) = (signed_in, self.broker()) {
            // An expired access token would be refused as "already signed out" while its session
            // (and refresh token) lives on: refresh first, so the logout ends it.
            let ended = async { broker.logout(&self.access_token().await?).await }.await;
            if let Err(e) = ended {
                tracing::warn!(kind = kind(&e), "logout did not reach the platform; signing out here anyway");
                if unreachable(&e) {
                    // The pair as it is now: a refresh above may have spent the earlier one.
                    let latest = self.account.slot().await?.current().cloned().unwrap_or(before);
                    if let Err(e) = session::park(&latest).await {
                        tracing::warn!(kind = kind(&e), "the session could not be kept to end it later");
                    }
                }
            }
        }
        self.forget_session().await?;
        tracing::info!("signed out");
        self.account_status().await
    }

    /// `end_parked_session`, best effort and only where account mode is set up: a failure is
    /// logged and the session stays parked for the next try (start-up, sign-in, `account status`).
    pub async fn retry_parked_session(&self) {
        if self.broker().is_err() {
            return;
        }
        if let Err(e) = self.end_parked_session().await {
            tracing::warn!(kind = kind(&e), "a session signed out offline could not be ended yet");
        }
    }

    /// Ends, on the platform, a session signed out here while it could not be reached; an error
    /// (still unreachable) keeps it for the next try. Runs at start-up and before a sign-in.
    pub async fn end_parked_session(&self) -> Result<ParkedSession> {
        let Some(parked) = session::parked().await? else { return Ok(ParkedSession::None) };
        let broker = self.broker()?;
        let token = if parked.needs_refresh(now_s()) {
            match broker.refresh(&parked.refresh()).await {
                Ok(answer) => {
                    let fresh = Session::from_answer(answer, now_s());
                    // The old refresh token is spent: keep the new pair in case the logout fails.
                    session::park(&fresh).await?;
                    fresh.access()
                }
                // Already ended (revoked, or expired on the platform): nothing left to do.
                Err(Error::AuthRequired) => return session::unpark().await.map(|()| ParkedSession::AlreadyEnded),
                Err(e) => return Err(e),
            }
        } else {
            parked.access()
        };
        broker.logout(&token).await?;
        session::unpark().await?;
        tracing::info!("a session signed out while offline was ended on the platform");
        Ok(ParkedSession::Ended)
    }

    /// Forgets the session locally: keychain, memory, cached profile and balance.
    pub(crate) async fn forget_session(&self) -> Result<()> {
        let mut slot = self.account.slot().await?;
        session::clear(&mut slot).await?;
        drop(slot);
        profile::save(self, None).await?;
        crate::credits::forget_balance(self).await
    }

    pub async fn signed_in(&self) -> Result<bool> {
        Ok(self.account.slot().await?.current().is_some())
    }

    /// A usable access token, refreshed first when it is about to expire.
    pub(crate) async fn access_token(&self) -> Result<Sensitive<String>> {
        let mut slot = self.account.slot().await?;
        let Some(current) = slot.current().cloned() else { return Err(Error::AuthRequired) };
        if !current.needs_refresh(now_s()) {
            return Ok(current.access());
        }
        self.refresh_locked(&mut slot, &current).await
    }

    /// After a 401 with `rejected`: refresh, unless another caller already did.
    pub(crate) async fn refresh_after_rejection(&self, rejected: &Sensitive<String>) -> Result<Sensitive<String>> {
        let mut slot = self.account.slot().await?;
        let Some(current) = slot.current().cloned() else { return Err(Error::AuthRequired) };
        if current.access_token != *rejected.expose() {
            return Ok(current.access());
        }
        self.refresh_locked(&mut slot, &current).await
    }

    async fn refresh_locked(&self, slot: &mut session::Slot, current: &Session) -> Result<Sensitive<String>> {
        let broker = self.broker()?;
        // Another process on this keychain entry (the window, a CLI) may have rotated the pair:
        // this refresh token is then spent, and presenting it after the platform's reuse
        // interval would end the session everywhere. Take up the stored pair instead.
        session::reload(slot).await?;
        let Some(stored) = slot.current().cloned() else { return Err(Error::AuthRequired) };
        if stored.refresh_token != current.refresh_token && !stored.needs_refresh(now_s()) {
            return Ok(stored.access());
        }
        let current = &stored;
        match broker.refresh(&current.refresh()).await {
            Ok(answer) => {
                let fresh = Session::from_answer(answer, now_s());
                session::store(slot, fresh.clone()).await?;
                tracing::info!("session refreshed");
                Ok(fresh.access())
            }
            Err(Error::AuthRequired) => {
                tracing::warn!("the session could not be refreshed; signing out");
                session::clear(slot).await?;
                profile::save(self, None).await?;
                crate::credits::forget_balance(self).await?;
                Err(Error::AuthRequired)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether account mode is configured, who is signed in, the balance and the active mode.
    pub async fn account_status(&self) -> Result<AccountStatus> {
        profile::status(self).await
    }

    pub async fn set_generation_mode(&self, mode: GenerationMode) -> Result<AccountStatus> {
        profile::set_mode(self, mode).await?;
        self.account_status().await
    }
}

/// Failures that say nothing about the session (it may well be alive): worth trying again later.
fn unreachable(e: &Error) -> bool {
    match e {
        Error::Offline { .. } | Error::Network { .. } | Error::RateLimited { .. } => true,
        Error::Upstream { status, .. } => *status >= 500,
        _ => false,
    }
}

fn poisoned() -> Error {
    Error::internal("account state poisoned")
}

/// A log-safe name for an error (messages may quote what the broker said).
fn kind(e: &Error) -> &'static str {
    match e {
        Error::Canceled { .. } => "canceled",
        Error::InvalidInput { .. } => "invalid",
        Error::Offline { .. } | Error::Network { .. } => "network",
        Error::KeychainUnavailable { .. } => "keychain",
        Error::AuthRequired => "auth_required",
        _ => "other",
    }
}
