include!("commands/list.rs");

/// `with_commands!`'s names, without their modules.
macro_rules! command_names {
    ($($module:ident :: $name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = with_commands!(command_names);
const CAPABILITY: &str = "src-tauri/capabilities/main.json";

fn main() {
    // The app's sources (and capabilities) live in src-tauri/ while the package root is the repo root.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/commands/list.rs");
    check_capability();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*.json")
            // Naming the app's commands makes Tauri generate `allow-<command>` permissions, so the
            // capability file can grant exactly these and nothing else.
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}

/// The capability grants each listed command, and no app command that is not listed: a command
/// added to the list but not granted would fail at run time, one granted but gone would not build.
fn check_capability() {
    let text = std::fs::read_to_string(CAPABILITY).unwrap_or_else(|e| panic!("{CAPABILITY}: {e}"));
    let granted: std::collections::BTreeSet<String> =
        text.split('"').filter_map(|s| s.strip_prefix("allow-")).map(|s| s.replace('-', "_")).collect();
    let listed: std::collections::BTreeSet<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    let missing: Vec<_> = listed.difference(&granted).map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    let extra: Vec<_> = granted.difference(&listed).map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    if !missing.is_empty() || !extra.is_empty() {
        panic!(
            "{CAPABILITY} must grant exactly the commands of src-tauri/commands/list.rs: add {missing:?}, remove {extra:?}"
        );
    }
}
