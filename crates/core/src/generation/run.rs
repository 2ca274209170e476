//! Driving one job from its journal row to the end: submit (or find the earlier submission), wait,
//! download every output at once, record. Every step is written down before the next starts, so a
//! crash at any point resumes from the row: nothing is lost and nothing is paid for twice.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::generation::catalogue::{catalogue, Model};
use crate::generation::input_image::{self, INLINE_LIMIT};
use crate::generation::jobs::announce;
use crate::generation::prediction::{Prediction, PredictionStatus};
use crate::generation::provider::ProviderClient;
use crate::generation::spend;
use crate::history::journal::{self, StatusChange};
use crate::history::{images, inputs};
use crate::history::{Provider, Status};
use crate::Core;

/// How long a create holds the connection for the result (`Prefer: wait=5`). Fast models finish
/// inside it (lowest latency); slower ones come back unfinished and are polled, which is when
/// progress shows and a cancel takes effect.
const CREATE_WAIT: Duration = Duration::from_secs(5);
/// Outputs of one job decoded at the same time: each may take up to `thumbnail::MAX_DECODE_BYTES`.
const DECODES_AT_ONCE: usize = 2;

/// A job's journal row.
struct Row {
    id: i32,
    model: &'static Model,
    inputs: serde_json::Map<String, Value>,
    status: Status,
    prediction_id: Option<String>,
    created_at: i64,
    provider: Provider,
}

pub async fn run(core: &Core, id: i32, cancel: CancellationToken) {
    let outcome = match load(core, id).await {
        Ok(row) => drive_signed_in(core, row, &cancel).await.map_err(|(e, provider)| match (e, provider) {
            // In own-key mode a 401 means the user's token, not a sign-in.
            (Error::AuthRequired, Provider::Replicate) => {
                Error::invalid("replicate_token", "Replicate refused the token; check it on the Account screen")
            }
            (e, _) => e,
        }),
        Err(e) => Err(e),
    };
    if let Err(e) = outcome {
        // The message is the app's own words (the error type carries no URLs or tokens).
        tracing::warn!(job = id, kind = error_kind(&e), "job failed");
        // Cost first, then the status: whoever sees the job ended also sees what it cost.
        settle(core, id).await;
        let change = StatusChange {
            status: Status::Failed,
            error: Some(e.to_string()),
            prediction_id: None,
            completed_at: Some(now_ms()),
        };
        if let Err(e) = journal::set_status(core.pool(), id, &change).await {
            tracing::error!(job = id, error = %e, "could not record a job's failure");
        }
    }
    announce(core, id).await;
}

/// Drives the job; in account mode a 401 part-way (a token that expired during a long run) gets
/// one refresh and a resume from the row, which never submits twice.
async fn drive_signed_in(
    core: &Core,
    row: Row,
    cancel: &CancellationToken,
) -> std::result::Result<(), (Error, Provider)> {
    let provider = row.provider;
    match drive(core, &row, cancel).await {
        Err(Error::AuthRequired) if provider == Provider::Platform => {
            let token = core.access_token().await.map_err(|e| (e, provider))?;
            core.refresh_after_rejection(&token).await.map_err(|e| (e, provider))?;
            let row = load(core, row.id).await.map_err(|e| (e, provider))?;
            drive(core, &row, cancel).await.map_err(|e| (e, provider))
        }
        other => other.map_err(|e| (e, provider)),
    }
}

fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::AuthRequired => "auth_required",
        Error::RateLimited { .. } => "rate_limited",
        Error::InvalidInput { .. } | Error::InvalidFields { .. } => "invalid_input",
        Error::Offline { .. } => "offline",
        Error::Network { .. } => "network",
        Error::Upstream { .. } => "upstream",
        _ => "other",
    }
}

async fn load(core: &Core, id: i32) -> Result<Row> {
    let stored = journal::load(core.pool(), id).await?;
    let model = catalogue().model(&stored.model)?;
    let inputs = match serde_json::from_str(&stored.inputs) {
        Ok(Value::Object(map)) => map,
        _ => return Err(Error::internal("the job's stored inputs are unreadable")),
    };
    Ok(Row {
        id,
        model,
        inputs,
        status: stored.status,
        prediction_id: stored.prediction_id,
        created_at: stored.created_at,
        provider: stored.provider,
    })
}

async fn drive(core: &Core, row: &Row, cancel: &CancellationToken) -> Result<()> {
    if cancel_requested(core, row.id).await? && row.prediction_id.is_none() {
        return finish(core, row.id, Status::Canceled, None).await;
    }
    let provider = core.provider_for(row.provider).await?;
    let prediction = match (&row.prediction_id, row.status) {
        (Some(pid), _) => provider.get(pid).await?,
        (None, Status::Queued) => submit(core, &provider, row).await?,
        // The create went out but its answer was never recorded: find it before sending another.
        (None, _) => match find_submitted(&provider, row).await? {
            Some(found) => {
                tracing::info!(job = row.id, "found the earlier submission of a resumed job");
                record_prediction(core, row.id, &found).await?;
                found
            }
            None => submit(core, &provider, row).await?,
        },
    };
    let prediction = match wait(core, &provider, row, prediction, cancel).await? {
        Waited::Ended(prediction) => *prediction,
        Waited::Overdue => {
            let minutes = core.jobs.give_up_after().as_secs().div_ceil(60);
            let reason = format!(
                "the provider had not finished it after {minutes} minutes, past its own 15-minute \
                 limit; the app asked it to stop and gave up on it. No image came back"
            );
            return finish(core, row.id, Status::Failed, Some(reason)).await;
        }
    };
    match prediction.status {
        PredictionStatus::Succeeded => download(core, &provider, row, &prediction).await,
        PredictionStatus::Canceled if cancel_requested(core, row.id).await? => {
            finish(core, row.id, Status::Canceled, None).await
        }
        // Nobody here asked: Replicate stopped it (its Cancel-After deadline passed) or it was
        // canceled on replicate.com. Saying "canceled" would blame the user.
        PredictionStatus::Canceled => {
            // 15 minutes: the `Cancel-After` every create sends (provider.rs).
            let reason = "the provider stopped it before it finished: it passed its 15-minute deadline, \
                          or it was canceled outside this app; no image came back";
            finish(core, row.id, Status::Failed, Some(reason.into())).await
        }
        PredictionStatus::Aborted => {
            finish(
                core,
                row.id,
                Status::Failed,
                Some("the job did not start before its deadline and was stopped (not billed)".into()),
            )
            .await
        }
        _ => {
            let reason = prediction.error_text().unwrap_or_else(|| "the model failed without saying why".into());
            finish(core, row.id, Status::Failed, Some(reason)).await
        }
    }
}

async fn cancel_requested(core: &Core, id: i32) -> Result<bool> {
    journal::cancel_requested(core.pool(), id).await
}

/// The wire input: image fields become a data URL (small) or an uploaded file's URL, metadata
/// stripped. The picture is the copy kept when the job was queued (older jobs: the user's path).
async fn wire_input(core: &Core, provider: &ProviderClient, row: &Row) -> Result<Value> {
    let mut input = row.inputs.clone();
    let kept = inputs::of_generation(core.pool(), row.id).await?;
    for field in row.model.image_fields() {
        let path = match kept.iter().find(|k| k.field == field.name) {
            Some(k) => images::absolute(core.data_dir(), &k.file)?.display().to_string(),
            None => match input.get(&field.name).and_then(Value::as_str) {
                Some(path) => path.to_string(),
                None => continue,
            },
        };
        let max = match field.kind {
            crate::generation::catalogue::FieldKind::Image { max_bytes } => u64::from(max_bytes),
            _ => 0,
        };
        let name = field.name.clone();
        let clean = tokio::task::spawn_blocking(move || input_image::load(&name, std::path::Path::new(&path), max))
            .await
            .map_err(|_| Error::internal("reading the input image stopped"))??;
        let value = if clean.bytes.len() <= INLINE_LIMIT {
            clean.data_url()
        } else {
            provider.upload(clean.bytes, &clean.file_name, clean.mime).await?
        };
        input.insert(field.name.clone(), Value::from(value));
    }
    Ok(Value::Object(input))
}

async fn submit(core: &Core, provider: &ProviderClient, row: &Row) -> Result<Prediction> {
    let input = wire_input(core, provider, row).await?;
    // Written before sending: if the answer is lost, the resumed job looks for it instead.
    let change = StatusChange { status: Status::Submitted, error: None, prediction_id: None, completed_at: None };
    journal::set_status(core.pool(), row.id, &change).await?;
    announce(core, row.id).await;
    let key = format!("flux-krea-job-{}-{}", row.id, row.created_at);
    match provider.create(&row.model.replicate, &input, &key, CREATE_WAIT).await {
        Ok(prediction) => {
            record_prediction(core, row.id, &prediction).await?;
            Ok(prediction)
        }
        // The request may have been accepted before the connection broke.
        Err(e @ (Error::Network { .. } | Error::Upstream { status: 500..=599, .. })) => {
            match find_submitted(provider, row).await {
                Ok(Some(found)) => {
                    record_prediction(core, row.id, &found).await?;
                    Ok(found)
                }
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

async fn find_submitted(provider: &ProviderClient, row: &Row) -> Result<Option<Prediction>> {
    if provider.idempotent_creates() {
        // The platform replays a create with the same Idempotency-Key: submitting again finds it.
        return Ok(None);
    }
    let prompt = row.inputs.get("prompt").and_then(Value::as_str).unwrap_or_default();
    let seed = row.inputs.get("seed").and_then(Value::as_i64).unwrap_or_default();
    // A minute of slack for clock differences between this machine and the provider.
    let after = time::OffsetDateTime::from_unix_timestamp(row.created_at / 1000 - 60)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .ok_or_else(|| Error::internal("bad job time"))?;
    provider.find(&row.model.replicate, prompt, seed, &after).await
}

async fn record_prediction(core: &Core, id: i32, prediction: &Prediction) -> Result<()> {
    let change = StatusChange {
        status: Status::Running,
        error: None,
        prediction_id: Some(prediction.id.clone()),
        completed_at: None,
    };
    journal::set_status(core.pool(), id, &change).await?;
    announce(core, id).await;
    Ok(())
}

/// How waiting for a prediction ended.
enum Waited {
    Ended(Box<Prediction>),
    /// Still unfinished after `Jobs::give_up_after`; the provider was asked to stop it.
    Overdue,
}

/// Polls until the prediction ends, with backoff; a cancel request stops it on the provider too,
/// and so does a prediction that outlives `Jobs::give_up_after` (measured from when this process
/// started waiting, so a wrong clock on either side cannot cut a job short).
async fn wait(
    core: &Core,
    provider: &ProviderClient,
    row: &Row,
    mut prediction: Prediction,
    cancel: &CancellationToken,
) -> Result<Waited> {
    let give_up_at = tokio::time::Instant::now() + core.jobs.give_up_after();
    let mut delay = Duration::from_millis(250);
    let mut cancel_sent = false;
    while !prediction.status.is_finished() {
        if !cancel_sent && (cancel.is_cancelled() || cancel_requested(core, row.id).await?) {
            tracing::info!(job = row.id, "cancel requested: telling the provider");
            prediction = provider.cancel(&prediction.id).await?;
            tracing::debug!(job = row.id, status = ?prediction.status, "the provider answered the cancel");
            cancel_sent = true;
            continue;
        }
        if tokio::time::Instant::now() >= give_up_at {
            tracing::warn!(job = row.id, status = ?prediction.status, "the prediction outlived its limit: stopping it");
            // Best effort: the job ends here either way, and a provider that kept it running
            // this long may not answer.
            if let Err(e) = provider.cancel(&prediction.id).await {
                tracing::warn!(job = row.id, error = %e, "the provider did not take the cancel");
            }
            return Ok(Waited::Overdue);
        }
        let progress = prediction.progress();
        core.jobs.set_progress(row.id, progress.map(|p| 0.05 + p * 0.8));
        announce(core, row.id).await;
        tokio::select! {
            _ = tokio::time::sleep(delay.min(give_up_at.saturating_duration_since(tokio::time::Instant::now()))) => {}
            _ = cancel.cancelled(), if !cancel_sent => {}
        }
        delay = (delay * 2).min(Duration::from_secs(3));
        prediction = provider.get(&prediction.id).await?;
        tracing::debug!(job = row.id, status = ?prediction.status, "polled");
    }
    Ok(Waited::Ended(Box::new(prediction)))
}

/// Downloads every output not yet stored, all at once, then completes the row.
async fn download(core: &Core, provider: &ProviderClient, row: &Row, prediction: &Prediction) -> Result<()> {
    let change = StatusChange { status: Status::Downloading, error: None, prediction_id: None, completed_at: None };
    journal::set_status(core.pool(), row.id, &change).await?;
    core.jobs.set_progress(row.id, Some(0.85));
    announce(core, row.id).await;
    let urls = prediction.output_urls()?;
    let stored: Vec<i64> =
        sqlx::query_scalar!("SELECT idx FROM images WHERE generation_id = ?", row.id).fetch_all(core.pool()).await?;
    if prediction.data_removed || urls.is_empty() {
        let reason = if stored.is_empty() {
            Some("the outputs expired before they could be downloaded".to_string())
        } else {
            None
        };
        let status = if stored.is_empty() { Status::Failed } else { Status::Done };
        return finish(core, row.id, status, reason).await;
    }
    let pending: Vec<(usize, &String)> =
        urls.iter().enumerate().filter(|(i, _)| !stored.contains(&(*i as i64))).collect();
    // Downloads all run at once; decodes (up to MAX_DECODE_BYTES each) take turns, two at a time.
    let decodes = &Semaphore::new(DECODES_AT_ONCE);
    let results = futures_util::future::join_all(pending.iter().map(|(idx, url)| async move {
        let bytes = provider.download(url, &|_, _| {}).await?;
        let _slot = decodes.acquire().await.map_err(|_| Error::internal("the decode queue closed"))?;
        #[cfg(test)]
        let _decoding = core.jobs.decodes.enter();
        journal::add_image(core.pool(), core.data_dir(), row.id, *idx as i32, bytes, Some((*url).clone()), now_ms())
            .await?;
        announce(core, row.id).await;
        Ok::<(), Error>(())
    }))
    .await;
    let failures: Vec<Error> = results.into_iter().filter_map(|r| r.err()).collect();
    match failures.into_iter().next() {
        None => finish(core, row.id, Status::Done, None).await,
        Some(first) => {
            let total = urls.len();
            Err(match first {
                Error::Upstream { status: 404 | 410, .. } => Error::Upstream {
                    service: provider.service().into(),
                    status: 410,
                    detail: "some outputs expired before they could be downloaded".into(),
                },
                other => {
                    tracing::warn!(job = row.id, total, "some outputs could not be downloaded; retry fetches the rest");
                    other
                }
            })
        }
    }
}

/// Ends a job: its status, completion time and what it cost.
async fn finish(core: &Core, id: i32, status: Status, error: Option<String>) -> Result<()> {
    tracing::info!(job = id, status = status.as_str(), "job ended");
    let change = StatusChange { status, error, prediction_id: None, completed_at: Some(now_ms()) };
    settle(core, id).await;
    journal::set_status(core.pool(), id, &change).await?;
    core.jobs.set_progress(id, None);
    announce(core, id).await;
    Ok(())
}

/// Cost = price × images actually delivered, on the row and in the spend ledger.
async fn settle(core: &Core, id: i32) {
    let result = async {
        match journal::settle_cost(core.pool(), id).await? {
            journal::Settled::Credits => Ok(()),
            journal::Settled::Usd { images, cost } => spend::settle(core.pool(), id, images, cost).await,
        }
    }
    .await;
    if let Err(e) = result {
        tracing::error!(job = id, error = %e, "could not settle a job's cost");
    }
}

/// Counts what is inside a section now and the most ever at once (tests only).
#[cfg(test)]
#[derive(Default)]
pub(crate) struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    pub(crate) peak: std::sync::atomic::AtomicUsize,
}

#[cfg(test)]
impl Gauge {
    pub(crate) fn enter(&self) -> impl Drop + '_ {
        use std::sync::atomic::Ordering::SeqCst;
        struct Leave<'a>(&'a Gauge);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.now.fetch_sub(1, SeqCst);
            }
        }
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(now, SeqCst);
        Leave(self)
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
