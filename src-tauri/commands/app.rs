//! App-wide commands: version and folders, settings, links.

use flux_krea_core::{AppInfo, Error, Settings};
use tauri::State;

use crate::state::AppState;
use crate::theme;

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, Error> {
    Ok(state.core()?.app_info())
}

/// The integrity check a large history leaves until after the first screen (core `check_database`):
/// damage found, if any, set aside at the next start.
#[tauri::command]
#[specta::specta]
pub async fn check_database(state: State<'_, AppState>) -> Result<Option<String>, Error> {
    state.core()?.check_database().await
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings, Error> {
    Ok(state.core()?.settings().await)
}

#[tauri::command]
#[specta::specta]
pub async fn update_settings(
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
    settings: Settings,
) -> Result<Settings, Error> {
    let saved = state.core()?.update_settings(settings).await?;
    theme::apply(&window, saved.theme);
    Ok(saved)
}

/// Opens a link in the system browser, if it is on the allow-list (`browser::check_link`).
#[tauri::command]
#[specta::specta]
pub fn open_link(url: String) -> Result<(), Error> {
    crate::browser::open_link(&url)
}
