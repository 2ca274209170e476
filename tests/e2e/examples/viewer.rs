//! Measures the full-size viewer in the real app (#19) over a history of 2 MP outputs: 1440 × 1440
//! WebP images made by the Replicate fake through the CLI, as a user's FLUX 1.1 pro runs would be.
//! (a) Opening: from the Enter key on a Gallery tile to the original decoded and on screen (the
//! viewer shows the thumbnail first, then swaps in the original once it has decoded), for several
//! images not opened before; the median and the range. (b) Flipping: → held (a key repeat of 25 a
//! second) through `count` images, the frame intervals from requestAnimationFrame (the longest
//! frame), and the memory (PSS) of the app's process tree before and after. Prints README rows.
//!
//! `scripts/measure-viewer.sh [count]` (needs the e2e app build, Xvfb and a D-Bus session).

use fantoccini::key::Key;
use flux_krea_e2e::{memory, wait_until, App, Sandbox, TestResult, GALLERY_TILES};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_measure_viewer_01";
const SIDE: u32 = 1440;
/// How many images are opened from the grid for (a); every third tile, so none was preloaded as
/// the neighbour (±1) of one opened before.
const OPENS: usize = 7;
const STRIDE: usize = 3;

/// Watches, frame by frame, for the viewer's image to be the original (its natural width) and
/// shown; records the Enter key's time, the first frame with the thumbnail and the first with the
/// original in `window.__open`.
const WATCH_OPEN: &str = "
    const want = arguments[0];
    const t = { key: null, thumb: null, sharp: null };
    window.__open = null;
    const onKey = (e) => { if (e.key === 'Enter' && t.key === null) t.key = e.timeStamp; };
    addEventListener('keydown', onKey, { capture: true });
    const started = performance.now();
    const check = (now) => {
      const img = document.querySelector(\"[data-testid='viewer'] [data-testid='viewer-image']\");
      const shown = img && img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0;
      if (shown && t.key !== null && t.thumb === null) t.thumb = now;
      if (shown && t.key !== null && img.naturalWidth === want) {
        t.sharp = now;
        removeEventListener('keydown', onKey, { capture: true });
        window.__open = t;
      } else if (now - started > 20000) {
        window.__open = { ...t, timedOut: true };
      } else {
        requestAnimationFrame(check);
      }
    };
    requestAnimationFrame(check);";

/// → as a held key repeats it (every 40 ms), `flips` times or until 20 s have passed (WebKitWebDriver
/// ends a script after 30 s), recording every frame's interval and the viewer's item after each.
const FLIP: &str = "
    const done = arguments[arguments.length - 1];
    const flips = arguments[0];
    const frames = [];
    let last = 0, lastKey = -1e9, sent = 0;
    const start = performance.now();
    function tick(now) {
      frames.push(now - last);
      last = now;
      if (sent < flips && now - lastKey >= 40) {
        const target = document.activeElement || document.body;
        target.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', code: 'ArrowRight', bubbles: true, cancelable: true }));
        lastKey = now;
        sent++;
      }
      if (sent >= flips || now - start > 20000) {
        const v = document.querySelector(\"[data-testid='viewer']\");
        done({ frames, sent, id: v ? Number(v.dataset.id) : null });
      } else {
        requestAnimationFrame(tick);
      }
    }
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });";

const SHARP: &str = "const img = document.querySelector(\"[data-testid='viewer'] [data-testid='viewer-image']\");
    return !!img && img.complete && img.naturalWidth === arguments[0];";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn press(app: &App, key: Key) -> TestResult {
    let text = char::from(key).to_string();
    app.step("a key press", |c| async move { c.active_element().await?.send_keys(&text).await }).await
}

async fn viewer_id(app: &App) -> TestResult<Option<i64>> {
    let v = app
        .js("const v = document.querySelector(\"[data-testid='viewer']\"); return v ? Number(v.dataset.id) : null;")
        .await?;
    Ok(v.as_i64())
}

/// Makes `n` 1440 × 1440 images, one job per `{…}` alternative, in batches the CLI accepts.
fn generate(sandbox: &Sandbox, n: usize) -> TestResult {
    let mut made = 0;
    while made < n {
        let batch = (n - made).min(100);
        let takes: Vec<String> = (made..made + batch).map(|i| format!("take {i}")).collect();
        let prompt = format!("a heron at dawn, {{{}}}", takes.join("|"));
        let (w, h) = (format!("width={SIDE}"), format!("height={SIDE}"));
        let size = ["--aspect-ratio", "custom", "--set", &w, "--set", &h];
        let mut args = vec!["generate", "--model", "flux-1.1-pro", "--prompt", &prompt, "--variations-cap", "256"];
        args.extend(size);
        sandbox.cli(&args)?;
        made += batch;
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> TestResult {
    let count: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(200);
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs { run_ms: 0, ..Knobs::default() });
    let sandbox = Sandbox::new()?.with_replicate(&fake, TOKEN);
    sandbox.cli(&["retention", "set", "--forever"])?;
    let made = std::time::Instant::now();
    generate(&sandbox, count + 1)?;
    eprintln!("made {} images of {SIDE} × {SIDE} in {:.0} s", count + 1, made.elapsed().as_secs_f64());

    let binary = flux_krea_e2e::app_binary()?;
    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='gallery']").await?;
    wait_until("the tiles", 60, || async { Ok(app.tile_ids().await?.len() > OPENS * STRIDE) }).await?;
    let ids = app.tile_ids().await?;

    // (a) Enter on a tile never opened (nor preloaded), to the original on screen.
    let mut opens = Vec::new();
    let mut thumbs = Vec::new();
    for k in 0..OPENS {
        let tile = format!("{GALLERY_TILES}[data-id='{}']", ids[k * STRIDE]);
        app.execute("document.querySelector(arguments[0]).focus();", vec![tile.into()]).await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        app.execute(WATCH_OPEN, vec![SIDE.into()]).await?;
        press(&app, Key::Enter).await?;
        wait_until("the original shown", 30, || async { Ok(!app.js("return window.__open;").await?.is_null()) })
            .await?;
        let t = app.js("return window.__open;").await?;
        if t["timedOut"] == true {
            return Err(format!("open {k}: the original never showed ({t})").into());
        }
        let (key, thumb, sharp) =
            (t["key"].as_f64().unwrap_or(0.0), t["thumb"].as_f64(), t["sharp"].as_f64().unwrap_or(0.0));
        opens.push(sharp - key);
        thumbs.extend(thumb.map(|th| th - key));
        press(&app, Key::Escape).await?;
        wait_until("the viewer to close", 10, || async { Ok(viewer_id(&app).await?.is_none()) }).await?;
    }
    eprintln!("opens (ms): {opens:.0?}; thumbnail first (ms): {thumbs:.0?}");
    opens.sort_by(f64::total_cmp);
    thumbs.sort_by(f64::total_cmp);

    // (b) From the newest, → through `count` images.
    let first = format!("{GALLERY_TILES}[data-id='{}']", ids[0]);
    app.execute("document.querySelector(arguments[0]).focus();", vec![first.into()]).await?;
    press(&app, Key::Enter).await?;
    wait_until("the first original", 30, || async {
        Ok(app.execute(SHARP, vec![SIDE.into()]).await?.as_bool() == Some(true))
    })
    .await?;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let before_mb = memory::tree_of_binary_mb(&binary);
    let mut frames: Vec<f64> = Vec::new();
    let mut sent = 0;
    while sent < count {
        let burst = app.execute_async(FLIP, vec![(count - sent).into()]).await?;
        let got: Vec<f64> = serde_json::from_value(burst["frames"].clone())?;
        frames.extend(got.into_iter().skip(1)); // the first includes the WebDriver round trip
        sent += burst["sent"].as_u64().unwrap_or(0) as usize;
    }
    // Where → got to ("201 of 201" after 200 flips). A press that comes while the next page loads is
    // folded into the one before it; those are made up for one at a time, and counted.
    let position = || async {
        let text = app.text_of("[data-testid='viewer'] .count").await;
        text.split(' ').next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0)
    };
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let mut folded = 0;
    while position().await < count + 1 && folded < 50 {
        let at = position().await;
        press(&app, Key::Right).await?;
        wait_until("one more flip", 30, || async { Ok(position().await > at) }).await?;
        folded += 1;
    }
    if position().await != count + 1 {
        return Err(format!("→ did not reach image {} (at {})", count + 1, position().await).into());
    }
    wait_until("the last image's original", 60, || async {
        Ok(app.execute(SHARP, vec![SIDE.into()]).await?.as_bool() == Some(true))
    })
    .await?;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let after_mb = memory::tree_of_binary_mb(&binary);
    frames.sort_by(f64::total_cmp);
    let total_s = frames.iter().sum::<f64>() / 1000.0;
    let over_50 = frames.iter().filter(|f| **f > 50.0).count();

    let build = if binary.ends_with("e2e/flux-krea-desktop") {
        "debug build".to_string()
    } else {
        binary.display().to_string()
    };
    println!(
        "| viewer open to sharp image, 2 MP output ({SIDE}×{SIDE} WebP): Enter on a tile to the original decoded and \
         shown (`scripts/measure-viewer.sh`, {build}) | — | median {:.0} ms ({:.0}–{:.0}, {OPENS} images); the thumbnail \
         first after {:.0} ms | Xvfb, software rendering | — |",
        percentile(&opens, 0.5),
        opens.first().copied().unwrap_or_default(),
        opens.last().copied().unwrap_or_default(),
        percentile(&thumbs, 0.5),
    );
    println!(
        "| viewer: → held (25/s) through {count} 2 MP images, longest frame; memory (PSS) of the process tree before and \
         after (same script, {build}) | memory bounded | longest {:.0} ms (median {:.1}, p95 {:.1}, {over_50} of {} over \
         50 ms, {total_s:.1} s; {folded} presses folded while a page loaded); {before_mb:.0} MB before, {after_mb:.0} MB \
         after | Xvfb, software rendering | |",
        frames.last().copied().unwrap_or_default(),
        percentile(&frames, 0.5),
        percentile(&frames, 0.95),
        frames.len(),
    );
    app.quit().await
}
