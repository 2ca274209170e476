//! Account mode's sign-in (docs/platform-api.md §1): PKCE with a loopback redirect through the
//! platform's broker, a keychain-held session, refresh, sign-out. The app holds no provider
//! secrets; the window only ever learns the profile, never a token. The [`Core`] methods are in
//! `api.rs`; the work is here and in the other modules.

mod api;
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

/// The account mode's broker, or why account mode is off.
fn broker(core: &Core) -> Result<Broker> {
    let config = core.config();
    match (&config.platform_url.value, &config.platform_anon_key.value) {
        (Some(url), Some(key)) => Broker::new(url, key),
        _ => Err(session::unavailable()),
    }
}

/// The work of [`Core::sign_in_within`].
async fn sign_in(
    core: &Core,
    provider: IdentityProvider,
    timeout: Duration,
    open: impl FnOnce(&str) -> Result<()>,
) -> Result<AccountStatus> {
    let broker = broker(core)?;
    retry_parked_session(core).await;
    if !core.age_confirmed().await? {
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
    if let Some(previous) = core.account.sign_in.lock().map_err(|_| poisoned())?.replace(cancel.clone()) {
        previous.cancel();
    }
    tracing::info!(provider = provider.as_str(), "sign-in started");
    let outcome = async {
        open(&url)?;
        let code = listener.wait(state.secret(), timeout, &cancel).await?;
        let answer = broker.exchange(&code, verifier.secret()).await?;
        let session = Session::from_answer(answer, now_s());
        let profile = match profile::fetch(core, &session.access()).await {
            Ok(profile) => profile,
            Err(e) => {
                // The exchange made a server session we will not keep: end it, not leave it live.
                let _ = broker.logout(&session.access()).await;
                return Err(e);
            }
        };
        let mut slot = core.account.slot().await?;
        if let Err(e) = session::store(&mut slot, session.clone()).await {
            // Never fall back to a file: end the server session we cannot keep.
            let _ = broker.logout(&session.access()).await;
            return Err(e);
        }
        drop(slot);
        profile::save(core, Some(&profile)).await
    }
    .await;
    core.account.sign_in.lock().map_err(|_| poisoned())?.take();
    match &outcome {
        Ok(()) => tracing::info!(provider = provider.as_str(), "signed in"),
        Err(e) => tracing::warn!(kind = kind(e), "sign-in did not finish"),
    }
    outcome?;
    let _ = core.refresh_balance().await;
    if let Err(e) = core.sync_consents().await {
        tracing::warn!(error = %e, "consents not synced at sign-in");
    }
    core.account_status().await
}

/// The work of [`Core::cancel_sign_in`].
fn cancel_sign_in(core: &Core) -> bool {
    match core.account.sign_in.lock().ok().and_then(|mut p| p.take()) {
        Some(token) => {
            token.cancel();
            true
        }
        None => false,
    }
}

/// The work of [`Core::sign_out`].
async fn sign_out(core: &Core) -> Result<AccountStatus> {
    let signed_in = core.account.slot().await?.current().cloned();
    if let (Some(before), Ok(broker)) = (signed_in, broker(core)) {
        // An expired access token would be refused as "already signed out" while its session
        // (and refresh token) lives on: refresh first, so the logout ends it.
        let ended = async { broker.logout(&access_token(core).await?).await }.await;
        if let Err(e) = ended {
            tracing::warn!(kind = kind(&e), "logout did not reach the platform; signing out here anyway");
            if unreachable(&e) {
                // The pair as it is now: a refresh above may have spent the earlier one.
                let latest = core.account.slot().await?.current().cloned().unwrap_or(before);
                if let Err(e) = session::park(&latest).await {
                    tracing::warn!(kind = kind(&e), "the session could not be kept to end it later");
                }
            }
        }
    }
    forget_session(core).await?;
    tracing::info!("signed out");
    core.account_status().await
}

/// The work of [`Core::retry_parked_session`].
async fn retry_parked_session(core: &Core) {
    if broker(core).is_err() {
        return;
    }
    if let Err(e) = end_parked_session(core).await {
        tracing::warn!(kind = kind(&e), "a session signed out offline could not be ended yet");
    }
}

/// The work of [`Core::end_parked_session`].
async fn end_parked_session(core: &Core) -> Result<ParkedSession> {
    let Some(parked) = session::parked().await? else { return Ok(ParkedSession::None) };
    let broker = broker(core)?;
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
async fn forget_session(core: &Core) -> Result<()> {
    let mut slot = core.account.slot().await?;
    session::clear(&mut slot).await?;
    drop(slot);
    profile::save(core, None).await?;
    crate::credits::forget_balance(core).await
}

/// A usable access token, refreshed first when it is about to expire.
async fn access_token(core: &Core) -> Result<Sensitive<String>> {
    let mut slot = core.account.slot().await?;
    let Some(current) = slot.current().cloned() else { return Err(Error::AuthRequired) };
    if !current.needs_refresh(now_s()) {
        return Ok(current.access());
    }
    refresh_locked(core, &mut slot, &current).await
}

/// After a 401 with `rejected`: refresh, unless another caller already did.
async fn refresh_after_rejection(core: &Core, rejected: &Sensitive<String>) -> Result<Sensitive<String>> {
    let mut slot = core.account.slot().await?;
    let Some(current) = slot.current().cloned() else { return Err(Error::AuthRequired) };
    if current.access_token != *rejected.expose() {
        return Ok(current.access());
    }
    refresh_locked(core, &mut slot, &current).await
}

async fn refresh_locked(core: &Core, slot: &mut session::Slot, current: &Session) -> Result<Sensitive<String>> {
    let broker = broker(core)?;
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
            profile::save(core, None).await?;
            crate::credits::forget_balance(core).await?;
            Err(Error::AuthRequired)
        }
        Err(e) => Err(e),
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
