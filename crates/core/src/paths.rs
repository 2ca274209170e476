//! Where the app keeps things on each OS. Computed here (not by Tauri) so the CLI and the app
//! agree; the folders match Tauri's `app_*_dir` for the same identifier.

use std::path::PathBuf;

/// The bundle identifier in `tauri.conf.json`; also the keychain service name.
pub const IDENTIFIER: &str = "com.fluxkrea.desktop";

pub fn default_data_dir() -> PathBuf {
    base(dirs::data_dir()).join(IDENTIFIER)
}

pub fn default_config_dir() -> PathBuf {
    base(dirs::config_dir()).join(IDENTIFIER)
}

/// Tauri's `app_log_dir`: `~/Library/Logs/{id}` on macOS, `{local data}/{id}/logs` elsewhere.
pub fn default_log_dir() -> PathBuf {
    #[cfg(target_os = "macos")]
    {
        base(dirs::home_dir()).join("Library/Logs").join(IDENTIFIER)
    }
    #[cfg(not(target_os = "macos"))]
    {
        base(dirs::data_local_dir()).join(IDENTIFIER).join("logs")
    }
}

fn base(dir: Option<PathBuf>) -> PathBuf {
    // Without a home directory there is nowhere sensible; the working directory is at least visible.
    dir.unwrap_or_else(|| PathBuf::from("."))
}
