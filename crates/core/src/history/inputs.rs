//! Input pictures kept with their generation (#19). When a job is queued, the picture it sends is
//! read once, stripped of its metadata and stored in the cache (`inputs/`, content-addressed like
//! the outputs); the generation's inputs then hold the file's name only, never the user's path. The
//! runner sends the kept copy, Re-run and Remix reuse it, the export carries it, and deletion, the
//! purge and the erasures remove it with its generation.

use std::path::Path;

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::error::Result;
use crate::generation::input_image;
use crate::history::images::{self, Area, CachedImage};

/// A kept input picture.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct KeptInput {
    /// The model input it fills.
    pub field: String,
    /// Relative to the data folder: `inputs/ab/<sha256>.<ext>`.
    pub file: String,
    /// The user's file name, without its folder.
    pub name: String,
    pub format: String,
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
}

/// Reads the picture at `path` (named `field` in errors), strips its metadata and stores it in the
/// cache. Blocking: call it off the async threads.
pub fn keep(data_dir: &Path, field: &str, path: &Path, max_bytes: u64) -> Result<KeptInput> {
    let clean = input_image::load(field, path, max_bytes)?;
    let format = match clean.mime {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    };
    let hash = images::content_hash(&clean.bytes);
    let stored = images::store(data_dir, Area::Inputs, &hash, format, &clean.bytes)?;
    Ok(KeptInput {
        field: field.to_string(),
        file: stored.relative,
        name: clean.file_name,
        format: format.to_string(),
        bytes: stored.bytes as i64,
    })
}

/// Records the kept pictures of a generation (in the transaction that records the generation).
pub async fn record(conn: &mut SqliteConnection, generation_id: i32, kept: &[KeptInput]) -> Result<()> {
    for k in kept {
        sqlx::query!(
            "INSERT INTO input_images (generation_id, field, file, name, format, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            generation_id,
            k.field,
            k.file,
            k.name,
            k.format,
            k.bytes
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The kept pictures of one generation, by field.
pub async fn of_generation<'e>(db: impl sqlx::SqliteExecutor<'e>, generation_id: i32) -> Result<Vec<KeptInput>> {
    let kept = sqlx::query_as!(
        KeptInput,
        "SELECT field, file, name, format, bytes FROM input_images WHERE generation_id = ? ORDER BY field",
        generation_id
    )
    .fetch_all(db)
    .await?;
    Ok(kept)
}

/// The files kept for these generations (`ids`: a JSON array), as removal candidates once their
/// rows are gone.
pub async fn files_of(conn: &mut SqliteConnection, ids: &str) -> Result<Vec<CachedImage>> {
    let files: Vec<String> = sqlx::query_scalar!(
        "SELECT DISTINCT file FROM input_images WHERE generation_id IN (SELECT value FROM json_each(?1))",
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(files.into_iter().map(|file| CachedImage { file, thumb: None }).collect())
}
