//! The image cache on disk: content-addressed originals under `images/ab/<sha256>.<ext>` and their
//! thumbnails under `thumbs/ab/<sha256 of the original>.jpg`, and the pictures sent as inputs (their
//! metadata stripped) under `inputs/ab/<sha256>.<ext>`, all relative to the data folder.
//!
//! Files are written temp → fsync → rename → fsync folder, so a crash leaves the whole file or none
//! (at worst a temp file, which the orphan sweep removes). Folders are 0700 and files 0600.
//! One file can back many rows (same bytes, same name), so a file is removed only once no row
//! references it, and the sweep spares young files that a running job may not have recorded yet.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use crate::error::{Error, Result};
use crate::storage;

pub const IMAGES_DIR: &str = "images";
pub const THUMBS_DIR: &str = "thumbs";
pub const INPUTS_DIR: &str = "inputs";
const TEMP_SUFFIX: &str = ".tmp";

/// The areas of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Images,
    Thumbs,
    /// Input pictures as they were sent (#19), kept with their generation.
    Inputs,
}

impl Area {
    fn dir(self) -> &'static str {
        match self {
            Area::Images => IMAGES_DIR,
            Area::Thumbs => THUMBS_DIR,
            Area::Inputs => INPUTS_DIR,
        }
    }
}

/// A file in the cache, by its path relative to the data folder (always with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub relative: String,
    pub bytes: u64,
}

/// What a removal or sweep took away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub files: u64,
    pub bytes: u64,
}

/// Lower-case hex SHA-256 of the content: the file's name.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The relative path a file with this hash and extension has in `area`.
pub fn relative_path(area: Area, hash: &str, ext: &str) -> Result<String> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(Error::internal("a cache file name must be a lower-case SHA-256"));
    }
    if ext.is_empty() || ext.len() > 5 || !ext.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        return Err(Error::invalid("format", format!("{ext:?} is not a file extension")));
    }
    Ok(format!("{}/{}/{hash}.{ext}", area.dir(), &hash[..2]))
}

/// The absolute path of a relative cache path, refusing anything that is not a cache file name
/// (paths come from the database, which must never lead outside the cache).
pub fn absolute(data_dir: &Path, relative: &str) -> Result<PathBuf> {
    let parts: Vec<&str> = relative.split('/').collect();
    let valid = match parts.as_slice() {
        [area, shard, name] => {
            [IMAGES_DIR, THUMBS_DIR, INPUTS_DIR].contains(area)
                && name
                    .split_once('.')
                    .is_some_and(|(hash, ext)| relative_path(Area::Images, hash, ext).is_ok() && &hash[..2] == *shard)
        }
        _ => false,
    };
    if !valid {
        return Err(Error::invalid("file", format!("{relative:?} is not a file of the image cache")));
    }
    Ok(data_dir.join(parts[0]).join(parts[1]).join(parts[2]))
}

/// Stores `bytes` under `hash`.`ext` in `area` unless the same file is already there.
pub fn store(data_dir: &Path, area: Area, hash: &str, ext: &str, bytes: &[u8]) -> Result<StoredFile> {
    let relative = relative_path(area, hash, ext)?;
    let path = absolute(data_dir, &relative)?;
    let shard = path.parent().ok_or_else(|| Error::internal("cache path without a folder"))?;
    storage::create_private_dir(&data_dir.join(area.dir()))?;
    storage::create_private_dir(shard)?;
    match fs::metadata(&path) {
        // Same name, same size: same content. Refresh its time so a concurrent sweep spares it.
        Ok(meta) if meta.len() == bytes.len() as u64 => touch(&path)?,
        _ => write_atomic(&path, bytes)?,
    }
    Ok(StoredFile { relative, bytes: bytes.len() as u64 })
}

fn touch(path: &Path) -> Result<()> {
    let file = OpenOptions::new().write(true).open(path).map_err(|e| Error::storage(path, e))?;
    file.set_modified(SystemTime::now()).map_err(|e| Error::storage(path, e))
}

/// Writes a whole file or nothing: a temp file in the same folder, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().ok_or_else(|| Error::internal("cache path without a folder"))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let unique = format!("{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let temp = dir.join(format!(".{name}.{unique}{TEMP_SUFFIX}"));
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(Error::storage(path, e));
    }
    sync_dir(dir)
}

/// Makes the rename itself durable (on Windows, renames are durable once `MoveFileEx` returns).
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::storage(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An original and its thumbnail. The thumbnail is named by the original's hash and recorded in
/// the same row, so a thumbnail is referenced exactly while its original is: they go together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CachedImage {
    pub file: String,
    pub thumb: Option<String>,
}

/// The originals (with their thumbnails) no image row references any more, by the counts the
/// triggers keep (`cached_files`): what a deletion or a purge left for `remove_unreferenced`.
pub(crate) async fn unused(pool: &SqlitePool) -> Result<Vec<CachedImage>> {
    let rows = sqlx::query!("SELECT file, thumb FROM cached_files WHERE refs = 0").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| CachedImage { file: r.file, thumb: r.thumb }).collect())
}

/// Removes those of `candidates` that no image or input row references any more (original and
/// thumbnail), and then their entries in `cached_files`.
pub async fn remove_unreferenced(pool: &SqlitePool, data_dir: &Path, candidates: Vec<CachedImage>) -> Result<Removed> {
    let mut unreferenced = Vec::with_capacity(candidates.len() * 2);
    for chunk in candidates.chunks(500) {
        let files: Vec<&String> = chunk.iter().map(|c| &c.file).collect();
        let list = serde_json::to_string(&files).map_err(|e| Error::internal(e.to_string()))?;
        // `+value` (the same value) because sqlx cannot describe a column of a table-valued function.
        let referenced: Vec<String> = sqlx::query_scalar!(
            r#"SELECT +value AS "value!: String" FROM json_each(?1) AS c
             WHERE EXISTS (SELECT 1 FROM cached_files WHERE file = c.value AND refs > 0)
                OR EXISTS (SELECT 1 FROM input_images WHERE file = c.value)"#,
            list
        )
        .fetch_all(pool)
        .await?;
        let referenced: HashSet<String> = referenced.into_iter().collect();
        for candidate in chunk.iter().filter(|c| !referenced.contains(&c.file)) {
            unreferenced.push(candidate.file.clone());
            unreferenced.extend(candidate.thumb.clone());
        }
    }
    let data_dir = data_dir.to_path_buf();
    let prefix = format!("{IMAGES_DIR}/");
    let originals: Vec<String> = unreferenced.iter().filter(|f| f.starts_with(&prefix)).cloned().collect();
    let removed = blocking(move || {
        let mut removed = Removed::default();
        for relative in unreferenced {
            remove_file(&absolute(&data_dir, &relative)?, &mut removed)?;
        }
        Ok(removed)
    })
    .await?;
    // Only after the files are gone: a crash in between leaves the entries for the next purge.
    for chunk in originals.chunks(500) {
        let list = serde_json::to_string(chunk).map_err(|e| Error::internal(e.to_string()))?;
        sqlx::query!("DELETE FROM cached_files WHERE refs = 0 AND file IN (SELECT value FROM json_each(?))", list)
            .execute(pool)
            .await?;
    }
    Ok(removed)
}

/// Removes files in `images/`, `thumbs/` and `inputs/` that no row references (and temp files left by a
/// crash), sparing any modified within `grace`: a job writes its file before its row.
pub async fn sweep_orphans(pool: &SqlitePool, data_dir: &Path, grace: Duration) -> Result<Removed> {
    // The set is read before the folders are listed, so a file recorded after this point is young.
    let referenced: Vec<String> = sqlx::query_scalar!(
        r#"SELECT file AS "file!" FROM cached_files WHERE refs > 0
           UNION SELECT thumb FROM cached_files WHERE refs > 0 AND thumb IS NOT NULL
           UNION SELECT file FROM input_images"#
    )
    .fetch_all(pool)
    .await?;
    let referenced: HashSet<String> = referenced.into_iter().collect();
    let data_dir = data_dir.to_path_buf();
    blocking(move || {
        let cutoff = SystemTime::now().checked_sub(grace).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut removed = Removed::default();
        for area in [IMAGES_DIR, THUMBS_DIR, INPUTS_DIR] {
            for shard in list_dir(&data_dir.join(area))? {
                if !shard.is_dir() {
                    continue;
                }
                for path in list_dir(&shard)? {
                    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
                    let shard_name = shard.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    let relative = format!("{area}/{shard_name}/{name}");
                    if referenced.contains(&relative) {
                        continue;
                    }
                    let meta = match fs::symlink_metadata(&path) {
                        Ok(meta) => meta,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(Error::storage(&path, e)),
                    };
                    let young = meta.modified().map(|m| m > cutoff).unwrap_or(true);
                    if meta.is_file() && !young {
                        remove_file(&path, &mut removed)?;
                    }
                }
            }
        }
        Ok(removed)
    })
    .await
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.map(|e| e.path()).map_err(|e| Error::storage(dir, e))).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::storage(dir, e)),
    }
}

fn remove_file(path: &Path, removed: &mut Removed) -> Result<()> {
    let bytes = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match fs::remove_file(path) {
        Ok(()) => {
            removed.files += 1;
            removed.bytes += bytes;
            Ok(())
        }
        // Already gone (another sweep, or the user): the goal is met.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::storage(path, e)),
    }
}

/// Runs file work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::internal(format!("file task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_sharded_by_hash_and_refuse_traversal() {
        let hash = content_hash(b"hello");
        assert_eq!(hash, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        let rel = relative_path(Area::Images, &hash, "png").unwrap();
        assert_eq!(rel, format!("images/2c/{hash}.png"));
        let dir = Path::new("/data");
        assert_eq!(absolute(dir, &rel).unwrap(), dir.join("images").join("2c").join(format!("{hash}.png")));
        for bad in ["../etc/passwd", "images/2c/../../x.png", "images/aa/abc.png", "other/2c/x.png", ""] {
            assert!(matches!(absolute(dir, bad), Err(Error::InvalidInput { .. })), "{bad}");
        }
        assert!(absolute(dir, &format!("images/aa/{hash}.png")).is_err(), "wrong shard");
    }

    #[cfg(unix)]
    #[test]
    fn store_writes_private_files_once_and_leaves_no_temp() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let hash = content_hash(b"pixels");
        let first = store(dir.path(), Area::Images, &hash, "png", b"pixels").unwrap();
        let again = store(dir.path(), Area::Images, &hash, "png", b"pixels").unwrap();
        assert_eq!(first, again);
        let path = absolute(dir.path(), &first.relative).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"pixels");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("images")), 0o700);
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temp file is left");
    }
}
