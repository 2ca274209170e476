//! Account mode in the real window against the real platform service (Postgres, S3, the Google,
//! Stripe and Replicate fakes): confirm the age, sign in with Google (the test plays the system
//! browser: the broker, Google's consent, the broker's callback, then the app's loopback
//! callback), buy a pack on Stripe's checkout page (its signed webhook grants it), generate with
//! credits and watch the balance fall; a consent is synced to the platform and account deletion
//! is requested, each checked in the service's database; signed out, back in with GitHub (the
//! same verified address: the same account). Then no token is in any IPC answer, the
//! page, a file of the data folder or a log line.
//! Run by scripts/test.sh.

use flux_krea_core::secrets::KeychainEntry;
use flux_krea_e2e::account::{credits_shown, files_under, FakeBrowser};
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::github::GithubUser;
use flux_krea_fakes::replicate::Knobs;
use flux_krea_platform::testing::sqlx;

use crate::service;

const PROMPT: &str = "a paper boat on a puddle, e2e credits";

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
    let platform = service::start().await;
    platform.replicate().set_knobs(Knobs { image_side: Some(256), run_ms: 1500, ..Knobs::default() });
    let sandbox = Sandbox::new()?;
    let browser = FakeBrowser::new(sandbox.path())?;
    let sandbox = sandbox
        .with_env("FLUX_KREA_PLATFORM_URL", platform.url())
        .with_env("FLUX_KREA_PLATFORM_ANON_KEY", platform.anon_key())
        .with_env("FLUX_KREA_BROWSER", &browser.program.display().to_string());
    sandbox.forbid_in_logs(PROMPT);
    sandbox.forbid_in_logs(service::EMAIL);
    KeychainEntry::new("platform-session").delete()?;

    let app = App::launch(&sandbox).await?;
    browser.sign_in_google(&app, platform.url(), service::NAME, true).await?;
    wait_until("the first balance", 10, || async {
        Ok(credits_shown(&app, "[data-testid='account-balance']").await == Some(service::SIGNUP_CREDITS))
    })
    .await?;

    // Buy 100 credits: the checkout page opens in the browser, the user pays there.
    browser.buy(&app, "pack_100", 100, 120).await?;
    wait_until("the purchase in the ledger", 10, || async {
        let n = app
            .js("return document.querySelectorAll(\"[data-testid='ledger-entry'][data-reason='purchase']\").length;")
            .await?;
        Ok(n.as_u64() == Some(1))
    })
    .await?;
    // Granted once, by Stripe's signed webhook: the session is complete at the service.
    let checkouts: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, credits FROM checkouts").fetch_all(platform.db()).await?;
    assert_eq!(checkouts, vec![("complete".to_string(), 100)]);
    let delivered = platform.stripe().deliveries();
    assert!(
        delivered.iter().any(|d| d.kind == "checkout.session.completed" && d.ok()),
        "Stripe's webhook was not accepted: {delivered:?}"
    );

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
    service::wait_settled(&platform).await?;
    let (balance, ledger) = service::ledger(&platform).await?;
    assert_eq!(balance, 118, "{ledger:?}");
    assert_eq!(ledger.iter().filter_map(|e| e["delta"].as_i64()).sum::<i64>(), 118, "the ledger sums to it");

    // No token anywhere the window can see, in the data folder, or (at the end) in the logs.
    let session: serde_json::Value = serde_json::from_str(
        KeychainEntry::new("platform-session").get()?.ok_or("no session in the keychain")?.expose(),
    )?;
    let tokens: Vec<String> =
        ["access_token", "refresh_token"].iter().map(|k| session[k].as_str().unwrap_or_default().to_string()).collect();
    assert!(tokens.iter().all(|t| t.len() > 10), "the session holds real tokens");
    let answers = app.execute_async(IPC_ANSWERS, vec![]).await?;
    let answers = answers.as_str().unwrap_or_default();
    assert!(answers.contains("Ada Lovelace") && answers.contains("\"credits\":118"), "the IPC answers were read");
    for token in &tokens {
        assert!(!answers.contains(token.as_str()), "a token reached the webview");
        sandbox.forbid_in_logs(token);
        for file in files_under(&sandbox.data_dir()) {
            let bytes = std::fs::read(&file)?;
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "a token is in {}", file.display());
        }
    }

    // Signed in, the rights reach the platform: a consent is synced, account deletion is asked.
    app.click("nav button[data-screen='privacy']").await?;
    app.click("[data-testid='consent-marketing_emails']").await?;
    wait_until("the consent at the platform", 10, || async {
        let granted: Option<bool> = sqlx::query_scalar("SELECT granted FROM consents WHERE kind = 'marketing_emails'")
            .fetch_optional(platform.db())
            .await?;
        Ok(granted == Some(true))
    })
    .await?;
    app.click("[data-testid='request-deletion']").await?;
    app.click("[data-testid='request-deletion-confirm']").await?;
    app.find("[data-testid='deletion-request']").await?;
    let shown = app.attr("[data-testid='deletion-request']", "data-request-id").await?.unwrap_or_default();
    let asked: Vec<String> = sqlx::query_scalar("SELECT id FROM deletion_requests WHERE cancelled_at IS NULL")
        .fetch_all(platform.db())
        .await?;
    assert_eq!(asked, vec![shown.clone()], "one request, and its id is shown");
    // Withdrawn from the window: the service cancels it, and the screen says it was withdrawn.
    app.click("[data-testid='cancel-deletion']").await?;
    wait_until("the withdrawn request", 10, || async {
        // Read in one script: the pending paragraph is replaced by the withdrawn one meanwhile.
        let status = app
            .js("return document.querySelector(\"[data-testid='deletion-request']\")?.dataset.status ?? null;")
            .await?;
        Ok(status.as_str() == Some("cancelled"))
    })
    .await?;
    let cancelled: Vec<String> = sqlx::query_scalar("SELECT id FROM deletion_requests WHERE cancelled_at IS NOT NULL")
        .fetch_all(platform.db())
        .await?;
    assert_eq!(cancelled, vec![shown], "the same request, cancelled at the service");

    // Sign out: the platform ends the session and the keychain forgets it.
    app.click("nav button[data-screen='account']").await?;
    app.click("[data-testid='sign-out']").await?;
    app.find("[data-testid='sign-in-google']").await?;
    let live: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE ended_at IS NULL").fetch_one(platform.db()).await?;
    assert_eq!(live, 0, "the session ended at the service");
    assert!(KeychainEntry::new("platform-session").get()?.is_none());

    // Back with GitHub, whose verified address is the same: the same account, credits and all.
    platform.github().set_user(GithubUser {
        id: 5_830_101,
        login: "ada-l".into(),
        name: Some(service::NAME.into()),
        email: service::EMAIL.into(),
        email_verified: true,
        public_email: false,
    });
    browser.sign_in(&app, platform.url(), "github", service::NAME, false).await?;
    wait_until("the linked account's balance", 10, || async {
        Ok(credits_shown(&app, "[data-testid='account-balance']").await == Some(118))
    })
    .await?;
    let (users, identities): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM identities)")
            .fetch_one(platform.db())
            .await?;
    assert_eq!((users, identities), (1, 2), "one user with a Google and a GitHub identity");
    app.click("[data-testid='sign-out']").await?;
    app.find("[data-testid='sign-in-google']").await?;
    app.quit().await?;
    sandbox.scan_logs()
}
