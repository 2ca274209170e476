//! The native window theme follows the user's choice; `None` hands it back to the OS.

use flux_krea_core::ThemePreference;

pub fn apply(window: &tauri::WebviewWindow, preference: ThemePreference) {
    let theme = match preference {
        ThemePreference::System => None,
        ThemePreference::Light => Some(tauri::Theme::Light),
        ThemePreference::Dark => Some(tauri::Theme::Dark),
    };
    if let Err(e) = window.set_theme(theme) {
        tracing::warn!(error = %e, "could not set the window theme");
    }
}
