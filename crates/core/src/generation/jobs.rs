//! The job queue. The database is the queue: a job is a `generations` row written before anything
//! is sent, and whichever process holds the data folder's runner lock (the window, or the CLI when
//! the window is closed) runs queued rows oldest first, at most [`MAX_RUNNING`] at a time, and
//! resumes unfinished ones at start. Other processes only add rows and set `cancel_requested`.

use std::collections::HashMap;
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;
use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::history::{to_ui_id, Status};
use crate::Core;

pub const MAX_RUNNING: usize = 2;
/// How many jobs the queue panel lists (the newest), and keeps as they change.
pub const QUEUE_ROWS: u32 = 50;
/// Every create asks the provider to stop the prediction after 15 minutes (`Cancel-After`,
/// provider.rs); one still running 10 minutes past that will not end on its own (a provider that
/// ignores the deadline, or lost the prediction), so the job gives up instead of polling forever.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(25 * 60);
/// How often an idle runner looks for rows another process queued.
const IDLE_POLL: Duration = Duration::from_secs(2);

/// A job as the queue panel and the CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Job {
    pub id: i32,
    pub model: String,
    pub prompt: String,
    pub status: Status,
    /// 0..1 while running or downloading, when known.
    pub progress: Option<f64>,
    pub error: Option<String>,
    pub images_requested: i32,
    pub images_returned: i32,
    /// Estimated while running; what the returned images cost once done.
    pub cost_usd: Option<f64>,
    /// The same in platform credits, for account-mode jobs.
    pub cost_credits: Option<i32>,
    #[specta(type = crate::JsInt)]
    pub created_at: i64,
    #[specta(type = Option<crate::JsInt>)]
    pub completed_at: Option<i64>,
    /// Thumbnails of the images delivered so far (paths relative to the data folder).
    pub thumbs: Vec<String>,
    /// Said plainly when fewer images came back than were asked for.
    pub note: Option<String>,
    pub cancel_requested: bool,
    /// Grows with every change to the job's row: of two snapshots, the one with the lower revision
    /// is older, whichever arrived last (progress alone does not bump it).
    pub revision: i32,
}

/// The queue's state for the panel.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct QueueState {
    pub paused: bool,
    /// False when another process (the CLI, another window) runs the jobs of this data folder.
    pub runs_here: bool,
    /// How many jobs run at once.
    pub max_running: u32,
    /// How many jobs the panel shows: `jobs` holds at most this many, and so should the panel.
    pub rows: u32,
    pub jobs: Vec<Job>,
}

pub struct Jobs {
    paused: AtomicBool,
    max_running: usize,
    /// How long a job waits for its prediction to end before giving up on it, in ms (run.rs).
    give_up_ms: AtomicU64,
    wake: Notify,
    active: Mutex<HashMap<i32, CancellationToken>>,
    progress: Mutex<HashMap<i32, f64>>,
    events: broadcast::Sender<Job>,
    /// Held while this process runs jobs; the OS releases it if the process dies.
    runner_lock: Mutex<Option<File>>,
    /// How many outputs run.rs decodes at once, for the tests of its limit.
    #[cfg(test)]
    pub(crate) decodes: crate::generation::run::Gauge,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            paused: AtomicBool::new(false),
            max_running: MAX_RUNNING,
            give_up_ms: AtomicU64::new(GIVE_UP_AFTER.as_millis() as u64),
            wake: Notify::new(),
            active: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            events: broadcast::channel(256).0,
            runner_lock: Mutex::new(None),
            #[cfg(test)]
            decodes: Default::default(),
        }
    }
}

impl Jobs {
    pub fn subscribe(&self) -> broadcast::Receiver<Job> {
        self.events.subscribe()
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn runs_here(&self) -> bool {
        self.runner_lock.lock().map(|l| l.is_some()).unwrap_or(false)
    }

    pub(crate) fn give_up_after(&self) -> Duration {
        Duration::from_millis(self.give_up_ms.load(Ordering::Relaxed))
    }

    /// Tests cannot wait 25 minutes for the real limit.
    #[cfg(test)]
    pub(crate) fn set_give_up_after(&self, after: Duration) {
        self.give_up_ms.store(after.as_millis() as u64, Ordering::Relaxed);
    }

    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn set_progress(&self, id: i32, value: Option<f64>) {
        if let Ok(mut p) = self.progress.lock() {
            match value {
                Some(v) => p.insert(id, v),
                None => p.remove(&id),
            };
        }
    }

    fn progress_of(&self, id: i32) -> Option<f64> {
        self.progress.lock().ok()?.get(&id).copied()
    }

    /// Cancels a job this process is running; false if it is not running here.
    pub(crate) fn cancel_active(&self, id: i32) -> bool {
        match self.active.lock().ok().and_then(|a| a.get(&id).cloned()) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    fn active_ids(&self) -> Vec<i32> {
        self.active.lock().map(|a| a.keys().copied().collect()).unwrap_or_default()
    }
}

/// Takes the runner lock and starts the dispatcher. Returns false (and runs nothing) when another
/// process already runs this data folder's jobs.
pub fn start(core: &Arc<Core>) -> Result<bool> {
    let path = core.data_dir().join("runner.lock");
    let file =
        File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| Error::storage(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(false),
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::storage(&path, e)),
    }
    {
        let mut held = core.jobs.runner_lock.lock().map_err(|_| Error::internal("runner lock poisoned"))?;
        if held.is_some() {
            return Ok(true);
        }
        *held = Some(file);
    }
    tokio::spawn(dispatch(core.clone()));
    Ok(true)
}

async fn dispatch(core: Arc<Core>) {
    // Unfinished work from an earlier run (crash, restart) goes first, in order.
    match unfinished(core.pool()).await {
        Ok(ids) if !ids.is_empty() => tracing::info!(count = ids.len(), "resuming unfinished jobs"),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "could not read unfinished jobs"),
    }
    loop {
        if !core.jobs.is_paused() {
            let active = core.jobs.active_ids();
            let free = core.jobs.max_running.saturating_sub(active.len());
            if free > 0 {
                match next_jobs(core.pool(), &active, free).await {
                    Ok(ids) => {
                        for id in ids {
                            launch(&core, id);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "could not read the queue"),
                }
            }
        }
        let _ = tokio::time::timeout(IDLE_POLL, core.jobs.wake.notified()).await;
    }
}

fn launch(core: &Arc<Core>, id: i32) {
    let token = CancellationToken::new();
    if let Ok(mut active) = core.jobs.active.lock() {
        active.insert(id, token.clone());
    }
    let core = core.clone();
    tokio::spawn(async move {
        super::run::run(&core, id, token).await;
        if let Ok(mut active) = core.jobs.active.lock() {
            active.remove(&id);
        }
        core.jobs.set_progress(id, None);
        core.jobs.wake();
    });
}

async fn unfinished(pool: &SqlitePool) -> Result<Vec<i32>> {
    let ids: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM generations WHERE status IN ('submitted', 'running', 'downloading') ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    ids.into_iter().map(to_ui_id).collect()
}

/// Resumable rows first, then queued ones, oldest first, skipping those already running here.
async fn next_jobs(pool: &SqlitePool, active: &[i32], free: usize) -> Result<Vec<i32>> {
    let ids: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM generations
         WHERE status IN ('queued', 'submitted', 'running', 'downloading')
           AND provider IN ('replicate', 'platform')
           AND id NOT IN (SELECT value FROM json_each(?1))
         ORDER BY status = 'queued', id LIMIT ?2",
        crate::history::id_list(active),
        free as i64
    )
    .fetch_all(pool)
    .await?;
    ids.into_iter().map(to_ui_id).collect()
}

/// One job as the UI shows it.
pub async fn job(core: &Core, id: i32) -> Result<Job> {
    let rows = jobs_where(core, id, 1).await?;
    rows.into_iter().next().ok_or_else(|| Error::NotFound { what: format!("job {id}") })
}

/// Unfinished jobs and the most recent finished ones, newest first.
pub async fn recent(core: &Core, limit: i32) -> Result<Vec<Job>> {
    jobs_where(core, 0, limit.clamp(1, 500)).await
}

struct JobRow {
    id: i64,
    model: String,
    prompt: String,
    status: String,
    error: Option<String>,
    images_requested: i64,
    images_returned: i64,
    cost_usd: Option<f64>,
    cost_credits: Option<i32>,
    created_at: i64,
    completed_at: Option<i64>,
    thumbs: Option<String>,
    cancel_requested: i64,
    revision: i64,
}

/// One job (`id` > 0), or the recent real jobs (`id` = 0; synthetic history is not a job).
async fn jobs_where(core: &Core, id: i32, limit: i32) -> Result<Vec<Job>> {
    // Both statements read the same columns; `query_as!` takes its text as literals only.
    macro_rules! jobs_with {
        ($filter:tt) => {
            sqlx::query_as!(
                JobRow,
                r#"SELECT g.id, g.model, g.prompt, g.status, g.error, g.images_requested, g.images_returned,
                g.cost_usd, g.cost_credits AS "cost_credits: i32", g.created_at, g.completed_at,
                (SELECT json_group_array(thumb) FROM (SELECT thumb FROM images WHERE generation_id = g.id
                                                      AND thumb IS NOT NULL ORDER BY idx)) AS thumbs,
                g.cancel_requested, g.revision
         FROM generations g"#
                    + $filter,
                id,
                limit
            )
        };
    }
    // The recent jobs: every unfinished one and the newest finished, each set read from its own
    // partial index, so the queue answers at once however much history there is.
    let rows = if id > 0 {
        jobs_with!(" WHERE g.id = ?1 AND ?2 > 0").fetch_all(core.pool()).await?
    } else {
        jobs_with!(
            " WHERE g.id IN (
                 SELECT id FROM generations WHERE status IN ('queued', 'submitted', 'running', 'downloading')
                 UNION
                 SELECT id FROM (SELECT id FROM generations WHERE provider IN ('replicate', 'platform')
                                 ORDER BY id DESC LIMIT ?2))
               AND g.provider IN ('replicate', 'platform') AND ?1 = 0
             ORDER BY g.status IN ('done', 'failed', 'canceled'), g.id DESC LIMIT ?2"
        )
        .fetch_all(core.pool())
        .await?
    };
    rows.into_iter()
        .map(|row| {
            let id = to_ui_id(row.id)?;
            let status = Status::parse(&row.status)?;
            let (requested, returned) = (row.images_requested, row.images_returned);
            Ok(Job {
                id,
                model: row.model,
                prompt: row.prompt,
                status,
                progress: if status.is_finished() { None } else { core.jobs.progress_of(id) },
                error: row.error,
                images_requested: requested as i32,
                images_returned: returned as i32,
                cost_usd: row.cost_usd,
                cost_credits: row.cost_credits,
                created_at: row.created_at,
                completed_at: row.completed_at,
                thumbs: row.thumbs.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                note: shortfall_note(status, requested, returned),
                cancel_requested: row.cancel_requested != 0,
                revision: i32::try_from(row.revision).unwrap_or(i32::MAX),
            })
        })
        .collect()
}

fn shortfall_note(status: Status, requested: i64, returned: i64) -> Option<String> {
    if status != Status::Done || returned >= requested {
        return None;
    }
    let missing = requested - returned;
    let images = if missing == 1 { "image" } else { "images" };
    Some(format!(
        "{returned} of {requested} images came back: the provider's safety filter removed {missing} {images}; only delivered images are counted."
    ))
}

/// Tells listeners (the window, a waiting CLI) that a job changed.
pub(crate) async fn announce(core: &Core, id: i32) {
    match job(core, id).await {
        Ok(job) => publish(core, job),
        Err(e) => tracing::warn!(job = id, error = %e, "could not read a job to announce it"),
    }
}

/// Announces a job already read (no one listening is fine).
pub(crate) fn publish(core: &Core, job: Job) {
    let _ = core.jobs.events.send(job);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortfall_is_said_plainly() {
        assert_eq!(shortfall_note(Status::Done, 4, 4), None);
        assert_eq!(shortfall_note(Status::Running, 4, 1), None);
        let note = shortfall_note(Status::Done, 4, 3).unwrap();
        assert!(note.starts_with("3 of 4 images came back") && note.contains("removed 1 image;"), "{note}");
    }
}
