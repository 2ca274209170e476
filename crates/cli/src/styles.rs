//! The CLI's `styles` verb (#23): list, add (or replace), remove, and import from a data export.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use flux_krea_core::styles::{Style, StyleDraft};
use flux_krea_core::{Core, Error};

use crate::json::to_json;

#[derive(Subcommand)]
pub enum StylesAction {
    /// Every saved style, by name.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Save a style; one of the same name (in any case) is replaced.
    Add {
        name: String,
        /// Text put before the prompt.
        #[arg(long, default_value = "")]
        before: String,
        /// Text put after the prompt.
        #[arg(long, default_value = "")]
        after: String,
        /// The model `generate --style` uses when none is named.
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        aspect_ratio: Option<String>,
        #[arg(long)]
        guidance: Option<f64>,
    },
    /// Delete a saved style.
    Remove { name: String },
    /// Import the styles of a data export (`privacy export`), or of its styles.json.
    Import { file: PathBuf },
}

pub async fn run(core: &Core, action: StylesAction) -> Result<ExitCode, Error> {
    match action {
        StylesAction::List { json } => {
            let styles = core.styles().await?;
            if json {
                println!("{}", to_json(&styles)?);
            } else if styles.is_empty() {
                println!("No styles yet: add one with `flux-krea-cli styles add NAME --before TEXT --after TEXT`.");
            } else {
                for style in &styles {
                    println!("{}", line(style));
                }
            }
        }
        StylesAction::Add { name, before, after, model, aspect_ratio, guidance } => {
            let draft = StyleDraft { name, prefix: before, suffix: after, model, aspect_ratio, guidance };
            let style = core.save_style(&draft).await?;
            println!("saved style {}", line(&style));
        }
        StylesAction::Remove { name } => {
            core.delete_style(&name).await?;
            println!("removed style {:?}", name.trim());
        }
        StylesAction::Import { file } => {
            let report = core.import_styles(&file).await?;
            println!("imported {} new and {} replaced styles from {}", report.added, report.replaced, report.file);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `Noir: "film noir still of" … "high contrast" (flux-dev, 16:9, guidance 3)`.
fn line(style: &Style) -> String {
    let around = |text: &str| if text.is_empty() { "—".to_string() } else { format!("{text:?}") };
    let mut defaults = Vec::new();
    defaults.extend(style.model.clone());
    defaults.extend(style.aspect_ratio.clone());
    defaults.extend(style.guidance.map(|g| format!("guidance {g}")));
    let defaults = if defaults.is_empty() { String::new() } else { format!(" ({})", defaults.join(", ")) };
    format!("{}: {} … {}{defaults}", style.name, around(&style.prefix), around(&style.suffix))
}
