//! "Export my data": one zip archive with the whole local history (schema-versioned JSON), the
//! image files, consents with their history, settings, the spend ledger and the privacy requests,
//! plus a README saying what each file is. No token or key is ever read here, so none can go in.
//! The archive is written under a new temporary name and takes its own name when complete, never
//! replacing a file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::SqlitePool;
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

use crate::clock::{now_ms, rfc3339};
use crate::error::{Error, Result};
use crate::history::images;

pub const SCHEMA_VERSION: u32 = 1;
const BATCH: i64 = 500;
/// The file copy reports at least this often while it runs (large files take a while each)…
const FILES_REPORT_EVERY: Duration = Duration::from_millis(100);
/// …and every hundredth of the files at most, so many small files do not flood the listener.
const FILES_REPORTS: u32 = 100;

/// The two parts of an export, in order: the history written to history.json, then the image
/// files (originals and input pictures) copied into the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportPhase {
    History,
    Files,
}

/// How far an export got: in `phase`, `done` of `total` (generations for the history, distinct
/// files for the files). Each phase starts at 0 and ends at its total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportProgress {
    pub phase: ExportPhase,
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ExportReport {
    pub path: String,
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
    pub generations: i32,
    pub images: i32,
}

const README: &str = "Flux Krea Desktop: your data export\n\
\n\
history.json         every generation: model, inputs, prompt, seed, status, cost, times, and its\n\
                     images (paths inside this archive). `schema_version` says the format.\n\
images/              the image files, named by their SHA-256.\n\
inputs/              the pictures you sent (image-to-image, edits), metadata removed; each\n\
                     generation's `input_pictures` names its files.\n\
consents.json        your consents as they stand, and every change with its time and source.\n\
settings.json        your preferences and the retention policy.\n\
spend_ledger.json    own-key runs and what each was estimated to cost on your Replicate bill.\n\
privacy_requests.json  exports, erasures and deletion requests you made.\n\
styles.json          your saved styles; Flux Krea Desktop can import them from this archive.\n\
\n\
Not included, by design: API tokens and sign-in sessions (they live only in your system keychain).\n";

type Zip = ZipWriter<File>;

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|_| Error::internal("the export stopped"))?
}

fn zip_error(path: &Path) -> impl Fn(zip::result::ZipError) -> Error + '_ {
    move |e| Error::storage(path, e)
}

/// Writes the archive to `out` (a new `.zip` file); `progress` follows the history written, then
/// the files copied ([`ExportProgress`]).
/// It is written to a temporary file created with O_EXCL next to `out` (never a file or link that
/// was already there), then placed at `out` without ever replacing what is there by then.
pub async fn export(
    pool: &SqlitePool,
    data_dir: &Path,
    out: &Path,
    documents: Vec<(&'static str, Value)>,
    progress: &(dyn Fn(ExportProgress) + Sync),
) -> Result<ExportReport> {
    let is_zip = out.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !is_zip {
        return Err(Error::invalid("out", format!("{} must be a .zip file", out.display())));
    }
    // symlink_metadata: a dangling link counts as taken too.
    if out.symlink_metadata().is_ok() {
        return Err(already_exists(out));
    }
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Error::invalid("out", format!("the folder {} does not exist", parent.display())));
    }
    let name = out.file_name().and_then(|n| n.to_str()).ok_or_else(|| Error::invalid("out", "needs a file name"))?;
    let (temp, file) = create_temp(parent, name)?;
    let total: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations").fetch_one(pool).await?;
    let written = match write(pool, data_dir, &temp, file, documents, total as u32, progress).await {
        Ok(counts) => place(&temp, out).map(|()| counts),
        Err(e) => Err(e),
    };
    let (generations, image_count) = match written {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
    };
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    tracing::info!(generations, images = image_count, bytes, "data exported");
    Ok(ExportReport { path: out.display().to_string(), bytes: bytes as i64, generations, images: image_count })
}

fn already_exists(out: &Path) -> Error {
    Error::invalid("out", format!("{} already exists; choose a new file name", out.display()))
}

/// Owner-only, and only if nothing (file or symlink) has the name yet.
fn create_new_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A new temporary file next to `out`; a name already taken (a leftover, or something planted
/// there) is skipped, never opened.
fn create_temp(parent: &Path, name: &str) -> Result<(PathBuf, File)> {
    for attempt in 0..100u32 {
        let temp = parent.join(format!(".{name}.{}-{attempt}.partial", std::process::id()));
        match create_new_private(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::storage(&temp, e)),
        }
    }
    Err(Error::invalid("out", format!("no free temporary file name in {}", parent.display())))
}

/// Gives the finished archive its name without replacing a file that appeared there meanwhile:
/// a hard link fails when the name is taken (atomically, on every OS), then the temporary name
/// goes. Filesystems without hard links (FAT, some network shares) get a copy into a file created
/// with O_EXCL instead.
fn place(temp: &Path, out: &Path) -> Result<()> {
    match std::fs::hard_link(temp, out) {
        Ok(()) => {
            let _ = std::fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(already_exists(out)),
        Err(_) => {
            let mut target = create_new_private(out).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => already_exists(out),
                _ => Error::storage(out, e),
            })?;
            let copied = File::open(temp)
                .and_then(|mut source| std::io::copy(&mut source, &mut target))
                .and_then(|_| target.sync_all());
            if let Err(e) = copied {
                let _ = std::fs::remove_file(out);
                return Err(Error::storage(out, e));
            }
            let _ = std::fs::remove_file(temp);
            Ok(())
        }
    }
}

async fn write(
    pool: &SqlitePool,
    data_dir: &Path,
    temp: &Path,
    file: File,
    documents: Vec<(&'static str, Value)>,
    total: u32,
    progress: &(dyn Fn(ExportProgress) + Sync),
) -> Result<(i32, i32)> {
    let history = |done| progress(ExportProgress { phase: ExportPhase::History, done, total });
    let path = temp.to_path_buf();
    let mut zip: Zip = blocking(move || {
        let mut zip = ZipWriter::new(file);
        let text = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("README.txt", text).map_err(zip_error(&path))?;
        zip.write_all(README.as_bytes()).map_err(|e| Error::storage(&path, e))?;
        for (name, mut doc) in documents {
            crate::clock::times_as_rfc3339(&mut doc);
            zip.start_file(name, text).map_err(zip_error(&path))?;
            serde_json::to_writer_pretty(&mut zip, &doc).map_err(|e| Error::storage(&path, e))?;
        }
        zip.start_file("history.json", text).map_err(zip_error(&path))?;
        let head = format!(
            "{{\"schema_version\": {SCHEMA_VERSION}, \"exported_at\": {}, \"app_version\": {}, \"generations\": [\n",
            json!(rfc3339(now_ms())),
            json!(crate::VERSION)
        );
        zip.write_all(head.as_bytes()).map_err(|e| Error::storage(&path, e))?;
        Ok(zip)
    })
    .await?;
    history(0);
    // A set: rows share files (content-addressed), so memory follows the distinct files, not the rows.
    let (mut done, mut files, mut last_id) = (0u32, std::collections::BTreeSet::new(), 0i64);
    loop {
        let rows = sqlx::query!(
            r#"SELECT g.id, g.provider, g.model, g.inputs, g.prompt, g.style, g.seed, g.status, g.error, g.cost_usd, g.cost_credits,
                    g.images_requested, g.images_returned, g.parent_id, g.favourite, g.created_at, g.completed_at,
                    (SELECT json_group_array(json_object('idx', idx, 'file', file, 'width', width, 'height', height,
                            'format', format, 'bytes', bytes, 'downloaded_at', downloaded_at))
                     FROM images WHERE generation_id = g.id) AS "images!: String",
                    (SELECT json_group_array(c.name) FROM collection_items ci JOIN collections c ON c.id = ci.collection_id
                     WHERE ci.generation_id = g.id) AS "collections!: String",
                    (SELECT json_group_array(json_object('field', field, 'file', file, 'name', name, 'format', format,
                            'bytes', bytes))
                     FROM input_images WHERE generation_id = g.id) AS "input_pictures!: String"
             FROM generations g WHERE g.id > ? ORDER BY g.id LIMIT ?"#,
            last_id,
            BATCH
        )
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut chunk = String::new();
        for r in rows {
            last_id = r.id;
            let image_list: Vec<Value> = serde_json::from_str(&r.images).unwrap_or_default();
            let image_list: Vec<Value> = image_list
                .into_iter()
                .map(|mut i| {
                    if let Some(file) = i["file"].as_str().map(str::to_string) {
                        files.insert(file.clone());
                        i["file"] = json!(file);
                    }
                    i
                })
                .collect();
            let input_pictures: Vec<Value> = serde_json::from_str(&r.input_pictures).unwrap_or_default();
            files.extend(input_pictures.iter().filter_map(|i| i["file"].as_str().map(str::to_string)));
            let time = |ms: Option<i64>| ms.map(rfc3339);
            let mut entry = json!({
                "id": last_id,
                "provider": r.provider,
                "model": r.model,
                "inputs": serde_json::from_str::<Value>(&r.inputs).unwrap_or(Value::Null),
                "prompt": r.prompt,
                "style": r.style.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
                "seed": r.seed,
                "status": r.status,
                "error": r.error,
                "cost_usd": r.cost_usd,
                "cost_credits": r.cost_credits,
                "images_requested": r.images_requested,
                "images_returned": r.images_returned,
                "parent_id": r.parent_id,
                "favourite": r.favourite != 0,
                "created_at": time(Some(r.created_at)),
                "completed_at": time(r.completed_at),
                "images": image_list,
                "input_pictures": input_pictures,
                "collections": serde_json::from_str::<Value>(&r.collections).unwrap_or(Value::Null),
            });
            // The images' `downloaded_at` (the rest is RFC 3339 already).
            crate::clock::times_as_rfc3339(&mut entry);
            if done > 0 {
                chunk.push_str(",\n");
            }
            chunk.push_str(&entry.to_string());
            done += 1;
        }
        let path = temp.to_path_buf();
        zip = blocking(move || {
            zip.write_all(chunk.as_bytes()).map_err(|e| Error::storage(&path, e))?;
            Ok(zip)
        })
        .await?;
        history(done);
    }
    let path = temp.to_path_buf();
    zip = blocking(move || {
        zip.write_all(b"\n]}\n").map_err(|e| Error::storage(&path, e))?;
        Ok(zip)
    })
    .await?;
    let image_count = files.len() as i32;
    let zip = copy_files(zip, temp, data_dir, files, progress).await?;
    let path = temp.to_path_buf();
    blocking(move || {
        let file = zip.finish().map_err(zip_error(&path))?;
        file.sync_all().map_err(|e| Error::storage(&path, e))?;
        Ok(())
    })
    .await?;
    Ok((done as i32, image_count))
}

/// Copies each file of `files` (relative to `data_dir`) into the archive under its relative name,
/// streaming (never a whole file in memory), in runs of at most [`FILES_REPORT_EVERY`] or a
/// hundredth of the files, reporting after each run.
async fn copy_files(
    mut zip: Zip,
    temp: &Path,
    data_dir: &Path,
    files: std::collections::BTreeSet<String>,
    progress: &(dyn Fn(ExportProgress) + Sync),
) -> Result<Zip> {
    let total = files.len() as u32;
    let report = |done| progress(ExportProgress { phase: ExportPhase::Files, done, total });
    report(0);
    let run = total.div_ceil(FILES_REPORTS).max(1);
    let (mut pending, mut done) = (files.into_iter(), 0u32);
    while pending.len() > 0 {
        let (path, dir) = (temp.to_path_buf(), data_dir.to_path_buf());
        let copied;
        (zip, pending, copied) = blocking(move || {
            // Images are already compressed: stored as they are.
            let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            let (started, mut copied) = (Instant::now(), 0u32);
            while copied < run && (copied == 0 || started.elapsed() < FILES_REPORT_EVERY) {
                let Some(relative) = pending.next() else { break };
                let source = images::absolute(&dir, &relative)?;
                let mut input = File::open(&source).map_err(|e| Error::storage(&source, e))?;
                zip.start_file(relative.as_str(), stored).map_err(zip_error(&path))?;
                std::io::copy(&mut input, &mut zip).map_err(|e| Error::storage(&source, e))?;
                copied += 1;
            }
            Ok((zip, pending, copied))
        })
        .await?;
        done += copied;
        report(done);
    }
    Ok(zip)
}
