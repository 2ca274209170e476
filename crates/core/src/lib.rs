//! Flux Krea Desktop's core. It knows nothing of Tauri: the desktop shell and the CLI are thin
//! layers over [`Core`], and everything here is testable without a window.
//!
//! # The façade, by domain
//!
//! [`Core`]'s methods are what the shell and the CLI call. Each domain keeps them in its own
//! `api.rs`, as short calls into the domain's other modules, where the work is; a second
//! `impl Core` block there holds the few `pub(crate)` methods other domains call.
//!
//! - `auth/api.rs` — sign in and out, the session (parked after an offline sign-out), account
//!   status, generation mode; for the crate, the platform client and the access token.
//! - `credits/api.rs` — the balance, the ledger, packs, the price list, buying a pack.
//! - `generation/api.rs` — the catalogue, the job queue (generate, a plan of several jobs from
//!   `{a|b}` variations × models, cancel, retry, re-run), the own-key token and spend, picture
//!   inputs, the Create screen's draft; for the crate, a job's provider and credentials.
//! - `history/api.rs` — gallery pages, details, recent prompts, favourites, deletion, collections,
//!   cached files, retention and the purge, synthetic seeding.
//! - `privacy/api.rs` — consents, the "what is stored" report, export, erasure, the record of
//!   requests, and the platform's side: consent sync, image removal, account deletion, age.
//! - `styles/api.rs` — saved styles (text around the prompt, form defaults), their import from a
//!   data export.
//! - `updates/api.rs` — the update channel, a skipped version, the last check, generations in
//!   flight.
//!
//! The `impl Core` in this file is the Core itself, not a domain: opening and closing, the data
//! folder, the config, the pool, the app's info, the settings and the doctor.

pub mod auth;
pub mod clock;
pub mod config;
pub mod credits;
pub mod database;
pub mod doctor;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod generation;
pub mod history;
pub mod http;
pub mod logging;
pub mod paths;
pub mod privacy;
pub mod remote;
pub mod retention;
pub mod secrets;
pub mod settings;
pub mod storage;
pub mod styles;
#[cfg(feature = "testing")]
pub mod testing;
pub mod updates;
pub mod write_lock;

use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::SqlitePool;
use tokio::sync::Mutex;

pub use config::Config;
pub use error::{Error, Result};
pub use settings::{Settings, ThemePreference};

/// How TypeScript sees an `i64` that always fits in 2^53 (epoch milliseconds, byte and row counts,
/// seeds): a plain `number`. The bindings otherwise refuse 64-bit integers (a JS number loses
/// precision past 2^53), so each such field opts in with `#[specta(type = crate::JsInt)]`. Not
/// `f64`: serde would print `1796367231054.0`, and specta types an `f64` as `number | null`.
pub type JsInt = i32;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The app's state: the data folder, the database and the settings.
pub struct Core {
    data_dir: PathBuf,
    config: Config,
    pool: SqlitePool,
    /// Serialises read-modify-write of settings.
    settings: Mutex<Settings>,
    /// Set when a damaged database was moved aside at open; the UI tells the user.
    recovery: Option<history::Recovery>,
    /// The database was too large to check before the first screen; [`Core::check_database`] does.
    check_deferred: bool,
    database_check: tokio::sync::OnceCell<Option<String>>,
    /// Serialises purges and remembers when the last one ran (the privacy report's "next purge").
    purge_lock: Mutex<Option<i64>>,
    jobs: generation::Jobs,
    credentials: generation::Credentials,
    account: auth::AccountState,
}

/// What the UI shows in its "About" area.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub log_dir: String,
    pub config_file: String,
    pub replicate_url: String,
    pub account_mode_available: bool,
    /// The database was damaged and set aside at this start; where it went and why.
    pub recovered_database: Option<history::Recovery>,
}

/// The Core itself, not a domain: opening and closing, what it holds (data folder, config, pool,
/// settings) and what it reports about itself. Each domain's methods are in its `api.rs` (see the
/// crate's documentation, "The façade, by domain").
impl Core {
    /// Opens (creating if needed, 0700) the data folder and the database in it.
    pub async fn open(data_dir: &Path, config: Config) -> Result<Core> {
        storage::create_private_dir(data_dir)?;
        let history::recovery::Opened { pool, recovery, check_deferred } =
            history::open_checked_within(data_dir, history::recovery::CHECK_BEFORE_OPEN_BYTES).await?;
        if let Some(r) = &recovery {
            tracing::warn!(moved_to = %r.moved_to, reason = %r.reason, "damaged database set aside; started a fresh one");
        }
        let settings = settings::load(&pool).await.unwrap_or_default();
        tracing::info!(version = VERSION, "core opened");
        Ok(Core {
            data_dir: data_dir.to_path_buf(),
            config,
            pool,
            settings: Mutex::new(settings),
            recovery,
            check_deferred,
            database_check: tokio::sync::OnceCell::new(),
            purge_lock: Mutex::new(None),
            jobs: generation::Jobs::default(),
            credentials: generation::Credentials::default(),
            account: auth::AccountState::default(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The integrity check a large history skipped at start, run once (later calls share it):
    /// the damage it found, if any, which is set aside at the next start. None at once when the
    /// check ran before opening.
    pub async fn check_database(&self) -> Result<Option<String>> {
        if !self.check_deferred {
            return Ok(None);
        }
        self.database_check.get_or_try_init(|| history::recovery::check_now(&self.data_dir)).await.cloned()
    }

    pub fn app_info(&self) -> AppInfo {
        AppInfo {
            version: VERSION.to_string(),
            data_dir: self.data_dir.display().to_string(),
            log_dir: self.config.log_dir.value.display().to_string(),
            config_file: self.config.config_file.clone(),
            replicate_url: self.config.replicate_url.value.clone(),
            account_mode_available: self.platform_api_base().is_ok(),
            recovered_database: self.recovery.clone(),
        }
    }

    pub async fn settings(&self) -> Settings {
        self.settings.lock().await.clone()
    }

    /// Saves first, then updates memory, so a failed write leaves both unchanged.
    pub async fn update_settings(&self, new: Settings) -> Result<Settings> {
        let mut current = self.settings.lock().await;
        settings::save(&self.pool, &new).await?;
        *current = new.clone();
        Ok(new)
    }

    pub async fn doctor(&self) -> doctor::DoctorReport {
        doctor::run(self).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_for(dir: &Path) -> Config {
        let data = dir.join("data").display().to_string();
        let logs = dir.join("logs").display().to_string();
        Config::resolve(&dir.join("none.toml"), move |k| match k {
            "FLUX_KREA_DATA_DIR" => Some(data.clone()),
            "FLUX_KREA_LOG_DIR" => Some(logs.clone()),
            _ => None,
        })
        .unwrap()
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn open_creates_a_private_data_dir_and_keeps_settings() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let config = config_for(tmp.path());
        let data_dir = config.data_dir.value.clone();
        let core = Core::open(&data_dir, config.clone()).await.unwrap();
        let mode = std::fs::metadata(&data_dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert_eq!(core.app_info().data_dir, data_dir.display().to_string());
        assert!(!core.app_info().account_mode_available);
        core.update_settings(Settings { theme: ThemePreference::Light }).await.unwrap();
        core.close().await;
        let core = Core::open(&data_dir, config).await.unwrap();
        assert_eq!(core.settings().await.theme, ThemePreference::Light);
    }

    #[tokio::test]
    async fn open_fails_clearly_when_the_data_dir_cannot_be_created() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let bad = blocker.join("data");
        let err = Core::open(&bad, config_for(tmp.path())).await.err().expect("must fail");
        match err {
            Error::Storage { path, .. } => assert_eq!(path, bad.display().to_string()),
            other => panic!("{other:?}"),
        }
    }
}
