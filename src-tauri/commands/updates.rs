//! Signed updates: the status, a check on demand, install, skip a version, the channel.

use flux_krea_core::updates::{UpdateChannel, UpdatePrefs, UpdateStatus};
use flux_krea_core::Error;
use tauri::{AppHandle, State};

use crate::state::AppState;
use crate::updates::{self, Updates};

#[tauri::command]
#[specta::specta]
pub fn update_status(updates: State<'_, Updates>) -> UpdateStatus {
    updates.status()
}

#[tauri::command]
#[specta::specta]
pub async fn update_prefs(state: State<'_, AppState>) -> Result<UpdatePrefs, Error> {
    state.core()?.update_prefs().await
}

#[tauri::command]
#[specta::specta]
pub async fn check_for_update(app: AppHandle, state: State<'_, AppState>) -> Result<UpdateStatus, Error> {
    Ok(updates::check(&app, state.core()?).await)
}

/// Downloads, verifies, waits for running generations, installs and restarts. Returns only when
/// it stopped short (a failure); progress arrives as `UpdateStatusChanged` events.
#[tauri::command]
#[specta::specta]
pub async fn install_update(app: AppHandle, state: State<'_, AppState>) -> Result<UpdateStatus, Error> {
    updates::install(&app, state.core()?).await
}

/// `None` offers every version again.
#[tauri::command]
#[specta::specta]
pub async fn skip_update_version(state: State<'_, AppState>, version: Option<String>) -> Result<UpdatePrefs, Error> {
    state.core()?.skip_update_version(version).await
}

/// Saves the channel and checks its feed at once.
#[tauri::command]
#[specta::specta]
pub async fn set_update_channel(
    app: AppHandle,
    state: State<'_, AppState>,
    channel: UpdateChannel,
) -> Result<UpdatePrefs, Error> {
    let core = state.core()?;
    let prefs = core.set_update_channel(channel).await?;
    updates::check(&app, core).await;
    core.update_prefs().await.or(Ok(prefs))
}
