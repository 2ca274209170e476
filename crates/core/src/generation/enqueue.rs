//! Putting work in the queue and taking it back: a new job (after the budget or balance check),
//! a cancel, a retry, and the request an earlier generation was made from. The [`Core`] methods
//! that call these are in `api.rs`.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::auth::profile::active_mode;
use crate::auth::GenerationMode;
use crate::clock::now_ms;
use crate::credits::ModelPrice;
use crate::error::{Error, Result};
use crate::generation::catalogue::{catalogue, FieldKind};
use crate::generation::jobs::{self, Job};
use crate::generation::request::{validate, GenerationRequest, InputValue, Validated};
use crate::generation::spend;
use crate::history::images;
use crate::history::inputs::{self, KeptInput};
use crate::history::journal::{self, NewGeneration};
use crate::history::{Provider, Status};
use crate::styles::AppliedStyle;
use crate::Core;

/// The work of [`Core::generate`].
pub(super) async fn generate(core: &Core, request: &GenerationRequest) -> Result<Job> {
    let valid = validate(request)?;
    let mut queued = queue_validated(core, vec![(valid, request.parent_id)], None).await?;
    queued.pop().ok_or_else(|| Error::internal("the job was not queued"))
}

/// Queues jobs that passed validation, all or none: checks the budget (own key) or the balance
/// (account) against their total, then writes them in one transaction and wakes the runner. With
/// `expected`, refuses to queue in another mode than the one the caller priced them in.
pub(super) async fn queue_validated(
    core: &Core,
    mut jobs: Vec<(Validated, Option<i32>)>,
    expected: Option<GenerationMode>,
) -> Result<Vec<Job>> {
    let now = now_ms();
    let mode = active_mode(core).await?.ok_or_else(crate::generation::own_key::no_token)?;
    if expected.is_some_and(|expected| expected != mode) {
        return Err(Error::invalid(
            "mode",
            "the generation mode changed since these jobs were priced (a sign-in, a sign-out or a new key); \
             plan them again",
        ));
    }
    let mut rows = Vec::with_capacity(jobs.len());
    match mode {
        GenerationMode::Account => {
            let prices = core.credit_prices().await?;
            let mut needed = 0;
            for (valid, parent_id) in &jobs {
                let per_image = credit_price(&prices, &valid.model.id, valid.images_requested)?;
                needed += per_image * valid.images_requested as i32;
                rows.push(new_generation(valid, *parent_id, now, Some(per_image)));
            }
            let balance = core.refresh_balance().await?;
            if balance.credits < needed {
                return Err(Error::InsufficientCredits { needed: needed as u32, balance: balance.credits });
            }
        }
        GenerationMode::OwnKey => {
            let total: f64 = jobs.iter().map(|(valid, _)| valid.estimate_usd).sum();
            spend::check_budget(core.pool(), total, now).await?;
            rows.extend(jobs.iter().map(|(valid, parent_id)| new_generation(valid, *parent_id, now, None)));
        }
    }
    // Before the rows: a file without its row is swept later, a row without its file never happens.
    let kept = keep_inputs(core, &mut jobs).await?;
    for (new, (valid, _)) in rows.iter_mut().zip(&jobs) {
        new.inputs = Value::Object(valid.input.clone());
    }
    let mut tx = core.pool().begin().await?;
    let mut ids = Vec::with_capacity(rows.len());
    for (((valid, _), new), kept) in jobs.iter().zip(&rows).zip(&kept) {
        let id = journal::insert_generation(&mut *tx, new).await?;
        inputs::record(&mut tx, id, kept).await?;
        if new.provider == Provider::Replicate {
            spend::record_pending(&mut *tx, id, &valid.model.id, valid.images_requested, valid.estimate_usd, now)
                .await?;
        }
        ids.push(id);
    }
    tx.commit().await?;
    core.jobs.wake();
    let mut queued = Vec::with_capacity(ids.len());
    for ((valid, _), id) in jobs.iter().zip(ids) {
        tracing::info!(job = id, model = %valid.model.id, images = valid.images_requested, "job queued");
        jobs::announce(core, id).await;
        queued.push(jobs::job(core, id).await?);
    }
    Ok(queued)
}

/// Keeps each job's input pictures in the cache (each distinct picture read once) and puts the
/// file's name where its path was.
async fn keep_inputs(core: &Core, jobs: &mut [(Validated, Option<i32>)]) -> Result<Vec<Vec<KeptInput>>> {
    let mut done: HashMap<(String, String), KeptInput> = HashMap::new();
    let mut all = Vec::with_capacity(jobs.len());
    for (valid, _) in jobs.iter_mut() {
        let mut kept = Vec::new();
        for field in valid.model.image_fields() {
            let Some(path) = valid.input.get(&field.name).and_then(Value::as_str).map(str::to_string) else { continue };
            let key = (field.name.clone(), path.clone());
            let one = match done.get(&key) {
                Some(k) => k.clone(),
                None => {
                    let max = match field.kind {
                        FieldKind::Image { max_bytes } => u64::from(max_bytes),
                        _ => 0,
                    };
                    let (dir, name) = (core.data_dir().to_path_buf(), field.name.clone());
                    let k = images::blocking(move || inputs::keep(&dir, &name, Path::new(&path), max)).await?;
                    done.insert(key, k.clone());
                    k
                }
            };
            valid.input.insert(field.name.clone(), Value::from(one.name.clone()));
            kept.push(one);
        }
        all.push(kept);
    }
    Ok(all)
}

/// The journal row of a validated job: own key (in USD) or, with the credits per image, account.
fn new_generation(
    valid: &Validated,
    parent_id: Option<i32>,
    now: i64,
    credits_per_image: Option<i32>,
) -> NewGeneration {
    let mut new = NewGeneration {
        provider: Provider::Replicate,
        model: valid.model.id.clone(),
        inputs: Value::Object(valid.input.clone()),
        prompt: valid.prompt.clone(),
        seed: Some(valid.seed),
        images_requested: valid.images_requested as i32,
        parent_id,
        cost_usd: Some(valid.estimate_usd),
        cost_credits: None,
        price_usd: Some(valid.model.price_usd),
        price_credits: None,
        status: Status::Queued,
        created_at: now,
        style: valid.style.clone(),
    };
    if let Some(per_image) = credits_per_image {
        new.provider = Provider::Platform;
        new.cost_usd = None;
        new.price_usd = None;
        new.price_credits = Some(per_image);
        new.cost_credits = Some(per_image * valid.images_requested as i32);
    }
    new
}

/// Credits per image for this model in the platform's price list, after checking the model is
/// offered with credits and `images` of it fit in one run.
pub(super) fn credit_price(prices: &[ModelPrice], model: &str, images: u32) -> Result<i32> {
    let price = prices
        .iter()
        .find(|p| p.model == model && p.enabled)
        .ok_or_else(|| Error::invalid("model", format!("{model} is not offered with Flux Krea credits right now")))?;
    if images as i32 > price.max_outputs {
        return Err(Error::invalid("num_outputs", format!("at most {} per run with credits", price.max_outputs)));
    }
    Ok(price.credits_per_image)
}

/// The work of [`Core::cancel_job`].
pub(super) async fn cancel_job(core: &Core, id: i32) -> Result<Job> {
    let job = jobs::job(core, id).await?;
    if job.status.is_finished() {
        return Err(Error::invalid("job", format!("job {id} has already ended ({})", job.status.as_str())));
    }
    journal::request_cancel(core.pool(), id).await?;
    // Only if it is still queued: the runner may have picked it up meanwhile.
    if job.status == Status::Queued && journal::cancel_if_queued(core.pool(), id, now_ms()).await? {
        spend::settle(core.pool(), id, 0, 0.0).await?;
    }
    // The answer is the job as this request left it, read before the runner is woken: its
    // end comes later with a higher revision (unless the runner saw the flag on its own first,
    // and the answer is the end itself).
    let answer = jobs::job(core, id).await;
    if let Ok(job) = &answer {
        jobs::publish(core, job.clone());
    }
    core.jobs.cancel_active(id);
    answer
}

/// The work of [`Core::retry_job`].
pub(super) async fn retry_job(core: &Core, id: i32) -> Result<Job> {
    let job = jobs::job(core, id).await?;
    if !matches!(job.status, Status::Failed | Status::Canceled) {
        return Err(Error::invalid(
            "job",
            format!("job {id} is {}; only failed or canceled jobs can be retried", job.status.as_str()),
        ));
    }
    let prediction_id = journal::load(core.pool(), id).await?.prediction_id;
    if prediction_id.is_some() && job.status == Status::Failed {
        journal::reopen_for_download(core.pool(), id).await?;
        spend::reopen(core.pool(), id).await?;
        core.jobs.wake();
        jobs::announce(core, id).await;
        return jobs::job(core, id).await;
    }
    let mut request = request_from(core, id).await?;
    request.parent_id = Some(id);
    generate(core, &request).await
}

/// The work of [`Core::request_from`].
pub(super) async fn request_from(core: &Core, id: i32) -> Result<GenerationRequest> {
    let stored = sqlx::query!("SELECT model, inputs, style FROM generations WHERE id = ?", id)
        .fetch_optional(core.pool())
        .await?
        .ok_or_else(|| Error::NotFound { what: format!("generation {id}") })?;
    let (model, inputs) = (stored.model, stored.inputs);
    let style: Option<AppliedStyle> = stored.style.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let model = catalogue().model(&model)?;
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&inputs) else {
        return Err(Error::internal("the generation's stored inputs are unreadable"));
    };
    let mut values = map
        .into_iter()
        // Only fields the form knows; go_fast is decided by "exact re-run".
        .filter(|(k, _)| model.field(k).is_some() && k != "go_fast")
        .filter_map(|(k, v)| {
            let value = match v {
                Value::Bool(b) => InputValue::Toggle(b),
                Value::Number(n) => InputValue::Number(n.as_f64()?),
                Value::String(s) => InputValue::Text(s),
                _ => return None,
            };
            Some((k, value))
        })
        .collect::<std::collections::BTreeMap<String, InputValue>>();
    // The kept copy of each input picture, where the form expects a path (older runs: their path).
    for kept in inputs::of_generation(core.pool(), id).await? {
        let path = images::absolute(core.data_dir(), &kept.file)?;
        values.insert(kept.field, InputValue::Text(path.display().to_string()));
    }
    Ok(restyled(GenerationRequest {
        model: model.id.clone(),
        inputs: values,
        parent_id: Some(id),
        exact_rerun: false,
        style,
    }))
}

/// A re-run of a styled generation shows the user's own words and the style again; when the sent
/// prompt is not that style's composition (erased, or recorded before styles), the sent prompt
/// alone, which reproduces the run as well.
fn restyled(mut request: GenerationRequest) -> GenerationRequest {
    let Some(style) = request.style.take() else { return request };
    if let Some(InputValue::Text(sent)) = request.inputs.get("prompt") {
        if let Some(own) = style.strip(sent).map(str::to_string) {
            request.inputs.insert("prompt".into(), InputValue::Text(own));
            request.style = Some(style);
        }
    }
    request
}
