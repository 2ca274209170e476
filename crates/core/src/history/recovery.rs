//! Opening the database with a corruption check. A damaged file is moved aside (never deleted or
//! overwritten) and a fresh one is opened, and the caller learns where the old one went.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{ConnectOptions, Connection};

use crate::database::{self, DATABASE_FILE};
use crate::error::{Error, Result};

/// The database was damaged and set aside; the UI should tell the user where it went.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Recovery {
    /// The damaged database's new path (its `-wal`/`-shm` files, if any, sit beside it).
    pub moved_to: String,
    /// What the check found, safe to show.
    pub reason: String,
}

/// SQLite's primary result codes for "not a database" and "damaged".
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_NOTADB: i32 = 26;

/// Files up to this size get their `quick_check` before the first screen (64 MB take ~250 ms on
/// the 2-core VM); a larger history (a million items is ~770 MB, ~3 s) is checked after it
/// ([`check_now`]), so it opens at once.
pub const CHECK_BEFORE_OPEN_BYTES: u64 = 64 * 1024 * 1024;

/// Beside the database: damage a later check found, set aside at the next start. (A database in
/// use cannot be moved aside under the running app.)
const DAMAGE_MARKER: &str = "history.db.damaged";

/// The database, opened; what was set aside, if anything; whether its check is still to run.
pub struct Opened {
    pub pool: SqlitePool,
    pub recovery: Option<Recovery>,
    pub check_deferred: bool,
}

/// Opens `<data_dir>/history.db` like [`database::open`], after a `PRAGMA quick_check`.
pub async fn open_checked(data_dir: &Path) -> Result<(SqlitePool, Option<Recovery>)> {
    let opened = open_checked_within(data_dir, u64::MAX).await?;
    Ok((opened.pool, opened.recovery))
}

/// [`open_checked`], running the full check now only for files up to `check_bytes` (larger ones
/// are only opened, header and schema read: the caller runs [`check_now`] later).
pub async fn open_checked_within(data_dir: &Path, check_bytes: u64) -> Result<Opened> {
    let path = data_dir.join(DATABASE_FILE);
    let marker = data_dir.join(DAMAGE_MARKER);
    let mut check_deferred = false;
    let bytes = std::fs::metadata(&path).map(|meta| meta.len()).ok();
    // Not while another process sets the file up or migrates it (database::setup_lock).
    let setting_up = match bytes {
        Some(1..) => Some(database::setup_lock(data_dir).await?),
        _ => None,
    };
    let damage = match (std::fs::read_to_string(&marker), bytes) {
        (Ok(reason), Some(_)) => Some(reason),
        (_, Some(len)) if len > check_bytes => {
            check_deferred = true;
            check_header(&path).await?
        }
        (_, Some(1..)) => check(&path).await?,
        _ => None,
    };
    let recovery = match damage {
        None => None,
        Some(reason) => {
            let moved_to = move_aside(&path)?;
            tracing::warn!(moved_to = %moved_to.display(), %reason, "damaged database moved aside");
            Some(Recovery { moved_to: moved_to.display().to_string(), reason })
        }
    };
    // Set aside, or the file it named is gone: the marker has done its work.
    if marker.exists() {
        std::fs::remove_file(&marker).map_err(|e| Error::storage(&marker, e))?;
    }
    // database::open takes the lock again (a second open of the lock file would wait for this one).
    drop(setting_up);
    let pool = database::open(data_dir).await?;
    let check_deferred = check_deferred && recovery.is_none();
    Ok(Opened { pool, recovery, check_deferred })
}

/// The full check of a database already open (readers and writers go on meanwhile: WAL). Damage
/// is written down beside it and set aside at the next start; the reason is returned to show.
pub async fn check_now(data_dir: &Path) -> Result<Option<String>> {
    // A newer CLI migrating the file meanwhile would fail the check with SQLITE_SCHEMA: it waits
    // for this check (seconds at a million items), as this one would wait for its migration.
    let setting_up = database::setup_lock(data_dir).await?;
    let damage = check(&data_dir.join(DATABASE_FILE)).await;
    drop(setting_up);
    let damage = damage?;
    if let Some(reason) = &damage {
        tracing::warn!(%reason, "the history database is damaged; it is set aside at the next start");
        let marker = data_dir.join(DAMAGE_MARKER);
        // A marker cut short by a crash still says "damaged", which is true.
        std::fs::write(&marker, reason).map_err(|e| Error::storage(&marker, e))?;
    }
    Ok(damage)
}

/// `Some(reason)` if the file is damaged; an error for anything else (locked, unreadable), which
/// must not be mistaken for damage: moving a healthy database aside would lose the user's history.
async fn check(path: &Path) -> Result<Option<String>> {
    check_with(path, true).await
}

/// What [`check`] finds without `quick_check`: the header, and whether SQLite opens the file
/// and reads its schema (a damaged first page or schema shows here).
async fn check_header(path: &Path) -> Result<Option<String>> {
    check_with(path, false).await
}

async fn check_with(path: &Path, quick_check: bool) -> Result<Option<String>> {
    // Judge the header ourselves first: given a file that is not a database, SQLite discards a
    // `-wal` beside it, and that log may be what a recovery tool needs.
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header));
    match read {
        Ok(()) if &header == b"SQLite format 3\0" => {}
        Ok(()) => return Ok(Some("the file is not a database".into())),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Ok(Some("the file is not a database".into()))
        }
        Err(e) => return Err(Error::storage(path, e)),
    }
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(false);
    let mut conn = match options.connect().await {
        Ok(conn) => conn,
        Err(e) => return classify(path, e),
    };
    // Dynamic: PRAGMA results are untyped, which the query macros cannot describe.
    let sql = if quick_check {
        "PRAGMA quick_check"
    } else {
        "SELECT CASE WHEN count(*) >= 0 THEN 'ok' END FROM sqlite_schema"
    };
    let result: std::result::Result<Vec<String>, sqlx::Error> = sqlx::query_scalar(sql).fetch_all(&mut conn).await;
    let _ = conn.close().await;
    match result {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(None),
        Ok(lines) => {
            Ok(Some(format!("integrity check failed: {}", lines.into_iter().take(3).collect::<Vec<_>>().join("; "))))
        }
        Err(e) => classify(path, e),
    }
}

fn classify(path: &Path, err: sqlx::Error) -> Result<Option<String>> {
    let code = err.as_database_error().and_then(|d| d.code()).and_then(|c| c.parse::<i32>().ok());
    // Extended codes keep the primary code in the low byte.
    match code.map(|c| c & 0xff) {
        Some(SQLITE_NOTADB) => Ok(Some("the file is not a database".into())),
        Some(SQLITE_CORRUPT) => Ok(Some("the database file is damaged".into())),
        _ => Err(Error::storage(path, err)),
    }
}

/// Renames the file (and its -wal/-shm) to `history.db.corrupt-<UTC time>[-n]`.
fn move_aside(path: &Path) -> Result<PathBuf> {
    let stamp = time::OffsetDateTime::now_utc()
        .format(&time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
        .map_err(|e| Error::internal(e.to_string()))?;
    let base = format!("{}.corrupt-{stamp}", path.display());
    let target = (0..1000)
        .map(|n| PathBuf::from(if n == 0 { base.clone() } else { format!("{base}-{n}") }))
        .find(|p| !p.exists() && !sidecar(p, "-wal").exists() && !sidecar(p, "-shm").exists())
        .ok_or_else(|| Error::storage(path, "no free name to move the damaged database to"))?;
    // The sidecars first: a -wal left behind would be replayed into the fresh database.
    for suffix in ["-wal", "-shm"] {
        let from = sidecar(path, suffix);
        if from.exists() {
            std::fs::rename(&from, sidecar(&target, suffix)).map_err(|e| Error::storage(&from, e))?;
        }
    }
    std::fs::rename(path, &target).map_err(|e| Error::storage(path, e))?;
    Ok(target)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another process migrating holds the lock: a check then could meet its schema change
    /// half-way (SQLITE_SCHEMA, "vtable constructor failed" on the search index) and fail. Here
    /// the file is not a database while the lock is held: a check that ran then would call it
    /// damaged. `checking` must wait for the lock, then find the file whole.
    async fn waits_for_the_setup_lock<T: Send + 'static>(
        dir: &Path,
        checking: impl FnOnce(PathBuf) -> tokio::task::JoinHandle<Result<T>>,
    ) -> T {
        let path = dir.join(DATABASE_FILE);
        let whole = std::fs::read(&path).unwrap();
        let other = database::setup_lock(dir).await.unwrap();
        std::fs::write(&path, b"half-way through something else").unwrap();
        let running = checking(dir.to_path_buf());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!running.is_finished(), "checked while another process held the setup lock");
        std::fs::write(&path, &whole).unwrap();
        drop(other);
        tokio::time::timeout(std::time::Duration::from_secs(10), running)
            .await
            .expect("checks once the lock is free")
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn the_check_waits_while_another_process_sets_the_file_up() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, _) = open_checked(dir.path()).await.unwrap();
        pool.close().await;
        let opening = |data_dir: PathBuf| tokio::spawn(async move { open_checked(&data_dir).await });
        let (pool, recovery) = waits_for_the_setup_lock(dir.path(), opening).await;
        assert_eq!(recovery, None);
        pool.close().await;
    }

    #[tokio::test]
    async fn the_later_check_waits_while_another_process_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, _) = open_checked(dir.path()).await.unwrap();
        pool.close().await;
        let checking = |data_dir: PathBuf| tokio::spawn(async move { check_now(&data_dir).await });
        assert_eq!(waits_for_the_setup_lock(dir.path(), checking).await, None);
        assert!(!dir.path().join(DAMAGE_MARKER).exists());
    }

    #[tokio::test]
    async fn a_healthy_database_opens_without_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let (pool, recovery) = open_checked(dir.path()).await.unwrap();
        assert_eq!(recovery, None, "a missing file is simply created");
        crate::history::fixtures::generation(&pool, "m", "kept", 1).await;
        pool.close().await;
        let (pool, recovery) = open_checked(dir.path()).await.unwrap();
        assert_eq!(recovery, None);
        let n: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 1);
    }

    #[tokio::test]
    async fn garbage_is_moved_aside_and_a_fresh_database_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE);
        let garbage = b"this is not SQLite at all, just some bytes that got written here".repeat(100);
        std::fs::write(&path, &garbage).unwrap();
        std::fs::write(sidecar(&path, "-wal"), b"stale wal").unwrap();
        let (pool, recovery) = open_checked(dir.path()).await.unwrap();
        let recovery = recovery.expect("damage must be reported");
        assert_eq!(recovery.reason, "the file is not a database");
        let moved = PathBuf::from(&recovery.moved_to);
        assert!(moved.file_name().unwrap().to_str().unwrap().starts_with("history.db.corrupt-"), "{moved:?}");
        assert_eq!(std::fs::read(&moved).unwrap(), garbage, "the damaged file is kept as it was");
        assert_eq!(std::fs::read(sidecar(&moved, "-wal")).unwrap(), b"stale wal");
        let n: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 0, "a fresh, migrated database");
        pool.close().await;
        // A second damaged file in the same second gets its own name; nothing is overwritten.
        std::fs::write(&path, &garbage).unwrap();
        let (_pool, again) = open_checked(dir.path()).await.unwrap();
        let again = again.unwrap();
        assert_ne!(again.moved_to, recovery.moved_to);
        assert!(moved.exists() && PathBuf::from(&again.moved_to).exists());
    }

    /// A database of 400 rows whose pages in the middle are scribbled over, the header kept.
    async fn damaged_in_the_middle(dir: &Path) {
        let pool = crate::database::open(dir).await.unwrap();
        for n in 0..400 {
            crate::history::fixtures::generation(&pool, "m", &format!("prompt number {n} {}", "x".repeat(200)), n)
                .await;
        }
        // Dynamic: a PRAGMA (untyped result columns).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
        pool.close().await;
        let path = dir.join(DATABASE_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 20 * 4096);
        // Scribble over pages in the middle of the file, keeping the header valid.
        for b in &mut bytes[8 * 4096..16 * 4096] {
            *b = 0x5a;
        }
        std::fs::write(&path, &bytes).unwrap();
    }

    #[tokio::test]
    async fn damaged_pages_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        damaged_in_the_middle(dir.path()).await;
        let (_pool, recovery) = open_checked(dir.path()).await.unwrap();
        assert!(recovery.is_some(), "quick_check must notice");
    }

    #[tokio::test]
    async fn a_large_history_is_checked_after_opening_and_set_aside_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        damaged_in_the_middle(dir.path()).await;
        // Over the limit: opened without the full check, which is left to the caller.
        let opened = open_checked_within(dir.path(), 4096).await.unwrap();
        assert!(opened.check_deferred && opened.recovery.is_none());
        let reason = check_now(dir.path()).await.unwrap().expect("the later check finds the damage");
        assert!(reason.contains("damaged") || reason.starts_with("integrity check failed"), "{reason}");
        opened.pool.close().await;

        // The next start sets it aside with that reason, marker and all, and opens a fresh one.
        let opened = open_checked_within(dir.path(), 4096).await.unwrap();
        let recovery = opened.recovery.expect("set aside at the next start");
        assert_eq!(recovery.reason, reason);
        assert!(PathBuf::from(&recovery.moved_to).exists());
        assert!(!dir.path().join(DAMAGE_MARKER).exists());
        assert!(!opened.check_deferred, "a fresh database needs no check");
        let n: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations").fetch_one(&opened.pool).await.unwrap();
        assert_eq!(n, 0);
    }

    #[tokio::test]
    async fn a_large_healthy_history_passes_its_later_check() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        crate::history::fixtures::generation(&pool, "m", "kept", 1).await;
        pool.close().await;
        let opened = open_checked_within(dir.path(), 1).await.unwrap();
        assert!(opened.check_deferred);
        assert_eq!(check_now(dir.path()).await.unwrap(), None);
        assert!(!dir.path().join(DAMAGE_MARKER).exists());
        let n: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations").fetch_one(&opened.pool).await.unwrap();
        assert_eq!(n, 1);
    }
}
