//! Own-key mode: the Replicate token (checked, then kept in the keychain; it never comes back to
//! the webview) and the local spend ledger with its budget.

use flux_krea_core::generation::spend::SpendSummary;
use flux_krea_core::generation::KeyStatus;
use flux_krea_core::Error;
use tauri::State;

use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn replicate_key_status(state: State<'_, AppState>) -> Result<KeyStatus, Error> {
    state.core()?.replicate_key().await
}

#[tauri::command]
#[specta::specta]
pub async fn set_replicate_key(state: State<'_, AppState>, token: String) -> Result<KeyStatus, Error> {
    state.core()?.set_replicate_token(&token).await
}

#[tauri::command]
#[specta::specta]
pub async fn remove_replicate_key(state: State<'_, AppState>) -> Result<KeyStatus, Error> {
    state.core()?.remove_replicate_token().await
}

#[tauri::command]
#[specta::specta]
pub async fn spend_summary(state: State<'_, AppState>) -> Result<SpendSummary, Error> {
    state.core()?.spend().await
}

#[tauri::command]
#[specta::specta]
pub async fn set_monthly_budget(state: State<'_, AppState>, monthly_usd: Option<f64>) -> Result<SpendSummary, Error> {
    state.core()?.set_monthly_budget(monthly_usd).await
}
