//! Generating: the catalogue, the Create form's requests, the queue, picture inputs.

use flux_krea_core::generation::staging::InputPreview;
use flux_krea_core::generation::{Catalogue, GenerationRequest, Job, QueueState};
use flux_krea_core::Error;
use tauri::State;

use crate::state::AppState;

const QUEUE_LIMIT: i32 = 50;

#[tauri::command]
#[specta::specta]
pub fn model_catalogue(state: State<'_, AppState>) -> Result<Catalogue, Error> {
    Ok(state.core()?.catalogue().clone())
}

#[tauri::command]
#[specta::specta]
pub async fn generate(state: State<'_, AppState>, request: GenerationRequest) -> Result<Job, Error> {
    state.core()?.generate(&request).await
}

#[tauri::command]
#[specta::specta]
pub async fn queue_state(state: State<'_, AppState>) -> Result<QueueState, Error> {
    state.core()?.queue(QUEUE_LIMIT).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_queue_paused(state: State<'_, AppState>, paused: bool) -> Result<QueueState, Error> {
    let core = state.core()?;
    core.set_queue_paused(paused);
    core.queue(QUEUE_LIMIT).await
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_job(state: State<'_, AppState>, id: i32) -> Result<Job, Error> {
    state.core()?.cancel_job(id).await
}

#[tauri::command]
#[specta::specta]
pub async fn retry_job(state: State<'_, AppState>, id: i32) -> Result<Job, Error> {
    state.core()?.retry_job(id).await
}

/// The form values of a gallery item, for Re-run and Remix.
#[tauri::command]
#[specta::specta]
pub async fn request_from(state: State<'_, AppState>, id: i32) -> Result<GenerationRequest, Error> {
    state.core()?.request_from(id).await
}

#[tauri::command]
#[specta::specta]
pub async fn preview_input_image(state: State<'_, AppState>, path: String) -> Result<InputPreview, Error> {
    state.core()?.preview_input_image(&path).await
}

/// A pasted picture, base64 (JSON number arrays would be ~4× larger over IPC).
#[tauri::command]
#[specta::specta]
pub async fn stage_pasted_image(state: State<'_, AppState>, data_base64: String) -> Result<InputPreview, Error> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| Error::invalid("image", "the pasted data is not base64"))?;
    state.core()?.stage_pasted_image(bytes).await
}
