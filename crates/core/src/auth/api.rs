//! The account façade on [`Core`]: sign-in and sign-out, the session, the account's status and
//! which mode generation uses. The work is in this folder's other modules.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::auth::{self, platform, profile, Call, SIGN_IN_TIMEOUT};
use crate::auth::{AccountStatus, GenerationMode, IdentityProvider, ParkedSession};
use crate::error::Result;
use crate::secrets::Sensitive;
use crate::Core;

impl Core {
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
        auth::sign_in(self, provider, timeout, open).await
    }

    /// Stops the sign-in in progress; true if there was one.
    pub fn cancel_sign_in(&self) -> bool {
        auth::cancel_sign_in(self)
    }

    /// Ends the session on the platform and deletes the tokens from the keychain and the cached
    /// profile and balance from the database. Offline (or with the platform down) it still signs
    /// out here, and parks the session so it is ended on the platform later (`end_parked_session`).
    pub async fn sign_out(&self) -> Result<AccountStatus> {
        auth::sign_out(self).await
    }

    /// `end_parked_session`, best effort and only where account mode is set up: a failure is
    /// logged and the session stays parked for the next try (start-up, sign-in, `account status`).
    pub async fn retry_parked_session(&self) {
        auth::retry_parked_session(self).await
    }

    /// Ends, on the platform, a session signed out here while it could not be reached; an error
    /// (still unreachable) keeps it for the next try. Runs at start-up and before a sign-in.
    pub async fn end_parked_session(&self) -> Result<ParkedSession> {
        auth::end_parked_session(self).await
    }

    pub async fn signed_in(&self) -> Result<bool> {
        Ok(self.account.slot().await?.current().is_some())
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

/// Within the crate: the platform client the other domains (credits, privacy, generation) call.
impl Core {
    /// `{platform}/api/v1`, or why account mode is off.
    pub(crate) fn platform_api_base(&self) -> Result<String> {
        platform::api_base(self)
    }

    /// Sends `call` with the session, refreshing once on a 401; a second 401 signs out.
    pub(crate) async fn platform<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T> {
        platform::send_call(self, call).await
    }

    /// A usable access token, refreshed first when it is about to expire.
    pub(crate) async fn access_token(&self) -> Result<Sensitive<String>> {
        auth::access_token(self).await
    }

    /// After a 401 with `rejected`: refresh, unless another caller already did.
    pub(crate) async fn refresh_after_rejection(&self, rejected: &Sensitive<String>) -> Result<Sensitive<String>> {
        auth::refresh_after_rejection(self, rejected).await
    }
}
