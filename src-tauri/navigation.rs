//! Which screen to show. A launch with `--screen gallery` opens it; a second launch forwards its
//! arguments to the running instance (single instance), which focuses and navigates.

use serde::{Deserialize, Serialize};
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, Url};
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
    // The Vite server is one of the app's pages in a development build only.
    let dev_url = if tauri::is_dev() { app.config().build.dev_url.clone() } else { None };
    tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
        .initialization_script(launch_script(screen))
        // The window shows the app's own pages and nothing else: a page elsewhere (a link, a
        // script a compromised page runs) is refused, and an allowed link opens in the browser.
        .on_navigation(move |url| {
            let own = is_app_page(url, dev_url.as_ref());
            if !own {
                leave_app(url);
            }
            own
        })
        .on_new_window(|url, _features| {
            leave_app(&url);
            NewWindowResponse::Deny
        })
        .build()
}

/// The app's bundled pages (`tauri://localhost`, or `http(s)://tauri.localhost` where the platform
/// serves them so) and, when given, the development server's origin.
pub fn is_app_page(url: &Url, dev_url: Option<&Url>) -> bool {
    let bundled = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    };
    bundled || dev_url.is_some_and(|dev| url.origin() == dev.origin())
}

/// A page outside the app: opened in the system browser if it is an allowed link, else dropped.
/// Logged by scheme and host only (a URL can carry tokens).
fn leave_app(url: &Url) {
    let host = url.host_str().unwrap_or_default();
    match crate::browser::open_link(url.as_str()) {
        Ok(()) => tracing::info!(host, "link opened in the system browser"),
        Err(_) => tracing::warn!(scheme = url.scheme(), host, "refused to leave the app's pages"),
    }
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
    fn only_the_app_pages_are_shown() {
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(is_app_page(&url("tauri://localhost/index.html"), None));
        assert!(is_app_page(&url("http://tauri.localhost/"), None));
        assert!(is_app_page(&url("https://tauri.localhost/#gallery"), None));
        let dev = url("http://localhost:5173");
        assert!(is_app_page(&url("http://localhost:5173/src/main.ts"), Some(&dev)));
        for elsewhere in [
            "https://example.com/",
            "http://localhost:5173/",
            "http://tauri.localhost.evil.example/",
            "http://tauri.localhost:8080/",
            "tauri://evil/",
            "file:///etc/passwd",
            "data:text/html,<h1>hi</h1>",
            "about:blank",
        ] {
            assert!(!is_app_page(&url(elsewhere), None), "{elsewhere}");
        }
        assert!(!is_app_page(&url("http://localhost:5174/"), Some(&dev)));
    }

    #[test]
    fn the_launch_script_names_the_screen_or_null() {
        assert_eq!(launch_script(Some(Screen::Gallery)), "window.__FLUX_KREA_LAUNCH_SCREEN__ = \"gallery\";");
        assert_eq!(launch_script(None), "window.__FLUX_KREA_LAUNCH_SCREEN__ = null;");
    }
}
