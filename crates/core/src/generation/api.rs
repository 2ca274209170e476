//! The generation façade on [`Core`]: what the window's commands and the CLI call.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

use crate::auth::profile::active_mode;
use crate::auth::GenerationMode;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::generation::catalogue::{catalogue, Catalogue};
use crate::generation::jobs::{self, Job, QueueState};
use crate::generation::request::{validate, GenerationRequest, InputValue};
use crate::generation::spend::{self, SpendSummary};
use crate::history::journal::{self, NewGeneration};
use crate::history::{Provider, Status};
use crate::Core;

impl Core {
    pub fn catalogue(&self) -> &'static Catalogue {
        catalogue()
    }

    /// Starts running jobs in this process, unless another process already does. Call once.
    pub fn start_jobs(self: &Arc<Self>) -> Result<bool> {
        jobs::start(self)
    }

    /// Validates, checks the budget (own key) or the balance (account), then writes the job to the
    /// journal and wakes the runner. Nothing is sent when any check fails.
    pub async fn generate(&self, request: &GenerationRequest) -> Result<Job> {
        let valid = validate(request)?;
        let now = now_ms();
        let mut new = NewGeneration {
            provider: Provider::Replicate,
            model: valid.model.id.clone(),
            inputs: Value::Object(valid.input.clone()),
            prompt: valid.prompt.clone(),
            seed: Some(valid.seed),
            images_requested: valid.images_requested as i32,
            parent_id: request.parent_id,
            cost_usd: Some(valid.estimate_usd),
            cost_credits: None,
            price_usd: Some(valid.model.price_usd),
            price_credits: None,
            status: Status::Queued,
            created_at: now,
        };
        match active_mode(self).await? {
            Some(GenerationMode::Account) => {
                let per_image = self.check_credits(&valid.model.id, valid.images_requested).await?;
                new.provider = Provider::Platform;
                new.cost_usd = None;
                new.price_usd = None;
                new.price_credits = Some(per_image);
                new.cost_credits = Some(per_image * valid.images_requested as i32);
            }
            Some(GenerationMode::OwnKey) => spend::check_budget(self.pool(), valid.estimate_usd, now).await?,
            None => return Err(crate::generation::own_key::no_token()),
        }
        let mut tx = self.pool().begin().await?;
        let id = journal::insert_generation(&mut *tx, &new).await?;
        if new.provider == Provider::Replicate {
            spend::record_pending(&mut *tx, id, &valid.model.id, valid.images_requested, valid.estimate_usd, now)
                .await?;
        }
        tx.commit().await?;
        tracing::info!(job = id, model = %valid.model.id, images = valid.images_requested, "job queued");
        self.jobs.wake();
        jobs::announce(self, id).await;
        jobs::job(self, id).await
    }

    pub async fn job(&self, id: i32) -> Result<Job> {
        jobs::job(self, id).await
    }

    /// The queue panel: the newest [`jobs::QUEUE_ROWS`] jobs.
    pub async fn queue(&self) -> Result<QueueState> {
        Ok(QueueState {
            paused: self.jobs.is_paused(),
            runs_here: self.jobs.runs_here(),
            max_running: jobs::MAX_RUNNING as u32,
            rows: jobs::QUEUE_ROWS,
            jobs: jobs::recent(self, jobs::QUEUE_ROWS as i32).await?,
        })
    }

    /// The newest `rows` jobs (the CLI's `jobs list`).
    pub async fn recent_jobs(&self, rows: i32) -> Result<Vec<Job>> {
        jobs::recent(self, rows).await
    }

    pub fn subscribe_jobs(&self) -> broadcast::Receiver<Job> {
        self.jobs.subscribe()
    }

    pub fn set_queue_paused(&self, paused: bool) {
        self.jobs.set_paused(paused);
    }

    /// Cancels a job: a queued one at once, a running one on the provider too. A job already
    /// downloading finishes (its images are paid for).
    pub async fn cancel_job(&self, id: i32) -> Result<Job> {
        let job = jobs::job(self, id).await?;
        if job.status.is_finished() {
            return Err(Error::invalid("job", format!("job {id} has already ended ({})", job.status.as_str())));
        }
        journal::request_cancel(self.pool(), id).await?;
        // Only if it is still queued: the runner may have picked it up meanwhile.
        if job.status == Status::Queued && journal::cancel_if_queued(self.pool(), id, now_ms()).await? {
            spend::settle(self.pool(), id, 0, 0.0).await?;
        }
        // The answer is the job as this request left it, read before the runner is woken: its
        // end comes later with a higher revision (unless the runner saw the flag on its own first,
        // and the answer is the end itself).
        let answer = jobs::job(self, id).await;
        if let Ok(job) = &answer {
            jobs::publish(self, job.clone());
        }
        self.jobs.cancel_active(id);
        answer
    }

    /// Retries a failed or canceled job. One whose prediction succeeded fetches its missing
    /// outputs (no new charge); otherwise a new job with the same inputs is queued.
    pub async fn retry_job(&self, id: i32) -> Result<Job> {
        let job = jobs::job(self, id).await?;
        if !matches!(job.status, Status::Failed | Status::Canceled) {
            return Err(Error::invalid(
                "job",
                format!("job {id} is {}; only failed or canceled jobs can be retried", job.status.as_str()),
            ));
        }
        let prediction_id = journal::load(self.pool(), id).await?.prediction_id;
        if prediction_id.is_some() && job.status == Status::Failed {
            journal::reopen_for_download(self.pool(), id).await?;
            spend::reopen(self.pool(), id).await?;
            self.jobs.wake();
            jobs::announce(self, id).await;
            return jobs::job(self, id).await;
        }
        let mut request = self.request_from(id).await?;
        request.parent_id = Some(id);
        self.generate(&request).await
    }

    /// The form values of an earlier generation, for "Re-run" (exact) and "Remix".
    pub async fn request_from(&self, id: i32) -> Result<GenerationRequest> {
        let stored = sqlx::query!("SELECT model, inputs FROM generations WHERE id = ?", id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::NotFound { what: format!("generation {id}") })?;
        let (model, inputs) = (stored.model, stored.inputs);
        let model = catalogue().model(&model)?;
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&inputs) else {
            return Err(Error::internal("the generation's stored inputs are unreadable"));
        };
        let inputs = map
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
            .collect();
        Ok(GenerationRequest { model: model.id.clone(), inputs, parent_id: Some(id), exact_rerun: false })
    }

    /// Credits per image for this model, after checking the account can pay for `images` of them
    /// (the platform's price list and a fresh balance; offline, the last known one).
    async fn check_credits(&self, model: &str, images: u32) -> Result<i32> {
        let prices = self.credit_prices().await?;
        let price = prices.iter().find(|p| p.model == model && p.enabled).ok_or_else(|| {
            Error::invalid("model", format!("{model} is not offered with Flux Krea credits right now"))
        })?;
        if images as i32 > price.max_outputs {
            return Err(Error::invalid("num_outputs", format!("at most {} per run with credits", price.max_outputs)));
        }
        let needed = price.credits_per_image * images as i32;
        let balance = self.refresh_balance().await?;
        if balance.credits < needed {
            return Err(Error::InsufficientCredits { needed: needed as u32, balance: balance.credits });
        }
        Ok(price.credits_per_image)
    }

    pub async fn spend(&self) -> Result<SpendSummary> {
        spend::summary(self.pool(), now_ms(), 50).await
    }

    pub async fn set_monthly_budget(&self, monthly_usd: Option<f64>) -> Result<SpendSummary> {
        spend::set_budget(self.pool(), monthly_usd, now_ms()).await?;
        self.spend().await
    }
}
