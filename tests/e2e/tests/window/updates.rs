//! Signed updates in the real window, against a local update server (`flux_krea_fakes::updates`).
//! scripts/test-in-session.sh builds the app with a test feed through `TAURI_CONFIG`: the test
//! key's public half and `http://127.0.0.1:$FLUX_KREA_UPDATE_TEST_PORT/stable/latest.json`. The
//! committed config has neither.
//!
//! Installing is the one step not run here: the test binary was not installed from a package, and
//! the app refuses to overwrite such a copy. Everything up to it is: check, download with
//! progress, signature verification, waiting for running generations.

use std::time::{Duration, Instant};

use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};
use flux_krea_fakes::updates::{Artifact, Feed, UpdateKnobs, UpdateServer, ARTIFACT_NAME, BETA_VERSION};
use flux_krea_fakes::RunningFake;

fn port() -> u16 {
    std::env::var("FLUX_KREA_UPDATE_TEST_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(47391)
}

async fn serve(knobs: UpdateKnobs) -> TestResult<(UpdateServer, RunningFake)> {
    let server = UpdateServer::new(knobs);
    let running = server.start_on(port()).await.map_err(|e| format!("update server on port {}: {e}", port()))?;
    Ok((server, running))
}

fn release() -> UpdateKnobs {
    UpdateKnobs { stable: Feed::Release, ..Default::default() }
}

/// Polls the text of `css` every 100 ms until `done` accepts it; returns that text.
async fn text_when(app: &App, css: &str, what: &str, secs: u64, done: impl Fn(&str) -> bool) -> TestResult<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = app.text_of(css).await;
        if done(&text) {
            return Ok(text);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}; last text: {text:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Settings screen's status line after pressing "Check for updates".
async fn check_now(app: &App) -> TestResult<String> {
    app.click("nav button[data-screen='settings']").await?;
    app.click("[data-testid='update-check']").await?;
    text_when(app, "[data-testid='update-status']", "the check to finish", 20, |t| {
        !t.is_empty() && !t.to_lowercase().contains("checking")
    })
    .await
}

async fn banner_message(app: &App, what: &str) -> TestResult<String> {
    text_when(app, "[data-testid='update-message']", what, 30, |t| !t.is_empty()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn no_update_is_quiet_and_feed_failures_are_explained_in_settings() -> TestResult {
    let (server, running) = serve(UpdateKnobs::default()).await?;
    let sandbox = Sandbox::new()?;
    let app = App::launch(&sandbox).await?;

    // 204: the check at start-up says "up to date" in Settings and shows no banner.
    wait_until("the start-up check", 20, || async {
        Ok(server.requests().contains(&"GET /stable/latest.json".into()))
    })
    .await?;
    let line = check_now(&app).await?;
    assert!(line.to_lowercase().contains("up to date"), "204 means up to date: {line}");
    assert!(!app.exists("[data-testid='update-banner']").await?);

    for (feed, expected) in [
        (Feed::Malformed, "cannot read"),
        (Feed::WrongShape, "cannot read"),
        (Feed::ServerError, "answered with an error"),
    ] {
        server.set_knobs(UpdateKnobs { stable: feed, ..Default::default() });
        let line = check_now(&app).await?;
        assert!(line.contains(expected), "{feed:?}: {line}");
        assert!(
            !app.exists("[data-testid='update-banner']").await?,
            "a failed check does not raise the banner ({feed:?})"
        );
    }

    // The server goes away: no network.
    drop(running);
    let line = check_now(&app).await?;
    assert!(line.contains("Couldn't reach the update server"), "{line}");
    app.quit().await?;
    sandbox.scan_logs()?;
    let log = std::fs::read_dir(sandbox.log_dir())?
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect::<String>();
    assert!(log.contains("update failed"), "failures are logged");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn a_signed_update_downloads_with_progress_waits_for_a_generation_and_is_verified() -> TestResult {
    const TOKEN: &str = "r8_e2e_update_token";
    let (server, _running) = serve(UpdateKnobs { chunk_delay_ms: 250, ..release() }).await?;
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs { run_ms: 9000, image_side: Some(256), ..Knobs::default() });
    let sandbox = Sandbox::new()?.with_replicate(&fake, TOKEN);
    let app = App::launch(&sandbox).await?;

    // The banner appears by itself after the start-up check, with the version and the notes.
    let version = app.find("[data-testid='update-version']").await;
    let version = match version {
        Ok(el) => el.text().await?,
        Err(_) => {
            wait_until("the update banner", 20, || async {
                Ok(!app.text_of("[data-testid='update-version']").await.is_empty())
            })
            .await?;
            app.text_of("[data-testid='update-version']").await
        }
    };
    assert!(version.contains("9.9.9"), "{version}");
    assert!(app.text_of("[data-testid='update-notes']").await.contains("Faster gallery scrolling"));

    // A generation is running: the verified update waits for it.
    app.click("nav button[data-screen='create']").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.find("[data-testid='prompt']").await?.send_keys("a kite over dunes").await?;
    app.click("[data-testid='generate']").await?;
    wait_until("the job to run", 20, || async {
        let v = app.js("const el = document.querySelector(\"[data-testid='queue'] [data-status]\"); return el ? el.dataset.status : null;").await?;
        Ok(matches!(v.as_str(), Some("submitted" | "running")))
    })
    .await?;

    app.click("[data-testid='update-install']").await?;
    let (mut saw_progress, mut saw_waiting) = (false, false);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        saw_progress |= app.exists("[data-testid='update-progress']").await?;
        let text = app.text_of("[data-testid='update-banner']").await;
        saw_waiting |= text.contains("running generation");
        if text.contains("not installed from a package") {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the install did not stop short of replacing this copy; banner: {text:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saw_progress, "download progress is shown");
    assert!(saw_waiting, "the update waited for the running generation");
    let status = app
        .js("const el = document.querySelector(\"[data-testid='queue'] [data-status]\"); return el.dataset.status;")
        .await?;
    assert_eq!(status.as_str(), Some("done"), "the generation finished before the install step");
    assert!(server.requests().contains(&format!("GET /download/{ARTIFACT_NAME}")));
    let message = banner_message(&app, "the outcome").await?;
    assert!(message.contains("downloaded and verified"), "{message}");

    // Skip this version: no banner, and the next check says so.
    app.click("[data-testid='update-skip']").await?;
    let line = check_now(&app).await?;
    assert!(line.to_lowercase().contains("up to date") || line.contains("skipped"), "{line}");
    assert!(!app.exists("[data-testid='update-banner']").await?);
    app.quit().await?;
    sandbox.scan_logs()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn tampered_or_foreign_signed_downloads_are_refused() -> TestResult {
    for artifact in [Artifact::Tampered, Artifact::OtherKey] {
        let (server, running) = serve(UpdateKnobs { artifact, ..release() }).await?;
        let sandbox = Sandbox::new()?;
        let app = App::launch(&sandbox).await?;
        wait_until("the update banner", 20, || async {
            Ok(app.text_of("[data-testid='update-version']").await.contains("9.9.9"))
        })
        .await?;
        app.click("[data-testid='update-install']").await?;
        let message = banner_message(&app, "the refusal").await?;
        assert!(message.contains("not signed by Flux Krea's release key"), "{artifact:?}: {message}");
        assert!(server.requests().contains(&format!("GET /download/{ARTIFACT_NAME}")));
        // Still this version, still running.
        app.click("nav button[data-screen='settings']").await?;
        assert!(app.text_of("[data-testid='update-current-version']").await.contains(env!("CARGO_PKG_VERSION")));
        app.quit().await?;
        drop(running);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn the_beta_channel_reads_its_own_feed_and_is_remembered() -> TestResult {
    let (server, _running) = serve(UpdateKnobs { beta: Feed::Release, ..Default::default() }).await?;
    let sandbox = Sandbox::new()?;
    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='settings']").await?;
    app.click("[data-testid='update-channel-beta']").await?;
    wait_until("the beta offer", 20, || async {
        Ok(app.text_of("[data-testid='update-version']").await.contains(BETA_VERSION))
    })
    .await?;
    assert!(server.requests().contains(&"GET /beta/latest.json".into()));
    app.quit().await?;

    // The CLI reads the same preference.
    let prefs = sandbox.cli(&["update", "status", "--json"])?;
    assert!(prefs.contains("\"channel\": \"beta\"") || prefs.contains("\"channel\":\"beta\""), "{prefs}");
    Ok(())
}
