//! `flux-krea-cli`: the app's capabilities without a window, over the same core.

mod account;
mod dates;
mod generation;
mod json;
mod privacy;
mod progress;
mod prompts;
mod styles;
mod updates;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use flux_krea_core::doctor::{Check, DoctorReport};
use flux_krea_core::{Config, Core, Error};
use json::to_json;

#[derive(Parser)]
#[command(name = "flux-krea-cli", version, about = "Flux Krea Desktop from the command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the install: data folder, configuration in force, keychain, database, logs.
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Browse, search and purge the local history.
    History {
        #[command(subcommand)]
        action: HistoryAction,
    },
    /// Show the retention policy, or change it (a shorter window purges at once).
    Retention {
        #[command(subcommand)]
        action: Option<RetentionAction>,
    },
    /// Add synthetic history with real image files (labelled synthetic), for benchmarks and demos.
    Seed {
        #[arg(long, default_value_t = 1000)]
        count: u32,
        /// Distinct image files the items share round-robin (memory measurements want many).
        #[arg(long, default_value_t = flux_krea_core::history::SHARED_SEED_IMAGES)]
        distinct_images: u32,
    },
    /// Generate images; waits for the jobs and prints the files they made (unless --detach).
    /// `{a|b}` in the prompt and `--models a,b` make several jobs.
    Generate(generation::GenerateArgs),
    /// Prompts used before: `prompts recent [--search WORDS]`.
    Prompts {
        #[command(subcommand)]
        action: prompts::PromptsAction,
    },
    /// Saved styles (text around the prompt, defaults): `styles list|add|remove|import`.
    Styles {
        #[command(subcommand)]
        action: styles::StylesAction,
    },
    /// List jobs, or run the queue until it is empty.
    Jobs {
        #[command(subcommand)]
        action: Option<generation::JobsAction>,
    },
    /// Cancel a queued or running job.
    Cancel { id: i32 },
    /// Retry a failed or canceled job (fetches missing outputs when the prediction succeeded).
    Retry { id: i32 },
    /// The Replicate API token for own-key mode (kept in the OS keychain).
    Key {
        #[command(subcommand)]
        action: Option<generation::KeyAction>,
    },
    /// Own-key spend this month and overall, and the monthly budget.
    Spend(generation::SpendArgs),
    /// Sign in to a Flux Krea account (Google or GitHub), see who is signed in, sign out.
    Account {
        #[command(subcommand)]
        action: account::AccountAction,
    },
    /// The account's credit balance, its ledger (--ledger), packs and buying one.
    Credits(account::CreditsArgs),
    /// What is stored, export, erasure and consents.
    Privacy {
        #[command(subcommand)]
        action: privacy::PrivacyAction,
    },
    /// Signed updates: the channel the app follows, a skipped version, the last check.
    Update {
        #[command(subcommand)]
        action: updates::UpdateAction,
    },
    /// Show the settings, or change one: `settings set theme dark`.
    Settings {
        #[command(subcommand)]
        action: Option<SettingsAction>,
    },
}

#[derive(Subcommand)]
enum HistoryAction {
    /// Newest first, one line each (id, date, model, status, prompt).
    List {
        #[arg(long, default_value_t = 20)]
        limit: i32,
        #[arg(long)]
        model: Option<String>,
        /// Favourites only.
        #[arg(long)]
        favourites: bool,
        /// Start at this date (YYYY-MM or YYYY-MM-DD, local time): its newest item, then older.
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over prompts.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: i32,
        /// Start at this date (YYYY-MM or YYYY-MM-DD, local time), as `list --at`.
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The months (or the days of one month) that hold items, newest first, with counts.
    Dates(dates::DatesArgs),
    /// Everything about one generation, as JSON.
    Show { id: i32 },
    /// Remove what the retention policy says is due (or only say what would go).
    Purge {
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum RetentionAction {
    /// Print the policy as JSON.
    Show,
    /// Change the policy; unnamed parts stay as they are.
    Set {
        /// Keep history this many days (1–365).
        #[arg(long, conflicts_with = "forever")]
        window_days: Option<i32>,
        /// Keep history forever.
        #[arg(long)]
        forever: bool,
        /// Bound the image cache to this many bytes.
        #[arg(long, conflicts_with = "no_budget")]
        budget_bytes: Option<u64>,
        /// Remove the cache bound.
        #[arg(long)]
        no_budget: bool,
        /// Never purge favourites.
        #[arg(long)]
        keep_favourites: Option<bool>,
    },
}

#[derive(Subcommand)]
enum SettingsAction {
    /// Print all settings as JSON.
    Get,
    /// Change one setting.
    Set { key: String, value: String },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(e, Error::KeychainUnavailable { .. }) {
                eprintln!("hint: {}", flux_krea_core::secrets::HOW_TO_GET_ONE);
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    let config = Config::load()?;
    let _guard = flux_krea_core::logging::init(&config.log_dir.value, &config.log_filter.value, false)?;
    let data_dir = config.data_dir.value.clone();
    let core = Arc::new(Core::open(&data_dir, config).await?);
    generation::token_from_environment(&core)?;
    let code = match cli.command {
        Command::Generate(args) => generation::generate(core.clone(), args).await?,
        Command::Prompts { action } => prompts::run(&core, action).await?,
        Command::Styles { action } => styles::run(&core, action).await?,
        Command::Jobs { action } => generation::jobs(core.clone(), action).await?,
        Command::Cancel { id } => generation::cancel(&core, id).await?,
        Command::Retry { id } => generation::retry(core.clone(), id).await?,
        Command::Key { action } => generation::key(&core, action).await?,
        Command::Spend(args) => generation::spend(&core, args).await?,
        Command::Privacy { action } => privacy::run(&core, action).await?,
        Command::Account { action } => account::account(&core, action).await?,
        Command::Credits(args) => account::credits(&core, args).await?,
        Command::Update { action } => updates::run(&core, action).await?,
        Command::Doctor { json } => {
            let report = core.doctor().await;
            if json {
                let text = to_json(&report)?;
                println!("{text}");
            } else {
                print_doctor(&report);
            }
            if report.healthy() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::History { action } => history(&core, action).await?,
        Command::Retention { action } => {
            match action {
                None | Some(RetentionAction::Show) => println!("{}", to_json(&core.retention().await?)?),
                Some(RetentionAction::Set { window_days, forever, budget_bytes, no_budget, keep_favourites }) => {
                    let mut policy = core.retention().await?;
                    if forever {
                        policy.window_days = None;
                    } else if window_days.is_some() {
                        policy.window_days = window_days;
                    }
                    if no_budget {
                        policy.disk_budget_bytes = None;
                    } else if let Some(bytes) = budget_bytes {
                        policy.disk_budget_bytes =
                            Some(i64::try_from(bytes).map_err(|_| Error::invalid("budget_bytes", "is too large"))?);
                    }
                    if let Some(keep) = keep_favourites {
                        policy.keep_favourites = keep;
                    }
                    let report = core.set_retention(&policy).await?;
                    println!("{}", to_json(&serde_json::json!({ "policy": policy, "purged": report }))?);
                }
            }
            ExitCode::SUCCESS
        }
        Command::Seed { count, distinct_images } => {
            let report =
                core.seed_synthetic_reporting(count, distinct_images, |done| progress::seeded(done, count)).await?;
            println!("{}", to_json(&report)?);
            ExitCode::SUCCESS
        }
        Command::Settings { action } => {
            let settings = match action {
                None | Some(SettingsAction::Get) => core.settings().await,
                Some(SettingsAction::Set { key, value }) => {
                    let updated = core.settings().await.with_field(&key, &value)?;
                    core.update_settings(updated).await?
                }
            };
            println!("{}", to_json(&settings)?);
            ExitCode::SUCCESS
        }
    };
    core.close().await;
    Ok(code)
}

async fn history(core: &Core, action: HistoryAction) -> Result<ExitCode, Error> {
    use flux_krea_core::history::gallery::GalleryQuery;
    let (query, at, json) = match action {
        HistoryAction::Show { id } => {
            println!("{}", to_json(&core.generation_details(id).await?)?);
            return Ok(ExitCode::SUCCESS);
        }
        HistoryAction::Purge { dry_run } => {
            let policy = core.retention().await?;
            if dry_run {
                println!("{}", to_json(&core.preview_purge(&policy).await?)?);
            } else {
                println!("{}", to_json(&core.purge().await?)?);
            }
            return Ok(ExitCode::SUCCESS);
        }
        HistoryAction::Dates(args) => return dates::run(core, args).await,
        HistoryAction::List { limit, model, favourites, at, json } => (
            GalleryQuery { limit: Some(limit), model, favourite: favourites.then_some(true), ..Default::default() },
            at,
            json,
        ),
        HistoryAction::Search { text, limit, at, json } => {
            (GalleryQuery { limit: Some(limit), text: Some(text), ..Default::default() }, at, json)
        }
    };
    let page = match at {
        Some(date) => {
            let (_, end) = flux_krea_core::history::timeline::parse_local_date("at", &date)?;
            core.gallery_jump(&query, end).await?
        }
        None => core.gallery_page(&query).await?,
    };
    if json {
        println!("{}", to_json(&page.items)?);
    } else {
        for item in &page.items {
            let when = flux_krea_core::clock::format_time(item.created_at);
            let prompt =
                item.highlighted_prompt.as_deref().unwrap_or(&item.prompt).replace('\u{2}', "[").replace('\u{3}', "]");
            println!(
                "{:>7}  {when}  {:<32}  {:<11}  {prompt}",
                item.id,
                item.model,
                format!("{:?}", item.status).to_lowercase()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_doctor(r: &DoctorReport) {
    use flux_krea_core::config::Source;
    let source = |s: &Source| match s {
        Source::Default => "default".to_string(),
        Source::File(f) => format!("from {f}"),
        Source::Env(v) => format!("from ${v}"),
    };
    let c = &r.config;
    println!("Flux Krea {}", r.version);
    println!("  config file    {}", c.config_file);
    println!("  data dir       {}  ({})", c.data_dir.value.display(), source(&c.data_dir.source));
    println!("  log dir        {}  ({})", c.log_dir.value.display(), source(&c.log_dir.source));
    println!("  log level      {}  ({})", c.log_filter.value, source(&c.log_filter.source));
    println!("  replicate url  {}  ({})", c.replicate_url.value, source(&c.replicate_url.source));
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "not set".into());
    println!("  platform url   {}  ({})", opt(&c.platform_url.value), source(&c.platform_url.source));
    println!("  platform key   {}  ({})", opt(&c.platform_anon_key.value), source(&c.platform_anon_key.source));
    println!("  update url     {}  ({})", opt(&c.update_url.value), source(&c.update_url.source));
    match &r.keychain {
        Check::Ok => println!("  keychain       ok"),
        Check::Failed(why) => {
            println!("  keychain       FAILED: {why}");
            println!("                 {}", flux_krea_core::secrets::HOW_TO_GET_ONE);
        }
    }
    match &r.database {
        Ok(db) => println!(
            "  database       {} ({} bytes, schema v{}, journal {}, integrity {})",
            db.path, db.bytes, db.schema_version, db.journal_mode, db.integrity
        ),
        Err(why) => println!("  database       FAILED: {why}"),
    }
    println!("{}", if r.healthy() { "All checks passed." } else { "Some checks failed." });
}
