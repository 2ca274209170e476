//! The CLI killed while the service holds its create open (`Prefer: wait`): the restarted runner
//! sends the create again under the same Idempotency-Key and must end with the one prediction
//! that was paid for, delivered, charged once.

use std::time::{Duration, Instant};

use flux_krea_fakes::replicate::Knobs;
use flux_krea_platform::testing::{Stack, StackOptions};

use super::world::{text, World};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_create_the_resumed_job_gets_the_one_paid_prediction() {
    let _turn = crate::KEYCHAIN.lock().await;
    let stack = Stack::start(StackOptions { signup_credits: 10, ..StackOptions::default() }).await;
    let w = World::new(stack);
    w.ok(&["account", "sign-out"]);
    w.sign_in("google", w.stack.google_url().to_string()).await;
    // Replicate takes 3 s: the service holds the create open for the app's Prefer: wait.
    w.stack.replicate().set_knobs(Knobs { image_side: Some(64), run_ms: 3_000, ..Knobs::default() });

    let mut child = w.spawn(&["generate", "--model", "flux-schnell", "--prompt", "cut off mid create"]);
    w.until("Replicate has the prediction", "SELECT count(*) FROM predictions WHERE replicate_id IS NOT NULL", 1).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let mut runner = w.spawn(&["jobs", "run"]);
    let start = Instant::now();
    while runner.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            runner.kill().unwrap();
            panic!("the resumed job did not finish in 60 s: {:?}", w.jobs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = runner.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    let jobs = w.jobs();
    assert_eq!((jobs[0]["status"].as_str(), jobs[0]["images_returned"].as_i64()), (Some("done"), Some(1)), "{jobs:?}");
    w.until("settled", "SELECT count(*) FROM predictions WHERE settled_at IS NULL", 0).await;
    assert_eq!(w.stack.replicate().predictions().len(), 1, "one prediction on Replicate");
    assert_eq!(w.scalar("SELECT count(*) FROM predictions").await, 1, "one prediction at the service");
    assert_eq!(w.json(&["credits", "--json"])["balance"]["credits"], 9, "charged once");
    assert_eq!(w.stack.ledger_mismatches().await, 0);
}
