//! Measures the Gallery in the real app over a large seeded history: time to the first tiles,
//! then frame intervals while the grid is flung through every page (half a screen per frame,
//! loading pages as it goes), how many tiles are in the DOM, and the resident memory of the app's
//! whole process tree (the app and its WebKit processes; PSS) idle and after the fling. Prints a README
//! table row.
//!
//! `scripts/measure-gallery.sh [count] [--first N]` (needs the e2e app build, Xvfb and a D-Bus
//! session); `--first N` flings through the newest N items only (50,000 of a million, say).

use std::time::Instant;

use flux_krea_e2e::{memory, wait_until, App, Sandbox, TestResult};

const FLING: &str = "
    const done = arguments[arguments.length - 1];
    const maxFrames = arguments[0];
    const step = arguments[1];
    // The fling ends on a tile at or below this id (seeded ids follow time: 1 is the oldest).
    const stopId = arguments[2];
    const s = document.querySelector(\"[data-testid='gallery-grid']\");
    const frames = [];
    let last = 0, maxTiles = 0;
    function tick(now) {
      frames.push(now - last);
      last = now;
      maxTiles = Math.max(maxTiles, s.querySelectorAll('button.tile').length);
      s.scrollTop += s.clientHeight * step;
      const ids = [...s.querySelectorAll('button.tile')].map((e) => Number(e.dataset.id));
      const reached = ids.some((id) => id <= stopId);
      if (frames.length >= maxFrames || reached) {
        done({ frames, maxTiles, reachedOldest: reached });
      } else {
        requestAnimationFrame(tick);
      }
    }
    requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> TestResult {
    let count: u32 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(10_000);
    let first: u32 = match std::env::args().nth(2).as_deref() {
        Some("--first") => std::env::args().nth(3).ok_or("--first needs a number")?.parse()?,
        _ => count,
    };
    let stop_id = count.saturating_sub(first).max(1);
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    // Distinct thumbnails (of the real thumbnails' size), as a real history has: WebKit decodes
    // each once, so shared files would hide what decoded images cost. 10,000 keep the files ~1 GB.
    let distinct = count.min(10_000).to_string();
    sandbox.cli(&["seed", "--count", &count.to_string(), "--distinct-images", &distinct])?;

    let app = App::launch(&sandbox).await?;
    let start = Instant::now();
    app.click("nav button[data-screen='gallery']").await?;
    wait_until("the first tiles", 30, || async {
        let n = app
            .js("return document.querySelectorAll(\"[data-testid='gallery-grid'] button.tile img\").length;")
            .await?;
        Ok(n.as_u64().unwrap_or(0) > 0)
    })
    .await?;
    let first_tiles_ms = start.elapsed().as_secs_f64() * 1000.0;
    let binary = flux_krea_e2e::app_binary()?;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let idle_mb = memory::tree_of_binary_mb(&binary);
    memory::breakdown_of_binary(&binary);

    // The same frames without scrolling: what this machine's compositor gives an idle page.
    let idle = app.execute_async(FLING, vec![100.into(), 0.into(), 0.into()]).await?;
    let mut idle: Vec<f64> = serde_json::from_value(idle["frames"].clone())?;
    idle.sort_by(f64::total_cmp);
    eprintln!("first tiles {first_tiles_ms:.0} ms; idle {idle_mb:.0} MB");
    if std::env::args().nth(2).as_deref() == Some("--idle-only") {
        return app.quit().await;
    }
    // In bursts of 150 frames (WebKitWebDriver ends a script after 30 s) until the oldest item is
    // on screen; the first frame of each burst is dropped (it includes the WebDriver round trip).
    let mut frames: Vec<f64> = Vec::new();
    let mut max_tiles = 0;
    let mut reached = false;
    // About 5.6 items a frame (half a screen of four columns); twice that many frames at most.
    let max_frames = (first as usize / 5 * 2).max(4000);
    while !reached && frames.len() < max_frames {
        let burst = app.execute_async(FLING, vec![150.into(), 0.5.into(), stop_id.into()]).await?;
        let got: Vec<f64> = serde_json::from_value(burst["frames"].clone())?;
        frames.extend(got.into_iter().skip(1));
        max_tiles = max_tiles.max(burst["maxTiles"].as_u64().unwrap_or(0));
        reached = burst["reachedOldest"].as_bool() == Some(true);
    }
    let result = serde_json::json!({ "maxTiles": max_tiles, "reachedOldest": reached });
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let scrolled_mb = memory::tree_of_binary_mb(&binary);
    memory::breakdown_of_binary(&binary);
    // What stays once the page has been quiet for a minute (collections and caches have run).
    tokio::time::sleep(std::time::Duration::from_secs(58)).await;
    let quiet_mb = memory::tree_of_binary_mb(&binary);
    memory::breakdown_of_binary(&binary);
    // How much of that the loaded items hold: the Favourites filter on and off again reloads the
    // Gallery with its first page only (the seeded history has no favourites).
    app.click("[data-testid='filter-favourites']").await?;
    app.click("[data-testid='filter-favourites']").await?;
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    let reloaded_mb = memory::tree_of_binary_mb(&binary);
    memory::breakdown_of_binary(&binary);
    eprintln!("after the Gallery let its items go (a reload to the first page) and 30 s of quiet: {reloaded_mb:.0} MB");
    frames.sort_by(f64::total_cmp);
    let long = frames.iter().filter(|f| **f > 50.0).count();
    let over_16 = frames.iter().filter(|f| **f > 16.7).count() as f64 * 100.0 / frames.len().max(1) as f64;
    let total_s = frames.iter().sum::<f64>() / 1000.0;
    println!(
        "| Gallery fling through the newest {first} of {count} items (real app, Xvfb, software rendering) | first tiles {first_tiles_ms:.0} ms; \
         {} frames in {total_s:.1} s: median {:.1} ms, p95 {:.1} ms, max {:.0} ms, {over_16:.0}% over 16.7 ms, {long} over 50 ms; \
         at most {} tiles in the DOM; reached the last: {}; idle page: median {:.1} ms a frame; memory (PSS) of the process tree {idle_mb:.0} MB idle, \
         {scrolled_mb:.0} MB right after the fling, {quiet_mb:.0} MB after 60 s of quiet |",
        frames.len(),
        percentile(&frames, 0.5),
        percentile(&frames, 0.95),
        frames.last().copied().unwrap_or_default(),
        result["maxTiles"],
        result["reachedOldest"],
        percentile(&idle, 0.5),
    );
    app.quit().await
}
