//! Own-key mode: the user's Replicate API token. It is checked with `GET /account` before it is
//! kept, then lives only in the OS keychain and in memory — never in a file, a log or the webview
//! (the window only ever learns whether a key is set and whose account it is).

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::generation::provider::{ProviderAccount, ProviderClient};
use crate::history::Provider;
use crate::secrets::{blocking, KeychainEntry, Sensitive};
use crate::Core;

const KEYCHAIN_NAME: &str = "replicate-token";
/// The account a stored token belongs to (not secret), kept so the Account screen shows it offline.
const ACCOUNT_KEY: &str = "replicate_account";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    Keychain,
    /// `REPLICATE_API_TOKEN`, for this CLI run only.
    Environment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KeyStatus {
    pub configured: bool,
    pub source: Option<KeySource>,
    pub account: Option<ProviderAccount>,
    /// Why the OS keychain cannot be reached, when it cannot (a stored key cannot be read then).
    pub keychain_unavailable: Option<String>,
}

/// Tokens in memory. `from_environment` wins over the keychain.
#[derive(Default)]
pub struct Credentials {
    from_environment: Mutex<Option<Sensitive<String>>>,
    cached: Mutex<Option<Sensitive<String>>>,
}

fn clean(token: &str) -> Result<Sensitive<String>> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::invalid("replicate_token", "is empty"));
    }
    if token.len() > 512 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid("replicate_token", "does not look like a Replicate API token"));
    }
    Ok(Sensitive::new(token.to_string()))
}

/// The work of [`Core::use_replicate_token_from_environment`].
pub(super) fn use_token_from_environment(core: &Core, token: &str) -> Result<()> {
    let token = clean(token)?;
    *core.credentials.from_environment.lock().map_err(|_| Error::internal("credentials poisoned"))? = Some(token);
    Ok(())
}

/// The work of [`Core::set_replicate_token`].
pub(super) async fn set_token(core: &Core, token: &str) -> Result<KeyStatus> {
    let token = clean(token)?;
    crate::secrets::ready().await?;
    let provider = ProviderClient::replicate(&core.config().replicate_url.value, token.clone())?;
    let account = match provider.account().await {
        Ok(a) => a,
        Err(Error::AuthRequired) => {
            return Err(Error::invalid("replicate_token", "Replicate did not accept this token"));
        }
        Err(e) => return Err(e),
    };
    let stored = token.clone();
    blocking(move || KeychainEntry::new(KEYCHAIN_NAME).set(&stored)).await?;
    *core.credentials.cached.lock().map_err(|_| Error::internal("credentials poisoned"))? = Some(token);
    save_account(core, Some(&account)).await?;
    tracing::info!("replicate token stored in the keychain");
    key_status(core).await
}

/// The work of [`Core::remove_replicate_token`].
pub(super) async fn remove_token(core: &Core) -> Result<KeyStatus> {
    blocking(|| KeychainEntry::new(KEYCHAIN_NAME).delete()).await?;
    *core.credentials.cached.lock().map_err(|_| Error::internal("credentials poisoned"))? = None;
    save_account(core, None).await?;
    tracing::info!("replicate token removed from the keychain");
    key_status(core).await
}

/// The work of [`Core::replicate_key`].
pub(super) async fn key_status(core: &Core) -> Result<KeyStatus> {
    let source = match replicate_token(core).await {
        Ok(Some((_, source))) => Some(source),
        Ok(None) => None,
        Err(e) => return Err(e),
    };
    let account = match source {
        Some(KeySource::Keychain) => load_account(core).await?,
        _ => None,
    };
    let keychain_unavailable = crate::secrets::unreachable_reason();
    Ok(KeyStatus { configured: source.is_some(), source, account, keychain_unavailable })
}

/// The token in force and where it came from.
pub(super) async fn replicate_token(core: &Core) -> Result<Option<(Sensitive<String>, KeySource)>> {
    let poisoned = || Error::internal("credentials poisoned");
    if let Some(t) = core.credentials.from_environment.lock().map_err(|_| poisoned())?.clone() {
        return Ok(Some((t, KeySource::Environment)));
    }
    if let Some(t) = core.credentials.cached.lock().map_err(|_| poisoned())?.clone() {
        return Ok(Some((t, KeySource::Keychain)));
    }
    // Unreachable reads as "no stored key" (#24): REPLICATE_API_TOKEN still works.
    let found = blocking(|| Ok(KeychainEntry::new(KEYCHAIN_NAME).read())).await?;
    if let Some(t) = &found {
        *core.credentials.cached.lock().map_err(|_| poisoned())? = Some(t.clone());
    }
    Ok(found.map(|t| (t, KeySource::Keychain)))
}

/// The client for a job's provider, with its credentials.
pub(super) async fn provider_for(core: &Core, provider: Provider) -> Result<ProviderClient> {
    match provider {
        Provider::Replicate => match replicate_token(core).await? {
            Some((token, _)) => ProviderClient::replicate(&core.config().replicate_url.value, token),
            None => Err(no_token()),
        },
        Provider::Platform => {
            let token = core.access_token().await?;
            ProviderClient::new("Flux Krea", &core.platform_api_base()?, token, true)
        }
        Provider::Synthetic => Err(Error::internal("synthetic history has no provider")),
    }
}

async fn save_account(core: &Core, account: Option<&ProviderAccount>) -> Result<()> {
    crate::settings::put_document(core.pool(), ACCOUNT_KEY, account).await
}

async fn load_account(core: &Core) -> Result<Option<ProviderAccount>> {
    let raw = crate::settings::get_document(core.pool(), ACCOUNT_KEY).await?;
    Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
}

pub fn no_token() -> Error {
    match crate::secrets::unreachable_reason() {
        Some(reason) => Error::invalid(
            "replicate_token",
            format!(
                "no Replicate API token can be read: the keychain cannot be reached ({reason}); set REPLICATE_API_TOKEN"
            ),
        ),
        None => Error::invalid(
            "replicate_token",
            "no Replicate API token is set: add one on the Account screen, with `flux-krea-cli key set`, or in REPLICATE_API_TOKEN",
        ),
    }
}
