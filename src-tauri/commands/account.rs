//! Account mode: sign-in through the platform (the browser does the talking; tokens stay in the
//! core and the keychain), the balance, the ledger, packs and checkout.

use flux_krea_core::auth::{AccountStatus, GenerationMode, IdentityProvider};
use flux_krea_core::credits::{CheckoutResult, CreditPack, KnownBalance, LedgerPage, ModelPrice};
use flux_krea_core::Error;
use tauri::State;

use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn account_status(state: State<'_, AppState>) -> Result<AccountStatus, Error> {
    state.core()?.account_status().await
}

/// Asks the platform; offline, the last known balance marked as such.
#[tauri::command]
#[specta::specta]
pub async fn refresh_balance(state: State<'_, AppState>) -> Result<KnownBalance, Error> {
    state.core()?.refresh_balance().await
}

/// Opens the broker in the system browser and waits for it to come back (or `cancel_sign_in`).
#[tauri::command]
#[specta::specta]
pub async fn sign_in(state: State<'_, AppState>, provider: IdentityProvider) -> Result<AccountStatus, Error> {
    state.core()?.sign_in(provider, crate::browser::open).await
}

#[tauri::command]
#[specta::specta]
pub fn cancel_sign_in(state: State<'_, AppState>) -> Result<bool, Error> {
    Ok(state.core()?.cancel_sign_in())
}

#[tauri::command]
#[specta::specta]
pub async fn sign_out(state: State<'_, AppState>) -> Result<AccountStatus, Error> {
    state.core()?.sign_out().await
}

#[tauri::command]
#[specta::specta]
pub async fn set_generation_mode(state: State<'_, AppState>, mode: GenerationMode) -> Result<AccountStatus, Error> {
    state.core()?.set_generation_mode(mode).await
}

#[tauri::command]
#[specta::specta]
pub async fn credit_ledger(state: State<'_, AppState>, cursor: Option<String>) -> Result<LedgerPage, Error> {
    state.core()?.credit_ledger(cursor.as_deref()).await
}

#[tauri::command]
#[specta::specta]
pub async fn credit_packs(state: State<'_, AppState>) -> Result<Vec<CreditPack>, Error> {
    state.core()?.credit_packs().await
}

#[tauri::command]
#[specta::specta]
pub async fn credit_prices(state: State<'_, AppState>) -> Result<Vec<ModelPrice>, Error> {
    state.core()?.credit_prices().await
}

/// Opens Stripe Checkout in the system browser and waits for the payment (or `cancel_checkout`).
#[tauri::command]
#[specta::specta]
pub async fn buy_credits(state: State<'_, AppState>, pack_id: String) -> Result<CheckoutResult, Error> {
    state.core()?.buy_credits(&pack_id, crate::browser::open).await
}

#[tauri::command]
#[specta::specta]
pub fn cancel_checkout(state: State<'_, AppState>) -> Result<bool, Error> {
    Ok(state.core()?.cancel_checkout())
}

/// Remembers that the user confirmed the minimum age (asked before the first sign-in).
#[tauri::command]
#[specta::specta]
pub async fn confirm_age(state: State<'_, AppState>) -> Result<AccountStatus, Error> {
    let core = state.core()?;
    core.confirm_age().await?;
    core.account_status().await
}
