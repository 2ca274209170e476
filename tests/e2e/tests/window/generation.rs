//! Own-key generation in the real window against the Replicate fake: the key is checked and kept
//! in the keychain, a job shows its progress in the queue, its images appear in the results strip,
//! and after a restart they are in the Gallery and the key is still set. Run by scripts/test.sh.

use std::time::{Duration, Instant};

use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_e2e_fake_token_0001";

/// The statuses the queue item of the newest job has shown, and its id.
const NEWEST_JOB: &str = "const el = document.querySelector(\"[data-testid='queue'] [data-status]\");
    return el ? { id: el.dataset.testid, status: el.dataset.status } : null;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn own_key_generation_shows_progress_and_is_in_the_gallery_after_a_restart() -> TestResult {
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    // Longer than the create's wait, so the job is seen running and then downloading.
    fake.fake.set_knobs(Knobs {
        run_ms: 6500,
        image_side: Some(512),
        delivery_chunk_delay_ms: 150,
        ..Knobs::default()
    });
    let sandbox = Sandbox::new()?.with_env("FLUX_KREA_REPLICATE_URL", &fake.base_url());
    sandbox.forbid_in_logs(TOKEN);
    sandbox.forbid_in_logs("r8_wrong_token");
    sandbox.forbid_in_logs("a lighthouse in fog");

    let app = App::launch(&sandbox).await?;
    // No key yet: the Create screen says so instead of failing later.
    app.click("nav button[data-screen='create']").await?;
    app.find("[data-testid='key-missing']").await?;

    app.click("nav button[data-screen='account']").await?;
    let input = app.find("[data-testid='replicate-key-input']").await?;
    input.send_keys("r8_wrong_token").await?;
    app.click("[data-testid='replicate-key-save']").await?;
    let error = app.find("[data-testid='replicate-key-error']").await?.text().await?;
    assert!(error.contains("did not accept"), "a refused token is explained: {error}");
    let input = app.find("[data-testid='replicate-key-input']").await?;
    input.clear().await?;
    input.send_keys(TOKEN).await?;
    app.click("[data-testid='replicate-key-save']").await?;
    wait_until("the key to be accepted", 15, || async {
        // The card re-renders while saving: a missing element is "not yet".
        Ok(app.text_of("[data-testid='replicate-key-status']").await.contains("fake-user"))
    })
    .await?;
    let page = app.step("the page source", |c| async move { c.source().await }).await?;
    assert!(!page.contains(TOKEN), "the token must not stay in the page");

    app.click("nav button[data-screen='create']").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.find("[data-testid='prompt']").await?.send_keys("a lighthouse in fog, e2e").await?;
    let outputs = app.find("input[data-testid='field-num_outputs']").await?;
    outputs.clear().await?;
    outputs.send_keys("2").await?;
    let estimate = app.find("[data-testid='cost-estimate']").await?.text().await?;
    assert!(estimate.contains("0.006"), "2 × $0.003: {estimate}");
    app.click("[data-testid='generate']").await?;

    let mut seen: Vec<String> = Vec::new();
    let mut job_testid;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = app.js(NEWEST_JOB).await?;
        if let Some(status) = v["status"].as_str() {
            job_testid = v["id"].as_str().unwrap_or_default().to_string();
            if seen.last().map(String::as_str) != Some(status) {
                seen.push(status.to_string());
            }
            if status == "done" || status == "failed" {
                break;
            }
        }
        if Instant::now() > deadline {
            return Err(format!("the job did not finish; statuses seen: {seen:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen.last().map(String::as_str), Some("done"), "statuses seen: {seen:?}");
    assert!(seen.iter().any(|s| s == "running"), "progress was visible: {seen:?}");
    let job_id: i64 = job_testid.trim_start_matches("job-").parse()?;
    wait_until("two results", 10, || async {
        let n =
            app.js(&format!("return document.querySelectorAll(\"[data-testid^='result-{job_id}-']\").length;")).await?;
        Ok(n.as_u64() == Some(2))
    })
    .await?;
    assert_eq!(fake.fake.creates(), 1);
    app.quit().await?;

    // After a restart: the images are in the Gallery and the key is still in the keychain.
    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='gallery']").await?;
    let tile = format!("[data-testid='gallery-grid'] button.tile[data-id='{job_id}']");
    app.find(&tile).await?;
    wait_until("the thumbnail to decode", 10, || async {
        let ok = app.execute("const i = document.querySelector(arguments[0] + ' img'); return !!i && i.complete && i.naturalWidth > 0;", vec![tile.clone().into()])
            .await?;
        Ok(ok.as_bool() == Some(true))
    })
    .await?;
    app.click("nav button[data-screen='account']").await?;
    wait_until("the key status", 10, || async {
        // The card re-renders while saving: a missing element is "not yet".
        Ok(app.text_of("[data-testid='replicate-key-status']").await.contains("fake-user"))
    })
    .await?;
    app.quit().await?;
    // The log never saw the prompt or the token.
    for entry in std::fs::read_dir(sandbox.log_dir())? {
        let text = std::fs::read_to_string(entry?.path())?;
        assert!(!text.contains(TOKEN) && !text.contains("lighthouse in fog"), "secret or prompt in the log");
    }
    Ok(())
}
