//! The local history: generations and their images in SQLite (schema in `migrations/0002_history.sql`),
//! the content-addressed image cache, gallery pages, search, recent prompts, collections and edits.
//!
//! Queries are checked at compile time (`sqlx::query!` and friends) against the migrations, from the
//! committed `crates/core/.sqlx` folder, so no build needs `DATABASE_URL`. Only SQL that is built at
//! run time stays `sqlx::query*` (the gallery's filters, search, PRAGMAs), each saying why.
//!
//! Identifiers cross the IPC boundary as `i32`; times (unix milliseconds) and byte counts are `i64`
//! typed `number` for TypeScript through [`crate::JsInt`], since specta refuses other 64-bit
//! integers (a JavaScript number holds integers exactly only up to 2^53).

pub mod api;
pub mod collections;
pub mod deletion;
pub mod details;
pub mod favourites;
pub mod gallery;
pub mod images;
pub mod inputs;
pub mod journal;
pub mod pixels;
pub mod prompts;
pub mod recovery;
pub mod search;
pub mod seed;
pub mod terms;
pub mod thumbnail;
pub mod timeline;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use api::{purge_schedule, SHARED_SEED_IMAGES};
pub use recovery::{open_checked, open_checked_within, Recovery};

/// Where a generation ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Replicate,
    Platform,
    /// Made by [`seed::synthetic`] for demos and benchmarks.
    Synthetic,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Replicate => "replicate",
            Provider::Platform => "platform",
            Provider::Synthetic => "synthetic",
        }
    }

    pub fn parse(text: &str) -> Result<Provider> {
        match text {
            "replicate" => Ok(Provider::Replicate),
            "platform" => Ok(Provider::Platform),
            "synthetic" => Ok(Provider::Synthetic),
            other => Err(Error::invalid("provider", format!("unknown provider {other:?}"))),
        }
    }
}

/// A generation's life: queued → submitted → running → downloading → done, or failed/canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Submitted,
    Running,
    Downloading,
    Done,
    Failed,
    Canceled,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Queued,
        Status::Submitted,
        Status::Running,
        Status::Downloading,
        Status::Done,
        Status::Failed,
        Status::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Submitted => "submitted",
            Status::Running => "running",
            Status::Downloading => "downloading",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Result<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::invalid("status", format!("unknown status {text:?}")))
    }

    /// Whether the job runner is done with it (only finished rows are ever purged).
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Done | Status::Failed | Status::Canceled)
    }
}

/// Binds a list of ids as one JSON array, read back with `json_each`: one statement for any
/// number of ids, no SQL built from values.
pub(crate) fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    let mut out = String::with_capacity(ids.len() * 7 + 2);
    out.push('[');
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

/// A 64-bit row id as the UI's `i32`; beyond 2^31 rows something is badly wrong.
pub(crate) fn to_ui_id(id: i64) -> Result<i32> {
    i32::try_from(id).map_err(|_| Error::internal(format!("row id {id} does not fit the UI's id type")))
}

/// Refuses empty or oversized id lists with an error naming the argument.
pub(crate) fn check_ids(field: &str, ids: &[i32]) -> Result<()> {
    const MAX: usize = 100_000;
    if ids.is_empty() {
        return Err(Error::invalid(field, "no ids given"));
    }
    if ids.len() > MAX {
        return Err(Error::invalid(field, format!("at most {MAX} ids at once")));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_named() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
        }
        for p in [Provider::Replicate, Provider::Platform, Provider::Synthetic] {
            assert_eq!(Provider::parse(p.as_str()).unwrap(), p);
        }
        assert!(matches!(Status::parse("lost"), Err(Error::InvalidInput { field, .. }) if field == "status"));
        assert_eq!(id_list(&[1, 22, 3]), "[1,22,3]");
        assert_eq!(id_list::<i32>(&[]), "[]");
    }

    /// specta refuses i64/u64 at export time; this catches one before the shell's bindings do.
    #[test]
    fn ipc_types_export_to_typescript() {
        let types = specta::Types::default()
            .register::<gallery::GalleryQuery>()
            .register::<gallery::GalleryPage>()
            .register::<details::GenerationDetails>()
            .register::<collections::Collection>()
            .register::<deletion::DeleteReport>()
            .register::<Recovery>()
            .register::<crate::retention::RetentionPolicy>()
            .register::<crate::retention::PurgePreview>()
            .register::<crate::retention::PurgeReport>();
        let ts = specta_typescript::Typescript::default().export(&types, specta_serde::Format).unwrap();
        for name in ["GalleryPage", "highlighted_prompt", "GenerationDetails", "PurgeReport", "moved_to"] {
            assert!(ts.contains(name), "{name} missing from:\n{ts}");
        }
    }

    #[tokio::test]
    async fn migrations_create_the_history_schema_from_empty() {
        let (dir, pool) = fixtures::open().await;
        let names: Vec<String> = sqlx::query_scalar!(
            r#"SELECT name AS "name!" FROM sqlite_schema WHERE type IN ('table', 'trigger', 'index') ORDER BY name"#
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        for expected in [
            "collection_items",
            "collections",
            "consent_changes",
            "generations",
            "generations_fts",
            "generations_fts_delete",
            "generations_fts_insert",
            "generations_fts_update",
            "generations_revision",
            "images",
            "input_images",
            "privacy_requests",
            "prompt_draft",
            "retention_policy",
            "settings",
            "spend_budget",
            "spend_ledger",
            "styles",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
        }
        let status = crate::database::status(&pool, dir.path()).await.unwrap();
        assert!(!names.iter().any(|n| n == "images_by_thumb"), "0008 drops the thumbnail index");
        assert_eq!(status.schema_version, 13);
        // The schema refuses values outside its vocabulary.
        let bad =
            sqlx::query!("INSERT INTO generations (provider, model, status, created_at) VALUES ('x', 'm', 'done', 1)")
                .execute(&pool)
                .await;
        assert!(bad.is_err());
        let fk: i64 =
            sqlx::query_scalar!("SELECT COUNT(*) FROM pragma_foreign_key_check").fetch_one(&pool).await.unwrap();
        assert_eq!(fk, 0);
    }

    #[tokio::test]
    async fn editing_a_prompt_keeps_search_in_step() {
        let (_dir, pool) = fixtures::open().await;
        let id = fixtures::generation(&pool, "m", "old words", 1).await;
        let hits = |word: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar!("SELECT COUNT(*) FROM generations_fts WHERE generations_fts MATCH ?", word)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(hits("old").await, 1);
        sqlx::query!("UPDATE generations SET prompt = 'new text' WHERE id = ?", id).execute(&pool).await.unwrap();
        assert_eq!((hits("old").await, hits("new").await), (0, 1));
        sqlx::query!("UPDATE generations SET favourite = 1 WHERE id = ?", id).execute(&pool).await.unwrap();
        sqlx::query!("DELETE FROM generations WHERE id = ?", id).execute(&pool).await.unwrap();
        assert_eq!(hits("new").await, 0);
        let check = sqlx::query!("INSERT INTO generations_fts(generations_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&pool)
            .await;
        assert!(check.is_ok(), "the index matches its content table: {check:?}");
    }
}
