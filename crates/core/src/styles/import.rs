//! Styles back from a data export: the archive's `styles.json` (or that file on its own). Every
//! style is checked first; one bad style imports nothing and the error names the file and the style.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::styles::{upsert, validate, StyleDraft};

/// The file inside an export archive.
pub const FILE_NAME: &str = "styles.json";
/// Larger than any real list of styles; a bigger file is not one of ours.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct StyleImport {
    pub added: i32,
    pub replaced: i32,
    /// The file the styles came from.
    pub file: String,
}

#[derive(Deserialize)]
struct Document {
    schema_version: u32,
    styles: Vec<StyleDraft>,
}

/// Reads the styles of `path` (an export `.zip` or a `styles.json`) and saves them all, replacing
/// styles of the same names, or none.
pub async fn import(pool: &SqlitePool, path: &Path) -> Result<StyleImport> {
    let owned = path.to_path_buf();
    let text = tokio::task::spawn_blocking(move || read(&owned))
        .await
        .map_err(|_| Error::internal("reading the styles stopped"))??;
    let shown = path.display();
    let doc: Document = serde_json::from_str(&text)
        .map_err(|e| Error::invalid("file", format!("{shown} is not a styles list of an export: {e}")))?;
    if doc.schema_version != crate::privacy::export::SCHEMA_VERSION {
        return Err(Error::invalid("file", format!("{shown} has styles of format {}, not 1", doc.schema_version)));
    }
    let mut styles = Vec::with_capacity(doc.styles.len());
    for (i, style) in doc.styles.iter().enumerate() {
        let checked = validate(style).map_err(|e| {
            let which =
                if style.name.trim().is_empty() { format!("style {}", i + 1) } else { format!("{:?}", style.name) };
            Error::invalid("file", format!("{shown}: {which}: {e}"))
        })?;
        styles.push(checked);
    }
    let mut tx = pool.begin().await?;
    let (mut added, mut replaced) = (0, 0);
    let now = now_ms();
    for style in &styles {
        if upsert(&mut tx, style, now).await? {
            replaced += 1;
        } else {
            added += 1;
        }
    }
    tx.commit().await?;
    tracing::info!(added, replaced, "styles imported");
    Ok(StyleImport { added, replaced, file: path.display().to_string() })
}

fn read(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::storage(path, e))?;
    let is_zip = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let mut text = String::new();
    if is_zip {
        let mut archive = zip::ZipArchive::new(file)
            .map_err(|e| Error::invalid("file", format!("{} is not a readable zip archive: {e}", path.display())))?;
        let entry = archive.by_name(FILE_NAME).map_err(|_| {
            Error::invalid("file", format!("{} has no {FILE_NAME}: is it a Flux Krea data export?", path.display()))
        })?;
        if entry.size() > MAX_BYTES {
            return Err(Error::invalid("file", format!("{}'s {FILE_NAME} is too large", path.display())));
        }
        entry.take(MAX_BYTES).read_to_string(&mut text).map_err(|e| Error::storage(path, e))?;
    } else {
        let size = file.metadata().map_err(|e| Error::storage(path, e))?.len();
        if size > MAX_BYTES {
            return Err(Error::invalid("file", format!("{} is too large for a styles list", path.display())));
        }
        file.take(MAX_BYTES).read_to_string(&mut text).map_err(|e| Error::storage(path, e))?;
    }
    Ok(text)
}
