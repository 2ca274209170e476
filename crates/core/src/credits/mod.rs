//! Platform credits (docs/platform-api.md §2): the balance (cached, so it shows offline as "last
//! known"), the ledger, packs and the server's price list. Purchases are in `checkout`. The [`Core`] methods are in
//! `api.rs`.

mod api;
pub(crate) mod checkout;

use serde::{Deserialize, Serialize};

pub use checkout::{Checkout, CheckoutResult, CheckoutState, CHECKOUT_WAIT};

use crate::auth::Call;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::generation::catalogue::catalogue;
use crate::settings::{get_document, put_document};
use crate::Core;

const BALANCE_KEY: &str = "platform_balance";
const PRICES_KEY: &str = "platform_prices";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KnownBalance {
    pub credits: i32,
    /// When the platform last changed it (RFC 3339).
    pub updated_at: String,
    /// When this app last heard it (ms since the epoch).
    #[specta(type = crate::JsInt)]
    pub fetched_at: i64,
    /// False when it comes from the cache because the platform could not be reached.
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct CreditPack {
    pub id: String,
    pub credits: i32,
    pub price_cents: i32,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LedgerReason {
    Purchase,
    Generation,
    Refund,
    Grant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct LedgerEntry {
    pub id: String,
    pub delta: i32,
    pub reason: LedgerReason,
    #[serde(default)]
    pub prediction_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct LedgerPage {
    pub entries: Vec<LedgerEntry>,
    /// Pass back to get the next (older) page.
    pub next: Option<String>,
}

/// What one image of a model costs in account mode (the server's list is authoritative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ModelPrice {
    /// The catalogue's model id (`flux-krea-dev`).
    pub model: String,
    pub credits_per_image: i32,
    pub max_outputs: i32,
    pub enabled: bool,
}

#[derive(Deserialize)]
pub(crate) struct WireBalance {
    balance: i64,
    #[serde(default)]
    updated_at: String,
}

#[derive(Deserialize)]
pub(crate) struct WireModel {
    id: String,
    credits_per_image: i64,
    #[serde(default)]
    max_outputs: Option<i64>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

fn int(n: i64) -> i32 {
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// The work of [`Core::refresh_balance`].
async fn refresh_balance(core: &Core) -> Result<KnownBalance> {
    match core.platform::<WireBalance>(Call::get("/credits")).await {
        Ok(wire) => {
            let known = KnownBalance {
                credits: int(wire.balance),
                updated_at: wire.updated_at,
                fetched_at: now_ms(),
                live: true,
            };
            put_document(core.pool(), BALANCE_KEY, Some(&known)).await?;
            Ok(known)
        }
        Err(e @ (Error::Offline { .. } | Error::Network { .. })) => cached_balance(core).await?.ok_or(e),
        Err(e) => Err(e),
    }
}

/// The work of [`Core::credit_ledger`].
async fn ledger(core: &Core, cursor: Option<&str>) -> Result<LedgerPage> {
    let path = match cursor {
        Some(c) => {
            format!("/credits/ledger?cursor={}", url::form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>())
        }
        None => "/credits/ledger".to_string(),
    };
    core.platform(Call::get(&path)).await
}

/// The work of [`Core::credit_prices`].
async fn prices(core: &Core) -> Result<Vec<ModelPrice>> {
    match core.platform::<Vec<WireModel>>(Call::get("/models")).await {
        Ok(wire) => {
            let prices: Vec<ModelPrice> = wire
                .into_iter()
                .filter_map(|m| {
                    let model = catalogue().models.iter().find(|c| c.replicate == m.id)?;
                    Some(ModelPrice {
                        model: model.id.clone(),
                        credits_per_image: int(m.credits_per_image.max(0)),
                        max_outputs: int(m.max_outputs.unwrap_or(1).max(1)),
                        enabled: m.enabled,
                    })
                })
                .collect();
            put_document(core.pool(), PRICES_KEY, Some(&prices)).await?;
            Ok(prices)
        }
        Err(e @ (Error::Offline { .. } | Error::Network { .. })) => {
            let cached = get_document(core.pool(), PRICES_KEY).await?;
            cached.and_then(|raw| serde_json::from_str(&raw).ok()).ok_or(e)
        }
        Err(e) => Err(e),
    }
}

/// The last balance heard, marked not live.
pub async fn cached_balance(core: &Core) -> Result<Option<KnownBalance>> {
    let raw = get_document(core.pool(), BALANCE_KEY).await?;
    Ok(raw.and_then(|r| serde_json::from_str::<KnownBalance>(&r).ok()).map(|b| KnownBalance { live: false, ..b }))
}

pub async fn forget_balance(core: &Core) -> Result<()> {
    put_document::<KnownBalance>(core.pool(), BALANCE_KEY, None).await?;
    put_document::<Vec<ModelPrice>>(core.pool(), PRICES_KEY, None).await
}
