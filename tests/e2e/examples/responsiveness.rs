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

/// Starts the purge without waiting for it; its end (or failure) is noted on `window.__probe`.
const START: &str = "
    const invoke = window.__TAURI_INTERNALS__.invoke;
    const probe = { t0: performance.now(), purgeMs: null, failed: null };
    window.__probe = probe;
    invoke('set_retention', { policy: { window_days: 1, disk_budget_bytes: null, keep_favourites: false } })
      .then(() => { probe.purgeMs = performance.now() - probe.t0; }, (e) => { probe.failed = JSON.stringify(e); });
    return true;";

/// Calls commands one after another for up to 20 s (WebDriver ends a script after 30 s), or until
/// the purge has ended and at least 3 s have passed: each call's time in ms, by command.
const BURST: &str = "
    const done = arguments[arguments.length - 1];
    const invoke = window.__TAURI_INTERNALS__.invoke;
    const probe = window.__probe;
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
    const start = performance.now();
    (async () => {
      let i = 0;
      const ended = () => probe.purgeMs !== null || probe.failed !== null;
      while (!(ended() && performance.now() - probe.t0 > 3000) && performance.now() - start < 20000) {
        const [name, args] = calls[i++ % calls.length];
        const t = performance.now();
        try { await invoke(name, args); } catch (e) {}
        (times[name] ??= []).push(performance.now() - t);
      }
      done({ times, purgeMs: probe.purgeMs, failed: probe.failed, ended: ended() });
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
    let sandbox = Sandbox::new()?.with_replicate(&fake, TOKEN);
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
    let started = wait_until("the downloads to start", 30, || async {
        let v = app.js("const el = document.querySelector(\"[data-testid='queue'] [data-status]\"); return el ? el.dataset.status : null;").await?;
        Ok(v.as_str() == Some("downloading"))
    })
    .await;
    if let Err(e) = started {
        // Where the job stood, and what the page says, rather than a bare timeout.
        let seen = app
            .js("const q = document.querySelector(\"[data-testid='queue']\"); const alerts = [...document.querySelectorAll('[role=alert]')].map((a) => a.textContent.trim()); return { queue: q ? q.innerText : null, alerts };")
            .await?;
        // And the app's own warnings and errors.
        for entry in std::fs::read_dir(sandbox.log_dir()).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for line in text.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).take(20) {
                eprintln!("{line}");
            }
        }
        return Err(format!("{e}; the page showed {seen}").into());
    }

    app.js(START).await?;
    let mut times: std::collections::BTreeMap<String, Vec<f64>> = std::collections::BTreeMap::new();
    let mut result = serde_json::Value::Null;
    // A million-item purge takes about a minute: bursts until it has ended (10 min at most).
    for _ in 0..30 {
        result = app.execute_async(BURST, vec![]).await?;
        if let Some(burst) = result["times"].as_object() {
            for (name, values) in burst {
                let values: Vec<f64> = serde_json::from_value(values.clone())?;
                times.entry(name.clone()).or_default().extend(values);
            }
        }
        if result["ended"].as_bool() == Some(true) {
            break;
        }
    }
    if let Some(failed) = result["failed"].as_str() {
        return Err(format!("the purge failed: {failed}").into());
    }
    if result["ended"].as_bool() != Some(true) {
        return Err("the purge did not end within 10 minutes".into());
    }
    let mut all: Vec<f64> = Vec::new();
    let mut worst: Vec<(String, f64)> = Vec::new();
    for (name, values) in &times {
        worst.push((name.clone(), values.iter().copied().fold(0.0, f64::max)));
        all.extend(values);
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
