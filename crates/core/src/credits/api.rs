//! The credits façade on [`Core`]: the balance, the ledger, packs, the price list, and buying a
//! pack. The work is in `mod.rs` and `checkout.rs`.

use std::time::Duration;

use crate::auth::Call;
use crate::credits::CHECKOUT_WAIT;
use crate::credits::{self, checkout, Checkout, CheckoutResult, CreditPack, KnownBalance, LedgerPage, ModelPrice};
use crate::error::Result;
use crate::Core;

impl Core {
    /// Asks the platform; offline, the last known balance (marked not live) stands in.
    pub async fn refresh_balance(&self) -> Result<KnownBalance> {
        credits::refresh_balance(self).await
    }

    /// One page of the credit ledger, newest first.
    pub async fn credit_ledger(&self, cursor: Option<&str>) -> Result<LedgerPage> {
        credits::ledger(self, cursor).await
    }

    pub async fn credit_packs(&self) -> Result<Vec<CreditPack>> {
        self.platform(Call::get("/credits/packs")).await
    }

    /// The platform's per-image prices for the catalogue's models; offline, the last list seen.
    pub async fn credit_prices(&self) -> Result<Vec<ModelPrice>> {
        credits::prices(self).await
    }

    /// Creates a checkout session for a pack. The Idempotency-Key makes a retried request (a
    /// double click, a lost answer) return the same session instead of a second one.
    pub async fn start_checkout(&self, pack_id: &str) -> Result<Checkout> {
        checkout::start(self, pack_id).await
    }

    /// Buys a pack: `open` shows the checkout page (the system browser), then this waits for it.
    pub async fn buy_credits(&self, pack_id: &str, open: impl FnOnce(&str) -> Result<()>) -> Result<CheckoutResult> {
        let checkout = self.start_checkout(pack_id).await?;
        open(&checkout.checkout_url)?;
        self.wait_for_checkout(&checkout.session_id, CHECKOUT_WAIT).await
    }

    /// Polls the session until it completes or expires (or `cancel_checkout`), then refreshes the
    /// balance. Canceling only stops waiting: a payment made later still lands on the account.
    pub async fn wait_for_checkout(&self, session_id: &str, timeout: Duration) -> Result<CheckoutResult> {
        checkout::wait(self, session_id, timeout).await
    }

    /// Stops waiting for a checkout; true if one was being waited for.
    pub fn cancel_checkout(&self) -> bool {
        checkout::cancel(self)
    }
}
