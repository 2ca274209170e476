//! History at 100,000 items (or `FLUX_KREA_BENCH_ITEMS`, e.g. 1000000): gallery pages, search,
//! a jump to a date and the list of dates, details, a thumbnail, and a full purge.
//!
//! The seeded databases are cached in `$TMPDIR/flux-krea-history-bench-v2/<items>/` (delete it to
//! reseed). Run: `cargo bench -p flux-krea-core --bench history` (add `-- --quick` for a fast pass).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use flux_krea_core::history::gallery::{self, Cursor, GalleryQuery};
use flux_krea_core::history::seed::{self, SeedPlan};
use flux_krea_core::history::timeline::{self, Period};
use flux_krea_core::history::{self, details, thumbnail};
use flux_krea_core::retention::{self, RetentionPolicy};
use sqlx::SqlitePool;
use tokio::runtime::Runtime;

/// How many items each seeded history holds.
fn items() -> u32 {
    std::env::var("FLUX_KREA_BENCH_ITEMS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000)
}
/// Fixed so the cached databases stay valid between runs.
const NOW: i64 = 1_790_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;
/// Distinct files behind the purge's rows: enough that file removal is real work.
const PURGE_DISTINCT_IMAGES: u32 = 2_000;

fn cache_root() -> PathBuf {
    std::env::temp_dir().join("flux-krea-history-bench-v2").join(items().to_string())
}

/// Seeds `dir` once; later runs reuse it (a marker file says seeding finished).
fn seeded(rt: &Runtime, dir: &Path, distinct_images: u32) -> PathBuf {
    let marker = dir.join("seeded");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        rt.block_on(async {
            let started = Instant::now();
            let pool = flux_krea_core::database::open(dir).await.unwrap();
            let plan = SeedPlan { count: items(), distinct_images, now: NOW };
            seed::synthetic_with(&pool, dir, plan).await.unwrap();
            // Dynamic: a PRAGMA (untyped result columns the query macros cannot describe).
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
            pool.close().await;
            eprintln!("seeded {} items in {} in {:.1?}", items(), dir.display(), started.elapsed());
        });
        std::fs::write(&marker, b"ok").unwrap();
    }
    dir.to_path_buf()
}

fn open(rt: &Runtime, dir: &Path) -> SqlitePool {
    rt.block_on(flux_krea_core::database::open(dir)).unwrap()
}

fn gallery_benches(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let dir = seeded(&rt, &cache_root().join("gallery"), 12);
    let pool = open(&rt, &dir);
    // Runtime queries: CI checks the offline query data (.sqlx) against what the lib and the tests
    // compile, and never builds the benches.
    let later: (i64, i64) = rt
        .block_on(
            sqlx::query_as(
                "SELECT created_at, id FROM generations ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 49999",
            )
            .fetch_one(&pool),
        )
        .unwrap();
    let later_cursor = Cursor { created_at: later.0, id: later.1 }.encode();
    let some_id: i32 = rt
        .block_on(sqlx::query_scalar("SELECT generation_id FROM images LIMIT 1 OFFSET 5000").fetch_one(&pool))
        .unwrap();

    let mut group = c.benchmark_group(format!("history_{}k", items() / 1000));
    group.sample_size(50).measurement_time(Duration::from_secs(5));
    group.bench_function("gallery_first_page_100", |b| {
        let q = GalleryQuery { limit: Some(100), ..Default::default() };
        b.iter(|| rt.block_on(gallery::page(&pool, black_box(&q))).unwrap())
    });
    group.bench_function("gallery_page_100_after_50000", |b| {
        let q = GalleryQuery { limit: Some(100), cursor: Some(later_cursor.clone()), ..Default::default() };
        b.iter(|| rt.block_on(gallery::page(&pool, black_box(&q))).unwrap())
    });
    group.bench_function("search_common_word_first_page_100", |b| {
        let q = GalleryQuery { limit: Some(100), text: Some("light".into()), ..Default::default() };
        b.iter(|| {
            let page = rt.block_on(gallery::page(&pool, black_box(&q))).unwrap();
            assert_eq!(page.items.len(), 100);
        })
    });
    group.bench_function("search_rare_pair_first_page_100", |b| {
        let q = GalleryQuery { limit: Some(100), text: Some("velvet whale".into()), ..Default::default() };
        b.iter(|| rt.block_on(gallery::page(&pool, black_box(&q))).unwrap())
    });
    group.bench_function("gallery_favourites_model_filter_100", |b| {
        let q = GalleryQuery {
            limit: Some(100),
            favourite: Some(true),
            model: Some("black-forest-labs/flux-dev".into()),
            ..Default::default()
        };
        b.iter(|| rt.block_on(gallery::page(&pool, black_box(&q))).unwrap())
    });
    // A jump to a date a year back (the end of a month), as the Gallery's date picker does.
    let jump_to = NOW - 365 * DAY;
    group.bench_function("jump_to_date_100", |b| {
        let q = GalleryQuery { limit: Some(100), ..Default::default() };
        b.iter(|| {
            let page = rt.block_on(gallery::jump(&pool, black_box(&q), jump_to)).unwrap();
            assert_eq!(page.items.len(), 100);
        })
    });
    group.bench_function("jump_to_date_search_common_word_100", |b| {
        let q = GalleryQuery { limit: Some(100), text: Some("light".into()), ..Default::default() };
        b.iter(|| rt.block_on(gallery::jump(&pool, black_box(&q), jump_to)).unwrap())
    });
    // The picker's list: every month with its count (UTC here, the app's local zone costs the same).
    group.bench_function("dates_months_all", |b| {
        b.iter(|| {
            rt.block_on(timeline::dates(&pool, black_box(&GalleryQuery::default()), Period::Month, &chrono::Utc))
                .unwrap()
        })
    });
    group.bench_function("dates_months_favourites", |b| {
        let q = GalleryQuery { favourite: Some(true), ..Default::default() };
        b.iter(|| rt.block_on(timeline::dates(&pool, black_box(&q), Period::Month, &chrono::Utc)).unwrap())
    });
    group.bench_function("dates_months_search_common_word", |b| {
        let q = GalleryQuery { text: Some("light".into()), ..Default::default() };
        b.iter(|| rt.block_on(timeline::dates(&pool, black_box(&q), Period::Month, &chrono::Utc)).unwrap())
    });
    group.bench_function("dates_days_of_a_month", |b| {
        let q = GalleryQuery { from: Some(jump_to - 30 * DAY), until: Some(jump_to), ..Default::default() };
        b.iter(|| rt.block_on(timeline::dates(&pool, black_box(&q), Period::Day, &chrono::Utc)).unwrap())
    });
    group.bench_function("details", |b| b.iter(|| rt.block_on(details::details(&pool, black_box(some_id))).unwrap()));
    group.bench_function("purge_preview_nothing_due", |b| {
        let policy = RetentionPolicy { window_days: Some(365), disk_budget_bytes: None, keep_favourites: false };
        b.iter(|| rt.block_on(retention::preview(&pool, &policy, NOW - 200 * DAY)).unwrap())
    });
    group.finish();
    rt.block_on(pool.close());

    let mut group = c.benchmark_group(format!("startup_{}k", items() / 1000));
    group.sample_size(10);
    group.bench_function("open_checked_with_quick_check", |b| {
        b.iter(|| {
            let (pool, recovery) = rt.block_on(history::open_checked(&dir)).unwrap();
            assert!(recovery.is_none());
            rt.block_on(pool.close());
        })
    });
    group.finish();
}

fn thumbnail_bench(c: &mut Criterion) {
    let png = photo_like_png(1024);
    // The same file for `vipsthumbnail`, the ratio the README reports (scripts/measure-vipsthumbnail.sh).
    let copy = cache_root().join("thumbnail-source-1024.png");
    std::fs::create_dir_all(cache_root()).and_then(|()| std::fs::write(&copy, &png)).expect("write the bench PNG");
    let mut group = c.benchmark_group("thumbnail");
    group.sample_size(30);
    group.bench_function("png_1024_to_384_jpeg", |b| b.iter(|| thumbnail::make(black_box(&png), "bench.png").unwrap()));
    group.finish();
}

/// A smooth gradient with mild noise: compresses and decodes like a photo, unlike flat test art.
fn photo_like_png(side: u32) -> Vec<u8> {
    let mut state = 0x1234_5678u32;
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 24) as u8;
        image::Rgb([(x / 4) as u8 + noise, (y / 4) as u8 + noise / 2, ((x + y) / 8) as u8 + noise / 3])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn purge_bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let template = seeded(&rt, &cache_root().join("purge-template"), PURGE_DISTINCT_IMAGES);
    let mut group = c.benchmark_group("purge");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    let expired = RetentionPolicy { window_days: Some(365), disk_budget_bytes: None, keep_favourites: false };
    let pool = open(&rt, &template);
    group.bench_function("preview_all_expired", |b| {
        b.iter(|| {
            let preview = rt.block_on(retention::preview(&pool, &expired, NOW + 730 * DAY)).unwrap();
            assert_eq!(preview.items as u32, items());
        })
    });
    // Closed (WAL checkpointed and removed) before the template is copied.
    rt.block_on(pool.close());
    group.bench_function("purge_all_expired_with_files", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let work = cache_root().join("purge-run");
                let _ = std::fs::remove_dir_all(&work);
                copy_dir(&template, &work);
                let pool = open(&rt, &work);
                // Two years on, with a 12-month window: every seeded row has expired.
                let policy =
                    RetentionPolicy { window_days: Some(365), disk_budget_bytes: None, keep_favourites: false };
                let started = Instant::now();
                let report = rt.block_on(retention::purge(&pool, &work, &policy, NOW + 730 * DAY)).unwrap();
                total += started.elapsed();
                assert_eq!(report.items as u32, items());
                assert_eq!(report.files_removed as u32, PURGE_DISTINCT_IMAGES * 2);
                rt.block_on(pool.close());
            }
            total
        })
    });
    group.finish();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

criterion_group!(benches, gallery_benches, thumbnail_bench, purge_bench);
criterion_main!(benches);
