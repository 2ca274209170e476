//! One purge of the history bench's cached database, with its phases: at a million items the
//! bench's 10 samples would take a quarter of an hour.
//!
//! `FLUX_KREA_BENCH_ITEMS=1000000 cargo run --profile server -p flux-krea-core --example purge_once`
//! (after `cargo bench --bench history` with the same item count has seeded the template).

use std::path::PathBuf;
use std::time::Instant;

use flux_krea_core::retention::{self, RetentionPolicy};

/// The bench's fixed clock (benches/history.rs): two years on, every seeded row has expired.
const NOW: i64 = 1_790_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;

fn main() {
    tracing_subscriber::fmt().with_env_filter("flux_krea_core=info").init();
    let items = std::env::var("FLUX_KREA_BENCH_ITEMS").unwrap_or_else(|_| "100000".into());
    let root: PathBuf = std::env::temp_dir().join("flux-krea-history-bench-v2").join(&items);
    let template = root.join("purge-template");
    if !template.join("seeded").exists() {
        eprintln!("no seeded template at {}: run the history bench with this item count first", template.display());
        std::process::exit(1);
    }
    let work = root.join("purge-run");
    let _ = std::fs::remove_dir_all(&work);
    let copied = std::process::Command::new("cp").arg("-a").arg(&template).arg(&work).status();
    assert!(copied.map(|s| s.success()).unwrap_or(false), "copying {} failed", template.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let started = Instant::now();
        let pool = flux_krea_core::database::open(&work).await.unwrap();
        println!("opened (and migrated) in {:.2?}", started.elapsed());
        let policy = RetentionPolicy { window_days: Some(365), disk_budget_bytes: None, keep_favourites: false };
        let started = Instant::now();
        let preview = retention::preview(&pool, &policy, NOW + 730 * DAY).await.unwrap();
        println!("preview: {} items, {} bytes in {:.2?}", preview.items, preview.bytes, started.elapsed());
        let started = Instant::now();
        let report = retention::purge(&pool, &work, &policy, NOW + 730 * DAY).await.unwrap();
        println!("purge: {} items, {} files in {:.2?}", report.items, report.files_removed, started.elapsed());
        assert_eq!((report.items, report.bytes), (preview.items, preview.bytes), "preview = purge");
    });
}
