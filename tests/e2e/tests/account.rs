//! Account mode in the real window against the platform fake: confirm the age, sign in with
//! Google (the test plays the system browser: the broker's redirect, then the app's loopback
//! callback), buy a pack on the checkout page, generate with credits and watch the balance fall;
//! a consent is synced to the platform and account deletion is requested. Then no token is in any IPC answer, the page, a file of the data folder or a log line.
//! Run by scripts/test.sh.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flux_krea_core::secrets::KeychainEntry;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::platform::{RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::Knobs;

const PROMPT: &str = "a paper boat on a puddle, e2e credits";

/// A stand-in for the system browser: it only writes down the URLs the app asks it to open.
fn fake_browser(dir: &Path) -> TestResult<(PathBuf, PathBuf)> {
    let log = dir.join("opened-urls.txt");
    let script = dir.join("browser.sh");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok((script, log))
}

/// Waits for the app to open its `n`-th URL (1-based) and returns it.
async fn opened_url(log: &Path, n: usize) -> TestResult<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let lines: Vec<String> = std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_string).collect();
        if let Some(url) = lines.get(n - 1) {
            return Ok(url.clone());
        }
        if Instant::now() > deadline {
            return Err(format!("the app did not open URL #{n} in the browser").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn credits_shown(app: &App, css: &str) -> Option<i64> {
    app.attr(css, "data-credits").await.ok().flatten().and_then(|v| v.parse().ok())
}

/// Every read command the window can call, through the real IPC, as one JSON text.
const IPC_ANSWERS: &str = "
    const done = arguments[arguments.length - 1];
    const cmds = ['account_status', 'refresh_balance', 'credit_packs', 'credit_prices', 'app_info',
      'get_settings', 'replicate_key_status', 'consents', 'privacy_requests', 'privacy_report', 'spend_summary'];
    const calls = cmds.map((c) => window.__TAURI_INTERNALS__.invoke(c, {}).then((r) => [c, r], (e) => [c, e]));
    calls.push(window.__TAURI_INTERNALS__.invoke('credit_ledger', { cursor: null }).then((r) => ['ledger', r], (e) => ['ledger', e]));
    calls.push(window.__TAURI_INTERNALS__.invoke('queue_state', {}).then((r) => ['queue', r], (e) => ['queue', e]));
    Promise.all(calls).then((all) => done(JSON.stringify(all) + document.documentElement.outerHTML));";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn sign_in_buy_credits_generate_and_see_the_balance_fall() -> TestResult {
    let platform = RunningPlatform::start().await?;
    platform.fake.replicate().set_knobs(Knobs { image_side: Some(256), run_ms: 1500, ..Knobs::default() });
    let sandbox = Sandbox::new()?;
    let (browser, opened) = fake_browser(sandbox.path())?;
    let sandbox = sandbox
        .with_env("FLUX_KREA_PLATFORM_URL", &platform.url())
        .with_env("FLUX_KREA_PLATFORM_ANON_KEY", ANON_KEY)
        .with_env("FLUX_KREA_BROWSER", &browser.display().to_string());
    sandbox.forbid_in_logs(PROMPT);
    sandbox.forbid_in_logs("ada@example.com");
    KeychainEntry::new("platform-session").delete()?;

    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='account']").await?;
    // The first sign-in asks for the age confirmation; the buttons wait for it.
    app.click("[data-testid='age-confirm']").await?;
    app.click("[data-testid='sign-in-google']").await?;
    app.find("[data-testid='sign-in-waiting']").await?;

    // The browser: the broker signs Ada in and redirects to the app's loopback callback.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let authorize = opened_url(&opened, 1).await?;
    assert!(authorize.starts_with(&format!("{}/auth/v1/authorize?provider=google", platform.url())), "{authorize}");
    let redirect = http.get(&authorize).send().await?;
    let callback = redirect.headers()["location"].to_str()?.to_string();
    let page = http.get(&callback).send().await?.text().await?;
    assert!(page.contains("You can close this tab"), "{page}");

    wait_until("the profile", 15, || async {
        Ok(app.text_of("[data-testid='account-name']").await.contains("Ada Lovelace"))
    })
    .await?;
    wait_until("the first balance", 10, || async {
        Ok(credits_shown(&app, "[data-testid='account-balance']").await == Some(20))
    })
    .await?;

    // Buy 100 credits: the checkout page opens in the browser, the user pays there.
    app.click("[data-testid='buy-pack_100']").await?;
    app.find("[data-testid='checkout-waiting']").await?;
    let checkout = opened_url(&opened, 2).await?;
    let session = checkout.rsplit('/').next().unwrap_or_default().to_string();
    let page = http.get(&checkout).send().await?.text().await?;
    assert!(page.contains("100 credits"), "the checkout page names the pack: {page}");
    let paid = http.post(format!("{checkout}/pay")).send().await?;
    assert!(paid.status().is_success() || paid.status().is_redirection(), "paying {session}: {}", paid.status());
    wait_until("the purchase to land", 20, || async {
        Ok(credits_shown(&app, "[data-testid='account-balance']").await == Some(120))
    })
    .await?;
    app.find("[data-testid='checkout-result']").await?;
    wait_until("the purchase in the ledger", 10, || async {
        let n = app
            .js("return document.querySelectorAll(\"[data-testid='ledger-entry'][data-reason='purchase']\").length;")
            .await?;
        Ok(n.as_u64() == Some(1))
    })
    .await?;

    // Generate two images with credits: the Create screen shows the balance and the estimate.
    app.click("nav button[data-screen='create']").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.find("[data-testid='prompt']").await?.send_keys(PROMPT).await?;
    let outputs = app.find("input[data-testid='field-num_outputs']").await?;
    outputs.clear().await?;
    outputs.send_keys("2").await?;
    wait_until("the balance on the Create screen", 10, || async {
        Ok(credits_shown(&app, "[data-testid='create-balance']").await == Some(120))
    })
    .await?;
    let estimate = app.text_of("[data-testid='cost-estimate']").await;
    assert!(estimate.contains("2 credits"), "1 credit × 2 images: {estimate}");
    app.click("[data-testid='generate']").await?;
    wait_until("the job to finish", 60, || async {
        let s = app.js("const el = document.querySelector(\"[data-testid='queue'] [data-status]\"); return el ? el.dataset.status : null;").await?;
        Ok(matches!(s.as_str(), Some("done") | Some("failed")))
    })
    .await?;
    let status =
        app.js("return document.querySelector(\"[data-testid='queue'] [data-status]\").dataset.status;").await?;
    assert_eq!(status.as_str(), Some("done"));
    wait_until("the balance to fall by 2", 15, || async {
        Ok(credits_shown(&app, "[data-testid='create-balance']").await == Some(118))
    })
    .await?;
    assert_eq!(platform.fake.balance("ada@example.com"), Some(118));

    // No token anywhere the window can see, in the data folder, or (at the end) in the logs.
    let session: serde_json::Value = serde_json::from_str(
        KeychainEntry::new("platform-session").get()?.ok_or("no session in the keychain")?.expose(),
    )?;
    let tokens: Vec<String> =
        ["access_token", "refresh_token"].iter().map(|k| session[k].as_str().unwrap_or_default().to_string()).collect();
    assert!(tokens.iter().all(|t| t.len() > 10), "the session holds real tokens");
    let answers = app.client.execute_async(IPC_ANSWERS, vec![]).await?;
    let answers = answers.as_str().unwrap_or_default();
    assert!(answers.contains("Ada Lovelace") && answers.contains("\"credits\":118"), "the IPC answers were read");
    for token in &tokens {
        assert!(!answers.contains(token.as_str()), "a token reached the webview");
        sandbox.forbid_in_logs(token);
        for file in walk(&sandbox.data_dir()) {
            let bytes = std::fs::read(&file)?;
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "a token is in {}", file.display());
        }
    }

    // Signed in, the rights reach the platform: a consent is synced, account deletion is asked.
    app.click("nav button[data-screen='privacy']").await?;
    app.click("[data-testid='consent-marketing_emails']").await?;
    wait_until("the consent at the platform", 10, || async {
        Ok(platform.fake.consents("ada@example.com").is_some_and(|c| c["marketing_emails"]["granted"] == true))
    })
    .await?;
    app.click("[data-testid='request-deletion']").await?;
    app.click("[data-testid='request-deletion-confirm']").await?;
    app.find("[data-testid='deletion-request']").await?;
    let shown = app.attr("[data-testid='deletion-request']", "data-request-id").await?.unwrap_or_default();
    let asked = platform.fake.deletion_requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["request_id"].as_str(), Some(shown.as_str()), "the request id is shown");

    // Sign out: the platform ends the session and the keychain forgets it.
    app.click("nav button[data-screen='account']").await?;
    app.click("[data-testid='sign-out']").await?;
    app.find("[data-testid='sign-in-google']").await?;
    assert_eq!(platform.fake.live_sessions(), 0);
    assert!(KeychainEntry::new("platform-session").get()?.is_none());
    app.quit().await?;
    sandbox.scan_logs()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}
