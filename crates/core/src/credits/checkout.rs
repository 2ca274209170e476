//! Buying a credit pack: the platform creates a Stripe Checkout session, the system browser shows
//! it, and the app polls the session until it completes or expires, then refreshes the balance.
//! Card details never pass through the app.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::auth::Call;
use crate::credits::KnownBalance;
use crate::error::{Error, Result};
use crate::Core;

/// Stripe sessions live 24 h, but nobody keeps a checkout tab open that long.
pub const CHECKOUT_WAIT: Duration = Duration::from_secs(30 * 60);
const POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Checkout {
    pub session_id: String,
    pub checkout_url: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutState {
    Open,
    Complete,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CheckoutResult {
    pub session_id: String,
    pub state: CheckoutState,
    pub credits_granted: i32,
    /// The balance after the purchase, when the platform could be asked.
    pub balance: Option<KnownBalance>,
}

#[derive(Deserialize)]
pub(crate) struct WireStatus {
    status: CheckoutState,
    #[serde(default)]
    credits_granted: i64,
}

/// The work of [`Core::start_checkout`].
pub(super) async fn start(core: &Core, pack_id: &str) -> Result<Checkout> {
    let pack_id = pack_id.trim();
    if pack_id.is_empty() || !pack_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(Error::invalid("pack_id", format!("{pack_id:?} is not a pack id")));
    }
    let key = format!("checkout-{}", oauth2::CsrfToken::new_random().secret());
    let body = json!({ "pack_id": pack_id });
    let call = Call {
        method: reqwest::Method::POST,
        path: "/credits/checkout",
        body: Some(&body),
        idempotency_key: Some(&key),
    };
    let checkout: Checkout = core.platform(call).await?;
    crate::config::check_remote_url("checkout_url", checkout.checkout_url.split('?').next().unwrap_or(""))?;
    tracing::info!(pack = pack_id, "checkout started");
    Ok(checkout)
}

/// The work of [`Core::wait_for_checkout`].
pub(super) async fn wait(core: &Core, session_id: &str, timeout: Duration) -> Result<CheckoutResult> {
    if session_id.is_empty() || !session_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(Error::invalid("session_id", "is not a checkout session id"));
    }
    let cancel = CancellationToken::new();
    if let Some(old) = core.account.checkout.lock().map_err(|_| Error::internal("poisoned"))?.replace(cancel.clone()) {
        old.cancel();
    }
    let path = format!("/credits/checkout/{session_id}");
    let deadline = tokio::time::Instant::now() + timeout;
    let outcome = loop {
        match core.platform::<WireStatus>(Call::get(&path)).await {
            Ok(s) if s.status != CheckoutState::Open => break Ok(s),
            Ok(_) => {}
            Err(e @ (Error::Offline { .. } | Error::Network { .. })) => {
                tracing::warn!(kind = "network", "checkout status unavailable; still waiting");
                if tokio::time::Instant::now() >= deadline {
                    break Err(e);
                }
            }
            Err(e) => break Err(e),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = cancel.cancelled() => break Err(Error::Canceled { what: "waiting for the payment".into() }),
            _ = tokio::time::sleep_until(deadline) => {
                break Err(Error::invalid("checkout", "the payment did not finish in time; if you paid, the credits still arrive"));
            }
        }
    };
    core.account.checkout.lock().map_err(|_| Error::internal("poisoned"))?.take();
    let status = outcome?;
    tracing::info!(state = ?status.status, "checkout ended");
    let balance = core.refresh_balance().await.ok();
    Ok(CheckoutResult {
        session_id: session_id.to_string(),
        state: status.status,
        credits_granted: super::int(status.credits_granted),
        balance,
    })
}

/// The work of [`Core::cancel_checkout`].
pub(super) fn cancel(core: &Core) -> bool {
    match core.account.checkout.lock().ok().and_then(|mut c| c.take()) {
        Some(token) => {
            token.cancel();
            true
        }
        None => false,
    }
}
