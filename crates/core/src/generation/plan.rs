//! One form, several jobs (#23): the prompt's `{a|b}` variations ([`variations`]) times the chosen
//! models, each job checked and priced before anything is sent ([`plan`]), then queued all at once
//! or not at all ([`queue`]).
//!
//! **Inputs across models.** The form's inputs are validated for each model on its own, exactly
//! as a single job of that model would be: nothing is dropped, renamed or clamped to fit. A field
//! one of the models does not take, or takes within another range (`num_inference_steps` 28 is
//! fine for flux-dev, not for flux-schnell), fails the whole plan with the model and the field
//! named, so what runs on each model is always what the user sees in the form.
//!
//! **Order.** Prompt-major: for each prompt (in [`variations::expand`]'s order), one job per model
//! in the order chosen. One prompt's results on every model land next to each other.
//!
//! **The cap** counts prompts, as [`variations::expand`] does; models multiply it (they are picked
//! one by one, and the count and total are shown before anything is sent).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::auth::profile::active_mode;
use crate::auth::GenerationMode;
use crate::error::{Error, FieldProblem, Result};
use crate::generation::catalogue::catalogue;
use crate::generation::enqueue::{credit_price, queue_validated};
use crate::generation::jobs::Job;
use crate::generation::request::{validate_with, GenerationRequest, ImageChecks, InputValue, Validated};
use crate::generation::variations;
use crate::Core;

/// Every job a form makes, priced, before anything is sent (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct GenerationPlan {
    /// What pays: the estimates are in USD for own key, in credits for the account.
    pub mode: GenerationMode,
    /// How many prompts the variations made.
    pub prompts: u32,
    /// The catalogue ids, in the order chosen, each once.
    pub models: Vec<String>,
    /// Prompt-major: for each prompt, one job per model.
    pub jobs: Vec<PlannedJob>,
    /// Images asked for in all.
    pub images: u32,
    /// Own key: the estimate of every job together.
    pub total_usd: Option<f64>,
    /// Account: the credits every job together would take.
    pub total_credits: Option<i32>,
}

/// One job of a [`GenerationPlan`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct PlannedJob {
    pub model: String,
    /// The expanded prompt, as it will be sent (trimmed).
    pub prompt: String,
    pub images: u32,
    pub estimate_usd: Option<f64>,
    pub estimate_credits: Option<i32>,
    /// What [`Core::generate_plan`] queues: the form's request with this model and this prompt.
    pub request: GenerationRequest,
}

/// The work of [`Core::plan_generation`]: sends nothing (but the account's price list, which is
/// read as for one job) and writes nothing.
pub(super) async fn plan(
    core: &Core,
    request: &GenerationRequest,
    models: &[String],
    cap: usize,
) -> Result<GenerationPlan> {
    let models = chosen_models(request, models)?;
    let prompts = match request.inputs.get("prompt") {
        Some(InputValue::Text(template)) => variations::expand(template, cap)?.into_iter().map(Some).collect(),
        // No prompt, or not text: validation says so, for each model.
        _ => vec![None],
    };
    let mut requests = Vec::with_capacity(prompts.len() * models.len());
    for prompt in &prompts {
        for model in &models {
            let mut one = GenerationRequest { model: model.clone(), ..request.clone() };
            if let Some(prompt) = prompt {
                one.inputs.insert("prompt".into(), InputValue::Text(prompt.clone()));
            }
            requests.push(one);
        }
    }
    let valid = validate_all(&requests, prompts.len(), models.len())?;

    let mode = active_mode(core).await?.ok_or_else(crate::generation::own_key::no_token)?;
    let prices = match mode {
        GenerationMode::Account => Some(core.credit_prices().await?),
        GenerationMode::OwnKey => None,
    };
    let mut jobs = Vec::with_capacity(valid.len());
    let mut problems = Vec::new();
    let single = requests.len() == 1;
    for (valid, request) in valid.into_iter().zip(requests) {
        let (estimate_usd, estimate_credits) = match &prices {
            None => (Some(valid.estimate_usd), None),
            Some(prices) => match credit_price(prices, &valid.model.id, valid.images_requested) {
                Ok(per_image) => (None, Some(per_image * valid.images_requested as i32)),
                // One job alone: its error as it is, as `Core::generate` gives it.
                Err(e) if single => return Err(e),
                Err(e) => {
                    push_problems(&mut problems, e, &with_model(&valid.model.id, models.len()));
                    continue;
                }
            },
        };
        jobs.push(PlannedJob {
            model: valid.model.id.clone(),
            prompt: valid.prompt,
            images: valid.images_requested,
            estimate_usd,
            estimate_credits,
            request,
        });
    }
    if !problems.is_empty() {
        return Err(Error::InvalidFields { fields: problems });
    }
    Ok(GenerationPlan {
        mode,
        prompts: prompts.len() as u32,
        models,
        images: jobs.iter().map(|j| j.images).sum(),
        total_usd: (mode == GenerationMode::OwnKey).then(|| jobs.iter().filter_map(|j| j.estimate_usd).sum()),
        total_credits: (mode == GenerationMode::Account).then(|| jobs.iter().filter_map(|j| j.estimate_credits).sum()),
        jobs,
    })
}

/// The work of [`Core::generate_plan`]: every job is validated again (a plan may come back from
/// the window, and files may have changed since) and priced again; one failure queues nothing.
pub(super) async fn queue(core: &Core, plan: &GenerationPlan) -> Result<Vec<Job>> {
    if plan.jobs.is_empty() {
        return Err(Error::invalid("jobs", "the plan has no job to queue"));
    }
    let requests: Vec<GenerationRequest> = plan.jobs.iter().map(|j| j.request.clone()).collect();
    let models = requests.iter().map(|r| r.model.as_str()).collect::<BTreeSet<_>>().len();
    let prompts = plan.jobs.iter().map(|j| j.prompt.as_str()).collect::<BTreeSet<_>>().len();
    let valid = validate_all(&requests, prompts, models)?;
    let jobs = valid.into_iter().zip(&requests).map(|(valid, request)| (valid, request.parent_id)).collect();
    queue_validated(core, jobs, Some(plan.mode)).await
}

/// The models to run, as catalogue ids, each once; none chosen means the request's own model.
fn chosen_models(request: &GenerationRequest, models: &[String]) -> Result<Vec<String>> {
    let asked: Vec<&str> =
        if models.is_empty() { vec![request.model.as_str()] } else { models.iter().map(|m| m.trim()).collect() };
    let mut ids: Vec<String> = Vec::with_capacity(asked.len());
    for id in asked {
        let model = catalogue().model(id)?;
        if !ids.contains(&model.id) {
            ids.push(model.id.clone());
        }
    }
    Ok(ids)
}

/// Validates every request, reading each input picture once. All problems are reported at once,
/// each once; with several models a problem names its model, with several prompts a prompt
/// problem names its prompt.
fn validate_all(requests: &[GenerationRequest], prompts: usize, models: usize) -> Result<Vec<Validated>> {
    let mut images = ImageChecks::default();
    let mut valid = Vec::with_capacity(requests.len());
    let mut problems = Vec::new();
    for request in requests {
        match validate_with(request, &mut images) {
            Ok(v) => valid.push(v),
            // One request alone: its error as it is, as `Core::generate` gives it.
            Err(e) if requests.len() == 1 => return Err(e),
            Err(e) => {
                let mut context = with_model(&request.model, models);
                if prompts > 1 {
                    if let Some(InputValue::Text(prompt)) = request.inputs.get("prompt") {
                        context.prompt = Some(excerpt(prompt));
                    }
                }
                push_problems(&mut problems, e, &context);
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::InvalidFields { fields: problems });
    }
    Ok(valid)
}

/// What a problem of one job of several says about which job it is.
#[derive(Default)]
struct Context {
    model: Option<String>,
    prompt: Option<String>,
}

fn with_model(model: &str, models: usize) -> Context {
    Context { model: (models > 1).then(|| model.to_string()), prompt: None }
}

/// Adds `error`'s field problems to `problems`, each ending with its context ("(with flux-dev)",
/// "(the prompt `a red car`)"), and each only once.
fn push_problems(problems: &mut Vec<FieldProblem>, error: Error, context: &Context) {
    let found = match error {
        Error::InvalidFields { fields } => fields,
        Error::InvalidInput { field, reason } => vec![FieldProblem { field, reason }],
        other => vec![FieldProblem { field: "request".into(), reason: other.to_string() }],
    };
    for FieldProblem { field, reason } in found {
        let mut notes = Vec::new();
        if let Some(model) = context.model.as_deref().filter(|m| !reason.contains(m)) {
            notes.push(format!("with {model}"));
        }
        if let Some(prompt) = context.prompt.as_deref().filter(|_| field == "prompt") {
            notes.push(format!("the prompt `{prompt}`"));
        }
        let reason = if notes.is_empty() { reason } else { format!("{reason} ({})", notes.join(", ")) };
        let problem = FieldProblem { field, reason };
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
}

/// A prompt in an error: one line, at most 40 characters.
fn excerpt(prompt: &str) -> String {
    const CHARS: usize = 40;
    let line: String = prompt.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if line.chars().count() > CHARS {
        format!("{}…", line.chars().take(CHARS).collect::<String>())
    } else {
        line
    }
}
