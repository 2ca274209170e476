//! The CLI's `prompts` verb: recall of the prompts used before (#23).

use std::process::ExitCode;

use clap::Subcommand;
use flux_krea_core::{Core, Error};

use crate::json::to_json;

#[derive(Subcommand)]
pub enum PromptsAction {
    /// Distinct prompts of the history, most recently used first, with how often each was used.
    Recent {
        /// Only prompts with these words (prefix match, as `history search`).
        #[arg(long, value_name = "WORDS")]
        search: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i32,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(core: &Core, action: PromptsAction) -> Result<ExitCode, Error> {
    match action {
        PromptsAction::Recent { search, limit, json } => {
            let prompts = core.recent_prompts(search.as_deref(), limit).await?;
            if json {
                println!("{}", to_json(&prompts)?);
            } else {
                for p in &prompts {
                    let when = flux_krea_core::clock::format_time(p.last_used_at);
                    // One line each: a prompt's own line breaks and tabs become spaces.
                    let prompt: String = p.prompt.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
                    println!("{when}  {:>4}×  {prompt}", p.uses);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
