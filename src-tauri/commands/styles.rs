//! Styles and the Create screen's draft (#23).

use flux_krea_core::generation::draft::PromptDraft;
use flux_krea_core::styles::import::StyleImport;
use flux_krea_core::styles::{Style, StyleDraft};
use flux_krea_core::Error;
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn list_styles(state: State<'_, AppState>) -> Result<Vec<Style>, Error> {
    state.core()?.styles().await
}

/// Saves a style, replacing one of the same name (in any case).
#[tauri::command]
#[specta::specta]
pub async fn save_style(state: State<'_, AppState>, style: StyleDraft) -> Result<Style, Error> {
    state.core()?.save_style(&style).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_style(state: State<'_, AppState>, name: String) -> Result<(), Error> {
    state.core()?.delete_style(&name).await
}

/// Asks for a data export (or its styles.json) in the system file dialog and imports its styles.
/// The path never comes from the page. `None`: the dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn import_styles(
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
) -> Result<Option<StyleImport>, Error> {
    let core = state.core()?;
    let dialog = window
        .dialog()
        .file()
        .set_parent(&window)
        .set_title("Import styles from a Flux Krea export")
        .add_filter("Flux Krea export", &["zip", "json"]);
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_file())
        .await
        .map_err(|_| Error::internal("the file dialog stopped"))?;
    let Some(chosen) = chosen else { return Ok(None) };
    let path = chosen.into_path().map_err(|e| Error::invalid("file", format!("not a local file: {e}")))?;
    core.import_styles(&path).await.map(Some)
}

#[tauri::command]
#[specta::specta]
pub async fn load_draft(state: State<'_, AppState>) -> Result<Option<PromptDraft>, Error> {
    state.core()?.draft().await
}

#[tauri::command]
#[specta::specta]
pub async fn save_draft(state: State<'_, AppState>, draft: PromptDraft) -> Result<(), Error> {
    state.core()?.save_draft(&draft).await
}
