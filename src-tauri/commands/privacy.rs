//! Privacy: the "what is stored" report, consents, export, erasure and the record of requests.

use flux_krea_core::privacy::{
    Consent, ConsentChange, ConsentSource, ErasureReport, ExportPhase, ExportReport, PrivacyReport, PrivacyRequest,
};
use flux_krea_core::Error;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_specta::Event;

use crate::picked::{with_zip_extension, Picked};
use crate::state::AppState;

/// Export progress: the history is written (`history`: generations), then the image files are
/// copied (`files`: distinct files); each phase counts from 0 to its total.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ExportProgress {
    pub phase: ExportPhase,
    pub done: u32,
    pub total: u32,
}

impl From<flux_krea_core::privacy::ExportProgress> for ExportProgress {
    fn from(p: flux_krea_core::privacy::ExportProgress) -> Self {
        Self { phase: p.phase, done: p.done, total: p.total }
    }
}

#[tauri::command]
#[specta::specta]
pub async fn privacy_report(state: State<'_, AppState>) -> Result<PrivacyReport, Error> {
    state.core()?.privacy_report().await
}

#[tauri::command]
#[specta::specta]
pub async fn consents(state: State<'_, AppState>) -> Result<Vec<Consent>, Error> {
    state.core()?.consents().await
}

#[tauri::command]
#[specta::specta]
pub async fn set_consent(state: State<'_, AppState>, name: String, granted: bool) -> Result<Vec<Consent>, Error> {
    state.core()?.set_consent(&name, granted, ConsentSource::App).await
}

#[tauri::command]
#[specta::specta]
pub async fn consent_history(state: State<'_, AppState>) -> Result<Vec<ConsentChange>, Error> {
    state.core()?.consent_history().await
}

/// The default destination: a new dated file in the Downloads folder.
#[tauri::command]
#[specta::specta]
pub fn suggested_export_path(state: State<'_, AppState>, picked: State<'_, Picked>) -> Result<String, Error> {
    let path = state.core()?.suggested_export_path()?;
    Ok(picked.allow_export(std::path::Path::new(&path)))
}

/// Opens the save dialog at the suggested file; returns where the user chose (always a `.zip`),
/// or `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_export_path(
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
) -> Result<Option<String>, Error> {
    let suggested = std::path::PathBuf::from(state.core()?.suggested_export_path()?);
    let mut dialog =
        window.dialog().file().set_parent(&window).set_title("Export my data").add_filter("Zip archive", &["zip"]);
    if let Some(dir) = suggested.parent() {
        dialog = dialog.set_directory(dir);
    }
    if let Some(name) = suggested.file_name() {
        dialog = dialog.set_file_name(name.to_string_lossy());
    }
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
        .await
        .map_err(|_| Error::internal("the save dialog stopped"))?;
    let Some(chosen) = chosen else { return Ok(None) };
    let path = chosen.into_path().map_err(|e| Error::invalid("out", format!("not a local file: {e}")))?;
    Ok(Some(picked.allow_export(&with_zip_extension(path))))
}

/// Writes the archive to `path` (the suggested one or the save dialog's), reporting progress as events.
#[tauri::command]
#[specta::specta]
pub async fn export_data(
    app: AppHandle,
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
    path: String,
) -> Result<ExportReport, Error> {
    let out = picked.export(&path)?;
    let progress = move |p: flux_krea_core::privacy::ExportProgress| {
        let _ = ExportProgress::from(p).emit(&app);
    };
    state.core()?.export_data(&out, &progress).await
}

#[tauri::command]
#[specta::specta]
pub async fn erase_prompts(state: State<'_, AppState>) -> Result<ErasureReport, Error> {
    state.core()?.erase_prompts().await
}

#[tauri::command]
#[specta::specta]
pub async fn erase_everything(state: State<'_, AppState>) -> Result<ErasureReport, Error> {
    state.core()?.erase_everything().await
}

#[tauri::command]
#[specta::specta]
pub async fn privacy_requests(state: State<'_, AppState>) -> Result<Vec<PrivacyRequest>, Error> {
    state.core()?.privacy_requests().await
}

/// Asks the platform to delete the account (signed in); the request and its due date are kept.
#[tauri::command]
#[specta::specta]
pub async fn request_account_deletion(state: State<'_, AppState>) -> Result<PrivacyRequest, Error> {
    state.core()?.request_account_deletion().await
}

/// Withdraws the pending account deletion request.
#[tauri::command]
#[specta::specta]
pub async fn cancel_account_deletion(state: State<'_, AppState>) -> Result<PrivacyRequest, Error> {
    state.core()?.cancel_account_deletion().await
}

/// Asks the platform to remove the account's images from its temporary storage (signed in).
#[tauri::command]
#[specta::specta]
pub async fn delete_platform_images(state: State<'_, AppState>) -> Result<PrivacyRequest, Error> {
    state.core()?.delete_platform_images().await
}
