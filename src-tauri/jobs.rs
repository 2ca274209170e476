//! Job updates from the core's runner to the window, and a system notification when a job ends
//! while the window is in the background.

use std::sync::Arc;

use flux_krea_core::generation::Job;
use flux_krea_core::history::Status;
use flux_krea_core::Core;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event;

/// A job changed: its status, progress or delivered images.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct JobUpdated {
    pub job: Job,
}

pub fn forward(app: AppHandle, core: Arc<Core>) {
    let mut updates = core.subscribe_jobs();
    tauri::async_runtime::spawn(async move {
        loop {
            match updates.recv().await {
                Ok(job) => {
                    notify_if_backgrounded(&app, &job);
                    let _ = JobUpdated { job }.emit(&app);
                }
                // Slow window: it re-reads the queue on the next update anyway.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

fn notify_if_backgrounded(app: &AppHandle, job: &Job) {
    if !matches!(job.status, Status::Done | Status::Failed) {
        return;
    }
    let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(true);
    if focused {
        return;
    }
    // No prompt text in the notification: it can show on a shared screen or lock screen.
    let (title, body) = match job.status {
        Status::Done => (
            "Images ready",
            format!(
                "{} of {} images from {} are in your gallery.",
                job.images_returned, job.images_requested, job.model
            ),
        ),
        _ => ("Generation failed", job.error.clone().unwrap_or_else(|| "A job failed.".into())),
    };
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(error = %e, "could not show a notification");
    }
}
