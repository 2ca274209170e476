//! Signed updates through tauri-plugin-updater: a quiet check after start-up and every few hours,
//! download with progress, then install only once no generation is running. The plugin verifies
//! every byte against the release key; the core supplies the channel, the skipped version and the
//! words for each outcome.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use flux_krea_core::updates::{channel_endpoints, UpdateOffer, UpdateProblem, UpdateProblemKind, UpdateStatus};
use flux_krea_core::{Core, Error};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};
use tauri_specta::Event;

/// After the window is up: the check never competes with the first paint.
const FIRST_CHECK_AFTER: Duration = Duration::from_secs(3);
const CHECK_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
const IDLE_POLL: Duration = Duration::from_secs(2);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The updater's state changed (checking, found, progress, waiting, failed).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct UpdateStatusChanged {
    pub status: UpdateStatus,
}

/// Managed by the app: the current status and the update found by the last check.
pub struct Updates {
    enabled: bool,
    status: Mutex<UpdateStatus>,
    found: tokio::sync::Mutex<Option<Update>>,
}

impl Updates {
    pub fn new(enabled: bool) -> Self {
        let status = if enabled { UpdateStatus::Idle } else { UpdateStatus::Disabled };
        Updates { enabled, status: Mutex::new(status), found: tokio::sync::Mutex::new(None) }
    }

    pub fn status(&self) -> UpdateStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or(UpdateStatus::Idle)
    }
}

/// Whether this build carries an update feed: release builds do (tauri.release.conf.json); the
/// plugin is only registered then, since it refuses to start without a public key.
pub fn configured(context: &tauri::Context<tauri::Wry>) -> bool {
    context
        .config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("pubkey"))
        .and_then(|k| k.as_str())
        .is_some_and(|k| !k.is_empty())
}

pub fn schedule(app: AppHandle, core: Arc<Core>) {
    if !app.state::<Updates>().enabled {
        return;
    }
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_CHECK_AFTER).await;
        loop {
            // A download or install in progress is not interrupted by a scheduled check.
            let busy = matches!(
                app.state::<Updates>().status(),
                UpdateStatus::Checking
                    | UpdateStatus::Downloading { .. }
                    | UpdateStatus::WaitingForIdle { .. }
                    | UpdateStatus::Installing { .. }
            );
            if !busy {
                check(&app, &core).await;
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

fn set(app: &AppHandle, status: UpdateStatus) -> UpdateStatus {
    if let Ok(mut current) = app.state::<Updates>().status.lock() {
        *current = status.clone();
    }
    let _ = UpdateStatusChanged { status: status.clone() }.emit(app);
    status
}

pub async fn check(app: &AppHandle, core: &Core) -> UpdateStatus {
    let updates = app.state::<Updates>();
    if !updates.enabled {
        return UpdateStatus::Disabled;
    }
    set(app, UpdateStatus::Checking);
    let prefs = core.update_prefs().await.unwrap_or_default();
    let result = match updater(app, core, prefs.channel) {
        Ok(updater) => updater.check().await,
        Err(e) => Err(e),
    };
    let status = match result {
        Ok(None) => UpdateStatus::UpToDate { checked_at_ms: now_ms(), skipped: None },
        Ok(Some(update)) if prefs.skipped_version.as_deref() == Some(update.version.as_str()) => {
            UpdateStatus::UpToDate { checked_at_ms: now_ms(), skipped: Some(update.version) }
        }
        Ok(Some(update)) => {
            let offer = UpdateOffer {
                version: update.version.clone(),
                current_version: update.current_version.clone(),
                notes: update.body.clone(),
                date: update.date.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()),
            };
            *updates.found.lock().await = Some(update);
            UpdateStatus::Available(offer)
        }
        Err(e) => failed(e, None),
    };
    let outcome = match &status {
        UpdateStatus::Available(offer) => format!("Version {} is available", offer.version),
        UpdateStatus::Failed { problem, .. } => problem.message.clone(),
        _ => "Up to date".to_string(),
    };
    if let Err(e) = core.record_update_check(outcome).await {
        tracing::warn!(error = %e, "could not record the update check");
    }
    set(app, status)
}

/// Downloads and verifies the update found by the last check, waits until no generation is
/// running, installs it and restarts. Returns the status it stopped at (failures included).
pub async fn install(app: &AppHandle, core: &Core) -> Result<UpdateStatus, Error> {
    let updates = app.state::<Updates>();
    let Some(update) = updates.found.lock().await.take() else {
        return Err(Error::invalid("update", "no update is ready; check for updates first"));
    };
    let version = update.version.clone();
    // The plugin refuses this too (`requireSignedVersion` in tauri.conf.json); checked here as
    // well so a config that lost the flag still cannot install an older signed build offered
    // under a new number. The comment is only read here: the download verifies the signature
    // over it before anything is installed.
    if let Err(signed) = signed_for_offered(&update.signature, &version) {
        tracing::warn!(offered = %version, signed = signed.as_deref().unwrap_or("no version"), "update signature names another version");
        let problem = UpdateProblem::new(UpdateProblemKind::BadSignature);
        return Ok(set(app, UpdateStatus::Failed { problem, version: Some(version) }));
    }
    set(app, UpdateStatus::Downloading { version: version.clone(), received: 0, total: None });
    let mut received = 0u64;
    let progress_app = app.clone();
    let progress_version = version.clone();
    let bytes = update
        .download(
            move |chunk, total| {
                received += chunk as u64;
                set(&progress_app, UpdateStatus::Downloading { version: progress_version.clone(), received, total });
            },
            || {},
        )
        .await;
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => {
            // The offer stays: "Try again" downloads afresh.
            *updates.found.lock().await = Some(update);
            return Ok(set(app, failed(e, Some(version))));
        }
    };
    tracing::info!(version = %version, bytes = bytes.len(), "update downloaded and verified");
    loop {
        let generations = core.generations_in_flight().await?;
        if generations == 0 {
            break;
        }
        set(app, UpdateStatus::WaitingForIdle { version: version.clone(), generations });
        tokio::time::sleep(IDLE_POLL).await;
    }
    // A binary that was not installed from a package (a source or CI build) must not overwrite
    // itself: the plugin would treat it as an AppImage.
    if tauri::utils::platform::bundle_type().is_none() {
        tracing::warn!(version = %version, "update verified but this copy was not installed from a package");
        let problem = UpdateProblem::new(UpdateProblemKind::NotInstalled);
        return Ok(set(app, UpdateStatus::Failed { problem, version: Some(version) }));
    }
    set(app, UpdateStatus::Installing { version: version.clone() });
    if let Err(e) = update.install(&bytes) {
        return Ok(set(app, failed(e, Some(version))));
    }
    tracing::info!(version = %version, "update installed; restarting");
    app.restart();
}

/// The channel's feed: the build's endpoints, or `update_url` from the config (a mirror; https
/// only, and its downloads must still carry the build's release signature).
fn updater(
    app: &AppHandle,
    core: &Core,
    channel: flux_krea_core::updates::UpdateChannel,
) -> Result<tauri_plugin_updater::Updater, tauri_plugin_updater::Error> {
    let built_in: Vec<String> = app
        .config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("endpoints"))
        .and_then(|e| serde_json::from_value(e.clone()).ok())
        .unwrap_or_default();
    let configured = core.config().update_url.value.clone().map_or(built_in, |mirror| vec![mirror]);
    let mut urls = Vec::new();
    for url in channel_endpoints(&configured, channel) {
        urls.push(url.parse().map_err(tauri_plugin_updater::Error::UrlParse)?);
    }
    app.updater_builder().endpoints(urls)?.timeout(REQUEST_TIMEOUT).build()
}

/// Whether the release signature (base64 of minisign's text, as in `latest.json`) was made for
/// `offered`: Tauri's signer writes `version:X` into the trusted comment. `Err` carries the
/// version it names instead, or `None` when it names none (an unversioned signature is refused).
fn signed_for_offered(signature_b64: &str, offered: &str) -> Result<(), Option<String>> {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD
        .decode(signature_b64.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(None)?;
    let comment = text.lines().find_map(|line| line.strip_prefix("trusted comment: ")).ok_or(None)?;
    let signed = comment.split('\t').find_map(|field| field.strip_prefix("version:")).ok_or(None)?;
    if signed.trim_start_matches('v') == offered.trim_start_matches('v') {
        Ok(())
    } else {
        Err(Some(signed.to_string()))
    }
}

/// The plugin's error, in the user's words (and the log's).
fn failed(error: tauri_plugin_updater::Error, version: Option<String>) -> UpdateStatus {
    use tauri_plugin_updater::Error as E;
    let kind = match &error {
        E::Reqwest(e) if e.is_decode() => UpdateProblemKind::Malformed,
        E::Reqwest(e) if e.is_status() => UpdateProblemKind::Server,
        E::Reqwest(_) | E::Io(_) => UpdateProblemKind::Offline,
        E::Network(_) | E::ReleaseNotFound => UpdateProblemKind::Server,
        E::Serialization(_) | E::Semver(_) | E::UrlParse(_) => UpdateProblemKind::Malformed,
        E::TargetNotFound(_) | E::TargetsNotFound(_) | E::UnsupportedOs | E::UnsupportedArch => {
            UpdateProblemKind::NoBuild
        }
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => UpdateProblemKind::BadSignature,
        E::InsecureTransportProtocol | E::EmptyEndpoints => UpdateProblemKind::Misconfigured,
        _ => UpdateProblemKind::InstallFailed,
    };
    tracing::warn!(kind = ?kind, error = %error, "update failed");
    UpdateStatus::Failed { problem: UpdateProblem::new(kind), version }
}

fn now_ms() -> i64 {
    flux_krea_core::clock::now_ms()
}

#[cfg(test)]
mod tests {
    use super::signed_for_offered;
    use base64::Engine;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/updates");

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/flux-krea_9.9.9_amd64.AppImage.{name}.sig")).unwrap()
    }

    #[test]
    fn a_signature_installs_only_the_version_it_names() {
        assert_eq!(signed_for_offered(&fixture("test"), "9.9.9"), Ok(()));
        assert_eq!(signed_for_offered(&fixture("test"), "v9.9.9"), Ok(()));
        // An older (here: another) signed build offered under a new number.
        assert_eq!(signed_for_offered(&fixture("test"), "10.0.0"), Err(Some("9.9.9".into())));
        assert_eq!(signed_for_offered(&fixture("beta"), "9.9.9"), Err(Some("10.0.0-beta.1".into())));
        // Signed without a version (minisign itself, or an old Tauri CLI): refused.
        assert_eq!(signed_for_offered(&fixture("unversioned"), "9.9.9"), Err(None));
        assert_eq!(signed_for_offered("not base64!", "9.9.9"), Err(None));
        let plain = base64::engine::general_purpose::STANDARD.encode("untrusted comment: x\nRUQ\n");
        assert_eq!(signed_for_offered(&plain, "9.9.9"), Err(None));
    }

    /// The plugin's own check (tauri-plugin-updater ≥ 2.10): refuse a signature whose trusted
    /// comment names no version, or another one than the feed offers. On in every build, so in
    /// the release build (tauri.release.conf.json merged over tauri.conf.json) too.
    #[test]
    fn the_updater_requires_signed_versions_in_every_build() {
        let read = |name: &str| -> serde_json::Value {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + name;
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let (base, release) = (read("tauri.conf.json"), read("tauri.release.conf.json"));
        let flag = |config: &serde_json::Value| config.pointer("/plugins/updater/requireSignedVersion").cloned();
        assert_eq!(flag(&base), Some(serde_json::Value::Bool(true)), "tauri.conf.json");
        assert!(
            matches!(flag(&release), None | Some(serde_json::Value::Bool(true))),
            "tauri.release.conf.json must not turn it off"
        );
        assert_eq!(release.pointer("/plugins/updater/allowDowngrades"), None, "downgrades stay refused");
    }
}
