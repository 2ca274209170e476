//! How the webview draws on Linux. WebKitGTK composites pages on the GPU; on a machine without one
//! it does so on Mesa's software rasterizer (llvmpipe), which costs the window about half a second
//! of shader compiling at every start and doubles the web process's memory, for no smoothness in
//! return. Without a GPU render node the app therefore asks WebKit to draw without compositing.

/// WebKitGTK's own switch; a value the user set is always kept.
const SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// What was decided, for the log once logging is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compositing {
    /// A GPU render node exists: WebKit's default.
    Gpu,
    /// No render node: compositing turned off by the app.
    TurnedOff,
    /// The user's own `WEBKIT_DISABLE_COMPOSITING_MODE` decides.
    UserChoice,
    /// Not Linux: nothing to decide.
    NotApplicable,
}

/// Decides before WebKit starts, and sets the switch when compositing would run in software.
/// Called first thing in `run`, before any other thread reads the environment.
pub fn choose() -> Compositing {
    if !cfg!(target_os = "linux") {
        return Compositing::NotApplicable;
    }
    let decision = decide(std::env::var_os(SWITCH).is_some(), has_render_node(std::path::Path::new("/dev/dri")));
    if decision == Compositing::TurnedOff {
        std::env::set_var(SWITCH, "1");
    }
    decision
}

fn decide(user_set: bool, gpu: bool) -> Compositing {
    match (user_set, gpu) {
        (true, _) => Compositing::UserChoice,
        (false, true) => Compositing::Gpu,
        (false, false) => Compositing::TurnedOff,
    }
}

/// A DRM render node (`renderD128`, …) is what a GPU-backed EGL display opens.
fn has_render_node(dri: &std::path::Path) -> bool {
    std::fs::read_dir(dri)
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false)
}

/// WebKitGTK's default cache model is a web browser's: it keeps up to 128 MB of decoded resources,
/// half of them for pages no longer shown, so every thumbnail scrolled past stays decoded. The app's
/// pages are local and cheap to decode again, so it asks for the document viewer's model: no
/// memory cache beyond what the page shows, and no back/forward cache (the app never navigates).
pub fn keep_caches_small(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    if let Err(e) = window.with_webview(|webview| {
        use webkit2gtk::{WebContextExt, WebViewExt};
        if let Some(context) = webview.inner().context() {
            context.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
        }
    }) {
        tracing::warn!(error = %e, "the webview's cache model is unchanged");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_is_turned_off_only_without_a_gpu_and_never_against_the_user() {
        assert_eq!(decide(false, false), Compositing::TurnedOff);
        assert_eq!(decide(false, true), Compositing::Gpu);
        assert_eq!(decide(true, false), Compositing::UserChoice);
        assert_eq!(decide(true, true), Compositing::UserChoice);
    }

    #[test]
    fn a_render_node_is_recognised_among_the_dri_devices() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dir.path().join("missing")));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(!has_render_node(dir.path()), "a card node alone is not a render node");
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
    }
}
