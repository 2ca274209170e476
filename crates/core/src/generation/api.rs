//! The generation façade on [`Core`]: what the window's commands and the CLI call — the catalogue,
//! the job queue (generate, plans of several jobs, cancel, retry, re-run), the own-key token, the
//! picture inputs and the own-key spend. The work is in this folder's other modules.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::clock::now_ms;
use crate::error::Result;
use crate::generation::catalogue::{catalogue, Catalogue};
use crate::generation::draft::{self, PromptDraft};
use crate::generation::enqueue;
use crate::generation::jobs::{self, Job, QueueState};
use crate::generation::own_key::{self, KeySource, KeyStatus};
use crate::generation::plan::{self, GenerationPlan};
use crate::generation::provider::ProviderClient;
use crate::generation::request::GenerationRequest;
use crate::generation::spend::{self, SpendSummary};
use crate::generation::staging::{self, InputPreview};
use crate::history::Provider;
use crate::secrets::Sensitive;
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
        enqueue::generate(self, request).await
    }

    /// Every job one form makes: the prompt's `{a|b}` variations (at most `cap` prompts, see
    /// [`variations`](crate::generation::variations)) on each of `models` (none: the request's
    /// model), each validated for its model and priced in the active mode, with the total. Queues
    /// nothing; [`Core::generate_plan`] does.
    pub async fn plan_generation(
        &self,
        request: &GenerationRequest,
        models: &[String],
        cap: usize,
    ) -> Result<GenerationPlan> {
        plan::plan(self, request, models, cap).await
    }

    /// Queues every job of a plan, or none: each is validated again, and the budget (own key) or
    /// the balance (account) is checked against their total. Refused if the mode changed since.
    pub async fn generate_plan(&self, plan: &GenerationPlan) -> Result<Vec<Job>> {
        plan::queue(self, plan).await
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
        enqueue::cancel_job(self, id).await
    }

    /// Retries a failed or canceled job. One whose prediction succeeded fetches its missing
    /// outputs (no new charge); otherwise a new job with the same inputs is queued.
    pub async fn retry_job(&self, id: i32) -> Result<Job> {
        enqueue::retry_job(self, id).await
    }

    /// The form values of an earlier generation, for "Re-run" (exact) and "Remix".
    /// The Create screen's draft, if one was kept.
    pub async fn draft(&self) -> Result<Option<PromptDraft>> {
        draft::load(self.pool()).await
    }

    /// Keeps the Create screen's draft (an empty one clears it).
    pub async fn save_draft(&self, draft: &PromptDraft) -> Result<()> {
        draft::save(self.pool(), draft, now_ms()).await
    }

    pub async fn request_from(&self, id: i32) -> Result<GenerationRequest> {
        enqueue::request_from(self, id).await
    }

    pub async fn spend(&self) -> Result<SpendSummary> {
        spend::summary(self.pool(), now_ms(), 50).await
    }

    pub async fn set_monthly_budget(&self, monthly_usd: Option<f64>) -> Result<SpendSummary> {
        spend::set_budget(self.pool(), monthly_usd, now_ms()).await?;
        self.spend().await
    }

    /// Uses this token for the life of the process (the CLI's `REPLICATE_API_TOKEN`); not stored.
    pub fn use_replicate_token_from_environment(&self, token: &str) -> Result<()> {
        own_key::use_token_from_environment(self, token)
    }

    /// Checks the token with Replicate, then stores it in the keychain.
    pub async fn set_replicate_token(&self, token: &str) -> Result<KeyStatus> {
        own_key::set_token(self, token).await
    }

    pub async fn remove_replicate_token(&self) -> Result<KeyStatus> {
        own_key::remove_token(self).await
    }

    pub async fn replicate_key(&self) -> Result<KeyStatus> {
        own_key::key_status(self).await
    }

    /// Checks a picked or dropped file and makes its preview.
    pub async fn preview_input_image(&self, path: &str) -> Result<InputPreview> {
        staging::preview_input_image(path).await
    }

    /// Keeps pasted image bytes as a private file (named by content) and previews it.
    pub async fn stage_pasted_image(&self, bytes: Vec<u8>) -> Result<InputPreview> {
        staging::stage_pasted_image(self.data_dir(), bytes).await
    }
}

/// Within the crate: the credentials the runner (`run.rs`) and the account status (`auth`) use.
impl Core {
    /// The token in force and where it came from.
    pub(crate) async fn replicate_token(&self) -> Result<Option<(Sensitive<String>, KeySource)>> {
        own_key::replicate_token(self).await
    }

    /// The client for a job's provider, with its credentials.
    pub(crate) async fn provider_for(&self, provider: Provider) -> Result<ProviderClient> {
        own_key::provider_for(self, provider).await
    }
}
