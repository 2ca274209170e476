//! The history as the shell and the CLI use it: [`Core`] methods over the modules of this folder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::history::collections::{self, Collection};
use crate::history::deletion::{self, DeleteReport};
use crate::history::details::{self, GenerationDetails};
use crate::history::gallery::{self, GalleryPage, GalleryQuery};
use crate::history::pixels::{self, Pixels};
use crate::history::prompts::{self, RecentPrompt};
use crate::history::seed::{self, SeedReport};
use crate::history::timeline::{self, DateCount, Period};
use crate::history::{favourites, images};
use crate::retention::{self, PurgePreview, PurgeReport, RetentionPolicy};
use crate::Core;

impl Core {
    pub async fn gallery_page(&self, query: &GalleryQuery) -> Result<GalleryPage> {
        gallery::page(self.pool(), query).await
    }

    /// The Gallery positioned at a date: the page of items created before `before`, query kept.
    pub async fn gallery_jump(&self, query: &GalleryQuery, before: i64) -> Result<GalleryPage> {
        gallery::jump(self.pool(), query, before).await
    }

    /// The months or days (local time) that hold items for the query, newest first, with counts.
    pub async fn gallery_dates(&self, query: &GalleryQuery, period: Period) -> Result<Vec<DateCount>> {
        timeline::dates(self.pool(), query, period, &chrono::Local).await
    }

    /// Recall: distinct prompts of the history, most recently used first, with how often each was
    /// used; with `search`, only those the Gallery's search would match. Erased prompts never appear.
    pub async fn recent_prompts(&self, search: Option<&str>, limit: i32) -> Result<Vec<RecentPrompt>> {
        prompts::recent(self.pool(), search, limit).await
    }

    pub async fn generation_details(&self, id: i32) -> Result<GenerationDetails> {
        details::details(self.pool(), id).await
    }

    pub async fn set_favourite(&self, ids: &[i32], favourite: bool) -> Result<i32> {
        favourites::set_favourite(self.pool(), ids, favourite).await
    }

    /// Deletes the rows and their files; when some were made with the account, asks Flux Krea to
    /// remove its copies too (its API removes all of the account's temporary images at once, so
    /// this waits until no account job is still downloading).
    pub async fn delete_generations(&self, ids: &[i32]) -> Result<DeleteReport> {
        let ids_json = serde_json::to_string(ids).map_err(|e| crate::Error::internal(e.to_string()))?;
        let from_account: i64 = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM generations WHERE provider = 'platform' AND id IN (SELECT value FROM json_each(?))",
            ids_json
        )
        .fetch_one(self.pool())
        .await?;
        let mut report = deletion::delete_generations(self.pool(), self.data_dir(), ids).await?;
        if from_account > 0 {
            report.platform = self.remove_platform_copies().await;
        }
        Ok(report)
    }

    pub async fn list_collections(&self) -> Result<Vec<Collection>> {
        collections::list(self.pool()).await
    }

    pub async fn create_collection(&self, name: &str) -> Result<Collection> {
        collections::create(self.pool(), name, now_ms()).await
    }

    pub async fn rename_collection(&self, id: i32, name: &str) -> Result<Collection> {
        collections::rename(self.pool(), id, name).await
    }

    /// Deletes the board only; its generations stay in the history.
    pub async fn delete_collection(&self, id: i32) -> Result<()> {
        collections::delete(self.pool(), id).await
    }

    pub async fn add_to_collection(&self, collection_id: i32, ids: &[i32]) -> Result<i32> {
        collections::add(self.pool(), collection_id, ids, now_ms()).await
    }

    pub async fn remove_from_collection(&self, collection_id: i32, ids: &[i32]) -> Result<i32> {
        collections::remove(self.pool(), collection_id, ids).await
    }

    /// The absolute path of a cached file named by a row; refuses anything outside the cache.
    pub fn cached_file(&self, relative: &str) -> Result<PathBuf> {
        let path = images::absolute(self.data_dir(), relative)?;
        if !path.is_file() {
            return Err(Error::NotFound { what: format!("file {relative}") });
        }
        Ok(path)
    }

    /// A cached file's pixels, for copying the image to the clipboard. Decoding a large output
    /// takes tens of milliseconds: callers run it off the async threads.
    pub fn cached_pixels(&self, relative: &str) -> Result<Pixels> {
        pixels::read(&self.cached_file(relative)?, relative)
    }

    pub async fn retention(&self) -> Result<RetentionPolicy> {
        retention::load(self.pool()).await
    }

    /// Saves the policy, then purges with it at once: a shorter window applies immediately.
    pub async fn set_retention(&self, policy: &RetentionPolicy) -> Result<PurgeReport> {
        policy.validate()?;
        retention::save(self.pool(), policy, now_ms()).await?;
        self.purge().await
    }

    pub async fn preview_purge(&self, policy: &RetentionPolicy) -> Result<PurgePreview> {
        policy.validate()?;
        retention::preview(self.pool(), policy, now_ms()).await
    }

    /// Purges with the saved policy. Serialised: the periodic purge and a user's change never overlap.
    pub async fn purge(&self) -> Result<PurgeReport> {
        let mut last = self.purge_lock.lock().await;
        let policy = retention::load(self.pool()).await?;
        let now = now_ms();
        let report = retention::purge(self.pool(), self.data_dir(), &policy, now).await?;
        *last = Some(now);
        tracing::info!(
            items = report.items,
            files = report.files_removed,
            orphans = report.orphan_files_removed,
            "purge finished"
        );
        Ok(report)
    }

    /// Adds `count` synthetic generations (labelled as such) for demos and benchmarks.
    pub async fn seed_synthetic(&self, count: u32) -> Result<SeedReport> {
        self.seed_synthetic_reporting(count, SHARED_SEED_IMAGES, |_| {}).await
    }

    /// [`Core::seed_synthetic`] with `distinct_images` files shared round-robin (consecutive items
    /// differ while there are enough), calling `progress` with the rows written so far.
    pub async fn seed_synthetic_reporting(
        &self,
        count: u32,
        distinct_images: u32,
        progress: impl FnMut(u32) + Send,
    ) -> Result<SeedReport> {
        let plan = seed::SeedPlan { count, distinct_images, now: now_ms() };
        seed::synthetic_reporting(self.pool(), self.data_dir(), plan, progress).await
    }
}

/// Distinct files a seeded history shares by default: a handful keeps a million items small on disk.
pub const SHARED_SEED_IMAGES: u32 = 12;

/// How often the retention purge runs while the app is open (it also runs at start).
pub const PURGE_EVERY: Duration = Duration::from_secs(4 * 3600);

/// Purges now and then every [`PURGE_EVERY`], forever: spawn it on the app's runtime.
pub async fn purge_schedule(core: Arc<Core>) {
    let mut tick = tokio::time::interval(PURGE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = core.purge().await {
            tracing::error!(error = %e, "scheduled purge failed");
        }
    }
}
