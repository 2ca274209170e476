//! The window's size and position survive a crash too: the window-state plugin saves only on a
//! clean exit, so this also saves shortly after the user stops moving or resizing the window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tauri::{Manager, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

const QUIET: Duration = Duration::from_millis(400);

pub fn save_after_changes(window: &tauri::WebviewWindow) {
    let app = window.app_handle().clone();
    let changes = Arc::new(AtomicU64::new(0));
    window.on_window_event(move |event| {
        if !matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
            return;
        }
        let seen = changes.fetch_add(1, Ordering::SeqCst) + 1;
        let (app, changes) = (app.clone(), changes.clone());
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(QUIET).await;
            // Only the last change of a burst saves.
            if changes.load(Ordering::SeqCst) == seen {
                if let Err(e) = app.save_window_state(StateFlags::all()) {
                    tracing::warn!(error = %e, "could not save the window geometry");
                }
            }
        });
    });
}
