//! Waiting for SQLite's write lock, briefly and often.
//!
//! SQLite's own busy handler sleeps up to 100 ms between tries. A writer waiting behind a run of
//! short transactions (the purge's 1,000-row batches, ~45 ms each) wakes at random moments, almost
//! always finds the next batch holding the lock, and starves: a favourite or a finished download
//! could wait seconds, or fail with "database is locked" after the timeout. Here a waiting
//! connection tries every millisecond and notes that it waited, and the purge steps aside between
//! batches while someone does (`waited_recently`).

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sqlx::SqliteConnection;

/// How long a connection waits for the lock before giving up ("database is locked").
pub const TIMEOUT: Duration = Duration::from_secs(5);
const STEP: Duration = Duration::from_millis(1);

/// When a connection of this process last waited for the lock, in µs since `epoch()`; 0 = never.
static LAST_WAIT_US: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn note_wait() {
    // +1 so a wait in the very first microsecond is not read as "never".
    LAST_WAIT_US.store(epoch().elapsed().as_micros() as u64 + 1, Ordering::Relaxed);
}

/// Whether any connection of this process waited for the write lock within `window`.
pub fn waited_recently(window: Duration) -> bool {
    let last = LAST_WAIT_US.load(Ordering::Relaxed);
    last != 0 && epoch().elapsed().as_micros() as u64 + 1 - last <= window.as_micros() as u64
}

/// How long background work pauses between its short writes when a connection waited for the lock.
const STEP_ASIDE: Duration = Duration::from_millis(3);

/// Called by background work (the purge, the index merge) between its short write transactions:
/// a writer that waited for the last one polls the lock every millisecond, so a short pause lets
/// it in before the next one takes the lock again.
pub async fn step_aside() {
    if waited_recently(STEP_ASIDE) {
        tokio::time::sleep(STEP_ASIDE).await;
    } else {
        tokio::task::yield_now().await;
    }
}

/// Replaces the connection's busy handler (and with it `busy_timeout`) by `busy`.
pub async fn install(conn: &mut SqliteConnection) -> sqlx::Result<()> {
    epoch();
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    // SAFETY: `db` is this connection's open handle, locked for us while the handler is set, and
    // `busy` is a plain function with no state (null user data) that never touches the database.
    let code = unsafe { libsqlite3_sys::sqlite3_busy_handler(db.as_ptr(), Some(busy), std::ptr::null_mut()) };
    if code != libsqlite3_sys::SQLITE_OK {
        return Err(sqlx::Error::Protocol(format!("setting the busy handler failed ({code})")));
    }
    Ok(())
}

/// Called by SQLite on the connection's own thread while the lock is taken; `tries` counts the
/// calls for this wait. Nonzero = try again.
extern "C" fn busy(_: *mut c_void, tries: c_int) -> c_int {
    note_wait();
    // Sleeps overshoot a little, so this gives up after TIMEOUT or slightly later, never earlier.
    if tries as u128 >= TIMEOUT.as_micros() / STEP.as_micros() {
        return 0;
    }
    std::thread::sleep(STEP);
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_writer_gets_in_as_soon_as_the_lock_is_free_and_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        let mut holder = pool.begin().await.unwrap();
        sqlx::query!("UPDATE retention_policy SET updated_at = 1").execute(&mut *holder).await.unwrap();
        let writer = {
            let pool = pool.clone();
            tokio::spawn(async move {
                sqlx::query!("UPDATE retention_policy SET updated_at = 2").execute(&pool).await.unwrap();
            })
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        // Only this handler notes waits, and it tries every millisecond (SQLite's own would be
        // asleep for up to 100 ms at a time by now).
        assert!(waited_recently(Duration::from_millis(40)), "the waiting writer is noticed");
        assert!(!writer.is_finished(), "the writer waits while the lock is held");
        holder.commit().await.unwrap();
        writer.await.unwrap();
        // The record is process-wide: another test's writer may wait meanwhile, briefly.
        let until = std::time::Instant::now() + Duration::from_secs(3);
        while waited_recently(Duration::from_millis(40)) && std::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!waited_recently(Duration::from_millis(40)), "nobody waits any more");
        let updated: i64 =
            sqlx::query_scalar!("SELECT updated_at FROM retention_policy").fetch_one(&pool).await.unwrap();
        assert_eq!(updated, 2);
    }
}
