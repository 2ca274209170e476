//! A health report of the install: what is configured, where things live, what works.

use serde::Serialize;

use crate::config::Config;
use crate::database::DatabaseStatus;
use crate::Core;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DoctorReport {
    pub version: String,
    pub config: Config,
    /// `Ok` or why the keychain cannot be used.
    pub keychain: Check,
    pub database: Result<DatabaseStatus, String>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Check {
    Ok,
    Failed(String),
}

impl DoctorReport {
    pub fn healthy(&self) -> bool {
        matches!(self.keychain, Check::Ok) && self.database.as_ref().map(|d| d.integrity == "ok").unwrap_or(false)
    }
}

pub async fn run(core: &Core) -> DoctorReport {
    let keychain = match tokio::task::spawn_blocking(crate::secrets::probe).await {
        Ok(Ok(())) => Check::Ok,
        Ok(Err(e)) => Check::Failed(e.to_string()),
        Err(e) => Check::Failed(format!("probe crashed: {e}")),
    };
    let database = crate::database::status(core.pool(), core.data_dir()).await.map_err(|e| e.to_string());
    DoctorReport { version: crate::VERSION.to_string(), config: core.config().clone(), keychain, database }
}
