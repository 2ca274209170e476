//! One user's whole journey in the real window: sign in → buy a pack →
//! generate with two models (one from a pasted picture) → cancel a job → find the results by
//! search → favourite one → export data → erase prompts → shorten retention so older items
//! purge → restart offline → browse the gallery → sign out (offline; ended at the service once back).
//!
//! Against the real platform service (Postgres, S3, the service in-process; Google, Stripe and
//! Replicate as fakes): the browser signs in through Google's consent and the broker, pays on
//! Stripe's page (its signed webhook grants the pack), and the books are read from the service's
//! database. It runs once clean and once with faults: a 429 and a 503 from Replicate on the
//! create (the service refunds and passes them on; the app tries again), a connection reset and
//! a slow delivery host on the service's copy of the outputs, and through proxies in front of
//! the service and its storage a 503 from the platform, an output download cut mid-body and
//! slow downloads; and a SIGKILL of the app while a generation runs. Either way the journey
//! completes, the ledger balances to the credit, no image is lost or duplicated, no partial file
//! remains, and no log line of the app or the service holds a secret or a prompt. Run by
//! scripts/test.sh.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::{Duration, Instant};

use flux_krea_core::secrets::KeychainEntry;
use flux_krea_e2e::account::{credits_shown, files_under, FakeBrowser};
use flux_krea_e2e::faults::{FaultProxy, Faults};
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};
use flux_krea_fakes::replicate::{Knobs, ReplicateFake};
use flux_krea_fakes::stripe::StripeKnobs;
use flux_krea_platform::testing::{sqlx, Stack};
use serde_json::Value;

use crate::service;

const HERON: &str = "a quetzal heron wading at dawn, journey";
const SKETCH: &str = "a quetzal heron in watercolour from my sketch, journey";
const LANTERN: &str = "a paper lantern drifting, journey cancel";
/// Credits per image on the platform (its catalogue).
const SCHNELL: i64 = 1;
const DEV: i64 = 5;
/// The user's first grant and the pack bought.
const GRANT: i64 = service::SIGNUP_CREDITS;
const PACK: i64 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn the_whole_journey_clean() -> TestResult {
    let stack = service::start().await;
    let api = FaultProxy::start(stack.url()).await?;
    journey(Platform { stack, api, storage: None }, false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn the_whole_journey_survives_faults_and_a_sigkill() -> TestResult {
    // Proxies in front of the S3 server and of the service inject what the service has no
    // switch for: a 503 from the platform, an output's download cut mid-body, slow downloads.
    let storage = FaultProxy::start(&service::s3_endpoint()).await?;
    let stack = service::start_with_storage_at(&storage.url()).await;
    let api = FaultProxy::start(stack.url()).await?;
    journey(Platform { stack, api, storage: Some(storage) }, true).await
}

/// The real service, the proxy the app reaches it through (which takes it offline, and injects
/// faults), and in the fault run the one in front of its storage.
struct Platform {
    stack: Stack,
    api: FaultProxy,
    storage: Option<FaultProxy>,
}

impl Platform {
    /// Where the app reaches the service.
    fn url(&self) -> String {
        self.api.url()
    }

    /// Arms the faults in front of the service (Replicate's are its fake's knobs): a 503 on the
    /// next API call, the next download of an output cut mid-body, every download slow to start.
    fn inject_faults(&self) {
        self.api.set(Faults { unavailable: 1, unavailable_prefix: "/api/v1/".into(), ..Faults::default() });
        if let Some(storage) = &self.storage {
            storage.set(Faults { reset_downloads: 1, download_latency_ms: 1200, ..Faults::default() });
        }
    }

    /// Checks every fault armed by [`Platform::inject_faults`] fired, then clears them.
    fn check_faults_fired(&self) {
        for proxy in [Some(&self.api), self.storage.as_ref()].into_iter().flatten() {
            let f = proxy.faults();
            assert_eq!((f.unavailable, f.reset_downloads), (0, 0), "faults left unfired: {f:?}");
            proxy.set(Faults::default());
        }
    }

    /// The user's balance and ledger entries (`delta`, `reason`, `prediction_id`), once every
    /// prediction is settled.
    async fn books(&self) -> TestResult<(i64, Vec<Value>)> {
        service::wait_settled(&self.stack).await?;
        service::ledger(&self.stack).await
    }

    /// The service's predictions that reached Replicate: its ids (as the app records them) and
    /// Replicate's. (A create Replicate refused leaves a row, refunded in full, and no prediction.)
    async fn predictions(&self) -> TestResult<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, replicate_id FROM predictions WHERE replicate_id IS NOT NULL ORDER BY created_at",
        )
        .fetch_all(self.stack.db())
        .await?)
    }
}

fn knobs(run_ms: u64, faults: bool) -> Knobs {
    let mut k = Knobs { image_side: Some(256), run_ms, ..Knobs::default() };
    if faults {
        // Each countdown fires on the next request of its kind, then the service behaves.
        k.throttle = 1;
        k.retry_after_s = Some(1);
        k.server_errors = 1;
        k.reset_downloads = 1;
        k.delivery_latency_ms = 1200;
        k.delivery_chunk_delay_ms = 150;
    }
    k
}

async fn journey(platform: Platform, faults: bool) -> TestResult {
    let replicate = platform.stack.replicate().clone();
    replicate.set_knobs(knobs(1500, false));
    let sandbox = Sandbox::new()?;
    let browser = FakeBrowser::new(sandbox.path())?;
    let downloads = sandbox.downloads_folder()?;
    let sandbox = sandbox
        .with_env("FLUX_KREA_PLATFORM_URL", &platform.url())
        .with_env("FLUX_KREA_PLATFORM_ANON_KEY", platform.stack.anon_key())
        .with_env("FLUX_KREA_BROWSER", &browser.program.display().to_string());
    for secret in [HERON, SKETCH, LANTERN, service::EMAIL] {
        sandbox.forbid_in_logs(secret);
    }
    KeychainEntry::new("platform-session").delete()?;
    KeychainEntry::new("platform-session-ending").delete()?;
    // Older history (synthetic, spread over 18 months) for the retention change to purge.
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "60"])?;

    let app = App::launch(&sandbox).await?;
    browser.sign_in_google(&app, &platform.url(), service::NAME, true).await?;
    // Paid on Stripe's page while another user pays for theirs. Stripe's webhooks are held back:
    // the app's polling lands the purchase (the service asks Stripe about an open checkout);
    // then every event arrives three times, shuffled with the other user's. One grant each.
    let stripe = platform.stack.stripe();
    stripe.set_knobs(StripeKnobs { times: 3, shuffle: true, hold: true, ..StripeKnobs::default() });
    service::another_user_buys(&platform.stack, "pack_500").await?;
    browser.buy(&app, "pack_100", PACK, GRANT + PACK).await?;
    assert!(stripe.release() >= 2, "both payments' events were held");
    wait_until("Stripe's deliveries, three of each", 20, || async {
        Ok(stripe.deliveries().iter().filter(|d| d.kind == "checkout.session.completed" && d.ok()).count() == 6)
    })
    .await?;
    wait_until("the other user's pack, by webhook", 10, || async {
        Ok(service::balance(&platform.stack, service::OTHER_EMAIL).await? == GRANT + 500)
    })
    .await?;

    // Two models: Schnell ×2 from text, Dev from a pasted picture. In the clean run the safety
    // filter drops one of the two Schnell images: the service refunds it.
    let heron_images = if faults { 2 } else { 1 };
    if faults {
        replicate.set_knobs(knobs(1500, true));
        platform.inject_faults();
    } else {
        replicate.set_knobs(Knobs { filter_images: 1, ..knobs(1500, false) });
    }
    let heron = generate(&app, "flux-schnell", HERON, 2, false).await?;
    wait_status(&app, heron, &["done"], 90).await?;
    if faults {
        // Every injected fault fired (a countdown knob is 0 once it has).
        let k = replicate.knobs();
        assert_eq!((k.throttle, k.server_errors, k.reset_downloads), (0, 0, 0), "faults left unfired: {k:?}");
        platform.check_faults_fired();
    }
    replicate.set_knobs(knobs(if faults { 9000 } else { 2500 }, false));
    let sketch = generate(&app, "flux-dev", SKETCH, 1, true).await?;
    let app = if faults {
        // Killed while Replicate works on it: the journal row survives and the next start resumes
        // it, by the stored prediction id, without creating (and paying for) a second one.
        wait_status(&app, sketch, &["running"], 30).await?;
        app.kill()?;
        let app = App::launch(&sandbox).await?;
        app.click("nav button[data-screen='create']").await?;
        app
    } else {
        app
    };
    wait_status(&app, sketch, &["done"], 90).await?;

    // A third job, cancelled while it runs: nothing is charged for it.
    replicate.set_knobs(knobs(60_000, false));
    let lantern = generate(&app, "flux-schnell", LANTERN, 1, false).await?;
    // Running: Replicate has it, so the cancel goes there and the hold comes back as a refund.
    wait_status(&app, lantern, &["running"], 30).await?;
    // One click: the fake cancels at once, so the job shows "canceled" within a second or two. (It
    // used to stay "Canceling…" now and then: the cancel's answer overtook the job's end event.)
    app.click(&format!("[data-testid='job-{lantern}-cancel']")).await?;
    wait_status(&app, lantern, &["canceled"], 15).await?;
    replicate.set_knobs(knobs(1500, false));

    let spent = SCHNELL * heron_images + DEV;
    let balance = GRANT + PACK - spent;
    app.click("nav button[data-screen='account']").await?;
    app.click("[data-testid='balance-refresh']").await?;
    let shown = wait_until("the balance after the jobs", 20, || async {
        Ok(credits_shown(&app, "[data-testid='account-balance']").await == Some(balance))
    })
    .await;
    if let Err(e) = shown {
        let app_says = credits_shown(&app, "[data-testid='account-balance']").await;
        let ledger = platform.books().await?;
        return Err(format!("{e}: the app shows {app_says:?}, expected {balance}; platform ledger {ledger:?}").into());
    }
    // The credit activity the app lists is the service's ledger, entry for entry.
    let (_, ledger) = platform.books().await?;
    let mut kept: Vec<String> = ledger.iter().filter_map(|e| e["reason"].as_str().map(String::from)).collect();
    kept.sort();
    let same = wait_until("the ledger the app lists", 15, || async { Ok(listed_reasons(&app).await? == kept) }).await;
    if let Err(e) = same {
        let listed = listed_reasons(&app).await?;
        return Err(format!("{e}: the app lists {listed:?}, the service keeps {kept:?}").into());
    }

    // Find them by search, favourite one.
    app.click("nav button[data-screen='gallery']").await?;
    app.find("[data-testid='gallery-search']").await?.send_keys("quetzal").await?;
    wait_until("the search results", 30, || async {
        Ok(app.tile_ids().await? == vec![sketch, heron] && marks(&app).await? > 0)
    })
    .await?;
    app.click(&format!("{TILES}[data-id='{heron}']")).await?;
    app.find("[data-testid='details-prompt']").await?;
    app.click("[data-testid='details-favourite']").await?;
    wait_until("the favourite to be saved", 20, || async {
        Ok(show(&sandbox, heron)?["generation"]["favourite"] == true)
    })
    .await?;

    // Export: the archive holds every generation and both jobs' image files.
    app.click("nav button[data-screen='privacy']").await?;
    // The screen's cards load on their own; click once they are in place.
    app.find("[data-testid='retention-window']").await?;
    app.find("[data-testid='privacy-report']").await?;
    app.click("[data-testid='export-data']").await?;
    let exported = wait_until("the export", 60, || async {
        Ok(app.text_of("[data-testid='export-result']").await.contains(".zip"))
    })
    .await;
    if let Err(e) = exported {
        let says = app.js("return [...document.querySelectorAll(\"[data-testid^='export'], [role='alert']\")].map(e => e.dataset.testid + ': ' + e.textContent).join(' | ');").await?;
        return Err(format!("{e}: {says}").into());
    }
    let archives: Vec<_> = std::fs::read_dir(&downloads)?.flatten().map(|e| e.path()).collect();
    assert_eq!(archives.len(), 1, "one archive: {archives:?}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&archives[0])?)?;
    let mut history = String::new();
    zip.by_name("history.json")?.read_to_string(&mut history)?;
    let history: Value = serde_json::from_str(&history)?;
    let exported = history["generations"].as_array().ok_or("no generations in the export")?;
    assert_eq!(exported.len(), 60 + 3, "every generation exported");
    assert!(history.to_string().contains(HERON), "the export has the prompts");
    // Signed in, the platform's copy of the account is in it too (not an "unavailable" note).
    let mut account = String::new();
    zip.by_name("platform_account.json")?.read_to_string(&mut account)?;
    let account: Value = serde_json::from_str(&account)?;
    assert!(account.get("unavailable").is_none(), "the platform's export: {account}");
    assert!(account.to_string().contains(HERON), "the platform's stored prompts are in it: {account}");
    for id in [heron, sketch] {
        for image in show(&sandbox, id)?["images"].as_array().ok_or("no images")? {
            let file = image["file"].as_str().ok_or("no file")?;
            assert!(zip.by_name(file).is_ok(), "{file} is not in the export");
        }
    }

    // Delete the images the service keeps for 48 h: its storage lets them go; the app's copies stay
    // (check_images below).
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM outputs").fetch_one(platform.stack.db()).await?;
    assert_eq!(stored, heron_images + 1, "the service stored each delivered image");
    app.click("[data-testid='delete-platform-images']").await?;
    app.click("[data-testid='delete-platform-images-confirm']").await?;
    let removed = format!("removed {stored} images");
    wait_until("the service's copies deleted", 30, || async {
        Ok(app.text_of("[data-testid='delete-platform-images-result']").await.contains(&removed))
    })
    .await?;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM outputs").fetch_one(platform.stack.db()).await?;
    assert_eq!(stored, 0, "images left in the service's storage");

    // Erase prompts: no prompt is left in the database files.
    app.click("[data-testid='erase-prompts']").await?;
    app.click("[data-testid='erase-prompts-confirm']").await?;
    wait_until("the erasure", 30, || async { Ok(app.text_of("[data-testid='erase-result']").await.contains("63")) })
        .await?;
    for file in ["history.db", "history.db-wal"] {
        let bytes = std::fs::read(sandbox.data_dir().join(file)).unwrap_or_default();
        assert!(!bytes.windows(HERON.len()).any(|w| w == HERON.as_bytes()), "a prompt is still in {file}");
    }
    // The service's stored copies went too: no row of any of its tables holds a prompt (it was
    // kept in Replicate's stored answer and in create replays once).
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM predictions WHERE input IS NOT NULL")
        .fetch_one(platform.stack.db())
        .await?;
    assert_eq!(kept, 0, "prompts still stored at the service");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_all(platform.stack.db())
            .await?;
    for table in tables {
        for prompt in [HERON, SKETCH, LANTERN] {
            let sql = format!("SELECT count(*) FROM \"{table}\" t WHERE t::text LIKE '%' || $1 || '%'");
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(prompt).fetch_one(platform.stack.db()).await?;
            assert_eq!(n, 0, "{table} still holds the prompt {prompt:?}");
        }
    }

    // Retention: 30 days. The seeded months go; today's jobs stay.
    select(&app, "[data-testid='retention-window']", "30").await?;
    wait_until("the purge preview", 10, || async {
        Ok(app.text_of("[data-testid='retention-preview']").await.contains("removes"))
    })
    .await?;
    app.click("[data-testid='retention-save']").await?;
    let month_ago_ms = flux_krea_core::clock::now_ms() - 30 * 24 * 3600 * 1000;
    // The CLI prints times as RFC 3339.
    let created = |g: &serde_json::Value| g["created_at"].as_str().and_then(flux_krea_core::clock::parse_rfc3339);
    wait_until("the purge", 60, || async {
        let all = list(&sandbox)?;
        Ok(all.iter().all(|g| created(g).is_some_and(|ms| ms >= month_ago_ms)))
    })
    .await?;
    let kept: BTreeSet<i64> = list(&sandbox)?.iter().filter_map(|g| g["id"].as_i64()).collect();
    for id in [heron, sketch, lantern] {
        assert!(kept.contains(&id), "job {id} is younger than 30 days and must stay: {kept:?}");
    }
    app.quit().await?;

    // The books: the platform, the app and the app's history agree to the credit.
    let jobs = [(heron, SCHNELL, heron_images), (sketch, DEV, 1), (lantern, SCHNELL, 0)];
    check_ledger(&platform, &sandbox, &jobs, balance).await?;
    let predictions = platform.predictions().await?;
    // Replicate's 429 and 503 each cost the service one refused create (refunded: check_ledger),
    // and the app tried again after each.
    let refused: i64 = sqlx::query_scalar("SELECT count(*) FROM predictions WHERE replicate_id IS NULL")
        .fetch_one(platform.stack.db())
        .await?;
    assert_eq!(refused, if faults { 2 } else { 0 }, "creates Replicate refused");
    check_images(&predictions, &replicate, &sandbox, &[(heron, heron_images as usize), (sketch, 1)])?;
    let sketch_prediction = show(&sandbox, sketch)?["generation"]["prediction_id"].clone();
    let upstream =
        predictions.iter().find(|(ours, _)| sketch_prediction == ours.as_str()).ok_or("no Dev prediction")?;
    let sent =
        replicate.predictions().into_iter().find(|p| p["id"] == upstream.1.as_str()).ok_or("not at Replicate")?;
    let picture = sent["input"]["image"].as_str().unwrap_or_default();
    assert!(picture.starts_with("data:image/") || picture.starts_with("http"), "the Dev job was sent its picture");

    // The service's own log lines hold no prompt and no e-mail address either.
    let logs = platform.stack.logs();
    for secret in [HERON, SKETCH, LANTERN, service::EMAIL, service::OTHER_EMAIL] {
        assert!(!logs.contains(secret), "the service logged {secret:?}");
    }
    assert_eq!(platform.stack.ledger_mismatches().await, 0, "every user's ledger sums to their balance");

    // Restart offline: the platform is unreachable; the cached history is still browsable.
    platform.api.go_offline().await;
    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='gallery']").await?;
    wait_until("today's thumbnails, offline", 30, || async {
        let ids = app.tile_ids().await?;
        Ok(ids.contains(&heron) && ids.contains(&sketch) && decoded(&app, heron).await?)
    })
    .await?;
    app.click(&format!("{TILES}[data-id='{sketch}']")).await?;
    app.find("[data-testid='details-panel']").await?;

    // Sign out, offline: the platform cannot be told, but this machine forgets the session. It
    // is parked in the keychain, to be ended on the platform at the next start or sign-in.
    app.click("nav button[data-screen='account']").await?;
    app.click("[data-testid='sign-out']").await?;
    app.find("[data-testid='sign-in-google']").await?;
    let said = app.find("[data-testid='session-ending']").await?.text().await?;
    assert!(said.contains("Signed out on this computer"), "{said}");
    assert!(KeychainEntry::new("platform-session").get()?.is_none(), "the session left the keychain");
    assert!(KeychainEntry::new("platform-session-ending").get()?.is_some(), "kept to end it on the platform later");
    assert_eq!(live_sessions(&platform).await?, 1, "the service could not be told");
    app.quit().await?;

    // Online again: the next start ends the parked session at the service.
    platform.api.come_back().await?;
    let app = App::launch(&sandbox).await?;
    wait_until("the parked session ended at the service", 20, || async {
        Ok(live_sessions(&platform).await? == 0 && KeychainEntry::new("platform-session-ending").get()?.is_none())
    })
    .await?;
    app.quit().await?;
    sandbox.scan_logs()
}

const TILES: &str = GALLERY_TILES;

/// The reasons of the credit activity the Account screen lists, sorted.
async fn listed_reasons(app: &App) -> TestResult<Vec<String>> {
    let v = app
        .js("return [...document.querySelectorAll(\"[data-testid='ledger-entry']\")].map(e => e.dataset.reason);")
        .await?;
    let mut reasons: Vec<String> = serde_json::from_value(v)?;
    reasons.sort();
    Ok(reasons)
}

/// The user's sessions the service still honours.
async fn live_sessions(platform: &Platform) -> TestResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.ended_at IS NULL",
    )
    .bind(service::EMAIL)
    .fetch_one(platform.stack.db())
    .await?)
}

/// Fills the Create form and presses Generate; returns the new job's id.
async fn generate(app: &App, model: &str, prompt: &str, outputs: u32, picture: bool) -> TestResult<i64> {
    app.click("nav button[data-screen='create']").await?;
    app.click(&format!("[data-testid='model-{model}']")).await?;
    // WebDriver's Element Clear does not scroll: choosing the model may have scrolled the form.
    app.find("[data-testid='prompt']").await?;
    app.execute(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
        vec!["[data-testid='prompt']".into()],
    )
    .await?;
    let field = app.find("[data-testid='prompt']").await?;
    field.clear().await?;
    field.send_keys(prompt).await?;
    // The form keeps its values across models: set the count every time.
    let outputs_css = "input[data-testid='field-num_outputs']";
    app.find(outputs_css).await?;
    app.execute("document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });", vec![outputs_css.into()])
        .await?;
    let input = app.find(outputs_css).await?;
    input.clear().await?;
    input.send_keys(&outputs.to_string()).await?;
    if picture {
        paste_picture(app).await?;
    }
    let before = job_ids(app).await?;
    app.click("[data-testid='generate']").await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(id) = job_ids(app).await?.into_iter().find(|id| !before.contains(id)) {
            return Ok(id);
        }
        if Instant::now() > deadline {
            let error = app.text_of("[data-testid='form-error']").await;
            return Err(format!("no new job in the queue after Generate ({error})").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Pastes a picture drawn in the page, as Ctrl+V with an image on the clipboard would.
async fn paste_picture(app: &App) -> TestResult {
    let script = "const done = arguments[arguments.length - 1];
        const c = document.createElement('canvas'); c.width = 320; c.height = 240;
        const g = c.getContext('2d'); const fill = g.createLinearGradient(0, 0, 320, 240);
        fill.addColorStop(0, '#2a6'); fill.addColorStop(1, '#fc3'); g.fillStyle = fill; g.fillRect(0, 0, 320, 240);
        c.toBlob((blob) => {
          const file = new File([blob], 'sketch.png', { type: 'image/png' });
          const ev = new Event('paste', { bubbles: true, cancelable: true });
          Object.defineProperty(ev, 'clipboardData', { value: { items: [{ kind: 'file', type: 'image/png', getAsFile: () => file }] } });
          window.dispatchEvent(ev);
          done(ev.defaultPrevented);
        }, 'image/png');";
    let taken = app.execute_async(script, vec![]).await?;
    assert_eq!(taken.as_bool(), Some(true), "the Create screen took the pasted picture");
    app.find("[data-image-field='image'] img.thumb").await?;
    Ok(())
}

async fn job_ids(app: &App) -> TestResult<Vec<i64>> {
    let v = app
        .js("return [...document.querySelectorAll(\"[data-testid='queue'] [data-status]\")].map(e => Number(e.dataset.testid.replace('job-', '')));")
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Waits until the queue shows the job in one of `wanted`; a job that fails instead is an error.
async fn wait_status(app: &App, id: i64, wanted: &[&str], secs: u64) -> TestResult {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::<String>::new();
    loop {
        let v = app.js(&format!("const el = document.querySelector(\"[data-testid='job-{id}']\"); return el ? el.dataset.status : null;")).await?;
        if let Some(s) = v.as_str() {
            if seen.last().map(String::as_str) != Some(s) {
                seen.push(s.to_string());
            }
            if wanted.contains(&s) {
                return Ok(());
            }
            if s == "failed" && !wanted.contains(&"failed") {
                let error = app.text_of(&format!("[data-testid='job-{id}']")).await;
                return Err(format!("job {id} failed: {error}").into());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("job {id} never reached {wanted:?}; statuses seen: {seen:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn marks(app: &App) -> TestResult<u64> {
    let v = app
        .execute("return document.querySelectorAll(arguments[0]).length;", vec![format!("{TILES} mark").into()])
        .await?;
    Ok(v.as_u64().unwrap_or(0))
}

async fn decoded(app: &App, id: i64) -> TestResult<bool> {
    let v = app
        .execute(
            "const i = document.querySelector(arguments[0]); return !!i && i.complete && i.naturalWidth > 0;",
            vec![format!("{TILES}[data-id='{id}'] img").into()],
        )
        .await?;
    Ok(v.as_bool() == Some(true))
}

async fn select(app: &App, css: &str, value: &str) -> TestResult {
    let script = "const s = document.querySelector(arguments[0]); s.value = arguments[1];
        s.dispatchEvent(new Event('change', { bubbles: true })); return s.value;";
    let v = app.execute(script, vec![css.into(), value.into()]).await?;
    assert_eq!(v.as_str(), Some(value), "{css} has no option {value}");
    Ok(())
}

fn show(sandbox: &Sandbox, id: i64) -> TestResult<Value> {
    Ok(serde_json::from_str(&sandbox.cli(&["history", "show", &id.to_string()])?)?)
}

fn list(sandbox: &Sandbox) -> TestResult<Vec<Value>> {
    let v: Value = serde_json::from_str(&sandbox.cli(&["history", "list", "--limit", "500", "--json"])?)?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

/// The platform's balance and ledger, and each job's recorded cost, agree: every credit taken is
/// for an image the user has, and the rest came back.
async fn check_ledger(platform: &Platform, sandbox: &Sandbox, jobs: &[(i64, i64, i64)], balance: i64) -> TestResult {
    let (at_platform, ledger) = platform.books().await?;
    assert_eq!(at_platform, balance, "the platform's balance: {ledger:?}");
    let sum: i64 = ledger.iter().filter_map(|e| e["delta"].as_i64()).sum();
    assert_eq!(sum, balance, "the ledger sums to the balance: {ledger:?}");
    let granted = |reason: &str| -> Vec<i64> {
        ledger.iter().filter(|e| e["reason"] == reason).filter_map(|e| e["delta"].as_i64()).collect()
    };
    assert_eq!((granted("grant"), granted("purchase")), (vec![GRANT], vec![PACK]), "one grant, one pack: {ledger:?}");
    let mut jobs_predictions = Vec::new();
    for &(id, per_image, images) in jobs {
        let g = show(sandbox, id)?;
        jobs_predictions.push(g["generation"]["prediction_id"].as_str().unwrap_or_default().to_string());
        assert_eq!(g["generation"]["images_returned"].as_i64(), Some(images), "job {id}: {g}");
        let cost = g["generation"]["cost_credits"].as_i64().unwrap_or(0);
        assert_eq!(cost, per_image * images, "job {id} records what it cost");
        let prediction = g["generation"]["prediction_id"].as_str().ok_or(format!("job {id} has no prediction"))?;
        let net: i64 = ledger
            .iter()
            .filter(|e| e["prediction_id"].as_str() == Some(prediction))
            .filter_map(|e| e["delta"].as_i64())
            .sum();
        assert_eq!(-net, cost, "job {id}: the ledger's charges less refunds for {prediction}");
    }
    // Creates the platform could not place (Replicate throttled or failed; the app tried again)
    // were refunded in full.
    let others: i64 = ledger
        .iter()
        .filter(|e| e["prediction_id"].as_str().is_some_and(|p| !jobs_predictions.iter().any(|j| j == p)))
        .filter_map(|e| e["delta"].as_i64())
        .sum();
    assert_eq!(others, 0, "attempts that never reached Replicate cost nothing: {ledger:?}");
    Ok(())
}

/// One prediction per job at the platform and at Replicate (no second create after a retry or a
/// crash), each delivered output is one image row with its file and thumbnail on disk, and no
/// temp file is left.
fn check_images(
    predictions: &[(String, String)],
    replicate: &ReplicateFake,
    sandbox: &Sandbox,
    jobs: &[(i64, usize)],
) -> TestResult {
    assert_eq!(predictions.len(), 3, "one prediction per job: {predictions:?}");
    let upstream = replicate.predictions();
    assert_eq!(upstream.len(), 3, "one prediction per job at Replicate: {upstream:?}");
    let data = sandbox.data_dir();
    for &(id, images) in jobs {
        let g = show(sandbox, id)?;
        let rows = g["images"].as_array().ok_or("no images")?;
        assert_eq!(rows.len(), images, "job {id}: {g}");
        let idx: BTreeSet<i64> = rows.iter().filter_map(|r| r["idx"].as_i64()).collect();
        assert_eq!(idx.len(), images, "job {id} has each output once");
        for r in rows {
            for key in ["file", "thumb"] {
                let rel = r[key].as_str().ok_or(format!("job {id}: no {key}"))?;
                let meta = std::fs::metadata(data.join(rel))?;
                assert!(meta.len() > 0, "{rel} is empty");
            }
        }
    }
    let leftovers: Vec<_> = files_under(&data).into_iter().filter(|p| p.to_string_lossy().ends_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
    Ok(())
}
