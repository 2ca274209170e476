//! Generating: the catalogue, the Create form's requests, the queue, picture inputs.

use flux_krea_core::generation::plan::GenerationPlan;
use flux_krea_core::generation::staging::InputPreview;
use flux_krea_core::generation::{Catalogue, GenerationRequest, Job, QueueState};
use flux_krea_core::{Core, Error};
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use crate::picked::Picked;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub fn model_catalogue(state: State<'_, AppState>) -> Result<Catalogue, Error> {
    Ok(state.core()?.catalogue().clone())
}

#[tauri::command]
#[specta::specta]
pub async fn generate(
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
    request: GenerationRequest,
) -> Result<Job, Error> {
    let core = state.core()?;
    picked.check_request(&request, &image_fields(core, &request.model))?;
    core.generate(&request).await
}

/// Every job one form makes (its `{a|b}` variations on each model), priced; nothing is sent.
#[tauri::command]
#[specta::specta]
pub async fn plan_generation(
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
    request: GenerationRequest,
    models: Vec<String>,
    cap: u32,
) -> Result<GenerationPlan, Error> {
    let core = state.core()?;
    // Planning reads the pictures: only ones the user chose, whatever model takes them.
    for model in models.iter().chain([&request.model]) {
        picked.check_request(&request, &image_fields(core, model))?;
    }
    core.plan_generation(&request, &models, cap as usize).await
}

/// Queues every job of a plan, or none.
#[tauri::command]
#[specta::specta]
pub async fn generate_plan(
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
    plan: GenerationPlan,
) -> Result<Vec<Job>, Error> {
    let core = state.core()?;
    for job in &plan.jobs {
        picked.check_request(&job.request, &image_fields(core, &job.model))?;
    }
    core.generate_plan(&plan).await
}

/// The model's picture fields (none for an unknown model: the core then names the model).
fn image_fields(core: &Core, model: &str) -> Vec<String> {
    core.catalogue().model(model).map(|m| m.image_fields().map(|f| f.name.clone()).collect()).unwrap_or_default()
}

#[tauri::command]
#[specta::specta]
pub async fn queue_state(state: State<'_, AppState>) -> Result<QueueState, Error> {
    state.core()?.queue().await
}

#[tauri::command]
#[specta::specta]
pub async fn set_queue_paused(state: State<'_, AppState>, paused: bool) -> Result<QueueState, Error> {
    let core = state.core()?;
    core.set_queue_paused(paused);
    core.queue().await
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
pub async fn request_from(
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
    id: i32,
) -> Result<GenerationRequest, Error> {
    let core = state.core()?;
    let request = core.request_from(id).await?;
    picked.allow_request(&request, &image_fields(core, &request.model));
    Ok(request)
}

/// Opens the system file dialog for a picture; returns the chosen path (`None`: cancelled), which
/// `preview_input_image` and `generate` then accept.
#[tauri::command]
#[specta::specta]
pub async fn pick_input_image(
    window: tauri::WebviewWindow,
    picked: State<'_, Picked>,
    title: String,
) -> Result<Option<String>, Error> {
    let dialog = window
        .dialog()
        .file()
        .set_parent(&window)
        .set_title(title)
        .add_filter("Images", &["png", "jpg", "jpeg", "webp"]);
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_file())
        .await
        .map_err(|_| Error::internal("the file dialog stopped"))?;
    let Some(chosen) = chosen else { return Ok(None) };
    let path = chosen.into_path().map_err(|e| Error::invalid("image", format!("not a local file: {e}")))?;
    Ok(Some(picked.allow_picture(&path)))
}

/// The preview of a picked, dropped or Re-run picture: only paths the user chose in this session.
#[tauri::command]
#[specta::specta]
pub async fn preview_input_image(
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
    path: String,
) -> Result<InputPreview, Error> {
    picked.picture("image", &path)?;
    state.core()?.preview_input_image(&path).await
}

/// A pasted picture, base64 (JSON number arrays would be ~4× larger over IPC).
#[tauri::command]
#[specta::specta]
pub async fn stage_pasted_image(
    state: State<'_, AppState>,
    picked: State<'_, Picked>,
    data_base64: String,
) -> Result<InputPreview, Error> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| Error::invalid("image", "the pasted data is not base64"))?;
    let preview = state.core()?.stage_pasted_image(bytes).await?;
    picked.allow_picture(std::path::Path::new(&preview.path));
    Ok(preview)
}
