//! The screens scripts/screenshot.sh cannot reach with `--screen` alone, driven over WebDriver on
//! the display it prepared: `viewer` (an image full size with its info strip), `compare` (two
//! images side by side) and `lineage` (a Kontext edit of an edit, the viewer on the middle one with
//! its chain in the strip). Images come from the Replicate fake (FAKE pictures), run here.
//!
//! Usage: `cargo run -p flux-krea-e2e --example screenshots -- <screen> <light|dark> <out.png>`

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_screenshots_01";

async fn keys(app: &App, keys: String) -> TestResult {
    app.step("keys", |c| async move { c.active_element().await?.send_keys(&keys).await }).await
}

async fn viewer_id(app: &App) -> TestResult<Option<i64>> {
    let v = app
        .js("const v = document.querySelector(\"[data-testid='viewer']\"); return v ? Number(v.dataset.id) : null;")
        .await?;
    Ok(v.as_i64())
}

/// The newest job's id once it is done.
async fn newest_done(app: &App, not: &[i64]) -> TestResult<i64> {
    let script = "return [...document.querySelectorAll(\"[data-testid='queue'] li[data-status='done']\")]
        .map((e) => Number(e.dataset.testid.slice(4)));";
    for _ in 0..600 {
        let v = app.js(script).await?;
        if let Some(id) = v.as_array().into_iter().flatten().filter_map(|x| x.as_i64()).find(|id| !not.contains(id)) {
            return Ok(id);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("no job finished".into())
}

/// Opens `id` in the viewer from the Gallery, with the info strip open and the image sharp.
async fn open_in_viewer(app: &App, id: i64) -> TestResult {
    app.click("nav button[data-screen='gallery']").await?;
    let tile = format!("{GALLERY_TILES}[data-id='{id}']");
    wait_until("the tile", 30, || async { app.exists(&tile).await }).await?;
    app.execute("document.querySelector(arguments[0]).focus();", vec![tile.into()]).await?;
    keys(app, char::from(Key::Enter).to_string()).await?;
    wait_until("the viewer", 10, || async { Ok(viewer_id(app).await? == Some(id)) }).await?;
    if app.attr("[data-testid='viewer-info-toggle']", "aria-expanded").await?.as_deref() != Some("true") {
        app.click("[data-testid='viewer-info-toggle']").await?;
    }
    // The dialog, not a button, holds the focus: no ring in the picture.
    app.js("document.querySelector(\"[data-testid='viewer']\").focus();").await?;
    Ok(())
}

async fn lineage(app: &App) -> TestResult {
    app.click("nav button[data-screen='create']").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.find("[data-testid='prompt']").await?.send_keys("a lighthouse on a cliff at dusk, long exposure").await?;
    app.click("[data-testid='generate']").await?;
    let root = newest_done(app, &[]).await?;
    let mut made = vec![root];
    for instruction in ["make it a winter night", "add northern lights over the sea"] {
        let from = *made.last().ok_or("nothing made")?;
        app.click(&format!("[data-testid='result-{from}-0']")).await?;
        wait_until("the viewer", 10, || async { Ok(viewer_id(app).await? == Some(from)) }).await?;
        app.click("[data-testid='viewer-edit']").await?;
        wait_until("the edit form", 10, || async { Ok(viewer_id(app).await?.is_none()) }).await?;
        app.find("[data-testid='prompt']").await?.send_keys(instruction).await?;
        app.click("[data-testid='generate']").await?;
        made.push(newest_done(app, &made).await?);
    }
    open_in_viewer(app, made[1]).await?;
    wait_until("the chain with its thumbnails", 15, || async {
        let ok = app
            .js("const imgs = [...document.querySelectorAll(\"[data-testid='viewer-lineage'] [data-testid='lineage-node'] img\")];
                 return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);")
            .await?;
        Ok(ok.as_bool() == Some(true))
    })
    .await
}

async fn compare(app: &App) -> TestResult {
    app.click("nav button[data-screen='gallery']").await?;
    wait_until("tiles", 30, || async { Ok(app.tile_ids().await?.len() >= 2) }).await?;
    let ids = app.tile_ids().await?;
    // Ctrl+Space selects a tile.
    let select = format!("{}{}{}", char::from(Key::Control), ' ', char::from(Key::Null));
    for id in &ids[..2] {
        let tile = format!("{GALLERY_TILES}[data-id='{id}']");
        app.execute("document.querySelector(arguments[0]).focus();", vec![tile.into()]).await?;
        keys(app, select.clone()).await?;
    }
    app.click("[data-testid='compare-open']").await?;
    wait_until("the parameters", 10, || async { app.exists("[data-testid='compare-diff-row']").await }).await?;
    app.js("document.activeElement && document.activeElement.blur();").await?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> TestResult {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [screen, theme, out] = args.as_slice() else {
        return Err("usage: screenshots <viewer|compare|lineage> <light|dark> <out.png>".into());
    };
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs { run_ms: 300, image_side: Some(1024), ..Knobs::default() });
    let sandbox = Sandbox::new()?.with_replicate(&fake, TOKEN);
    sandbox.cli(&["settings", "set", "theme", theme])?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    if screen != "lineage" {
        sandbox.cli(&["seed", "--count", "40"])?;
        let cli = |model: &str, prompt: &str, ratio: &str| {
            sandbox.cli(&["generate", "--model", model, "--prompt", prompt, "--aspect-ratio", ratio]).map(|_| ())
        };
        cli("flux-dev", "a ceramic teapot shaped like a fox, studio light", "1:1")?;
        cli("flux-1.1-pro", "a harbour at dusk, fishing boats, long exposure", "16:9")?;
    }
    let app = App::launch(&sandbox).await?;
    match screen.as_str() {
        "viewer" => {
            app.click("nav button[data-screen='gallery']").await?;
            wait_until("tiles", 30, || async { Ok(!app.tile_ids().await?.is_empty()) }).await?;
            let newest = *app.tile_ids().await?.first().ok_or("no tiles")?;
            open_in_viewer(&app, newest).await?;
            wait_until("the sharp image", 15, || async {
                let ok = app
                    .js("const i = document.querySelector(\"[data-testid='viewer-image']\");
                         return !!i && i.complete && i.naturalWidth >= 1000;")
                    .await?;
                Ok(ok.as_bool() == Some(true))
            })
            .await?;
        }
        "compare" => compare(&app).await?,
        "lineage" => lineage(&app).await?,
        other => return Err(format!("no screen {other}").into()),
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let status = std::process::Command::new("import").args(["-window", "root", out]).status()?;
    if !status.success() {
        return Err("import failed".into());
    }
    println!("{out}");
    // The picture is taken: a slow exit on a busy machine is not a failure of it.
    if let Err(e) = app.quit().await {
        eprintln!("warning: {e}");
    }
    Ok(())
}
