//! Privacy: the "what is stored" report, consents, export, erasure and the record of requests.

use flux_krea_core::privacy::{
    Consent, ConsentChange, ConsentSource, ErasureReport, ExportReport, PrivacyReport, PrivacyRequest,
};
use flux_krea_core::Error;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::state::AppState;

/// Export progress, generations written of the total.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ExportProgress {
    pub done: u32,
    pub total: u32,
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
pub fn suggested_export_path(state: State<'_, AppState>) -> Result<String, Error> {
    state.core()?.suggested_export_path()
}

/// Writes the archive to `path` (chosen in a save dialog), reporting progress as events.
#[tauri::command]
#[specta::specta]
pub async fn export_data(app: AppHandle, state: State<'_, AppState>, path: String) -> Result<ExportReport, Error> {
    let progress = move |done, total| {
        let _ = ExportProgress { done, total }.emit(&app);
    };
    state.core()?.export_data(std::path::Path::new(&path), &progress).await
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

/// Asks the platform to remove the account's images from its temporary storage (signed in).
#[tauri::command]
#[specta::specta]
pub async fn delete_platform_images(state: State<'_, AppState>) -> Result<PrivacyRequest, Error> {
    state.core()?.delete_platform_images().await
}
