//! Cold start of the app: from the process starting (its start time in /proc) to the Gallery
//! painted with its first screenful of thumbnails (the UI's `gallery-first-thumbnails` User Timing
//! mark, on the page's clock), over a seeded history, launched with `--screen gallery`. Runs it
//! several times and prints a README table row with the median.
//!
//! `scripts/measure-startup.sh [count] [runs]` (needs an app build, Xvfb and a D-Bus session).

use std::time::Duration;

use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};

const MARK: &str = "const m = performance.getEntriesByName('gallery-first-thumbnails')[0];
    return m ? performance.timeOrigin + m.startTime : null;";

/// Where the time goes, on the page's clock: when the page's navigation began (epoch ms), and
/// from then the HTML parsed (`domInteractive`; module scripts run after it, and before
/// DOMContentLoaded, which would make the next phase negative), the bundle run
/// (`app-script-start`), the Gallery asking for its first page (`gallery-first-request`), that
/// page answered (`gallery-first-page`) and the thumbnails painted; and, apart, the app's own
/// start-up calls answered (`app-info-loaded`, after the bundle ran; it overlaps the Gallery's).
const PHASES: &str =
    "const at = (n) => { const m = performance.getEntriesByName(n)[0]; return m ? m.startTime : null; };
    const nav = performance.getEntriesByType('navigation')[0];
    return [performance.timeOrigin, nav ? nav.domInteractive : null, at('app-script-start'),
            at('gallery-first-request'), at('gallery-first-page'), at('gallery-first-thumbnails'),
            at('app-info-loaded')];";

/// The phases of one start, in ms: process → page navigation, → HTML parsed, → bundle run, →
/// first page asked for, → answered, → thumbnails painted; bundle run → start-up calls answered.
const PHASE_NAMES: [&str; 7] = [
    "process to webview page",
    "HTML parsed",
    "bundle run",
    "first history page asked",
    "first history page answered",
    "thumbnails painted",
    "(bundle run to app_info + settings answered)",
];

/// When the newest process running `binary` started, in ms since the epoch (10 ms resolution).
/// Its age is read on the boot clock (the uptime now minus its start, both counted from boot) and
/// taken from the wall clock now. Adding its start to /proc/stat's `btime` instead, as stops 13–16
/// did, was off by the fraction of a second `btime` drops: 724 ms on this session's VM.
fn process_start_epoch_ms(binary: &std::path::Path) -> TestResult<f64> {
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs_f64() * 1000.0;
    let uptime_s: f64 = std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no uptime in /proc/uptime")?;
    let mut newest: Option<u64> = None;
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let is_app =
            std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe.file_name() == binary.file_name());
        if !is_app {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // Field 22 (starttime, clock ticks since boot), counted after the ")" that ends the name.
        let ticks: Option<u64> = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(19)?.parse().ok());
        newest = newest.max(ticks);
    }
    let ticks = newest.ok_or("the app process was not found")?;
    // USER_HZ is 100 on every Linux this runs on.
    let age_s = uptime_s - ticks as f64 / 100.0;
    Ok(now_ms - age_s * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> TestResult {
    let mut args = std::env::args().skip(1);
    let count: u32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10_000);
    let runs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", &count.to_string()])?;
    let binary = flux_krea_e2e::app_binary()?;

    let mut times = Vec::new();
    let mut phases: Vec<[f64; 7]> = Vec::new();
    for _ in 0..runs {
        let app = App::launch_with_args(&sandbox, &["--screen", "gallery"]).await?;
        let started = process_start_epoch_ms(&binary)?;
        wait_until("the first thumbnails", 30, || async { Ok(!app.js(MARK).await?.is_null()) }).await?;
        let painted = app.js(MARK).await?.as_f64().ok_or("mark is not a number")?;
        times.push(painted - started);
        let marks: Vec<Option<f64>> = serde_json::from_value(app.js(PHASES).await?)?;
        if let [Some(origin), Some(html), Some(script), Some(asked), Some(page), Some(thumbs), Some(info)] = marks[..] {
            let run =
                [origin - started, html, script - html, asked - script, page - asked, thumbs - page, info - script];
            // Each run's phases too: an outlier's median hides which phase it was slow in.
            let each: Vec<String> = run.iter().map(|ms| format!("{ms:.0}")).collect();
            eprintln!("run: {:.0} ms = {}", painted - started, each.join(" + "));
            phases.push(run);
        }
        app.quit().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // What each start's window waited for the history to open (the app's log).
    // The app's log, read once: what each start's window waited for the history to open, and on
    // request every line.
    let log = log_lines(&sandbox.log_dir());
    let waits = setup_waits(&log);
    if !waits.is_empty() {
        eprintln!("run: setup waited for the history to open: {} ms", waits.join(", "));
    }
    if std::env::var_os("FLUX_KREA_STARTUP_LOG").is_some() {
        for line in log.iter().filter(|l| !l.contains("DEBUG")) {
            eprintln!("log: {line}");
        }
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let runs_text: Vec<String> = times.iter().map(|t| format!("{t:.0}")).collect();
    // On stderr, so the table row stays the only line on stdout.
    for (i, name) in PHASE_NAMES.iter().enumerate() {
        let mut values: Vec<f64> = phases.iter().map(|p| p[i]).collect();
        values.sort_by(f64::total_cmp);
        if let Some(median) = values.get(values.len() / 2) {
            eprintln!("phase: {name}: median {median:.0} ms of {} runs", values.len());
        }
    }
    println!(
        "| cold start to the Gallery's first thumbnails, {count} items ({}) | ≤ 1.0 s | median {median:.0} ms of {} runs ({} ms) |",
        binary.display(),
        times.len(),
        runs_text.join(", ")
    );
    Ok(())
}

/// Every line of the log files, oldest file first.
fn log_lines(log_dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(log_dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap_or_default().lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The `waited_ms` of every "setup waited for the history to open" line, in order.
fn setup_waits(log: &[String]) -> Vec<String> {
    log.iter()
        .filter(|l| l.contains("setup waited for the history to open"))
        .filter_map(|l| l.split_once("waited_ms"))
        .map(|(_, rest)| rest.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect())
        .collect()
}
