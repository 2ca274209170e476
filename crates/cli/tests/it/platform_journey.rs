//! The account journey of issue #18 through the real `flux-krea-cli` against the REAL platform
//! service (two replicas behind a round-robin proxy, Postgres, S3, the upstream fakes): sign in
//! with GitHub and with Google, buy a pack (each Stripe event delivered 3 times, shuffled with
//! another user's), generate with two models, a filtered image refunded, cancel a job, export,
//! delete the service's image copies, erase prompts, request and cancel account deletion, sign
//! out. Each step checks what the user sees and what the service holds; at the end, the
//! service's logs hold no token, prompt or e-mail.
//!
//! Needs `scripts/platform-services.sh` (PLATFORM_TEST_*) and the keychain (the test script's
//! throwaway gnome-keyring).

mod deletion;
mod resume;
mod shared_session;
mod world;

use std::io::Read;
use std::time::Duration;

use flux_krea_fakes::replicate::Knobs;
use flux_krea_fakes::stripe::StripeKnobs;
use flux_krea_platform::testing::{Stack, StackOptions};
use serde_json::Value;
use world::{text, World};

const SUNSET: &str = "a lighthouse at sunset only I know about";
const DUNES: &str = "kites over copper dunes";
const SLOW: &str = "a slow glacier, canceled";

/// Multi-threaded: the blocking CLI calls must not starve the test's own tasks (Stripe deliveries).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_journey_against_the_real_platform() {
    let _turn = crate::KEYCHAIN.lock().await;
    let stack = Stack::start(StackOptions { replicas: 2, signup_credits: 0, ..StackOptions::default() }).await;
    stack.replicate().set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let w = World::new(stack);
    w.ok(&["account", "sign-out"]); // whatever an earlier test left in the keychain

    let octo_session = github_user_starts_a_purchase(&w).await;
    google_user_buys_a_pack_paid_with_the_others(&w, &octo_session).await;
    generate_with_two_models_one_image_filtered(&w).await;
    cancel_a_running_job(&w).await;
    export_holds_the_account(&w);
    delete_platform_images(&w).await;
    let prompts_left = erase_prompts_here_and_there(&w).await;
    request_and_cancel_account_deletion(&w).await;
    sign_out(&w).await;
    logs_hold_no_token_prompt_or_email(&w);
    // Last, so that every other step is checked either way.
    assert_eq!(prompts_left, Vec::<String>::new(), "prompts left in the service's database after erasure");
}

/// GitHub: a new account; a checkout left open (paid later, alongside the Google user's).
async fn github_user_starts_a_purchase(w: &World) -> String {
    let stdout = w.sign_in("github", w.stack.github_url().to_string()).await;
    let octo = w.stack.github().user();
    assert!(stdout.contains(&format!("Signed in as Octo Fake <{}> with github", octo.email)), "{stdout}");
    assert!(stdout.contains("Balance: 0 credits"), "{stdout}");
    assert_eq!(w.scalar("SELECT count(*) FROM identities WHERE provider = 'github'").await, 1);

    let packs = w.json(&["credits", "packs", "--json"]);
    let ids: Vec<&str> = packs.as_array().unwrap().iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, ["pack_100", "pack_500", "pack_2000"]);
    let checkout = w.json(&["credits", "buy", "pack_500", "--no-browser", "--detach", "--json"]);
    let session = checkout["session_id"].as_str().unwrap().to_string();
    assert!(checkout["checkout_url"].as_str().unwrap().contains(&session), "{checkout}");

    let (stdout, _) = w.ok(&["account", "sign-out"]);
    assert!(stdout.contains("Signed out"), "{stdout}");
    assert_eq!(w.scalar("SELECT count(*) FROM sessions WHERE ended_at IS NULL").await, 0, "logout reached the service");
    session
}

/// Google: a second account buys pack_100 while both sessions are paid at once, every event
/// delivered 3 times and shuffled: each user gets exactly one grant.
async fn google_user_buys_a_pack_paid_with_the_others(w: &World, octo_session: &str) {
    let stdout = w.sign_in("google", w.stack.google_url().to_string()).await;
    let ada = w.stack.google().user();
    assert!(stdout.contains(&format!("Signed in as {} <{}> with google", ada.name, ada.email)), "{stdout}");
    assert_eq!(w.scalar("SELECT count(*) FROM users").await, 2);

    w.stack.stripe().set_knobs(StripeKnobs { times: 3, shuffle: true, ..StripeKnobs::default() });
    let stripe = w.stack.stripe().clone();
    let octo_session = octo_session.to_string();
    let (out, stderr) = w
        .with_printed_url(&["credits", "buy", "pack_100", "--no-browser", "--json"], |url| async move {
            let session = url.rsplit('/').next().unwrap().to_string();
            stripe.pay(&octo_session).unwrap();
            stripe.pay(&session).unwrap();
        })
        .await;
    assert!(out.status.success(), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (result["state"].as_str(), result["credits_granted"].as_i64()),
        (Some("complete"), Some(100)),
        "{result}"
    );
    assert_eq!(result["balance"]["credits"], 100, "{result}");

    // Two completed sessions, each event 3 times: 6 deliveries accepted, one grant per session.
    let delivered = w.stack.stripe().wait_for_delivered(6, Duration::from_secs(20)).await;
    assert!(delivered.iter().filter(|d| d.ok()).count() >= 6, "{} deliveries", delivered.len());
    w.until("both purchases granted", "SELECT count(*) FROM ledger_entries WHERE reason = 'purchase'", 2).await;
    let per_checkout =
        "SELECT count(*) FROM (SELECT checkout_id FROM ledger_entries WHERE reason = 'purchase' GROUP BY checkout_id HAVING count(*) = 1) o";
    assert_eq!(w.scalar(per_checkout).await, 2, "one grant per paid session");
    assert_eq!(w.scalar("SELECT sum(balance)::bigint FROM users").await, 600);
    assert_eq!(w.stack.ledger_mismatches().await, 0, "ledger sums to balance");
    let credits = w.json(&["credits", "--ledger", "--json"]);
    let reasons: Vec<&str> =
        credits["ledger"].as_array().unwrap().iter().filter_map(|e| e["reason"].as_str()).collect();
    assert_eq!(reasons, ["purchase"], "Ada's ledger only: {credits}");
}

/// flux-schnell (1 credit an image) with one of two images filtered, then flux-dev (5 credits).
async fn generate_with_two_models_one_image_filtered(w: &World) {
    w.stack.replicate().set_knobs(Knobs { image_side: Some(64), filter_images: 1, ..Knobs::default() });
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", SUNSET, "--n", "2"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.lines().count(), 1, "one image file delivered: {stdout}");
    // Told why, and charged for what came back (the service refunds the other).
    assert!(stderr.contains("1 of 2 images came back: the provider's safety filter removed 1 image"), "{stderr}");
    assert!(stderr.contains("1 image(s), 1 credits"), "{stderr}");

    w.stack.replicate().set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let out = w.run(&["generate", "--model", "flux-dev", "--prompt", DUNES, "--n", "1"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("5 credits"), "{stderr}");

    // One prediction per job, each settled: refunds = price × undelivered.
    assert_eq!(w.jobs().len(), 2);
    assert_eq!(w.stack.replicate().predictions().len(), 2, "one Replicate prediction per job");
    assert_eq!(w.scalar("SELECT count(*) FROM predictions").await, 2);
    w.until("both predictions settled", "SELECT count(*) FROM predictions WHERE settled_at IS NULL", 0).await;
    assert_eq!(w.scalar(WRONG_REFUNDS).await, 0, "a prediction refunded wrongly");
    let schnell_refund =
        "SELECT COALESCE(sum(l.delta), 0)::bigint FROM ledger_entries l JOIN predictions p ON p.id = l.prediction_id
                          WHERE l.reason = 'refund' AND p.model = 'black-forest-labs/flux-schnell'";
    assert_eq!(w.scalar(schnell_refund).await, 1, "the filtered image refunded");
    let credits = w.json(&["credits", "--json"]);
    assert_eq!(credits["balance"]["credits"], 100 - 1 - 5, "{credits}");
    assert_eq!(w.stack.ledger_mismatches().await, 0);
}

const WRONG_REFUNDS: &str = "SELECT count(*) FROM predictions p WHERE settled_at IS NULL OR
    COALESCE((SELECT sum(delta) FROM ledger_entries l WHERE l.prediction_id = p.id AND reason = 'refund'), 0)
      <> credits_per_image * (requested - COALESCE(delivered, 0))";

/// A slow job canceled from another process: canceled on the service and fully refunded.
async fn cancel_a_running_job(w: &World) {
    w.stack.replicate().set_knobs(Knobs { image_side: Some(64), run_ms: 30_000, ..Knobs::default() });
    let child = w.spawn(&["generate", "--model", "flux-schnell", "--prompt", SLOW, "--n", "3"]);
    let running = "SELECT count(*) FROM predictions WHERE status IN ('starting', 'processing')";
    w.until("the slow job reached the service", running, 1).await;
    // And the app knows its prediction (running), so the cancel goes to the service too.
    let start = std::time::Instant::now();
    while w.jobs()[0]["status"] != "running" {
        assert!(start.elapsed() < Duration::from_secs(20), "the job is not running here: {:?}", w.jobs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = w.jobs()[0]["id"].to_string();
    w.ok(&["cancel", &id]);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "a canceled job is not a success: {stderr}");
    assert!(stderr.contains("canceled"), "{stderr}");
    w.until("the canceled prediction settled", "SELECT count(*) FROM predictions WHERE settled_at IS NULL", 0).await;
    assert_eq!(w.scalar("SELECT count(*) FROM predictions WHERE status = 'canceled'").await, 1);
    assert_eq!(w.scalar(WRONG_REFUNDS).await, 0, "the canceled job refunded price × undelivered");
    assert_eq!(w.stack.replicate().predictions().last().unwrap()["status"], "canceled");
    // What the user reads: every charge and refund, newest first, summing to the balance.
    let credits = w.json(&["credits", "--ledger", "--json"]);
    assert_eq!(credits["balance"]["credits"], 94, "{credits}");
    let ledger = credits["ledger"].as_array().unwrap();
    let entries: Vec<(&str, i64)> =
        ledger.iter().map(|e| (e["reason"].as_str().unwrap_or("?"), e["delta"].as_i64().unwrap_or(0))).collect();
    let expected =
        [("refund", 3), ("generation", -3), ("generation", -5), ("refund", 1), ("generation", -2), ("purchase", 100)];
    assert_eq!(entries, expected, "{credits}");
    assert_eq!(w.stack.ledger_mismatches().await, 0);
}

/// The archive holds the local history and the platform's copy of the account, Ada's only.
fn export_holds_the_account(w: &World) {
    let out = w.path("export.zip");
    let report = w.json(&["privacy", "export", "--out", out.to_str().unwrap()]);
    assert_eq!(report["generations"], 3, "{report}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut account = String::new();
    zip.by_name("platform_account.json").expect("the platform's copy").read_to_string(&mut account).unwrap();
    let account: Value = serde_json::from_str(&account).unwrap();
    assert_eq!(account["profile"]["email"], w.stack.google().user().email.as_str(), "{account}");
    assert_eq!(account["balance"], 94);
    let prompts: Vec<&str> =
        account["prompts"].as_array().unwrap().iter().filter_map(|p| p["prompt"].as_str()).collect();
    assert_eq!(prompts.len(), 3, "{prompts:?}");
    for prompt in [SUNSET, DUNES, SLOW] {
        assert!(prompts.contains(&prompt), "{prompt} not exported: {prompts:?}");
    }
    let reasons: Vec<&str> =
        account["ledger"].as_array().unwrap().iter().filter_map(|e| e["reason"].as_str()).collect();
    assert_eq!(reasons.iter().filter(|r| **r == "purchase").count(), 1, "{reasons:?}");
    assert!(!account.to_string().contains(&w.stack.github().user().email), "another user's data in the export");
    assert_eq!(account["images"].as_array().map(Vec::len), Some(2), "the two delivered images: {account}");
}

/// The service's copies of the images go now rather than within 48 h.
async fn delete_platform_images(w: &World) {
    let request = w.json(&["privacy", "delete-platform-images"]);
    assert_eq!(request["outcome"], "Flux Krea removed 2 images from its temporary storage", "{request}");
    assert_eq!(w.scalar("SELECT count(*) FROM outputs").await, 0);
}

/// Erasure reaches the service (its prompts column is emptied) and nothing is searchable here;
/// where else in the service's database a prompt is left, as `prompt in table: rows`.
async fn erase_prompts_here_and_there(w: &World) -> Vec<String> {
    for prompt in [SUNSET, DUNES, SLOW] {
        assert!(!w.rows_holding(prompt).await.is_empty(), "{prompt} is stored before erasure");
    }
    let erased = w.json(&["privacy", "erase", "--prompts"]);
    assert_eq!(erased["generations"], 3, "{erased}");
    assert_eq!(erased["platform"], "Flux Krea removed stored prompts: 3", "{erased}");
    assert_eq!(w.scalar("SELECT count(*) FROM predictions WHERE input IS NOT NULL").await, 0);
    let (found, _) = w.ok(&["history", "search", "lighthouse"]);
    assert!(found.trim().is_empty(), "{found}");
    let mut left = Vec::new();
    for prompt in [SUNSET, DUNES, SLOW] {
        left.extend(w.rows_holding(prompt).await.into_iter().map(|rows| format!("{prompt:?} in {rows}")));
    }
    left
}

async fn request_and_cancel_account_deletion(w: &World) {
    let refused = w.run(&["privacy", "delete-account"]);
    assert!(!refused.status.success() && text(&refused).1.contains("--yes"), "{refused:?}");
    let request = w.json(&["privacy", "delete-account", "--yes"]);
    let id = request["platform_request_id"].as_str().unwrap_or_else(|| panic!("no request id: {request}"));
    let pending = format!("SELECT count(*) FROM deletion_requests WHERE id = '{id}' AND cancelled_at IS NULL");
    assert_eq!(w.scalar(&pending).await, 1);
    assert_eq!(w.json(&["privacy", "delete-account", "--yes"])["platform_request_id"], id, "asked twice, one request");

    let cancelled = w.json(&["privacy", "cancel-account-deletion"]);
    assert_eq!(
        (cancelled["platform_request_id"].as_str(), cancelled["status"].as_str()),
        (Some(id), Some("cancelled"))
    );
    assert_eq!(w.scalar(&pending).await, 0, "the request is cancelled on the service");
    let again = w.run(&["privacy", "cancel-account-deletion"]);
    assert!(!again.status.success(), "nothing left to cancel: {again:?}");
    assert!(text(&again).1.contains("pending account deletion request not found"), "{again:?}");
    // Nothing is carried out once cancelled, even when background work runs.
    w.stack.run_jobs().await;
    assert_eq!(w.scalar("SELECT count(*) FROM users WHERE deleted_at IS NOT NULL").await, 0);
}

async fn sign_out(w: &World) {
    let (stdout, _) = w.ok(&["account", "sign-out"]);
    assert!(stdout.contains("Signed out"), "{stdout}");
    assert!(!stdout.contains("could not be reached"), "{stdout}");
    assert_eq!(w.scalar("SELECT count(*) FROM sessions WHERE ended_at IS NULL").await, 0);
    let status = w.json(&["account", "status", "--json"]);
    assert_eq!(status["signed_in"], false, "{status}");
    let denied = w.run(&["credits"]);
    assert!(!denied.status.success() && text(&denied).1.contains("sign-in required"), "{denied:?}");
}

/// The service logged the journey, but no token (JWTs start `eyJ`), OAuth code or state,
/// presigned URL, prompt or e-mail address.
fn logs_hold_no_token_prompt_or_email(w: &World) {
    let logs = w.stack.logs();
    assert!(logs.contains("/api/v1/credits"), "the service's requests are logged at all");
    let credentials = w.credentials.lock().unwrap();
    assert!(credentials.len() >= 4, "codes and states seen in both sign-ins: {}", credentials.len());
    for value in credentials.iter() {
        assert!(!logs.contains(value.as_str()), "an OAuth code or state in the service's logs");
    }
    let ada = w.stack.google().user().email;
    let octo = w.stack.github().user().email;
    let needles = [
        ("a JWT", "eyJ"),
        ("a presigned URL", "X-Amz-Signature"),
        ("a prompt", SUNSET),
        ("a prompt", DUNES),
        ("a prompt", SLOW),
    ];
    for (what, needle) in needles {
        assert!(!logs.contains(needle), "{what} in the service's logs");
    }
    for email in [ada, octo] {
        assert!(!logs.contains(&email), "an e-mail address in the service's logs");
    }
}
