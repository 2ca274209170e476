//! What the app decides and remembers about updates: the channel, a skipped version, the last
//! check, and whether generations are in flight (an update waits for them). Fetching, verifying
//! and installing belong to the shell's updater plugin; the words the user reads are made here so
//! the window and the CLI say the same thing. The [`Core`] methods are in `api.rs`.

mod api;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::settings::{get_document, put_document};
use crate::Core;

const KEY: &str = "updates";

/// Which release feed the app follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum UpdateChannel {
    #[default]
    Stable,
    /// Pre-releases too: earlier features, more risk.
    Beta,
}

impl UpdateChannel {
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "stable" => Ok(UpdateChannel::Stable),
            "beta" => Ok(UpdateChannel::Beta),
            other => Err(Error::invalid("channel", format!("{other:?} is not a channel; use stable or beta"))),
        }
    }
}

/// The user's update preferences and the outcome of the last check (shown as "Last checked …").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(default)]
pub struct UpdatePrefs {
    pub channel: UpdateChannel,
    /// "Skip this version": not offered again; a later version is.
    pub skipped_version: Option<String>,
    pub last_check: Option<LastCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct LastCheck {
    #[specta(type = f64)]
    pub at_ms: i64,
    /// In words: "Up to date", "Version 1.2.0 is available", or the problem.
    pub outcome: String,
}

/// Where the updater is, as the window shows it. `state` tags the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateStatus {
    /// This build has no update feed (development and test builds without one).
    Disabled,
    Idle,
    Checking,
    UpToDate {
        #[specta(type = f64)]
        checked_at_ms: i64,
        /// A newer version exists but the user chose to skip it.
        skipped: Option<String>,
    },
    Available(UpdateOffer),
    Downloading {
        version: String,
        #[specta(type = f64)]
        received: u64,
        #[specta(type = Option<f64>)]
        total: Option<u64>,
    },
    /// Downloaded and verified; waiting until no generation is running.
    WaitingForIdle {
        version: String,
        generations: u32,
    },
    Installing {
        version: String,
    },
    Failed {
        problem: UpdateProblem,
        version: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    /// The release notes, as published.
    pub notes: Option<String>,
    /// RFC 3339, as published.
    pub date: Option<String>,
}

/// Why an update check or install failed; `message` is the sentence the user reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct UpdateProblem {
    pub kind: UpdateProblemKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum UpdateProblemKind {
    /// No connection to the update server.
    Offline,
    /// The server answered with an error status.
    Server,
    /// The server's answer is not a valid update manifest.
    Malformed,
    /// The manifest has no build for this platform.
    NoBuild,
    /// The download does not carry a valid signature from the project's key: nothing installed.
    BadSignature,
    /// This copy was not installed from a package the updater can replace (e.g. a source build).
    NotInstalled,
    /// Installing the verified package failed (e.g. the password prompt was dismissed).
    InstallFailed,
    /// The feed address is unusable (not https in a release build, or none at all).
    Misconfigured,
}

impl UpdateProblem {
    pub fn new(kind: UpdateProblemKind) -> Self {
        let message = match kind {
            UpdateProblemKind::Offline => "Couldn't reach the update server. Check your connection; the app will try again later.",
            UpdateProblemKind::Server => "The update server answered with an error. The app will try again later.",
            UpdateProblemKind::Malformed => "The update server sent an answer the app cannot read. Nothing was downloaded.",
            UpdateProblemKind::NoBuild => "The new version has no build for this system yet.",
            UpdateProblemKind::BadSignature => {
                "The download is not signed by Flux Krea's release key, so it was not installed. Your current version is unchanged."
            }
            UpdateProblemKind::NotInstalled => {
                "The update was downloaded and verified, but this copy of Flux Krea was not installed from a package, so it cannot replace itself. Install the new version from the download page."
            }
            UpdateProblemKind::InstallFailed => "Installing the update failed. Your current version is unchanged.",
            UpdateProblemKind::Misconfigured => {
                "The update address is not usable: it must be an https address (see update_url in the config file)."
            }
        };
        UpdateProblem { kind, message: message.to_string() }
    }
}

/// The feed for a channel. Release endpoints name their channel as a `/stable/` path segment; the
/// beta feed is the same address with `/beta/`. An endpoint without that segment serves both.
pub fn channel_endpoints(configured: &[String], channel: UpdateChannel) -> Vec<String> {
    configured
        .iter()
        .map(|url| match channel {
            UpdateChannel::Stable => url.clone(),
            UpdateChannel::Beta => url.replacen("/stable/", "/beta/", 1),
        })
        .collect()
}

/// The work of [`Core::update_prefs`].
async fn load(core: &Core) -> Result<UpdatePrefs> {
    Ok(match get_document(core.pool(), KEY).await? {
        // A document from a newer version, or damaged: start from defaults rather than fail.
        Some(json) => serde_json::from_str(&json).unwrap_or_default(),
        None => UpdatePrefs::default(),
    })
}

/// The work of [`Core::skip_update_version`].
async fn skip_version(core: &Core, version: Option<String>) -> Result<UpdatePrefs> {
    if let Some(v) = &version {
        if v.trim().is_empty() || v.len() > 64 {
            return Err(Error::invalid("version", "give the version to skip, e.g. 1.4.0"));
        }
    }
    edit(core, |p| p.skipped_version = version).await
}

/// The work of [`Core::generations_in_flight`].
async fn in_flight(core: &Core) -> Result<u32> {
    let paused = core.jobs.is_paused();
    let n: i64 = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM generations WHERE status IN ('submitted', 'running', 'downloading')
     OR (status = 'queued' AND ?1 = 0)",
        paused
    )
    .fetch_one(core.pool())
    .await?;
    Ok(n.max(0) as u32)
}

/// Reads, edits and saves the preferences.
async fn edit(core: &Core, edit: impl FnOnce(&mut UpdatePrefs)) -> Result<UpdatePrefs> {
    // The settings lock also serialises this document's read-modify-write.
    let _guard = core.settings.lock().await;
    let mut prefs = load(core).await?;
    edit(&mut prefs);
    put_document(core.pool(), KEY, Some(&prefs)).await?;
    Ok(prefs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_swaps_the_channel_segment_and_stable_keeps_the_address() {
        let configured = vec![
            "https://flux-krea.github.io/flux-krea-desktop/stable/latest.json".to_string(),
            "https://mirror.example/updates/{{target}}/{{current_version}}".to_string(),
        ];
        assert_eq!(channel_endpoints(&configured, UpdateChannel::Stable), configured);
        assert_eq!(
            channel_endpoints(&configured, UpdateChannel::Beta),
            vec![
                "https://flux-krea.github.io/flux-krea-desktop/beta/latest.json".to_string(),
                "https://mirror.example/updates/{{target}}/{{current_version}}".to_string(),
            ]
        );
    }

    #[test]
    fn channels_parse_and_bad_ones_name_the_field() {
        assert_eq!(UpdateChannel::parse("beta").unwrap(), UpdateChannel::Beta);
        let Error::InvalidInput { field, reason } = UpdateChannel::parse("nightly").unwrap_err() else { panic!() };
        assert_eq!(field, "channel");
        assert!(reason.contains("nightly"), "{reason}");
    }

    #[test]
    fn every_problem_has_its_own_sentence() {
        use UpdateProblemKind::*;
        let kinds = [Offline, Server, Malformed, NoBuild, BadSignature, NotInstalled, InstallFailed, Misconfigured];
        let messages: std::collections::HashSet<String> =
            kinds.iter().map(|k| UpdateProblem::new(*k).message).collect();
        assert_eq!(messages.len(), kinds.len());
    }

    async fn core() -> (tempfile::TempDir, Core) {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let (d, l) = (data.display().to_string(), tmp.path().join("logs").display().to_string());
        let config = crate::Config::resolve(&tmp.path().join("none.toml"), move |k| match k {
            "FLUX_KREA_DATA_DIR" => Some(d.clone()),
            "FLUX_KREA_LOG_DIR" => Some(l.clone()),
            _ => None,
        })
        .unwrap();
        let core = Core::open(&data, config).await.unwrap();
        (tmp, core)
    }

    #[tokio::test]
    async fn prefs_survive_edits_and_a_damaged_document_falls_back_to_defaults() {
        let (_tmp, core) = core().await;
        assert_eq!(core.update_prefs().await.unwrap(), UpdatePrefs::default());
        core.set_update_channel(UpdateChannel::Beta).await.unwrap();
        core.skip_update_version(Some("1.4.0".into())).await.unwrap();
        let prefs = core.record_update_check("Up to date").await.unwrap();
        assert_eq!(prefs.channel, UpdateChannel::Beta);
        assert_eq!(prefs.skipped_version.as_deref(), Some("1.4.0"));
        assert_eq!(prefs.last_check.as_ref().unwrap().outcome, "Up to date");
        assert_eq!(core.update_prefs().await.unwrap(), prefs);
        let Error::InvalidInput { field, .. } = core.skip_update_version(Some(" ".into())).await.unwrap_err() else {
            panic!()
        };
        assert_eq!(field, "version");
        sqlx::query!("UPDATE settings SET value = '{not json' WHERE key = 'updates'")
            .execute(core.pool())
            .await
            .unwrap();
        assert_eq!(core.update_prefs().await.unwrap(), UpdatePrefs::default());
    }

    #[tokio::test]
    async fn in_flight_counts_running_work_and_queued_work_unless_paused() {
        use crate::history::{fixtures, Status};
        let (_tmp, core) = core().await;
        assert_eq!(core.generations_in_flight().await.unwrap(), 0);
        for (status, prompt) in
            [(Status::Done, "a"), (Status::Failed, "b"), (Status::Running, "c"), (Status::Queued, "d")]
        {
            let new = crate::history::journal::NewGeneration { status, ..fixtures::new_generation("m", prompt, 1) };
            crate::history::journal::insert_generation(core.pool(), &new).await.unwrap();
        }
        assert_eq!(core.generations_in_flight().await.unwrap(), 2);
        core.set_queue_paused(true);
        assert_eq!(core.generations_in_flight().await.unwrap(), 1, "a paused queue's jobs do not start");
    }
}
