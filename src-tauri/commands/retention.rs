//! How long history is kept: the policy, its preview, and a purge on demand.

use flux_krea_core::retention::{PurgePreview, PurgeReport, RetentionPolicy};
use flux_krea_core::Error;
use tauri::State;

use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn get_retention(state: State<'_, AppState>) -> Result<RetentionPolicy, Error> {
    state.core()?.retention().await
}

/// Saves the policy and applies it at once (a shorter window purges now).
#[tauri::command]
#[specta::specta]
pub async fn set_retention(state: State<'_, AppState>, policy: RetentionPolicy) -> Result<PurgeReport, Error> {
    state.core()?.set_retention(&policy).await
}

#[tauri::command]
#[specta::specta]
pub async fn preview_purge(state: State<'_, AppState>, policy: RetentionPolicy) -> Result<PurgePreview, Error> {
    state.core()?.preview_purge(&policy).await
}
