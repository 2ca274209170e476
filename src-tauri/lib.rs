//! The desktop shell: window, plugins and thin IPC commands over `flux_krea_core`.

mod commands;
mod navigation;
mod state;
mod theme;

use flux_krea_core::logging::LogGuard;
use flux_krea_core::{Config, Core, Error};
use tauri::Manager;
use tauri_specta::{collect_commands, collect_events, Builder};

use crate::state::AppState;

/// Every command and event the webview may use; the TypeScript bindings are generated from it.
pub fn specta_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            commands::app_info,
            commands::get_settings,
            commands::update_settings,
            commands::launch_screen,
        ])
        .events(collect_events![navigation::NavigateRequested])
}

pub fn run() {
    let config = Config::load();
    let _log_guard: Option<LogGuard> = config.as_ref().ok().and_then(|c| {
        flux_krea_core::logging::init(&c.log_dir.value, &c.log_filter.value, cfg!(debug_assertions))
            .map_err(|e| eprintln!("flux-krea: logging is off: {e}"))
            .ok()
    });
    let builder = specta_builder();
    tauri::Builder::default()
        // First, so a second launch is forwarded before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| navigation::on_second_launch(app, args)))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let core = open_core(config);
            if let (Ok(core), Some(window)) = (&core, app.get_webview_window("main")) {
                let preference = tauri::async_runtime::block_on(core.settings()).theme;
                theme::apply(&window, preference);
            }
            app.manage(AppState::new(core));
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the Tauri runtime failed to start");
}

fn open_core(config: Result<Config, Error>) -> Result<Core, Error> {
    let config = config?;
    let data_dir = config.data_dir.value.clone();
    tauri::async_runtime::block_on(Core::open(&data_dir, config)).inspect_err(|e| {
        tracing::error!(error = %e, "the core could not open");
    })
}

#[cfg(test)]
mod tests {
    use specta_typescript::Typescript;

    const BINDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/lib/bindings.ts");

    /// CI fails here when a command or type changed without regenerating the bindings.
    /// `npm run bindings` (FLUX_KREA_WRITE_BINDINGS=1) rewrites the checked-in file.
    #[test]
    fn bindings_are_up_to_date() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh_path = tmp.path().join("bindings.ts");
        super::specta_builder()
            .export(
                Typescript::default()
                    .header("// Generated from Rust by tauri-specta. Do not edit: run `npm run bindings`.\n"),
                &fresh_path,
            )
            .expect("export bindings");
        let fresh = std::fs::read_to_string(&fresh_path).unwrap();
        if std::env::var_os("FLUX_KREA_WRITE_BINDINGS").is_some() {
            std::fs::write(BINDINGS, &fresh).unwrap();
            return;
        }
        let checked_in = std::fs::read_to_string(BINDINGS).unwrap_or_default();
        assert!(checked_in == fresh, "ui/src/lib/bindings.ts is stale: run `npm run bindings` and commit the result");
    }
}
