//! An account deletion carried out while the CLI still holds the session: the service keeps
//! nothing personal (the ledger stays, pseudonymous), the app finds itself signed out, and the
//! same Google account signing in again starts a new account.

use flux_krea_fakes::replicate::Knobs;
use flux_krea_platform::testing::{Stack, StackOptions};

use super::world::{text, World};

const PROMPT: &str = "a garden I will ask them to forget";

// Multi-threaded: the blocking CLI calls must not starve the test's own tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carried_out_deletion_signs_the_app_out_and_leaves_nothing_personal() {
    let _turn = crate::KEYCHAIN.lock().await;
    let stack = Stack::start(StackOptions { signup_credits: 5, ..StackOptions::default() }).await;
    stack.replicate().set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let w = World::new(stack);
    w.ok(&["account", "sign-out"]); // whatever an earlier test left in the keychain
    w.sign_in("google", w.stack.google_url().to_string()).await;
    w.ok(&["generate", "--model", "flux-schnell", "--prompt", PROMPT]);
    w.until("the prediction settled", "SELECT count(*) FROM predictions WHERE settled_at IS NULL", 0).await;
    let request = w.json(&["privacy", "delete-account", "--yes"]);
    assert!(request["platform_request_id"].is_string(), "{request}");

    // The grace period is over (as seven days later); any replica's background work runs it.
    sqlx_exec(&w, "UPDATE deletion_requests SET run_at = now()").await;
    w.stack.run_jobs().await;
    assert_eq!(w.scalar("SELECT count(*) FROM deletion_requests WHERE completed_at IS NOT NULL").await, 1);
    let email = w.stack.google().user().email;
    for (what, needle) in [("e-mail", email.as_str()), ("prompt", PROMPT), ("name", "Ada Fake")] {
        assert_eq!(w.rows_holding(needle).await, Vec::<String>::new(), "the {what} is still stored");
    }
    for table in ["sessions", "identities", "outputs", "refresh_tokens"] {
        assert_eq!(w.scalar(&format!("SELECT count(*) FROM {table}")).await, 0, "{table} after deletion");
    }
    assert_eq!(w.scalar("SELECT count(*) FROM ledger_entries").await, 2, "grant and charge, kept pseudonymous");
    assert_eq!(w.stack.ledger_mismatches().await, 0);

    // The app's session is gone with the account: asking the service says so, once.
    let denied = w.run(&["credits"]);
    assert!(!denied.status.success(), "{denied:?}");
    assert!(text(&denied).1.contains("sign-in required"), "{}", text(&denied).1);
    let status = w.json(&["account", "status", "--json"]);
    assert_eq!(status["signed_in"], false, "{status}");

    // The same Google account again: a new account, with a new sign-up grant.
    let stdout = w.sign_in("google", w.stack.google_url().to_string()).await;
    assert!(stdout.contains("Balance: 5 credits"), "{stdout}");
    assert_eq!(w.scalar("SELECT count(*) FROM users WHERE deleted_at IS NULL").await, 1);
    assert_eq!(w.scalar("SELECT count(*) FROM users").await, 2);
    w.ok(&["account", "sign-out"]);
}

async fn sqlx_exec(w: &World, sql: &'static str) {
    flux_krea_platform::testing::sqlx::query(sql).execute(w.stack.db()).await.unwrap();
}
