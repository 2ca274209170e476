//! The desktop shell: window, plugins and thin IPC commands over `flux_krea_core`.

mod browser;
mod commands;
mod geometry;
mod heap;
mod jobs;
mod navigation;
mod picked;
mod rendering;
#[cfg(target_os = "linux")]
mod second_launch;
mod state;
mod theme;
mod updates;

use flux_krea_core::logging::LogGuard;
use flux_krea_core::{Config, Core, Error};
use tauri::Manager;
use tauri_specta::{collect_commands, collect_events, Builder};

use crate::state::AppState;

include!("commands/list.rs");

/// `with_commands!`'s names as the paths `collect_commands!` takes.
macro_rules! collect_app_commands {
    ($($module:ident :: $name:ident),* $(,)?) => {
        collect_commands![$(commands::$module::$name),*]
    };
}

/// Every command and event the webview may use; the TypeScript bindings are generated from it.
pub fn specta_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new().commands(with_commands!(collect_app_commands)).events(collect_events![
        navigation::NavigateRequested,
        jobs::JobUpdated,
        commands::privacy::ExportProgress,
        updates::UpdateStatusChanged
    ])
}

pub fn run() {
    heap::limit_arenas();
    // Before anything starts: a launch while the first instance is still exiting waits for it
    // instead of failing in the single-instance plugin.
    #[cfg(target_os = "linux")]
    second_launch::hand_over_or_exit();
    let compositing = rendering::choose();
    let config = Config::load();
    if let Err(e) = &config {
        // Logging needs the config; the window explains it too (StartupError).
        eprintln!("flux-krea: {e}");
    }
    let _log_guard: Option<LogGuard> = config.as_ref().ok().and_then(|c| {
        flux_krea_core::logging::init(&c.log_dir.value, &c.log_filter.value, cfg!(debug_assertions))
            .map_err(|e| eprintln!("flux-krea: logging is off: {e}"))
            .ok()
    });
    tracing::info!(?compositing, "webview rendering");
    // The database check and migrations run while GTK, the plugins and the webview start
    // (cold start, scripts/measure-startup.sh); setup waits for them only after the window exists.
    let opening = std::thread::spawn(move || open_core(config));
    let builder = specta_builder();
    let context = tauri::generate_context!();
    let update_feed = updates::configured(&context);
    let mut app = tauri::Builder::default()
        // First, so a second launch is forwarded before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| navigation::on_second_launch(app, args)))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        // Used from Rust only (copy_image); the webview is granted none of its commands.
        .plugin(tauri_plugin_clipboard_manager::init());
    if update_feed {
        app = app.plugin(tauri_plugin_updater::Builder::new().build());
    }
    app.manage(updates::Updates::new(update_feed))
        .manage(picked::Picked::default())
        // A dropped file is one the user chose: recorded here, from the OS's event, before the
        // page (told by Tauri's own handler just before) can ask for it over IPC, which this same
        // thread serves only after this returns.
        .on_webview_event(|webview, event| {
            if let tauri::WebviewEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                let picked = webview.state::<picked::Picked>();
                for path in paths {
                    picked.allow_picture(path);
                }
            }
        })
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let window = navigation::create_main_window(app)?;
            rendering::keep_caches_small(&window);
            geometry::save_after_changes(&window);
            let waiting = std::time::Instant::now();
            let core = opening.join().unwrap_or_else(|_| Err(Error::internal("opening the history panicked")));
            // Time the window's page waits for (scripts/measure-startup.sh reads it).
            tracing::info!(waited_ms = waiting.elapsed().as_millis() as u64, "setup waited for the history to open");
            let state = AppState::new(core);
            if let Ok(core) = state.core() {
                theme::apply(&window, tauri::async_runtime::block_on(core.settings()).theme);
                // The webview may load images from the cache folders, and nothing else on disk.
                let scope = app.asset_protocol_scope();
                for area in ["images", "thumbs", "inputs"] {
                    scope.allow_directory(core.data_dir().join(area), true)?;
                }
                tauri::async_runtime::spawn(flux_krea_core::history::purge_schedule(core.clone()));
                // A sign-out that could not reach the platform last time is finished now.
                let parked = core.clone();
                tauri::async_runtime::spawn(async move { parked.retry_parked_session().await });
                jobs::forward(app.handle().clone(), core.clone());
                updates::schedule(app.handle().clone(), core.clone());
                // Like Replicate's own clients (and the offline demo): a token in the environment
                // is used for this run without being stored.
                if let Ok(token) = std::env::var("REPLICATE_API_TOKEN") {
                    if let Err(e) = core.use_replicate_token_from_environment(&token) {
                        tracing::warn!(error = %e, "REPLICATE_API_TOKEN is set but unusable");
                    }
                }
                // The runner needs a Tokio context; Tauri's async runtime is one.
                let runner = core.clone();
                tauri::async_runtime::block_on(async move {
                    match runner.start_jobs() {
                        Ok(true) => {}
                        Ok(false) => tracing::info!("another process runs this data folder's jobs"),
                        Err(e) => tracing::error!(error = %e, "the job runner could not start"),
                    }
                });
            }
            app.manage(state);
            Ok(())
        })
        .run(context)
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

    /// The page gets the app's own commands and three core permissions, no plugin API: pickers,
    /// notifications and links go through Rust, so a compromised page cannot open dialogs that
    /// widen the asset scope, or post notifications, or open URLs itself.
    #[test]
    fn the_page_is_granted_no_plugin_permission() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src-tauri/capabilities/main.json");
        let capability: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let core = ["core:event:allow-listen", "core:event:allow-unlisten", "core:window:allow-theme"];
        for permission in capability["permissions"].as_array().unwrap() {
            let permission = permission.as_str().expect("permissions are plain identifiers");
            assert!(
                core.contains(&permission) || (permission.starts_with("allow-") && !permission.contains(':')),
                "{permission} is granted to the page"
            );
        }
    }

    /// Every `#[tauri::command]` under src-tauri/commands/ is in the one list (a command left out
    /// would exist but be unreachable, with no permission and no binding).
    #[test]
    fn every_command_is_in_the_list() {
        macro_rules! paths {
            ($($module:ident :: $name:ident),* $(,)?) => {
                vec![$(format!("{}::{}", stringify!($module), stringify!($name))),*]
            };
        }
        let listed: std::collections::BTreeSet<String> = with_commands!(paths).into_iter().collect();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src-tauri/commands");
        let mut defined = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let module = path.file_stem().unwrap().to_string_lossy().to_string();
            let source = std::fs::read_to_string(&path).unwrap();
            for chunk in source.split("#[tauri::command]").skip(1) {
                let after_fn = chunk.split_once("fn ").expect("a command is a function").1;
                let name: String = after_fn.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                defined.insert(format!("{module}::{name}"));
            }
        }
        assert!(defined.len() > 50, "found the commands: {defined:?}");
        assert_eq!(defined, listed, "src-tauri/commands/list.rs and the #[tauri::command] functions differ");
    }

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
