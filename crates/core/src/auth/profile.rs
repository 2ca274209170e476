//! Who is signed in (cached, so the Account screen works offline), and which mode generation uses.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::auth::platform::{self, Call};
use crate::credits::KnownBalance;
use crate::error::Result;
use crate::generation::own_key::KeySource;
use crate::secrets::Sensitive;
use crate::settings::{get_document, put_document};
use crate::Core;

const PROFILE_KEY: &str = "platform_profile";
const MODE_KEY: &str = "generation_mode";
/// Avatars larger than this are not shown (they are icons).
const MAX_AVATAR: usize = 512 * 1024;

/// The signed-in user, as `/me` describes them. Not secret; the avatar is inlined as a data URL so
/// the webview never fetches from the internet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub email: String,
    pub provider: String,
    pub avatar: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum GenerationMode {
    /// Through the platform, paid with credits.
    Account,
    /// Straight to Replicate with the user's key, tracked in the local spend ledger.
    OwnKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AccountStatus {
    /// Account mode is configured in this build.
    pub available: bool,
    pub signed_in: bool,
    /// A sign-in is waiting for the browser.
    pub sign_in_pending: bool,
    /// Signed out here while the platform could not be reached: the session is still to be
    /// ended there (at the next start or sign-in).
    pub session_ending: bool,
    pub profile: Option<Profile>,
    /// The last balance the platform reported (`live` says whether it is fresh).
    pub balance: Option<KnownBalance>,
    pub own_key_configured: bool,
    /// The user confirmed the minimum age (asked once, before the first sign-in).
    pub age_confirmed: bool,
    /// What the user picked, if anything.
    pub preferred_mode: Option<GenerationMode>,
    /// What a generation started now would use.
    pub active_mode: Option<GenerationMode>,
    /// Why the OS keychain cannot be reached, when it cannot: nothing stored in it can be read
    /// (so signed out, no stored key), and signing in would fail.
    pub keychain_unavailable: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Me {
    id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    avatar_url: Option<String>,
    #[serde(default)]
    provider: String,
}

/// `/me` with a fresh token, plus the avatar.
pub async fn fetch(core: &Core, token: &Sensitive<String>) -> Result<Profile> {
    let me: Me = super::platform::send_call_with(core, token, &Call::get("/me")).await?;
    let avatar = match me.avatar_url.as_deref() {
        Some(url) => avatar(url).await,
        None => None,
    };
    let name = me.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| me.email.clone());
    Ok(Profile { id: me.id, name, email: me.email, provider: me.provider, avatar })
}

/// The avatar as a data URL, or None when it cannot be had safely (never an error: it is decoration).
async fn avatar(url: &str) -> Option<String> {
    // Never with the session's token: the avatar may be on any host.
    let url = crate::http::fetchable(platform::SERVICE, "an avatar URL", url).ok()?;
    let response = platform::http().ok()?.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let bytes = crate::remote::answer_body("avatar", response, MAX_AVATAR).await.ok()?;
    let mime = match image::guess_format(&bytes).ok()? {
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::Jpeg => "image/jpeg",
        image::ImageFormat::WebP => "image/webp",
        _ => return None,
    };
    Some(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(&bytes)))
}

pub async fn save(core: &Core, profile: Option<&Profile>) -> Result<()> {
    put_document(core.pool(), PROFILE_KEY, profile).await
}

async fn load(core: &Core) -> Result<Option<Profile>> {
    Ok(get_document(core.pool(), PROFILE_KEY).await?.and_then(|raw| serde_json::from_str(&raw).ok()))
}

pub async fn set_mode(core: &Core, mode: GenerationMode) -> Result<()> {
    put_document(core.pool(), MODE_KEY, Some(&mode)).await
}

async fn preferred(core: &Core) -> Result<Option<GenerationMode>> {
    Ok(get_document(core.pool(), MODE_KEY).await?.and_then(|raw| serde_json::from_str(&raw).ok()))
}

/// The mode a generation started now uses: the user's pick when it can run, else whichever can.
/// A token given in `REPLICATE_API_TOKEN` for this run means own key.
pub async fn active_mode(core: &Core) -> Result<Option<GenerationMode>> {
    let key = core.replicate_token().await?.map(|(_, source)| source);
    let signed_in = core.platform_api_base().is_ok() && core.signed_in().await?;
    Ok(match (preferred(core).await?, signed_in, key) {
        (_, _, Some(KeySource::Environment)) => Some(GenerationMode::OwnKey),
        (Some(GenerationMode::Account), true, _) => Some(GenerationMode::Account),
        (Some(GenerationMode::OwnKey), _, Some(_)) => Some(GenerationMode::OwnKey),
        (_, true, _) => Some(GenerationMode::Account),
        (_, false, Some(_)) => Some(GenerationMode::OwnKey),
        (_, false, None) => None,
    })
}

/// From memory, the keychain and the database only: instant, and right offline.
pub async fn status(core: &Core) -> Result<AccountStatus> {
    let available = core.platform_api_base().is_ok();
    let signed_in = available && core.signed_in().await?;
    Ok(AccountStatus {
        available,
        signed_in,
        sign_in_pending: core.account.sign_in.lock().map(|p| p.is_some()).unwrap_or(false),
        // A keychain that cannot be read here says nothing new: the status must still load.
        session_ending: available && !signed_in && matches!(super::session::parked().await, Ok(Some(_))),
        profile: if signed_in { load(core).await? } else { None },
        balance: if signed_in { crate::credits::cached_balance(core).await? } else { None },
        own_key_configured: core.replicate_token().await?.is_some(),
        age_confirmed: core.age_confirmed().await?,
        preferred_mode: preferred(core).await?,
        active_mode: active_mode(core).await?,
        keychain_unavailable: crate::secrets::unreachable_reason(),
    })
}

#[cfg(test)]
mod tests {
    use super::avatar;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on 127.0.0.1 that answers every request with a small PNG.
    async fn png_server() -> u16 {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let png = crate::history::fixtures::png(2, 2, 0);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut head = [0u8; 2048];
                let _ = stream.read(&mut head).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    png.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.write_all(&png).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn avatars_come_only_over_https_or_from_loopback_addresses() {
        let port = png_server().await;
        let shown = avatar(&format!("http://127.0.0.1:{port}/a.png")).await.unwrap();
        assert!(shown.starts_with("data:image/png;base64,"));
        // A name is not an address: `localhost` is whatever the hosts file says today.
        assert_eq!(avatar(&format!("http://localhost:{port}/a.png")).await, None);
        assert_eq!(avatar(&format!("http://localhost@127.0.0.1:{port}/a.png")).await, None);
    }
}
