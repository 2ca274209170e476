//! Privacy: the policy's promises kept on this computer (docs/privacy-promises.md) — consents, the
//! data export, erasure, the "what is stored" report and the record of the rights exercised.
//! When signed in, the platform's side too (`platform`): consents synced, its copy exported and
//! erased, account deletion requested. The [`Core`] methods are in `api.rs`.

mod api;
pub mod consents;
pub mod erasure;
pub mod export;
pub mod platform;
pub mod report;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::error::Result;
use crate::Core;

pub use consents::{Consent, ConsentChange, ConsentSource};
pub use erasure::ErasureReport;
pub use export::{ExportPhase, ExportProgress, ExportReport};
pub use report::{PrivacyReport, UsageStats};

/// A right the user exercised, kept so the Privacy screen can show what was done and when.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct PrivacyRequest {
    pub id: i32,
    pub kind: String,
    pub status: RequestStatus,
    #[specta(type = crate::JsInt)]
    pub requested_at: i64,
    pub outcome: String,
    pub platform_request_id: Option<String>,
    #[specta(type = Option<crate::JsInt>)]
    pub due_at: Option<i64>,
}

/// Where a request stands. Only an account deletion waits (30 days) and can be withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Done,
    Pending,
    Cancelled,
}

impl RequestStatus {
    fn parse(text: &str) -> RequestStatus {
        match text {
            "pending" => RequestStatus::Pending,
            "cancelled" => RequestStatus::Cancelled,
            _ => RequestStatus::Done,
        }
    }
}

/// The work of [`Core::set_consent`].
async fn set_consent(core: &Core, name: &str, granted: bool, source: ConsentSource) -> Result<Vec<Consent>> {
    let consents = consents::set(core.pool(), name, granted, source, now_ms()).await?;
    if let Err(e) = platform::sync_consents(core).await {
        tracing::warn!(error = %e, "consents not synced to the platform yet");
    }
    Ok(consents)
}

/// The work of [`Core::privacy_report`].
async fn privacy_report(core: &Core) -> Result<PrivacyReport> {
    let policy = core.retention().await?;
    let last_purge_at = core.purge_lock.try_lock().ok().and_then(|last| *last);
    let mut keychain_entries = match core.replicate_key().await {
        Ok(status) if status.source == Some(crate::generation::KeySource::Keychain) => {
            vec!["replicate-token".to_string()]
        }
        _ => Vec::new(),
    };
    if core.signed_in().await.unwrap_or(false) {
        keychain_entries.push("platform-session".into());
    }
    report::report(report::ReportInput {
        pool: core.pool(),
        data_dir: core.data_dir(),
        log_dir: &core.config().log_dir.value,
        retention_days: policy.window_days,
        last_purge_at,
        purge_every_ms: crate::history::api::PURGE_EVERY.as_millis() as i64,
        keychain_entries,
    })
    .await
}

/// The work of [`Core::suggested_export_path`].
fn suggested_export_path() -> Result<String> {
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .ok_or_else(|| crate::Error::invalid("out", "no Downloads or home folder; choose where to save"))?;
    let date = crate::clock::format_time(now_ms());
    let day = date.get(..10).unwrap_or("export");
    for n in 1..1000 {
        let name =
            if n == 1 { format!("flux-krea-export-{day}.zip") } else { format!("flux-krea-export-{day}-{n}.zip") };
        let path = dir.join(name);
        if !path.exists() {
            return Ok(path.display().to_string());
        }
    }
    Err(crate::Error::invalid("out", "too many exports today in the Downloads folder; choose where to save"))
}

/// The work of [`Core::export_data`].
async fn export_data(core: &Core, out: &Path, progress: &(dyn Fn(ExportProgress) + Sync)) -> Result<ExportReport> {
    let documents = vec![
        (
            "consents.json",
            serde_json::json!({ "current": core.consents().await?, "history": core.consent_history().await? }),
        ),
        (
            "settings.json",
            serde_json::json!({ "settings": core.settings().await, "retention": core.retention().await? }),
        ),
        (
            "spend_ledger.json",
            serde_json::to_value(crate::generation::spend::summary(core.pool(), now_ms(), 1000).await?)
                .unwrap_or_default(),
        ),
        ("privacy_requests.json", serde_json::to_value(requests(core).await?).unwrap_or_default()),
        // The import (`Core::import_styles`) reads this file back.
        (
            crate::styles::import::FILE_NAME,
            serde_json::json!({ "schema_version": export::SCHEMA_VERSION, "styles": core.styles().await? }),
        ),
    ];
    let mut documents = documents;
    // Signed in: the platform's copy of the account (profile, ledger, consents, stored prompts).
    let account_note = match platform::export(core).await {
        Ok(Some(data)) => {
            documents.push(("platform_account.json", data));
            ", with your account's data from Flux Krea"
        }
        Ok(None) => "",
        Err(e) => {
            documents.push(("platform_account.json", serde_json::json!({ "unavailable": e.to_string() })));
            "; your account's data could not be fetched from Flux Krea (see platform_account.json)"
        }
    };
    let report = export::export(core.pool(), core.data_dir(), out, documents, progress).await?;
    let outcome = format!(
        "{} generations and {} images written to {}{account_note}",
        report.generations, report.images, report.path
    );
    record_request(core, "export", &outcome).await?;
    Ok(report)
}

/// The work of [`Core::erase_prompts`].
async fn erase_prompts(core: &Core) -> Result<ErasureReport> {
    let mut report = erasure::erase_prompts(core.pool(), core.data_dir()).await?;
    let platform = platform_outcome(&platform::erase(core, "prompts").await, "stored prompts");
    let outcome = format!("prompts and parameters of {} generations erased{platform}", report.generations);
    record_request(core, "erase_prompts", &outcome).await?;
    report.platform = (!platform.is_empty()).then(|| platform.trim_start_matches("; ").to_string());
    Ok(report)
}

/// The work of [`Core::erase_everything`].
async fn erase_everything(core: &Core) -> Result<ErasureReport> {
    let mut report = erasure::erase_everything(core.pool(), core.data_dir()).await?;
    let platform = platform_outcome(&platform::erase(core, "prompts").await, "stored prompts")
        + &platform_outcome(&platform::erase(core, "images").await, "images in temporary storage");
    let outcome = format!("{} generations and {} files erased{platform}", report.generations, report.files_removed);
    record_request(core, "erase_all", &outcome).await?;
    report.platform = (!platform.is_empty()).then(|| platform.trim_start_matches("; ").to_string());
    Ok(report)
}

/// The work of [`Core::privacy_requests`]: the record of the rights exercised, newest first.
async fn requests(core: &Core) -> Result<Vec<PrivacyRequest>> {
    let rows = sqlx::query!(
        "SELECT id, kind, status, requested_at, outcome, platform_request_id, due_at FROM privacy_requests
         ORDER BY id DESC",
    )
    .fetch_all(core.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PrivacyRequest {
            id: r.id as i32,
            kind: r.kind,
            status: RequestStatus::parse(&r.status),
            requested_at: r.requested_at,
            outcome: r.outcome,
            platform_request_id: r.platform_request_id,
            due_at: r.due_at,
        })
        .collect())
}

/// Adds a right exercised to the record.
async fn record_request(core: &Core, kind: &str, outcome: &str) -> Result<()> {
    sqlx::query!(
        "INSERT INTO privacy_requests (kind, requested_at, outcome) VALUES (?, ?, ?)",
        kind,
        now_ms(),
        outcome
    )
    .execute(core.pool())
    .await?;
    Ok(())
}

/// What the platform did, for the request's outcome line (empty when not signed in).
fn platform_outcome(result: &Result<Option<i64>>, what: &str) -> String {
    match result {
        Ok(Some(n)) => format!("; Flux Krea removed {what}: {n}"),
        Ok(None) => String::new(),
        Err(e) => format!("; Flux Krea could not be asked to remove {what} ({e}): try again when online"),
    }
}
