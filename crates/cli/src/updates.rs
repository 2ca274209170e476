//! `flux-krea-cli update status [--json] | channel stable|beta | skip VERSION | skip --clear`.
//! Checking and installing happen in the app (its updater verifies the release signature); the
//! CLI shows and sets what the app follows.

use std::process::ExitCode;

use clap::Subcommand;
use flux_krea_core::updates::{UpdateChannel, UpdatePrefs};
use flux_krea_core::{Core, Error};

use crate::json::to_json;

#[derive(Subcommand)]
pub enum UpdateAction {
    /// The channel, a skipped version and the outcome of the app's last check.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Follow the stable releases or the betas too.
    Channel { channel: String },
    /// Do not offer this version again (`--clear` offers every version again).
    Skip {
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        version: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

pub async fn run(core: &Core, action: UpdateAction) -> Result<ExitCode, Error> {
    let (prefs, json) = match action {
        UpdateAction::Status { json } => (core.update_prefs().await?, json),
        UpdateAction::Channel { channel } => (core.set_update_channel(UpdateChannel::parse(&channel)?).await?, false),
        UpdateAction::Skip { version, clear } => {
            (core.skip_update_version(if clear { None } else { version }).await?, false)
        }
    };
    if json {
        println!("{}", to_json(&prefs)?);
    } else {
        print(&prefs);
    }
    Ok(ExitCode::SUCCESS)
}

fn print(prefs: &UpdatePrefs) {
    let channel = match prefs.channel {
        UpdateChannel::Stable => "stable",
        UpdateChannel::Beta => "beta",
    };
    println!("Flux Krea {}  channel {channel}", flux_krea_core::VERSION);
    if let Some(v) = &prefs.skipped_version {
        println!("  skipping version {v}");
    }
    match &prefs.last_check {
        Some(check) => {
            println!("  last check {}: {}", flux_krea_core::clock::format_time(check.at_ms), check.outcome)
        }
        None => println!("  not checked yet (the app checks after it starts and every 6 hours)"),
    }
}
