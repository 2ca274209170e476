//! App-wide commands: version and folders, settings, the screen asked for at launch.

use flux_krea_core::{AppInfo, Error, Settings};
use tauri::State;

use crate::navigation::{screen_from_args, Screen};
use crate::state::AppState;
use crate::theme;

#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, Error> {
    Ok(state.core()?.app_info())
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

/// The screen asked for on this launch's command line, if any.
#[tauri::command]
#[specta::specta]
pub fn launch_screen() -> Option<Screen> {
    screen_from_args(&std::env::args().collect::<Vec<_>>())
}
