//! The SQLite file: opened once with WAL, a small long-lived pool, per-connection pragmas, and
//! forward-only embedded migrations.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};
use crate::{storage, write_lock};

pub const DATABASE_FILE: &str = "history.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn open(data_dir: &Path) -> Result<SqlitePool> {
    let path = data_dir.join(DATABASE_FILE);
    // Created 0600 before SQLite touches it; SQLite gives its -wal/-shm files the same mode.
    storage::ensure_private_file(&path)?;
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // For the first connection (setup, migrations); the pool's use `write_lock`'s handler.
        .busy_timeout(write_lock::TIMEOUT)
        .foreign_keys(true);
    let lock = setup_lock(data_dir).await?;
    {
        use sqlx::{ConnectOptions, Connection};
        let first = options.connect().await.map_err(|e| Error::storage(&path, e))?;
        first.close().await.map_err(|e| Error::storage(&path, e))?;
    }
    // Eight: a writer waiting for the lock holds its connection, and a purge with a job's four
    // downloads could otherwise leave none for the gallery's reads (which WAL never makes wait).
    let pool = SqlitePoolOptions::new()
        .min_connections(1)
        .max_connections(8)
        .idle_timeout(None)
        .max_lifetime(None)
        .after_connect(|conn, _| Box::pin(write_lock::install(conn)))
        .connect_with(options)
        .await
        .map_err(|e| Error::storage(&path, e))?;
    let migrated = MIGRATOR.run(&pool).await;
    drop(lock);
    migrated?;
    Ok(pool)
}

/// The window and the CLI may open the same folder at once. Setting up a new file (the switch to
/// WAL takes an exclusive lock SQLite does not wait for), migrating (sqlx takes no lock for
/// SQLite) and the check before opening (a migration committing under it fails it with
/// SQLITE_SCHEMA, which is not damage) happen under this lock file, one process at a time.
/// Held until the returned file is dropped.
pub(crate) async fn setup_lock(data_dir: &Path) -> Result<std::fs::File> {
    let lock_path = data_dir.join(".migrate.lock");
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::storage(&lock_path, e))?;
    tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
        .await
        .map_err(|_| Error::internal("waiting for the migration lock stopped"))?
        .map_err(|e| Error::storage(&lock_path, e))
}

/// What `doctor` and the "what is stored" report say about the file.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct DatabaseStatus {
    pub path: String,
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
    pub schema_version: i32,
    pub journal_mode: String,
    pub integrity: String,
}

pub async fn status(pool: &SqlitePool, data_dir: &Path) -> Result<DatabaseStatus> {
    let path = data_dir.join(DATABASE_FILE);
    let bytes = std::fs::metadata(&path).map(|m| m.len() as i64).unwrap_or(0);
    let schema_version: Option<i64> =
        sqlx::query_scalar!("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1").fetch_one(pool).await?;
    // Dynamic: a PRAGMA's result column has no declared type (and takes no alias to override it),
    // so the query macros cannot type it.
    let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await?;
    let integrity: String = sqlx::query_scalar("PRAGMA quick_check").fetch_one(pool).await?;
    Ok(DatabaseStatus {
        path: path.display().to_string(),
        bytes,
        schema_version: schema_version.unwrap_or(0) as i32,
        journal_mode,
        integrity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_with_wal_and_foreign_keys_and_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path()).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        // Dynamic: PRAGMA results are untyped (see `status`).
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(fk, 1);
        drop(conn);
        let status = status(&pool, dir.path()).await.unwrap();
        assert_eq!(status.journal_mode, "wal");
        assert_eq!(status.integrity, "ok");
        assert!(status.schema_version >= 1);
        pool.close().await;
        // Reopening applies nothing twice.
        let again = open(dir.path()).await.unwrap();
        assert_eq!(super::status(&again, dir.path()).await.unwrap().schema_version, status.schema_version);
    }

    #[tokio::test]
    async fn a_history_from_a_newer_version_is_refused_plainly_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path()).await.unwrap();
        // What a later version's migration leaves behind. Dynamic: sqlx's own table.
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        let before = std::fs::read(dir.path().join(DATABASE_FILE)).unwrap();
        let err = open(dir.path()).await.unwrap_err().to_string();
        assert!(err.contains("newer version of Flux Krea") && err.contains("9999"), "{err}");
        assert!(err.contains("Nothing was changed"), "{err}");
        assert_eq!(std::fs::read(dir.path().join(DATABASE_FILE)).unwrap(), before, "the file is untouched");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path()).await.unwrap();
        sqlx::query!("CREATE TABLE t(x)").execute(&pool).await.unwrap();
        for name in [DATABASE_FILE, "history.db-wal", "history.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }
}
