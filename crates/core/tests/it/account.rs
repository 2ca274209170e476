//! Account mode against the platform fake: the whole PKCE sign-in with the test playing the
//! browser, its failure modes, the keychain-held session (real gnome-keyring under the test
//! script), refresh, sign-out, checkout, and generation paid with credits, with refunds.
//!
//! The keychain entry is one per OS user, so these tests take turns (`KEYCHAIN`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use flux_krea_core::auth::broker::Broker;
use flux_krea_core::auth::{GenerationMode, IdentityProvider, ParkedSession};
use flux_krea_core::credits::{CheckoutState, LedgerReason};
use flux_krea_core::generation::{GenerationRequest, InputValue, Job};
use flux_krea_core::history::Status;
use flux_krea_core::privacy::RequestStatus;
use flux_krea_core::secrets::KeychainEntry;
use flux_krea_core::testing::Sandbox;
use flux_krea_core::{Core, Error};
use flux_krea_fakes::platform::{PlatformKnobs, RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::Knobs;
use tokio::sync::MutexGuard;

use crate::KEYCHAIN;

struct World {
    _turn: MutexGuard<'static, ()>,
    /// Account mode: Replicate points nowhere, so nothing may reach a real Replicate from here.
    sandbox: Sandbox,
    platform: RunningPlatform,
    core: Arc<Core>,
}

async fn world(knobs: PlatformKnobs) -> World {
    let turn = KEYCHAIN.lock().await;
    let platform = RunningPlatform::start().await.unwrap();
    platform.fake.set_knobs(knobs);
    platform.fake.replicate().set_knobs(Knobs { image_side: Some(64), run_ms: 300, ..Knobs::default() });
    let sandbox =
        Sandbox::new().with("FLUX_KREA_PLATFORM_URL", platform.url()).with("FLUX_KREA_PLATFORM_ANON_KEY", ANON_KEY);
    let core = Arc::new(sandbox.open().await);
    // A session left by an earlier failed run must not leak into this one.
    KeychainEntry::new("platform-session").delete().unwrap();
    KeychainEntry::new("platform-session-ending").delete().unwrap();
    World { _turn: turn, sandbox, platform, core }
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Follows the authorize URL like a browser: the broker's redirect, then the app's callback.
/// `tamper` may change the callback URL first. Returns the callback's status and page.
async fn play_browser(authorize: String, tamper: impl FnOnce(String) -> String) -> (u16, String) {
    let http = browser();
    let answer = http.get(&authorize).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302, "the broker redirects back to the app");
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:"), "{location}");
    let callback = http.get(tamper(location)).send().await.unwrap();
    (callback.status().as_u16(), callback.text().await.unwrap())
}

async fn sign_in(w: &World) -> flux_krea_core::auth::AccountStatus {
    w.core.confirm_age().await.unwrap();
    let status = w
        .core
        .sign_in(IdentityProvider::Google, |url| {
            let url = url.to_string();
            tokio::spawn(async move {
                let (code, page) = play_browser(url, |l| l).await;
                assert_eq!(code, 200);
                assert!(page.contains("You can close this tab"), "{page}");
            });
            Ok(())
        })
        .await
        .unwrap();
    assert!(status.signed_in);
    status
}

fn stored_session() -> Option<String> {
    KeychainEntry::new("platform-session").get().unwrap().map(|s| s.expose().clone())
}

/// No file in the data folder holds either token.
fn tokens_not_in_files(dir: &Path, session_json: &str) {
    let session: serde_json::Value = serde_json::from_str(session_json).unwrap();
    let secrets = [session["access_token"].as_str().unwrap(), session["refresh_token"].as_str().unwrap()];
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            for s in secrets {
                assert!(!bytes.windows(s.len()).any(|w| w == s.as_bytes()), "a token is in {}", path.display());
            }
        }
    }
    assert!(files > 0, "the data folder was scanned");
}

#[tokio::test]
async fn sign_in_round_trip_keeps_the_session_only_in_the_keychain() {
    let w = world(PlatformKnobs::default()).await;
    let before = w.core.account_status().await.unwrap();
    assert!(before.available && !before.signed_in && before.active_mode.is_none() && !before.age_confirmed);
    let refused = w.core.sign_in(IdentityProvider::Google, |_| panic!("no browser before the age check")).await;
    assert!(matches!(refused, Err(Error::InvalidInput { ref field, .. }) if field == "age_confirmed"), "{refused:?}");

    let status = sign_in(&w).await;
    let profile = status.profile.clone().unwrap();
    assert_eq!((profile.name.as_str(), profile.email.as_str()), ("Ada Lovelace", "ada@example.com"));
    assert!(profile.avatar.as_deref().is_some_and(|a| a.starts_with("data:image/png;base64,")), "avatar inlined");
    assert_eq!(status.balance.as_ref().map(|b| b.credits), Some(20));
    assert_eq!(status.active_mode, Some(GenerationMode::Account));

    // A new process (a fresh core on the same data folder) finds the session in the keychain.
    let session = stored_session().expect("the session is in the keychain");
    w.core.close().await;
    let again = w.sandbox.open().await;
    assert!(again.account_status().await.unwrap().signed_in);
    assert_eq!(again.refresh_balance().await.unwrap().credits, 20);
    tokens_not_in_files(w.sandbox.data_dir(), &session);
    again.sign_out().await.unwrap();
}

/// A callback without this sign-in's state (forged, or from another tab) is answered 400 and does
/// not end the sign-in: the real redirect after it still signs in (#20).
#[tokio::test]
async fn a_callback_without_our_state_gets_400_and_the_real_one_still_signs_in() {
    let w = world(PlatformKnobs::default()).await;
    w.core.confirm_age().await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let status = w
        .core
        .sign_in(IdentityProvider::Github, |url| {
            let url = url.to_string();
            tokio::spawn(async move {
                let http = browser();
                let answer = http.get(&url).send().await.unwrap();
                let location = answer.headers()["location"].to_str().unwrap().to_string();
                let mut pages = Vec::new();
                for forged in [location.replace("state=", "state=x"), location.replace("state=", "stat=")] {
                    let page = http.get(forged).send().await.unwrap();
                    pages.push((page.status().as_u16(), page.text().await.unwrap()));
                }
                let real = http.get(location).send().await.unwrap();
                pages.push((real.status().as_u16(), real.text().await.unwrap()));
                let _ = tx.send(pages);
            });
            Ok(())
        })
        .await
        .unwrap();
    let pages = rx.await.unwrap();
    for (code, page) in &pages[..2] {
        assert_eq!(*code, 400, "{page}");
        assert!(page.contains("state mismatch"), "{page}");
    }
    assert_eq!(pages[2].0, 200, "{}", pages[2].1);
    assert!(status.signed_in);
    assert_eq!(w.platform.fake.requests().iter().filter(|r| r.starts_with("POST /auth/v1/token")).count(), 1);
    w.core.sign_out().await.unwrap();
}

#[tokio::test]
async fn an_error_callback_says_what_the_broker_said() {
    let w = world(PlatformKnobs { authorize_error: Some("access_denied".into()), ..PlatformKnobs::default() }).await;
    w.core.confirm_age().await.unwrap();
    let err = w
        .core
        .sign_in(IdentityProvider::Google, |url| {
            let url = url.to_string();
            tokio::spawn(async move { play_browser(url, |l| l).await });
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, reason } if field == "sign_in" && reason.contains("refused")),
        "{err:?}"
    );
    assert!(!w.core.account_status().await.unwrap().signed_in);
}

#[tokio::test]
async fn a_sign_in_times_out_and_can_be_canceled() {
    let w = world(PlatformKnobs::default()).await;
    w.core.confirm_age().await.unwrap();
    let err =
        w.core.sign_in_within(IdentityProvider::Google, Duration::from_millis(300), |_| Ok(())).await.unwrap_err();
    assert!(err.to_string().contains("in time"), "{err}");

    let core = w.core.clone();
    let err = w
        .core
        .sign_in(IdentityProvider::Google, move |_| {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                assert!(core.cancel_sign_in());
            });
            Ok(())
        })
        .await
        .unwrap_err();
    assert_eq!(err, Error::Canceled { what: "sign-in".into() });
    assert!(!w.core.account_status().await.unwrap().sign_in_pending);
}

#[tokio::test]
async fn an_expired_flow_and_a_bad_verifier_are_explained() {
    let w = world(PlatformKnobs::default()).await;
    w.core.confirm_age().await.unwrap();
    let fake = w.platform.fake.clone();
    let err = w
        .core
        .sign_in(IdentityProvider::Google, move |url| {
            let url = url.to_string();
            tokio::spawn(async move {
                play_browser(url, |l| {
                    fake.expire_flows();
                    l
                })
                .await
            });
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");

    // The verifier check, at the broker client: a code exchanged with the wrong verifier.
    let broker = Broker::new(&w.platform.url(), ANON_KEY).unwrap();
    let (challenge, _verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    let url = broker
        .authorize_url(IdentityProvider::Google, "http://127.0.0.1:1/callback?state=s", challenge.as_str())
        .unwrap();
    let location = browser().get(url).send().await.unwrap().headers()["location"].to_str().unwrap().to_string();
    let code = url::Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string();
    let wrong = "w".repeat(64);
    let err = broker.exchange(&code, &wrong).await.err().unwrap();
    assert!(err.to_string().contains("PKCE"), "{err}");
}

#[tokio::test]
async fn tokens_are_refreshed_before_expiry_and_after_a_401() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    let first = stored_session().unwrap();

    w.platform.fake.expire_access_tokens();
    assert_eq!(w.core.refresh_balance().await.unwrap().credits, 20, "a 401 refreshes once, then succeeds");
    assert_eq!(w.platform.fake.refreshes(), 1);
    let second = stored_session().unwrap();
    assert_ne!(first, second, "the rotated pair replaced the old one in the keychain");

    // Tokens that expire within the margin are refreshed before a request goes out.
    w.platform.fake.set_knobs(PlatformKnobs { access_ttl_s: 30, ..PlatformKnobs::default() });
    w.platform.fake.expire_access_tokens();
    w.core.refresh_balance().await.unwrap();
    assert_eq!(w.platform.fake.refreshes(), 2);
    w.core.refresh_balance().await.unwrap();
    assert_eq!(w.platform.fake.refreshes(), 3, "a 30 s token is always inside the margin");
    w.core.sign_out().await.unwrap();
}

#[tokio::test]
async fn a_failed_refresh_signs_out_cleanly() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    w.platform.fake.revoke_sessions();
    w.platform.fake.expire_access_tokens();
    assert_eq!(w.core.refresh_balance().await.unwrap_err(), Error::AuthRequired);
    let status = w.core.account_status().await.unwrap();
    assert!(!status.signed_in && status.profile.is_none() && status.balance.is_none());
    assert_eq!(stored_session(), None, "the dead tokens left the keychain");
}

#[tokio::test]
async fn sign_out_ends_the_session_everywhere() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    assert_eq!(w.platform.fake.live_sessions(), 1);
    let status = w.core.sign_out().await.unwrap();
    assert!(!status.signed_in);
    assert_eq!(w.platform.fake.logouts(), 1);
    assert_eq!(w.platform.fake.live_sessions(), 0);
    assert_eq!(stored_session(), None);
    assert_eq!(w.core.refresh_balance().await.unwrap_err(), Error::AuthRequired);
}

#[tokio::test]
async fn signing_out_after_the_access_token_expired_still_ends_the_session_on_the_platform() {
    // Tokens that expire a second after they are issued: an app left open past that (an hour in
    // real life) holds only a dead access token when the user signs out.
    let w = world(PlatformKnobs { access_ttl_s: 1, ..PlatformKnobs::default() }).await;
    sign_in(&w).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let status = w.core.sign_out().await.unwrap();
    assert!(!status.signed_in);
    assert_eq!(w.platform.fake.logouts(), 1, "the logout was accepted, not refused as a dead token");
    assert_eq!(w.platform.fake.live_sessions(), 0, "the refresh token cannot be used any more");
    assert_eq!(stored_session(), None);
}

#[tokio::test]
async fn a_sign_out_that_cannot_reach_the_platform_ends_the_session_there_later() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    w.platform.fake.set_knobs(PlatformKnobs { logout_server_errors: 1, ..PlatformKnobs::default() });
    let status = w.core.sign_out().await.unwrap();
    assert!(!status.signed_in, "signed out here at once");
    assert!(status.session_ending, "and the window can say the platform is still to be told");
    assert_eq!(stored_session(), None);
    assert_eq!(w.platform.fake.live_sessions(), 1, "the platform could not be told");
    let parked = KeychainEntry::new("platform-session-ending").get().unwrap();
    assert!(parked.is_some(), "kept in the keychain to end it later");

    assert_eq!(w.core.end_parked_session().await.unwrap(), ParkedSession::Ended);
    assert_eq!((w.platform.fake.logouts(), w.platform.fake.live_sessions()), (1, 0));
    assert!(!w.core.account_status().await.unwrap().session_ending);
    assert_eq!(KeychainEntry::new("platform-session-ending").get().unwrap().map(|s| s.expose().clone()), None);
    assert_eq!(w.core.end_parked_session().await.unwrap(), ParkedSession::None, "nothing left to end");
    assert_eq!(w.platform.fake.logouts(), 1);
}

#[tokio::test]
async fn a_parked_session_the_platform_already_ended_is_simply_dropped() {
    let w = world(PlatformKnobs { access_ttl_s: 1, ..PlatformKnobs::default() }).await;
    sign_in(&w).await;
    // Offline: neither the refresh before the logout nor the logout gets through.
    w.platform.fake.set_knobs(PlatformKnobs {
        access_ttl_s: 1,
        token_server_errors: 10,
        logout_server_errors: 10,
        ..PlatformKnobs::default()
    });
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    w.core.sign_out().await.unwrap();
    assert!(KeychainEntry::new("platform-session-ending").get().unwrap().is_some());
    // Meanwhile the platform ended it (a sign-out everywhere from the website).
    w.platform.fake.set_knobs(PlatformKnobs { access_ttl_s: 1, ..PlatformKnobs::default() });
    w.platform.fake.revoke_sessions();
    assert_eq!(w.core.end_parked_session().await.unwrap(), ParkedSession::AlreadyEnded);
    assert_eq!(KeychainEntry::new("platform-session-ending").get().unwrap().map(|s| s.expose().clone()), None);
}

#[tokio::test]
async fn a_checkout_completes_and_the_balance_follows() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    let packs = w.core.credit_packs().await.unwrap();
    assert!(packs.iter().any(|p| p.id == "pack_100" && p.credits == 100 && p.price_cents == 500));

    let fake = w.platform.fake.clone();
    let result = w
        .core
        .buy_credits("pack_100", move |url| {
            assert!(url.contains("/checkout/cs_"), "{url}");
            let session = url.rsplit('/').next().unwrap().to_string();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                assert!(fake.complete_checkout(&session));
            });
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(result.state, CheckoutState::Complete);
    assert_eq!(result.credits_granted, 100);
    assert_eq!(result.balance.unwrap().credits, 120);
    let ledger = w.core.credit_ledger(None).await.unwrap();
    assert_eq!(ledger.entries[0].reason, LedgerReason::Purchase);
    assert_eq!(ledger.entries[0].delta, 100);

    // An abandoned checkout expires and grants nothing.
    let checkout = w.core.start_checkout("pack_500").await.unwrap();
    assert!(w.platform.fake.expire_checkout(&checkout.session_id));
    let result = w.core.wait_for_checkout(&checkout.session_id, Duration::from_secs(10)).await.unwrap();
    assert_eq!((result.state, result.credits_granted), (CheckoutState::Expired, 0));
    assert_eq!(w.core.refresh_balance().await.unwrap().credits, 120);
    assert!(matches!(w.core.start_checkout("../x").await, Err(Error::InvalidInput { .. })));
    w.core.sign_out().await.unwrap();
}

/// Nothing but the calls docs/platform-api.md documents reached the platform (no analytics, no
/// telemetry: without the consent, nothing statistical leaves the machine).
fn only_documented_calls(requests: &[String]) {
    let documented = [
        "GET /auth/v1/authorize",
        "POST /auth/v1/token",
        "POST /auth/v1/logout",
        "GET /api/v1/me",
        "GET /avatars/",
        "GET /api/v1/credits",
        "GET /api/v1/models",
        "POST /api/v1/models/",
        "GET /api/v1/predictions/",
        "POST /api/v1/predictions/",
        "POST /api/v1/credits/checkout",
        "PUT /api/v1/privacy/consents",
        "GET /api/v1/privacy/export",
        "DELETE /api/v1/privacy/",
        "POST /api/v1/privacy/account-deletion",
        "POST /api/v1/files",
    ];
    assert!(!requests.is_empty());
    for r in requests {
        assert!(documented.iter().any(|d| r.starts_with(d)), "an undocumented call: {r}");
        assert!(!r.contains("analytics") && !r.contains("telemetry") && !r.contains("/events"), "{r}");
    }
}

fn request(model: &str, images: f64) -> GenerationRequest {
    let mut inputs = std::collections::BTreeMap::new();
    inputs.insert("prompt".to_string(), InputValue::Text("a lighthouse at dusk".into()));
    if images > 1.0 {
        inputs.insert("num_outputs".to_string(), InputValue::Number(images));
    }
    GenerationRequest { model: model.into(), inputs, parent_id: None, exact_rerun: false, style: None }
}

async fn finished(core: &Core, id: i32) -> Job {
    for _ in 0..600 {
        let job = core.job(id).await.unwrap();
        if job.status.is_finished() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test]
async fn generating_with_credits_charges_only_delivered_images() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    assert!(w.core.start_jobs().unwrap());
    let job = w.core.generate(&request("flux-schnell", 2.0)).await.unwrap();
    assert_eq!(job.cost_credits, Some(2), "estimate: 1 credit × 2 images");
    let job = finished(&w.core, job.id).await;
    assert_eq!((job.status, job.images_returned, job.cost_credits), (Status::Done, 2, Some(2)));
    assert_eq!(w.core.refresh_balance().await.unwrap().credits, 18);
    assert_eq!(w.platform.fake.replicate().creates(), 1);

    // The safety filter drops one image: the platform refunds it and the job says so.
    w.platform.fake.replicate().set_knobs(Knobs { image_side: Some(64), filter_images: 1, ..Knobs::default() });
    let job = w.core.generate(&request("flux-schnell", 2.0)).await.unwrap();
    let job = finished(&w.core, job.id).await;
    assert_eq!((job.status, job.images_returned, job.cost_credits), (Status::Done, 1, Some(1)));
    assert!(job.note.is_some());
    assert_eq!(w.core.refresh_balance().await.unwrap().credits, 17);
    let ledger = w.core.credit_ledger(None).await.unwrap();
    let refund = ledger.entries.iter().find(|e| e.reason == LedgerReason::Refund).expect("a refund entry");
    assert_eq!(refund.delta, 1);
    assert!(refund.prediction_id.is_some());

    // Deleting an account-mode image here asks Flux Krea to remove its temporary copies too.
    let deleted = w.core.delete_generations(&[job.id]).await.unwrap();
    assert_eq!(deleted.items, 1);
    assert!(deleted.platform.as_deref().is_some_and(|p| p.contains("removed")), "{deleted:?}");
    assert!(w.platform.fake.images_erased("ada@example.com"));
    w.core.sign_out().await.unwrap();
    // Every consent is off here (the default).
    assert!(w.core.consents().await.unwrap().iter().all(|c| !c.granted));
    only_documented_calls(&w.platform.fake.requests());
}

/// A picture too big to inline goes up through the platform's `POST /files` (Replicate's files
/// behind it, with the platform's token) and the prediction names the uploaded file: Kontext edits
/// and image-to-image work in account mode with a real photo, not only a thumbnail.
#[tokio::test]
async fn a_large_input_picture_is_uploaded_through_the_platform() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    assert!(w.core.start_jobs().unwrap());
    let large = w.sandbox.path().join("large.jpg");
    std::fs::write(&large, crate::generation::jpeg_with_gps(1400, 1000)).unwrap();
    assert!(std::fs::metadata(&large).unwrap().len() > 256 * 1024);
    let mut kontext = request("flux-kontext-pro", 1.0);
    kontext.inputs.insert("input_image".into(), InputValue::Text(large.display().to_string()));
    let job = finished(&w.core, w.core.generate(&kontext).await.unwrap().id).await;
    assert_eq!((job.status, job.images_returned, job.error.as_deref()), (Status::Done, 1, None));
    let uploads = w.platform.fake.replicate().uploads();
    assert_eq!(uploads.len(), 1, "one upload, through the platform");
    assert!(uploads[0].bytes.len() > 256 * 1024 && !uploads[0].bytes.windows(11).any(|w| w == b"GPSLatitude"));
    let sent = w.platform.fake.replicate().last_inputs().unwrap();
    assert!(sent["input_image"].as_str().unwrap().contains("/v1/files/"), "{sent}");
    only_documented_calls(&w.platform.fake.requests());
    w.core.sign_out().await.unwrap();
}

#[tokio::test]
async fn not_enough_credits_is_refused_before_anything_runs() {
    let w = world(PlatformKnobs { initial_credits: 3, ..PlatformKnobs::default() }).await;
    sign_in(&w).await;
    let err = w.core.generate(&request("flux-dev", 1.0)).await.unwrap_err();
    assert_eq!(err, Error::InsufficientCredits { needed: 5, balance: 3 });
    assert!(w.core.recent_jobs(10).await.unwrap().is_empty(), "nothing was written");
    assert_eq!(w.platform.fake.replicate().creates(), 0, "nothing was sent");
    w.core.sign_out().await.unwrap();
}

#[tokio::test]
async fn a_402_at_create_fails_the_job_with_the_numbers() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    // Both pass the local check against 20 credits; together they need 25.
    w.core.set_queue_paused(true);
    let a = w.core.generate(&request("flux-dev", 1.0)).await.unwrap();
    let b = w.core.generate(&request("flux-dev", 4.0)).await.unwrap();
    assert!(w.core.start_jobs().unwrap());
    w.core.set_queue_paused(false);
    let (a, b) = (finished(&w.core, a.id).await, finished(&w.core, b.id).await);
    let failed: Vec<&Job> = [&a, &b].into_iter().filter(|j| j.status == Status::Failed).collect();
    assert_eq!(failed.len(), 1, "exactly one could be paid for: {a:?} {b:?}");
    let error = failed[0].error.as_deref().unwrap();
    assert!(error.contains("not enough credits"), "{error}");
    assert_eq!(failed[0].images_returned, 0);
    w.core.sign_out().await.unwrap();
}

#[tokio::test]
async fn privacy_rights_reach_the_platform_when_signed_in() {
    use flux_krea_core::privacy::ConsentSource;
    let w = world(PlatformKnobs::default()).await;
    // Changed before signing in: sent at sign-in.
    w.core.set_consent("product_analytics", true, ConsentSource::App).await.unwrap();
    sign_in(&w).await;
    let report = w.core.privacy_report().await.unwrap();
    assert_eq!(report.keychain_entries, ["platform-session"], "the report names the entry, never its value");
    let synced = w.platform.fake.consents("ada@example.com").unwrap();
    assert_eq!(synced["product_analytics"]["granted"], true, "{synced}");
    assert_eq!(synced["training_use"]["granted"], false);
    w.core.set_consent("marketing_emails", true, ConsentSource::App).await.unwrap();
    assert_eq!(w.platform.fake.consents("ada@example.com").unwrap()["marketing_emails"]["granted"], true);
    assert!(w.core.consent_history().await.unwrap().iter().all(|c| c.synced_at.is_some()), "every change confirmed");

    // A generation gives the platform a stored prompt to export and erase.
    assert!(w.core.start_jobs().unwrap());
    let job = w.core.generate(&request("flux-schnell", 1.0)).await.unwrap();
    assert_eq!(finished(&w.core, job.id).await.status, Status::Done);

    let out = w.sandbox.path().join("export.zip");
    w.core.export_data(&out, &|_| {}).await.unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("platform_account.json").unwrap(), &mut text).unwrap();
    let account: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(account["profile"]["email"], "ada@example.com");
    assert!(text.contains("a lighthouse at dusk"), "the platform's stored prompt is exported");

    let report = w.core.erase_prompts().await.unwrap();
    assert!(report.platform.as_deref().is_some_and(|p| p.contains("removed stored prompts: 1")), "{report:?}");
    assert!(w.platform.fake.prompts_erased("ada@example.com"));
    let report = w.core.erase_everything().await.unwrap();
    assert!(report.platform.as_deref().is_some_and(|p| p.contains("images in temporary storage")), "{report:?}");
    assert!(w.platform.fake.images_erased("ada@example.com"));

    let images = w.core.delete_platform_images().await.unwrap();
    assert_eq!(images.kind, "delete_images");

    let request = w.core.request_account_deletion().await.unwrap();
    assert_eq!(request.kind, "account_deletion");
    let id = request.platform_request_id.clone().unwrap();
    assert_eq!(w.platform.fake.deletion_requests()[0]["request_id"], id.as_str());
    let days = (request.due_at.unwrap() - request.requested_at) / 86_400_000;
    assert!((29..=31).contains(&days), "due in about 30 days: {days}");
    assert_eq!(w.core.request_account_deletion().await.unwrap().platform_request_id, Some(id), "asked once");
    let kept = w.core.privacy_requests().await.unwrap().iter().filter(|r| r.kind == "account_deletion").count();
    assert_eq!(kept, 1, "a repeated request is not recorded twice");
    assert_eq!(request.status, RequestStatus::Pending);
    // Withdrawn: the same record, now cancelled, and the platform holds no pending request.
    let withdrawn = w.core.cancel_account_deletion().await.unwrap();
    assert_eq!((withdrawn.id, withdrawn.status), (request.id, RequestStatus::Cancelled));
    let listed = w.core.privacy_requests().await.unwrap();
    let deletions: Vec<_> = listed.iter().filter(|r| r.kind == "account_deletion").collect();
    assert_eq!(deletions.len(), 1);
    assert_eq!(deletions[0].status, RequestStatus::Cancelled);
    assert!(listed.iter().filter(|r| r.kind != "account_deletion").all(|r| r.status == RequestStatus::Done));
    let again = w.core.cancel_account_deletion().await;
    assert!(matches!(again, Err(Error::NotFound { .. })), "nothing left to withdraw: {again:?}");
    w.core.sign_out().await.unwrap();
    assert_eq!(w.core.request_account_deletion().await.unwrap_err(), Error::AuthRequired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_screen_loads_everything_at_once() {
    let w = world(PlatformKnobs::default()).await;
    sign_in(&w).await;
    // What the Account screen asks for together after a sign-in.
    let all = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(
            w.core.refresh_balance(),
            w.core.credit_ledger(None),
            w.core.credit_packs(),
            w.core.credit_prices(),
            w.core.account_status()
        )
    })
    .await
    .expect("the calls answer together");
    assert_eq!(all.0.unwrap().credits, 20);
    assert!(all.1.is_ok() && all.2.is_ok() && all.3.is_ok() && all.4.is_ok());
    w.core.sign_out().await.unwrap();
}
