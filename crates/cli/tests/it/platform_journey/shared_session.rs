//! The window and the CLI share one keychain entry for the session. When one of them rotates the
//! pair, the other still holds the spent refresh token in memory; presenting it after the
//! service's reuse interval (10 s) is refresh-token reuse, which ends the session everywhere.
//! The app must take the rotated pair from the keychain instead.

use std::time::{Duration, Instant};

use flux_krea_core::Core;
use flux_krea_platform::testing::{Stack, StackOptions};

use super::world::World;

/// Tokens last 63 s: with the app's 60 s refresh margin, a pair needs refreshing 3 s after issue.
const TTL: Duration = Duration::from_secs(63);
const NEEDS_REFRESH_AFTER: Duration = Duration::from_secs(3);
/// Past the service's reuse interval for a spent refresh token.
const PAST_REUSE_INTERVAL: Duration = Duration::from_millis(10_500);

/// "The window": a core on the same data folder and keychain as the CLI.
async fn window(w: &World) -> Core {
    w.sandbox.open().await
}

// Multi-threaded: the blocking CLI calls must not starve the test's own tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_rotated_by_the_cli_is_taken_up_by_the_window_not_reused() {
    let _turn = crate::KEYCHAIN.lock().await;
    let stack = Stack::start(StackOptions { access_ttl: Some(TTL), ..StackOptions::default() }).await;
    let w = World::new(stack);
    w.ok(&["account", "sign-out"]); // whatever an earlier test left in the keychain
    w.sign_in("google", w.stack.google_url().to_string()).await;
    let issued = Instant::now();

    let window = window(&w).await;
    assert!(window.refresh_balance().await.unwrap().live, "the window reads the pair while it is fresh");
    // The pair's time to refresh comes (a wall-clock TTL, nothing to wait on); the CLI rotates it.
    tokio::time::sleep(NEEDS_REFRESH_AFTER.saturating_sub(issued.elapsed())).await;
    w.ok(&["credits"]);
    assert_eq!(
        w.scalar("SELECT count(*) FROM refresh_tokens WHERE spent_at IS NOT NULL").await,
        1,
        "the CLI refreshed"
    );

    tokio::time::sleep(PAST_REUSE_INTERVAL).await;
    let balance = window.refresh_balance().await;
    let ended = "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL";
    assert_eq!(w.scalar(ended).await, 0, "the session was ended (refresh token reused)");
    assert!(balance.is_ok_and(|b| b.live), "the window is still signed in");
    let status = w.json(&["account", "status", "--json"]);
    assert_eq!(status["signed_in"], true, "the CLI is still signed in: {status}");
    window.close().await;
}

/// Signed out while the service cannot be reached: the session is parked, and once the service
/// answers again (its access token expired meanwhile) it is refreshed and ended there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_signed_out_offline_is_ended_at_the_service_later() {
    let _turn = crate::KEYCHAIN.lock().await;
    let stack = Stack::start(StackOptions { access_ttl: Some(TTL), ..StackOptions::default() }).await;
    let w = World::new(stack);
    w.ok(&["account", "sign-out"]);
    w.sign_in("github", w.stack.github_url().to_string()).await;
    let issued = Instant::now();

    let offline = w.cli().env("FLUX_KREA_PLATFORM_URL", "http://127.0.0.1:9").args(["account", "sign-out"]).output();
    let (stdout, stderr) = super::world::text(&offline.unwrap());
    assert!(stdout.contains("could not be reached to end the session there too"), "{stdout}{stderr}");
    let live = "SELECT count(*) FROM sessions WHERE ended_at IS NULL";
    assert_eq!(w.scalar(live).await, 1, "still live at the service");

    // The parked pair needs refreshing by now (a wall-clock TTL, nothing to wait on).
    tokio::time::sleep(NEEDS_REFRESH_AFTER.saturating_sub(issued.elapsed())).await;
    let status = w.json(&["account", "status", "--json"]);
    assert_eq!((status["signed_in"].as_bool(), status["session_ending"].as_bool()), (Some(false), Some(false)));
    assert_eq!(w.scalar(live).await, 0, "ended at the service");
    let spent = "SELECT count(*) FROM refresh_tokens WHERE spent_at IS NOT NULL";
    assert_eq!(w.scalar(spent).await, 1, "the parked pair was refreshed first");
    let ended = "SELECT count(*) FROM sessions WHERE end_reason IS DISTINCT FROM 'refresh_token_reused'";
    assert_eq!(w.scalar(ended).await, 1, "by a logout, not by reuse detection");
}
