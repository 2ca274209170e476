//! Create's results in the real window (#19): a job of four images against the Replicate fake shows
//! four large tiles; Enter on the second opens the viewer on that image (its own file, not the
//! job's first), → flips to the third, and Esc returns the focus to the third tile, with the queue
//! still on the screen. Run by scripts/test.sh.

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_e2e_results_01";

/// The newest job's id once it is done, else null.
const DONE_JOB: &str = "const e = document.querySelector(\"[data-testid='queue'] [data-status]\");
    return e && e.dataset.status === 'done' ? Number(e.dataset.testid.replace('job-', '')) : null;";

async fn press(app: &App, key: Key) -> TestResult {
    let text = char::from(key).to_string();
    app.step("a key press", |c| async move { c.active_element().await?.send_keys(&text).await }).await
}

/// The viewer's generation and image index, or None when it is closed.
async fn viewer(app: &App) -> TestResult<Option<(i64, i64)>> {
    let v = app
        .js("const v = document.querySelector(\"[data-testid='viewer']\");
             return v ? [Number(v.dataset.id), Number(v.dataset.image)] : null;")
        .await?;
    Ok(v.as_array().map(|a| (a[0].as_i64().unwrap_or(-1), a[1].as_i64().unwrap_or(-1))))
}

/// Whether the viewer's picture is this file (its name; the asset URL encodes the folders).
async fn viewer_shows(app: &App, file: &str) -> TestResult<bool> {
    let name = file.rsplit('/').next().unwrap_or(file).to_string();
    let v = app
        .execute(
            "const i = document.querySelector(\"[data-testid='viewer-image']\");
             return !!i && decodeURIComponent(i.getAttribute('src') || '').endsWith(arguments[0]);",
            vec![name.into()],
        )
        .await?;
    Ok(v.as_bool() == Some(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn four_results_open_in_the_viewer_flip_and_return_to_their_tile() -> TestResult {
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs { image_side: Some(256), run_ms: 500, ..Knobs::default() });
    let sandbox = Sandbox::new()?.with_replicate(&fake, TOKEN);

    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='create']").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.find("[data-testid='prompt']").await?.send_keys("four results, e2e").await?;
    let outputs = app.find("input[data-testid='field-num_outputs']").await?;
    outputs.clear().await?;
    outputs.send_keys("4").await?;
    app.click("[data-testid='generate']").await?;
    // The job re-renders as it changes: read by script, a missing element being "not yet".
    wait_until("the job to finish", 60, || async { Ok(app.js(DONE_JOB).await?.as_i64().is_some()) }).await?;
    let made = app.js(DONE_JOB).await?.as_i64().ok_or("no finished job")?;

    // Four large tiles, one per image.
    let large = format!("[data-testid='results'] .latest [data-testid^='result-{made}-']");
    wait_until("four large tiles", 15, || async {
        let n =
            app.execute("return document.querySelectorAll(arguments[0]).length;", vec![large.clone().into()]).await?;
        Ok(n.as_u64() == Some(4))
    })
    .await?;
    let shown: serde_json::Value = serde_json::from_str(&sandbox.cli(&["history", "show", &made.to_string()])?)?;
    let files: Vec<String> = shown["images"]
        .as_array()
        .ok_or("no images")?
        .iter()
        .filter_map(|i| i["file"].as_str().map(String::from))
        .collect();
    assert_eq!(files.len(), 4, "the job kept four images");

    // Enter on the second tile: the viewer on image 2, its own file.
    app.execute(
        "document.querySelector(arguments[0]).focus();",
        vec![format!("[data-testid='result-{made}-1']").into()],
    )
    .await?;
    press(&app, Key::Enter).await?;
    wait_until("the viewer on the second image", 10, || async { Ok(viewer(&app).await? == Some((made, 1))) }).await?;
    wait_until("the second image's file", 10, || async { viewer_shows(&app, &files[1]).await }).await?;

    // → to the third.
    press(&app, Key::Right).await?;
    wait_until("→ to the third image", 10, || async { Ok(viewer(&app).await? == Some((made, 2))) }).await?;
    wait_until("the third image's file", 10, || async { viewer_shows(&app, &files[2]).await }).await?;

    // Esc: back on Create, the third tile focused, the queue still there.
    press(&app, Key::Escape).await?;
    wait_until("the viewer to close", 10, || async { Ok(viewer(&app).await?.is_none()) }).await?;
    let focused = app.js("return document.activeElement && document.activeElement.dataset.testid;").await?;
    assert_eq!(focused.as_str(), Some(format!("result-{made}-2").as_str()), "focus returns to the third tile");
    let queue = app
        .js("const r = document.querySelector(\"[data-testid='queue']\").getBoundingClientRect();
             return r.width > 0 && r.height > 0 && r.top < window.innerHeight && r.left < window.innerWidth;")
        .await?;
    assert_eq!(queue.as_bool(), Some(true), "the queue stays on the screen");
    assert!(app.exists("main[data-screen='create']").await?, "still on Create");
    app.quit().await
}
