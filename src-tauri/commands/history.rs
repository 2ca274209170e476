//! The gallery: pages, details, favourites, collections, deletion.

use flux_krea_core::history::collections::Collection;
use flux_krea_core::history::deletion::DeleteReport;
use flux_krea_core::history::details::GenerationDetails;
use flux_krea_core::history::gallery::{GalleryPage, GalleryQuery};
use flux_krea_core::history::prompts::RecentPrompt;
use flux_krea_core::history::timeline::{DateCount, Period};
use flux_krea_core::Error;
use tauri::State;
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn gallery_page(state: State<'_, AppState>, query: GalleryQuery) -> Result<GalleryPage, Error> {
    state.core()?.gallery_page(&query).await
}

/// The Gallery positioned at a date: the items created before `before` (unix ms), query kept.
#[tauri::command]
#[specta::specta]
pub async fn gallery_jump(state: State<'_, AppState>, query: GalleryQuery, before: f64) -> Result<GalleryPage, Error> {
    // A JavaScript number (specta refuses i64): out of range saturates, and the core refuses that.
    if !before.is_finite() {
        return Err(Error::invalid("before", "must be a time in unix milliseconds"));
    }
    state.core()?.gallery_jump(&query, before as i64).await
}

/// The months or days (local time) holding items for the query, newest first, with counts.
#[tauri::command]
#[specta::specta]
pub async fn gallery_dates(
    state: State<'_, AppState>,
    query: GalleryQuery,
    period: Period,
) -> Result<Vec<DateCount>, Error> {
    state.core()?.gallery_dates(&query, period).await
}

/// The user's earlier prompts, newest use first; `search` as the Gallery's search (recall).
#[tauri::command]
#[specta::specta]
pub async fn recent_prompts(
    state: State<'_, AppState>,
    search: Option<String>,
    limit: i32,
) -> Result<Vec<RecentPrompt>, Error> {
    state.core()?.recent_prompts(search.as_deref(), limit).await
}

#[tauri::command]
#[specta::specta]
pub async fn generation_details(state: State<'_, AppState>, id: i32) -> Result<GenerationDetails, Error> {
    state.core()?.generation_details(id).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_favourite(state: State<'_, AppState>, ids: Vec<i32>, favourite: bool) -> Result<i32, Error> {
    state.core()?.set_favourite(&ids, favourite).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_generations(state: State<'_, AppState>, ids: Vec<i32>) -> Result<DeleteReport, Error> {
    state.core()?.delete_generations(&ids).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_collections(state: State<'_, AppState>) -> Result<Vec<Collection>, Error> {
    state.core()?.list_collections().await
}

#[tauri::command]
#[specta::specta]
pub async fn create_collection(state: State<'_, AppState>, name: String) -> Result<Collection, Error> {
    state.core()?.create_collection(&name).await
}

#[tauri::command]
#[specta::specta]
pub async fn rename_collection(state: State<'_, AppState>, id: i32, name: String) -> Result<Collection, Error> {
    state.core()?.rename_collection(id, &name).await
}

/// Deletes the collection, not its generations.
#[tauri::command]
#[specta::specta]
pub async fn delete_collection(state: State<'_, AppState>, id: i32) -> Result<(), Error> {
    state.core()?.delete_collection(id).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_to_collection(state: State<'_, AppState>, collection_id: i32, ids: Vec<i32>) -> Result<i32, Error> {
    state.core()?.add_to_collection(collection_id, &ids).await
}

#[tauri::command]
#[specta::specta]
pub async fn remove_from_collection(
    state: State<'_, AppState>,
    collection_id: i32,
    ids: Vec<i32>,
) -> Result<i32, Error> {
    state.core()?.remove_from_collection(collection_id, &ids).await
}

/// Shows an image file of the cache in the system file manager.
#[tauri::command]
#[specta::specta]
pub fn reveal_file(state: State<'_, AppState>, file: String) -> Result<(), Error> {
    let path = state.core()?.cached_file(&file)?;
    tauri_plugin_opener::reveal_item_in_dir(&path).map_err(|e| Error::storage(&path, e))
}

/// Puts a cached image on the system clipboard as an image, to paste into another app.
#[tauri::command]
#[specta::specta]
pub async fn copy_image(app: tauri::AppHandle, state: State<'_, AppState>, file: String) -> Result<(), Error> {
    let core = state.core()?.clone();
    let pixels = tokio::task::spawn_blocking(move || core.cached_pixels(&file))
        .await
        .map_err(|e| Error::internal(format!("copying the image stopped: {e}")))??;
    let image = tauri::image::Image::new_owned(pixels.rgba, pixels.width, pixels.height);
    app.clipboard().write_image(&image).map_err(|e| {
        tracing::warn!(error = %e, "the clipboard refused an image");
        Error::internal("the system clipboard did not take the image")
    })
}
