use std::path::Path;
use std::time::{Duration, SystemTime};

use super::*;
use crate::history::journal::{self, NewGeneration};
use crate::history::{favourites, fixtures, Status};
use crate::retention;

const DAY: i64 = 24 * 3600 * 1000;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A finished generation `age_days` old with one image of its own; returns (id, image, thumb).
async fn item(pool: &SqlitePool, dir: &Path, now: i64, age_days: i64, variant: u8) -> (i32, String, String) {
    let prompt = format!("item {variant} keepsake{variant}x");
    let id = fixtures::generation(pool, "m", &prompt, now - age_days * DAY).await;
    let png = fixtures::png(48, 48, variant);
    let entry = journal::add_image(pool, dir, id, 0, png, None, now).await.unwrap();
    (id, entry.file, entry.thumb.unwrap())
}

fn exists(dir: &Path, rel: &str) -> bool {
    images::absolute(dir, rel).unwrap().exists()
}

async fn ids(pool: &SqlitePool) -> Vec<i32> {
    sqlx::query_scalar!(r#"SELECT id AS "id: i32" FROM generations ORDER BY id"#).fetch_all(pool).await.unwrap()
}

fn policy(days: Option<i32>, budget: Option<i64>, keep_favourites: bool) -> RetentionPolicy {
    RetentionPolicy { window_days: days, disk_budget_bytes: budget, keep_favourites }
}

/// An unreferenced file in the cache, backdated past the sweep's grace period.
fn orphan(dir: &Path, name: &str, age: Duration) -> std::path::PathBuf {
    let hash = images::content_hash(name.as_bytes());
    let stored = images::store(dir, images::Area::Images, &hash, "png", name.as_bytes()).unwrap();
    let path = images::absolute(dir, &stored.relative).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
    path
}

#[tokio::test]
async fn the_window_removes_old_rows_and_files_keeps_young_ones_and_sweeps_orphans() {
    let (dir, pool) = fixtures::open().await;
    let d = dir.path();
    let now = now_ms();
    let (old, old_file, old_thumb) = item(&pool, d, now, 400, 1).await;
    let (old_fav, fav_file, _) = item(&pool, d, now, 500, 2).await;
    let (young, young_file, young_thumb) = item(&pool, d, now, 10, 3).await;
    favourites::set_favourite(&pool, &[old_fav], true).await.unwrap();
    let mut running = fixtures::new_generation("m", "still running", now - 900 * DAY);
    running.status = Status::Running;
    let running = journal::insert_generation(&pool, &running).await.unwrap();
    let stale = orphan(d, "left by a crash", Duration::from_secs(3600));
    let fresh = orphan(d, "a job is writing this", Duration::from_secs(5));

    // keep_favourites = false: the favourite goes too.
    let year = policy(Some(365), None, false);
    let before = preview(&pool, &year, now).await.unwrap();
    assert_eq!(before.items, 2);
    let report = purge(&pool, d, &year, now).await.unwrap();
    assert_eq!((report.items as f64, report.bytes), (before.items as f64, before.bytes), "preview = purge");
    assert_eq!(report.files_removed, 4);
    assert_eq!(report.orphan_files_removed, 1);
    assert_eq!(ids(&pool).await, vec![young, running], "unfinished jobs are never purged");
    assert!(!exists(d, &old_file) && !exists(d, &old_thumb) && !exists(d, &fav_file));
    assert!(exists(d, &young_file) && exists(d, &young_thumb));
    assert!(!stale.exists() && fresh.exists(), "orphans go after the grace period only");
    assert!(report.wal_truncated);
    let wal = std::fs::metadata(d.join("history.db-wal")).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal, 0, "the WAL is truncated");
    let gone: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations_fts WHERE generations_fts MATCH 'item'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(gone, 1, "only the young prompt is still searchable");
    // Nor is a purged prompt anywhere in the database file: not in free pages, not in the index.
    let file = std::fs::read(d.join("history.db")).unwrap();
    let contains = |word: &[u8]| file.windows(word.len()).any(|w| w == word);
    assert!(!contains(b"keepsake1x") && !contains(b"keepsake2x"), "a purged prompt is still in the file");
    assert!(contains(b"keepsake3x"), "the kept prompt is");
    assert_eq!(preview(&pool, &year, now).await.unwrap(), PurgePreview { items: 0, bytes: 0 });
    let _ = old;
}

#[tokio::test]
async fn favourites_stay_only_when_asked() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let (fav, fav_file, _) = item(&pool, dir.path(), now, 400, 1).await;
    let (plain, _, _) = item(&pool, dir.path(), now, 400, 2).await;
    favourites::set_favourite(&pool, &[fav], true).await.unwrap();
    let keep = policy(Some(365), None, true);
    let report = purge(&pool, dir.path(), &keep, now).await.unwrap();
    assert_eq!(report.items, 1);
    assert_eq!(ids(&pool).await, vec![fav]);
    assert!(exists(dir.path(), &fav_file));
    let _ = plain;
}

#[tokio::test]
async fn a_shorter_window_applies_at_once() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let (_, _, _) = item(&pool, dir.path(), now, 100, 1).await;
    let (recent, _, _) = item(&pool, dir.path(), now, 5, 2).await;
    retention::save(&pool, &RetentionPolicy::default(), now).await.unwrap();
    let stored = retention::load(&pool).await.unwrap();
    assert_eq!(purge(&pool, dir.path(), &stored, now).await.unwrap().items, 0);
    let month = policy(Some(30), None, false);
    retention::save(&pool, &month, now).await.unwrap();
    let stored = retention::load(&pool).await.unwrap();
    assert_eq!(preview(&pool, &stored, now).await.unwrap().items, 1);
    assert_eq!(purge(&pool, dir.path(), &stored, now).await.unwrap().items, 1);
    assert_eq!(ids(&pool).await, vec![recent]);
    let forever = policy(None, None, false);
    assert_eq!(purge(&pool, dir.path(), &forever, now + 10_000 * DAY).await.unwrap().items, 0);
}

#[tokio::test]
async fn the_disk_budget_removes_the_oldest_until_it_fits() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let mut made = Vec::new();
    for n in 0..6u8 {
        made.push(item(&pool, dir.path(), now, 60 - i64::from(n) * 10, n).await);
    }
    // The oldest is a favourite, kept with keep_favourites.
    favourites::set_favourite(&pool, &[made[0].0], true).await.unwrap();
    let sizes: Vec<(i64, i64)> =
        sqlx::query!(r#"SELECT bytes + thumb_bytes AS "size!: i64", generation_id FROM images ORDER BY generation_id"#)
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.size, s.generation_id))
            .collect();
    let total: i64 = sizes.iter().map(|s| s.0).sum();
    // Room for all but (a little more than) two items.
    let budget = total - sizes[1].0 - sizes[2].0 / 2;
    let p = policy(None, Some(budget as i64), true);
    let seen = preview(&pool, &p, now).await.unwrap();
    assert_eq!(seen.items, 2);
    assert_eq!(seen.bytes as i64, sizes[1].0 + sizes[2].0);
    let report = purge(&pool, dir.path(), &p, now).await.unwrap();
    assert_eq!((report.items, report.bytes), (seen.items, seen.bytes));
    let left = ids(&pool).await;
    assert_eq!(left, vec![made[0].0, made[3].0, made[4].0, made[5].0], "the two oldest non-favourites went");
    assert_eq!(preview(&pool, &p, now).await.unwrap().items, 0, "it fits now");
    // With a window too, the window goes first and the budget counts what it already freed.
    let both = policy(Some(25), Some(budget as i64), false);
    let report = purge(&pool, dir.path(), &both, now).await.unwrap();
    assert_eq!(report.items, 2, "the favourite (60 d) and the 30-day-old item");
    assert_eq!(ids(&pool).await, vec![made[4].0, made[5].0]);
}

#[tokio::test]
async fn shared_files_are_counted_once_and_kept_while_used() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let png = fixtures::png(40, 40, 7);
    let mut rows = Vec::new();
    for age in [400, 300] {
        let new = NewGeneration { created_at: now - age * DAY, ..fixtures::new_generation("m", "same", 0) };
        let id = journal::insert_generation(&pool, &new).await.unwrap();
        rows.push(journal::add_image(&pool, dir.path(), id, 0, png.clone(), None, now).await.unwrap());
    }
    let p = policy(Some(350), None, false);
    let seen = preview(&pool, &p, now).await.unwrap();
    assert_eq!((seen.items, seen.bytes), (1, 0), "the younger row still uses the file");
    purge(&pool, dir.path(), &p, now).await.unwrap();
    assert!(exists(dir.path(), &rows[1].file));
    let p = policy(Some(200), None, false);
    let seen = preview(&pool, &p, now).await.unwrap();
    let report = purge(&pool, dir.path(), &p, now).await.unwrap();
    assert_eq!((report.items, report.files_removed), (1, 2));
    assert_eq!(report.bytes, seen.bytes);
    assert!(!exists(dir.path(), &rows[1].file));
}

#[tokio::test]
async fn a_file_shared_across_the_window_and_the_budget_is_freed_and_counted_once() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let shared = fixtures::png(40, 40, 9);
    let mut rows = Vec::new();
    for age in [400, 300] {
        let new = NewGeneration { created_at: now - age * DAY, ..fixtures::new_generation("m", "shared", 0) };
        let id = journal::insert_generation(&pool, &new).await.unwrap();
        rows.push(journal::add_image(&pool, dir.path(), id, 0, shared.clone(), None, now).await.unwrap());
    }
    let (young, young_file, _) = item(&pool, dir.path(), now, 1, 3).await;
    let sizes: Vec<i64> = sqlx::query_scalar!(
        r#"SELECT bytes + thumb_bytes AS "size!: i64" FROM images WHERE idx = 0 ORDER BY generation_id"#
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (shared_size, young_size) = (sizes[0] as i64, sizes[2]);
    // The window takes the 400-day row; the shared file stays in use until the budget takes the other.
    let p = policy(Some(350), Some(young_size + 1), false);
    let seen = preview(&pool, &p, now).await.unwrap();
    assert_eq!((seen.items, seen.bytes), (2, shared_size), "one file's bytes, once");
    let report = purge(&pool, dir.path(), &p, now).await.unwrap();
    assert_eq!((report.items, report.bytes, report.files_removed), (2, seen.bytes, 2));
    assert_eq!(ids(&pool).await, vec![young]);
    assert!(!exists(dir.path(), &rows[0].file) && !exists(dir.path(), rows[0].thumb.as_deref().unwrap()));
    assert!(exists(dir.path(), &young_file));
}

/// (refs, bytes) of a file in the counts the triggers keep; None once its entry is gone.
async fn counted(pool: &SqlitePool, file: &str) -> Option<(i64, i64)> {
    sqlx::query_as("SELECT refs, bytes FROM cached_files WHERE file = ?").bind(file).fetch_optional(pool).await.unwrap()
}

#[tokio::test]
async fn each_file_counts_its_rows_and_its_entry_goes_with_the_file() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let png = fixtures::png(40, 40, 4);
    let mut ids = Vec::new();
    let mut entry = None;
    for age in [20, 10] {
        let new = NewGeneration { created_at: now - age * DAY, ..fixtures::new_generation("m", "twice", 0) };
        let id = journal::insert_generation(&pool, &new).await.unwrap();
        entry = Some(journal::add_image(&pool, dir.path(), id, 0, png.clone(), None, now).await.unwrap());
        ids.push(id);
    }
    let entry = entry.unwrap();
    let size = std::fs::metadata(images::absolute(dir.path(), &entry.file).unwrap()).unwrap().len()
        + std::fs::metadata(images::absolute(dir.path(), entry.thumb.as_deref().unwrap()).unwrap()).unwrap().len();
    assert_eq!(
        counted(&pool, &entry.file).await,
        Some((2, size as i64)),
        "two rows, the bytes of the file and its thumbnail"
    );

    crate::history::deletion::delete_generations(&pool, dir.path(), &ids[..1]).await.unwrap();
    assert_eq!(counted(&pool, &entry.file).await.map(|c| c.0), Some(1));
    assert!(exists(dir.path(), &entry.file), "still used by the other row");
    crate::history::deletion::delete_generations(&pool, dir.path(), &ids[1..]).await.unwrap();
    assert_eq!(counted(&pool, &entry.file).await, None, "the last row went, then the file, then its entry");
    assert!(!exists(dir.path(), &entry.file));

    // An image written again under another file (a resumed download) moves its reference.
    let (id, file, _) = item(&pool, dir.path(), now, 1, 5).await;
    sqlx::query("UPDATE images SET file = 'images/00/other.png' WHERE generation_id = ?")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(counted(&pool, &file).await.map(|c| c.0), Some(0));
    assert_eq!(counted(&pool, "images/00/other.png").await.map(|c| c.0), Some(1));
}

/// A history where `old` of `old + young` rows are past a 100-day window, one old row sharing its
/// file with a young one: the preview weighs whichever side is smaller, and agrees with the purge.
async fn preview_and_purge_agree(old: u8, young: u8) {
    let (dir, pool) = fixtures::open().await;
    let d = dir.path();
    let now = now_ms();
    let mut freed = 0u64;
    let mut old_files = Vec::new();
    for n in 0..old {
        let (_, file, thumb) = item(&pool, d, now, 200 + n as i64, n).await;
        freed += [&file, &thumb]
            .iter()
            .map(|f| std::fs::metadata(images::absolute(d, f).unwrap()).unwrap().len())
            .sum::<u64>();
        old_files.push(file);
    }
    for n in 0..young {
        item(&pool, d, now, 1 + n as i64, 100 + n).await;
    }
    // The young row that shares the oldest file keeps it.
    let shared = fixtures::generation(&pool, "m", "shares an old file", now - DAY).await;
    let png = fixtures::png(48, 48, 0);
    let kept = journal::add_image(&pool, d, shared, 0, png, None, now).await.unwrap();
    assert_eq!(kept.file, old_files[0]);
    freed -= [&kept.file, kept.thumb.as_ref().unwrap()]
        .iter()
        .map(|f| std::fs::metadata(images::absolute(d, f).unwrap()).unwrap().len())
        .sum::<u64>();

    let window = policy(Some(100), None, false);
    let seen = preview(&pool, &window, now).await.unwrap();
    assert_eq!((seen.items, seen.bytes as u64), (old as i32, freed));
    let report = purge(&pool, d, &window, now).await.unwrap();
    assert_eq!((report.items, report.bytes), (seen.items, seen.bytes), "preview = purge");
    assert_eq!(report.files_removed as u8, 2 * (old - 1));
    assert!(exists(d, &old_files[0]) && old_files[1..].iter().all(|f| !exists(d, f)));
    let left: i64 =
        sqlx::query_scalar!("SELECT COUNT(*) FROM cached_files WHERE refs = 0").fetch_one(&pool).await.unwrap();
    assert_eq!(left, 0, "no removed file keeps an entry");
}

#[tokio::test]
async fn the_preview_weighs_the_expired_side_when_few_rows_expire() {
    preview_and_purge_agree(3, 9).await;
}

#[tokio::test]
async fn the_preview_weighs_the_kept_side_when_most_rows_expire() {
    preview_and_purge_agree(9, 2).await;
}

#[tokio::test]
async fn files_left_by_an_interrupted_purge_are_removed_by_the_next() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let (id, file, thumb) = item(&pool, dir.path(), now, 400, 6).await;
    // The rows went, then the process died before their files were removed.
    sqlx::query!("DELETE FROM generations WHERE id = ?", id).execute(&pool).await.unwrap();
    assert_eq!(counted(&pool, &file).await.map(|c| c.0), Some(0));
    let report = purge(&pool, dir.path(), &policy(Some(365), None, false), now).await.unwrap();
    assert_eq!((report.items, report.files_removed), (0, 2));
    assert!(!exists(dir.path(), &file) && !exists(dir.path(), &thumb));
    assert_eq!(counted(&pool, &file).await, None);
}

#[tokio::test]
async fn an_invalid_policy_is_refused() {
    let (dir, pool) = fixtures::open().await;
    let bad = policy(Some(0), None, false);
    assert!(matches!(purge(&pool, dir.path(), &bad, 0).await, Err(crate::error::Error::InvalidInput { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gallery_and_writers_keep_working_during_a_purge() {
    let (dir, pool) = fixtures::open().await;
    let now = now_ms();
    let plan = crate::history::seed::SeedPlan { count: 6_000, distinct_images: 4, now: now - 400 * DAY };
    crate::history::seed::synthetic_with(&pool, dir.path(), plan).await.unwrap();
    let young = fixtures::generation(&pool, "m", "young", now).await;
    let purging = {
        let (pool, dir) = (pool.clone(), dir.path().to_path_buf());
        tokio::spawn(async move { purge(&pool, &dir, &policy(Some(365), None, false), now).await })
    };
    let (mut pages, mut writes) = (0, 0);
    loop {
        let q = crate::history::gallery::GalleryQuery { limit: Some(50), ..Default::default() };
        crate::history::gallery::page(&pool, &q).await.expect("the gallery answers during a purge");
        favourites::set_favourite(&pool, &[young], writes % 2 == 0).await.expect("writers get their turn");
        pages += 1;
        writes += 1;
        if purging.is_finished() {
            break;
        }
    }
    let report = purging.await.unwrap().unwrap();
    assert_eq!(report.items, 6_000);
    assert!(pages > 0 && writes > 0);
    assert_eq!(ids(&pool).await, vec![young]);
}
