//! A throwaway install for integration tests (feature `testing`): its own data, log and config
//! paths in a temporary folder, with the variables the app reads. The core's tests resolve a
//! [`Config`] from it; the CLI's run the binary with exactly these variables and none inherited
//! from the developer's shell. Replicate points at a closed loopback port until a test sets a fake,
//! so nothing real is ever reached.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::{Config, Core};

/// Every variable the app and the CLI read (config.rs and the CLI's `REPLICATE_API_TOKEN`).
pub const VARIABLES: &[&str] = &[
    "FLUX_KREA_CONFIG",
    "FLUX_KREA_DATA_DIR",
    "FLUX_KREA_LOG_DIR",
    "FLUX_KREA_LOG",
    "FLUX_KREA_REPLICATE_URL",
    "FLUX_KREA_PLATFORM_URL",
    "FLUX_KREA_PLATFORM_ANON_KEY",
    "FLUX_KREA_UPDATE_URL",
    "REPLICATE_API_TOKEN",
];

pub struct Sandbox {
    dir: tempfile::TempDir,
    vars: BTreeMap<&'static str, String>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let at = |name: &str| dir.path().join(name).display().to_string();
        let vars = BTreeMap::from([
            ("FLUX_KREA_CONFIG", at("config.toml")),
            ("FLUX_KREA_DATA_DIR", at("data")),
            ("FLUX_KREA_LOG_DIR", at("logs")),
            ("FLUX_KREA_REPLICATE_URL", "http://127.0.0.1:9/v1".to_string()),
        ]);
        Sandbox { dir, vars }
    }

    /// Sets one of [`VARIABLES`] (e.g. a fake's URL, or `REPLICATE_API_TOKEN` for a CLI run).
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Sandbox {
        assert!(VARIABLES.contains(&name), "{name} is not a variable the app reads");
        self.vars.insert(name, value.into());
        self
    }

    /// Leaves one of [`VARIABLES`] unset, so its default applies (e.g. the real Replicate URL,
    /// for a test of the defaults that never calls it).
    pub fn without(mut self, name: &'static str) -> Sandbox {
        self.vars.remove(name);
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> &Path {
        Path::new(&self.vars["FLUX_KREA_DATA_DIR"])
    }

    /// The configuration the app resolves from these variables.
    pub fn config(&self) -> Config {
        let file = Path::new(&self.vars["FLUX_KREA_CONFIG"]).to_path_buf();
        Config::resolve(&file, |name| self.vars.get(name).cloned()).expect("the sandbox's configuration")
    }

    /// The core over this sandbox's data folder.
    pub async fn open(&self) -> Core {
        let config = self.config();
        Core::open(&config.data_dir.value.clone(), config).await.expect("the core opens")
    }

    /// `program` (the CLI binary) with exactly these variables: the others of [`VARIABLES`] are
    /// removed, so a developer's own `REPLICATE_API_TOKEN` or data folder never leaks in.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        for name in VARIABLES {
            match self.vars.get(name) {
                Some(value) => cmd.env(name, value),
                None => cmd.env_remove(name),
            };
        }
        cmd
    }
}
