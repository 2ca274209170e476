//! The CLI's generation verbs: `generate`, `jobs`, `cancel`, `retry`, `key`, `spend`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use flux_krea_core::generation::catalogue::Model;
use flux_krea_core::generation::{GenerationPlan, GenerationRequest, InputValue, Job};
use flux_krea_core::history::Status;
use flux_krea_core::styles::Style;
use flux_krea_core::{Core, Error};

use crate::json::to_json;

#[derive(Args)]
#[command(group(clap::ArgGroup::new("which_models").args(["model", "models"])))]
pub struct GenerateArgs {
    /// A catalogue id: flux-schnell, flux-dev, flux-krea-dev, flux-1.1-pro, flux-kontext-pro.
    #[arg(long)]
    model: Option<String>,
    /// Several catalogue ids, comma-separated: the same prompt runs on each (every input must be
    /// valid for every one of them).
    #[arg(long, value_delimiter = ',', value_name = "M1,M2,…")]
    models: Vec<String>,
    /// The prompt. `{a|b|c}` makes one job per alternative (groups multiply, and nest); `\{`,
    /// `\}`, `\|` and `\\` are the literal characters.
    #[arg(long)]
    prompt: String,
    /// A saved style (`styles list`): its text goes around the prompt, and its model, aspect
    /// ratio and guidance apply where not given here.
    #[arg(long, value_name = "NAME")]
    style: Option<String>,
    /// The most prompts `{a|b}` variations may make (1–256).
    #[arg(long, default_value_t = flux_krea_core::generation::variations::DEFAULT_CAP)]
    variations_cap: usize,
    /// A picture: img2img for dev models, the image to edit for Kontext, the image prompt for 1.1 pro.
    #[arg(long)]
    image: Option<String>,
    /// How many images (1–4, models that make several).
    #[arg(long)]
    n: Option<u32>,
    #[arg(long)]
    seed: Option<i64>,
    #[arg(long)]
    aspect_ratio: Option<String>,
    /// Any other model input, `name=value` (repeatable), e.g. `--set guidance=3.5`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Queue the jobs and return at once; a background runner does the work.
    #[arg(long)]
    detach: bool,
    /// Print the finished job as JSON (`{job, files}`; several jobs: an array of them).
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum JobsAction {
    /// Recent and unfinished jobs (the default).
    List {
        #[arg(long, default_value_t = 20)]
        limit: i32,
        #[arg(long)]
        json: bool,
    },
    /// Run queued and unfinished jobs until none is left (what `generate --detach` starts).
    Run,
}

#[derive(Subcommand)]
pub enum KeyAction {
    /// Whether a Replicate token is set, and whose account it is.
    Status,
    /// Check a Replicate token and store it in the OS keychain. Reads it from standard input
    /// (never from an argument, which would land in the shell's history).
    Set,
    /// Delete the stored token.
    Remove,
}

#[derive(Args)]
pub struct SpendArgs {
    /// Set a monthly budget in USD for own-key runs.
    #[arg(long, conflicts_with = "no_budget")]
    budget: Option<f64>,
    /// Remove the monthly budget.
    #[arg(long)]
    no_budget: bool,
}

/// `REPLICATE_API_TOKEN`, like Replicate's own clients: read once at start for every verb.
pub fn token_from_environment(core: &Core) -> Result<(), Error> {
    match std::env::var("REPLICATE_API_TOKEN") {
        Ok(t) if !t.trim().is_empty() => core.use_replicate_token_from_environment(&t),
        _ => Ok(()),
    }
}

/// The models asked for: `--models`, or `--model`, or else the style's model.
fn models(args: &GenerateArgs, style: Option<&Style>) -> Result<Vec<String>, Error> {
    let asked: Vec<String> = match &args.model {
        Some(model) => vec![model.clone()],
        None => args.models.iter().map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect(),
    };
    if !asked.is_empty() {
        return Ok(asked);
    }
    match style.and_then(|s| s.model.clone()) {
        Some(model) => Ok(vec![model]),
        None => Err(Error::invalid("model", "name one with --model or --models (or use a style that sets one)")),
    }
}

/// A style's defaults, for the inputs the command line left out and the first model has.
fn style_defaults(style: &Style, model: &Model, inputs: &mut std::collections::BTreeMap<String, InputValue>) {
    let defaults = [
        ("aspect_ratio", style.aspect_ratio.clone().map(InputValue::Text)),
        ("guidance", style.guidance.map(InputValue::Number)),
    ];
    for (name, value) in defaults {
        if let (Some(value), Some(_)) = (value, model.field(name)) {
            inputs.entry(name.to_string()).or_insert(value);
        }
    }
}

/// The form's request (for the first model; the plan validates it for each).
fn request(
    args: &GenerateArgs,
    core: &Core,
    models: &[String],
    style: Option<&Style>,
) -> Result<GenerationRequest, Error> {
    let first = models.first().ok_or_else(|| Error::invalid("models", "name at least one model"))?;
    let model = core.catalogue().model(first)?;
    let mut inputs = std::collections::BTreeMap::new();
    inputs.insert("prompt".to_string(), InputValue::Text(args.prompt.clone()));
    if let Some(path) = &args.image {
        let field = image_field(core, models)?;
        let absolute = std::path::absolute(path).map_err(|e| Error::invalid("image", e.to_string()))?;
        inputs.insert(field, InputValue::Text(absolute.display().to_string()));
    }
    if let Some(n) = args.n {
        inputs.insert("num_outputs".into(), InputValue::Number(f64::from(n)));
    }
    if let Some(seed) = args.seed {
        inputs.insert("seed".into(), InputValue::Number(seed as f64));
    }
    if let Some(ratio) = &args.aspect_ratio {
        inputs.insert("aspect_ratio".into(), InputValue::Text(ratio.clone()));
    }
    for pair in &args.set {
        let (name, value) =
            pair.split_once('=').ok_or_else(|| Error::invalid("set", format!("{pair:?} is not NAME=VALUE")))?;
        inputs.insert(name.trim().to_string(), InputValue::parse_cli(value.trim()));
    }
    if let Some(style) = style {
        style_defaults(style, model, &mut inputs);
    }
    Ok(GenerationRequest {
        model: model.id.clone(),
        inputs,
        parent_id: None,
        exact_rerun: false,
        style: style.map(Style::applied),
    })
}

/// The input `--image` fills: each model's picture field, which must be the same for every model.
fn image_field(core: &Core, models: &[String]) -> Result<String, Error> {
    let mut fields = Vec::new();
    for id in models {
        let model = core.catalogue().model(id)?;
        let field = model
            .image_fields()
            .next()
            .ok_or_else(|| Error::invalid("image", format!("{} takes no input picture", model.id)))?;
        fields.push((model.id.as_str(), field.name.as_str()));
    }
    match fields.split_first() {
        Some(((_, name), rest)) if rest.iter().all(|(_, other)| other == name) => Ok(name.to_string()),
        _ => {
            let named: Vec<String> = fields.iter().map(|(model, field)| format!("{model} as {field}")).collect();
            Err(Error::invalid(
                "image",
                format!(
                    "these models take the picture as different inputs ({}); run them separately",
                    named.join(", ")
                ),
            ))
        }
    }
}

pub async fn generate(core: Arc<Core>, args: GenerateArgs) -> Result<ExitCode, Error> {
    let style = match &args.style {
        Some(name) => Some(core.style(name).await?),
        None => None,
    };
    let models = models(&args, style.as_ref())?;
    let request = request(&args, &core, &models, style.as_ref())?;
    say_mode(&core).await?;
    let plan = core.plan_generation(&request, &models, args.variations_cap).await?;
    describe(&plan);
    let jobs = core.generate_plan(&plan).await?;
    if args.detach {
        spawn_runner()?;
        for job in &jobs {
            println!("queued job {} ({}); follow it with `flux-krea-cli jobs`", job.id, job.model);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let ids: Vec<i32> = jobs.iter().map(|j| j.id).collect();
    if !core.start_jobs()? {
        eprintln!("The Flux Krea window is running this data folder's jobs; waiting for {}.", job_words(&ids));
    }
    for job in &jobs {
        eprintln!("job {} queued: {} × {} (about {})", job.id, job.images_requested, job.model, cost(job));
    }
    let jobs = wait_for(&core, &ids).await?;
    report(&core, &jobs, args.json).await
}

/// On stderr, before anything is sent: how many jobs, what each runs, and the total.
fn describe(plan: &GenerationPlan) {
    let total = match (plan.total_credits, plan.total_usd) {
        (Some(credits), _) => format!("{credits} credits"),
        (None, usd) => format!("about ${:.3}", usd.unwrap_or(0.0)),
    };
    let jobs = plan.jobs.len();
    if jobs == 1 {
        return eprintln!("1 job: {} × {}, {total}", plan.jobs[0].images, plan.jobs[0].model);
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "{jobs} jobs: {} × {} ({}), {} images, {total}",
        plural(plan.prompts as usize, "prompt"),
        plural(plan.models.len(), "model"),
        plan.models.join(", "),
        plan.images
    );
    let width = plan.models.iter().map(|m| m.len()).max().unwrap_or(0);
    for job in &plan.jobs {
        eprintln!("  {:<width$}  {} × {}", job.model, job.images, one_line(&job.prompt));
    }
}

/// A prompt on one line of a listing.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn job_words(ids: &[i32]) -> String {
    let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
    match ids.len() {
        1 => format!("job {}", ids[0]),
        _ => format!("jobs {}", ids.join(", ")),
    }
}

/// Once, on stderr: which mode pays for the run and where the token comes from (#24).
async fn say_mode(core: &Core) -> Result<(), Error> {
    use flux_krea_core::auth::GenerationMode;
    use flux_krea_core::generation::KeySource;
    match core.account_status().await?.active_mode {
        Some(GenerationMode::Account) => eprintln!("Mode: account (Flux Krea credits, the session in the keychain)."),
        Some(GenerationMode::OwnKey) => {
            let source = match core.replicate_key().await?.source {
                Some(KeySource::Environment) => "REPLICATE_API_TOKEN",
                _ => "the keychain",
            };
            eprintln!("Mode: own key (your Replicate account, the token from {source}).");
        }
        // `generate` says what is missing.
        None => {}
    }
    Ok(())
}

/// Follows jobs until every one has ended, printing each status change; Ctrl-C cancels them all.
async fn wait_for(core: &Core, ids: &[i32]) -> Result<Vec<Job>, Error> {
    let mut last: Vec<Option<Status>> = vec![None; ids.len()];
    let mut canceling = false;
    loop {
        let mut jobs = Vec::with_capacity(ids.len());
        for (id, last) in ids.iter().zip(last.iter_mut()) {
            let job = core.job(*id).await?;
            if *last != Some(job.status) {
                eprintln!("job {id}: {}", job.status.as_str());
                *last = Some(job.status);
            }
            jobs.push(job);
        }
        if jobs.iter().all(|j| j.status.is_finished()) {
            return Ok(jobs);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = tokio::signal::ctrl_c(), if !canceling => {
                canceling = true;
                let open: Vec<i32> = jobs.iter().filter(|j| !j.status.is_finished()).map(|j| j.id).collect();
                eprintln!("canceling {}…", job_words(&open));
                for id in open {
                    // One that ended meanwhile cannot be canceled, and needs not be.
                    if let Err(e) = core.cancel_job(id).await {
                        eprintln!("job {id}: {e}");
                    }
                }
            }
        }
    }
}

/// Prints every job's files (stdout) and outcome (stderr), or with `json` one `{job, files}` for a
/// single job and an array of them for several. Success only if every job is done with images.
async fn report(core: &Core, jobs: &[Job], json: bool) -> Result<ExitCode, Error> {
    let mut reports = Vec::with_capacity(jobs.len());
    for job in jobs {
        let details = core.generation_details(job.id).await?;
        let files: Vec<String> = details
            .images
            .iter()
            .filter_map(|i| core.cached_file(&i.file).ok().map(|p| p.display().to_string()))
            .collect();
        reports.push(serde_json::json!({ "job": job, "files": files }));
        if json {
            continue;
        }
        for file in &files {
            println!("{file}");
        }
        if let Some(note) = &job.note {
            eprintln!("{note}");
        }
        match job.status {
            Status::Done => {
                eprintln!("job {}: {} image(s), {}", job.id, job.images_returned, cost(job))
            }
            _ => eprintln!(
                "job {} {}: {}",
                job.id,
                job.status.as_str(),
                job.error.as_deref().unwrap_or("no reason given")
            ),
        }
    }
    if json {
        let text = match reports.as_slice() {
            [one] => to_json(one)?,
            _ => to_json(&reports)?,
        };
        println!("{text}");
    }
    let succeeded = jobs.iter().filter(|j| j.status == Status::Done && j.images_returned > 0).count();
    if jobs.len() > 1 {
        eprintln!("{succeeded} of {} jobs succeeded", jobs.len());
    }
    Ok(if !jobs.is_empty() && succeeded == jobs.len() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn spawn_runner() -> Result<(), Error> {
    let exe = std::env::current_exe().map_err(|e| Error::internal(format!("cannot find this program: {e}")))?;
    std::process::Command::new(exe)
        .args(["jobs", "run"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Error::internal(format!("cannot start the background runner: {e}")))?;
    Ok(())
}

pub async fn jobs(core: Arc<Core>, action: Option<JobsAction>) -> Result<ExitCode, Error> {
    match action.unwrap_or(JobsAction::List { limit: 20, json: false }) {
        JobsAction::List { limit, json } => {
            let jobs = core.recent_jobs(limit).await?;
            if json {
                println!("{}", to_json(&jobs)?);
            } else {
                for j in &jobs {
                    let extra = j.error.as_deref().or(j.note.as_deref()).unwrap_or("");
                    println!(
                        "{:>7}  {:<11}  {:<16}  {}/{}  {:>8}  {extra}",
                        j.id,
                        j.status.as_str(),
                        j.model,
                        j.images_returned,
                        j.images_requested,
                        cost(j)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        JobsAction::Run => {
            if !core.start_jobs()? {
                eprintln!("another process already runs this data folder's jobs");
                return Ok(ExitCode::SUCCESS);
            }
            // Until nothing is left: the dispatcher resumes and runs everything unfinished.
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let jobs = core.recent_jobs(500).await?;
                if jobs.iter().all(|j| j.status.is_finished()) {
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    }
}

pub async fn cancel(core: &Core, id: i32) -> Result<ExitCode, Error> {
    let job = core.cancel_job(id).await?;
    println!("job {id}: {}{}", job.status.as_str(), if job.status.is_finished() { "" } else { " (cancel requested)" });
    Ok(ExitCode::SUCCESS)
}

pub async fn retry(core: Arc<Core>, id: i32) -> Result<ExitCode, Error> {
    let job = core.retry_job(id).await?;
    core.start_jobs()?;
    let jobs = wait_for(&core, &[job.id]).await?;
    report(&core, &jobs, false).await
}

pub async fn key(core: &Core, action: Option<KeyAction>) -> Result<ExitCode, Error> {
    let status = match action.unwrap_or(KeyAction::Status) {
        KeyAction::Status => core.replicate_key().await?,
        KeyAction::Set => {
            // Before asking for the token: there is nowhere to keep it without a keychain.
            flux_krea_core::secrets::ready().await?;
            let token =
                read_token().map_err(|e| Error::invalid("replicate_token", format!("could not be read: {e}")))?;
            core.set_replicate_token(&token).await?
        }
        KeyAction::Remove => core.remove_replicate_token().await?,
    };
    if let Some(reason) = &status.keychain_unavailable {
        eprintln!("The keychain cannot be reached ({reason}), so a stored key cannot be read.");
    }
    println!("{}", to_json(&status)?);
    Ok(ExitCode::SUCCESS)
}

/// One line: typed without echo on a terminal (Enter ends it), else the first line of stdin.
fn read_token() -> std::io::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("Paste your Replicate API token and press Enter (it is not shown): ");
        // Turns echo off on the terminal for the line and back on afterwards, also on Windows.
        return rpassword::read_password();
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn spend(core: &Core, args: SpendArgs) -> Result<ExitCode, Error> {
    let summary = if args.no_budget {
        core.set_monthly_budget(None).await?
    } else if let Some(b) = args.budget {
        core.set_monthly_budget(Some(b)).await?
    } else {
        core.spend().await?
    };
    println!("{}", to_json(&summary)?);
    Ok(ExitCode::SUCCESS)
}

/// Dollars for own-key jobs, credits for account jobs.
fn cost(job: &Job) -> String {
    match (job.cost_credits, job.cost_usd) {
        (Some(credits), _) => format!("{credits} credits"),
        (None, usd) => format!("${:.3}", usd.unwrap_or(0.0)),
    }
}
