//! Responsiveness under work, in the real app: while a purge of a large seeded history (retention
//! shortened to 1 day, applied at once) and a job's four downloads from a slow delivery host run,
//! the page calls everyday commands back to back and records how long each answer takes.
//! Prints a README table row (target: every call within 100 ms).
//!
//! `scripts/measure-responsiveness.sh [count]` (needs an app build, Xvfb and a D-Bus session).

use std::time::Duration;

use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_measure_token";

/// Starts the purge without waiting for it, then calls commands one after another until it ends
/// (at least 3 s): each call's time in ms, by command.
const PROBE: &str = "
    const done = arguments[arguments.length - 1];
    const invoke = window.__TAURI_INTERNALS__.invoke;
    const calls = [
      ['gallery_page', { query: { limit: 100 } }],
      ['queue_state', {}],
      ['app_info', {}],
      ['get_retention', {}],
      ['spend_summary', {}],
      ['account_status', {}],
      ['update_status', {}],
    ];
    const times = {};
    const t0 = performance.now();
    let purgeMs = null;
    invoke('set_retention', { policy: { window_days: 1, disk_budget_bytes: null, keep_favourites: false } })
      .then(() => { purgeMs = performance.now() - t0; }, (e) => { purgeMs = -1; });
    (async () => {
      let i = 0;
      while (purgeMs === null || performance.now() - t0 < 3000) {
        if (performance.now() - t0 > 25000) break;
        const [name, args] = calls[i++ % calls.length];
        const start = performance.now();
        try { await invoke(name, args); } catch (e) {}
        (times[name] ??= []).push(performance.now() - start);
      }
      done({ times, purgeMs });
    })();";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> TestResult {
    let count: u32 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs {
        run_ms: 500,
        image_side: Some(1024),
        delivery_chunk_delay_ms: 400,
        ..Knobs::default()
    });
    let sandbox =
        Sandbox::new()?.with_env("FLUX_KREA_REPLICATE_URL", &fake.base_url()).with_env("REPLICATE_API_TOKEN", TOKEN);
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", &count.to_string()])?;

    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='create']").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.find("[data-testid='prompt']").await?.send_keys("four slow downloads").await?;
    let outputs = app.find("input[data-testid='field-num_outputs']").await?;
    outputs.clear().await?;
    outputs.send_keys("4").await?;
    app.click("[data-testid='generate']").await?;
    wait_until("the downloads to start", 30, || async {
        let v = app.js("const el = document.querySelector(\"[data-testid='queue'] [data-status]\"); return el ? el.dataset.status : null;").await?;
        Ok(v.as_str() == Some("downloading"))
    })
    .await?;

    let result = app.execute_async(PROBE, vec![]).await?;
    let mut all: Vec<f64> = Vec::new();
    let mut worst: Vec<(String, f64)> = Vec::new();
    if let Some(times) = result["times"].as_object() {
        for (name, values) in times {
            let values: Vec<f64> = serde_json::from_value(values.clone())?;
            worst.push((name.clone(), values.iter().copied().fold(0.0, f64::max)));
            all.extend(values);
        }
    }
    all.sort_by(f64::total_cmp);
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    let job = app.js("const el = document.querySelector(\"[data-testid='queue'] [data-status]\"); return el ? el.dataset.status : null;").await?;
    let p = |q: f64| all.get(((all.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or_default();
    let over = all.iter().filter(|t| **t > 100.0).count();
    let worst_text: Vec<String> = worst.iter().take(3).map(|(n, t)| format!("{n} {t:.0} ms")).collect();
    println!(
        "| IPC answers during a purge of {count} items and 4 slow downloads (real app) | every call ≤ 100 ms | {} calls: median {:.1} ms, p95 {:.1} ms, max {:.0} ms, {over} over 100 ms (slowest: {}); the purge took {:.0} ms; the job was {} at the end |",
        all.len(),
        p(0.5),
        p(0.95),
        all.last().copied().unwrap_or_default(),
        worst_text.join(", "),
        result["purgeMs"].as_f64().unwrap_or(-1.0),
        job.as_str().unwrap_or("?"),
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.quit().await
}
