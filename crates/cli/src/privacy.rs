//! `flux-krea-cli privacy report | export --out FILE | erase --prompts|--all | delete-platform-images |
//! delete-account --yes | cancel-account-deletion | consents [--set NAME=on|off]`.

use std::process::ExitCode;

use clap::Subcommand;
use flux_krea_core::privacy::ConsentSource;
use flux_krea_core::{Core, Error};

use crate::json::to_json;

#[derive(Subcommand)]
pub enum PrivacyAction {
    /// What is stored on this computer, the usage statistics, the keychain entries (names only).
    Report,
    /// Write everything to one zip archive (history JSON, images, consents, settings, ledger).
    Export {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Erase prompts and parameters (images stay), or everything.
    Erase {
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        prompts: bool,
        #[arg(long)]
        all: bool,
    },
    /// Ask Flux Krea to remove your generated images from its temporary storage now (signed in).
    DeletePlatformImages,
    /// Ask Flux Krea to delete your account (signed in); prints the request id and due date.
    DeleteAccount {
        /// Required: deleting an account cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Withdraw the pending account deletion request (signed in); the account stays.
    CancelAccountDeletion,
    /// Show the consents, or change one: `--set product_analytics=off`.
    Consents {
        #[arg(long, value_name = "NAME=on|off")]
        set: Vec<String>,
        /// Every change with its time and source.
        #[arg(long)]
        history: bool,
    },
}

pub async fn run(core: &Core, action: PrivacyAction) -> Result<ExitCode, Error> {
    match action {
        PrivacyAction::Report => println!("{}", to_json(&core.privacy_report().await?)?),
        PrivacyAction::Export { out } => {
            let exporting = crate::progress::Exporting::default();
            let report = core.export_data(&out, &|p| exporting.report(p)).await;
            exporting.finish();
            println!("{}", to_json(&report?)?);
        }
        PrivacyAction::Erase { prompts, all } => {
            let report = if all {
                core.erase_everything().await?
            } else {
                debug_assert!(prompts);
                core.erase_prompts().await?
            };
            println!("{}", to_json(&report)?);
        }
        PrivacyAction::DeletePlatformImages => println!("{}", to_json(&core.delete_platform_images().await?)?),
        PrivacyAction::DeleteAccount { yes } => {
            if !yes {
                return Err(Error::invalid("--yes", "deleting your account cannot be undone; add --yes to confirm"));
            }
            println!("{}", to_json(&core.request_account_deletion().await?)?);
        }
        PrivacyAction::CancelAccountDeletion => println!("{}", to_json(&core.cancel_account_deletion().await?)?),
        PrivacyAction::Consents { set, history } => {
            for pair in &set {
                let (name, value) = pair
                    .split_once('=')
                    .ok_or_else(|| Error::invalid("set", format!("{pair:?} is not NAME=on|off")))?;
                let granted = match value.trim() {
                    "on" | "true" | "yes" => true,
                    "off" | "false" | "no" => false,
                    other => return Err(Error::invalid(name.trim(), format!("{other:?} is not on or off"))),
                };
                core.set_consent(name.trim(), granted, ConsentSource::Cli).await?;
            }
            if history {
                println!("{}", to_json(&core.consent_history().await?)?);
            } else {
                println!("{}", to_json(&core.consents().await?)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
