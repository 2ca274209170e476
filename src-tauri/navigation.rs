//! Which screen to show. A launch with `--screen gallery` opens it; a second launch forwards its
//! arguments to the running instance (single instance), which focuses and navigates.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use tauri_specta::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Screen {
    Create,
    Gallery,
    Account,
    Privacy,
    Settings,
}

/// Sent to the webview when another launch asked for a screen.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct NavigateRequested {
    pub screen: Screen,
}

/// Finds `--screen <name>` or `--screen=<name>` in a command line; unknown names are ignored.
pub fn screen_from_args<S: AsRef<str>>(args: &[S]) -> Option<Screen> {
    let mut iter = args.iter().map(AsRef::as_ref);
    while let Some(arg) = iter.next() {
        let value = match arg.strip_prefix("--screen") {
            Some("") => iter.next(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(name) = value {
            return serde_json::from_value(serde_json::Value::String(name.to_ascii_lowercase())).ok();
        }
    }
    None
}

/// Builds the main window from its configuration (`create: false` there), telling the page the
/// screen asked for on the command line before any of its scripts run: the first render is that
/// screen, with no round trip and no other screen mounted first.
pub fn create_main_window(app: &tauri::App) -> tauri::Result<tauri::WebviewWindow> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    let screen = screen_from_args(&std::env::args().collect::<Vec<_>>());
    tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
        .initialization_script(launch_script(screen))
        .build()
}

/// `window.__FLUX_KREA_LAUNCH_SCREEN__`, read once by `ui/src/lib/nav.svelte.ts`.
fn launch_script(screen: Option<Screen>) -> String {
    let value = serde_json::to_string(&screen).unwrap_or_else(|_| "null".into());
    format!("window.__FLUX_KREA_LAUNCH_SCREEN__ = {value};")
}

/// Called by the single-instance plugin in the first instance when the app is launched again.
pub fn on_second_launch(app: &AppHandle, args: Vec<String>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    if let Some(screen) = screen_from_args(&args) {
        if let Err(e) = (NavigateRequested { screen }).emit(app) {
            tracing::warn!(error = %e, "could not forward the requested screen");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_ignores_junk() {
        assert_eq!(screen_from_args(&["app", "--screen", "gallery"]), Some(Screen::Gallery));
        assert_eq!(screen_from_args(&["app", "--screen=Privacy"]), Some(Screen::Privacy));
        assert_eq!(screen_from_args(&["app", "--screen", "nope"]), None);
        assert_eq!(screen_from_args(&["app", "--screens=gallery"]), None);
        assert_eq!(screen_from_args(&["app"]), None);
        assert_eq!(screen_from_args(&["app", "--screen"]), None);
    }

    #[test]
    fn the_launch_script_names_the_screen_or_null() {
        assert_eq!(launch_script(Some(Screen::Gallery)), "window.__FLUX_KREA_LAUNCH_SCREEN__ = \"gallery\";");
        assert_eq!(launch_script(None), "window.__FLUX_KREA_LAUNCH_SCREEN__ = null;");
    }
}
