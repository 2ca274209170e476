//! `account` and `credits` through the real binary against the platform fake: sign-in with the
//! test playing the browser from the printed URL, status, ledger, buying a pack, generating with
//! credits, sign-out. Uses the real keychain (the test script's throwaway gnome-keyring).

use std::process::{Command, Output, Stdio};

use flux_krea_core::testing::Sandbox;
use flux_krea_fakes::platform::{PlatformKnobs, RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::Knobs;
use serde_json::Value;

struct World {
    /// Account mode only: Replicate points nowhere, so an own-key call would fail.
    sandbox: Sandbox,
    platform: RunningPlatform,
}

impl World {
    fn new(platform: RunningPlatform) -> World {
        let sandbox =
            Sandbox::new().with("FLUX_KREA_PLATFORM_URL", platform.url()).with("FLUX_KREA_PLATFORM_ANON_KEY", ANON_KEY);
        World { sandbox, platform }
    }

    fn cli(&self) -> Command {
        crate::cli(&self.sandbox)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cli().args(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Runs a waiting verb, hands the first URL it prints on stderr to `browse`, then waits for it.
async fn with_printed_url<F, Fut>(w: &World, args: &[&str], browse: F) -> (Output, String)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let child = w.cli().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    crate::with_printed_url(child, args, browse).await
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

// Multi-threaded: the blocking CLI calls must not starve the in-process fake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_buy_generate_and_sign_out_from_the_command_line() {
    let _turn = crate::KEYCHAIN.lock().await;
    let platform = RunningPlatform::start().await.unwrap();
    platform.fake.replicate().set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let w = World::new(platform);
    assert!(w.run(&["account", "sign-out"]).status.success(), "a clean start");

    // The age question comes first, naming the flag that answers it.
    let refused = w.run(&["account", "sign-in", "--provider", "github", "--no-browser"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--confirm-age"));

    let (out, stderr) = with_printed_url(
        &w,
        &["account", "sign-in", "--provider", "github", "--no-browser", "--confirm-age"],
        |url| async move {
            let http = browser();
            let redirect = http.get(&url).send().await.unwrap();
            let callback = redirect.headers()["location"].to_str().unwrap().to_string();
            assert!(http.get(&callback).send().await.unwrap().status().is_success());
        },
    )
    .await;
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Signed in as Grace Hopper <grace@example.com>"), "{stdout}");
    assert!(stdout.contains("Balance: 20 credits"), "{stdout}");
    // Just heard from the platform: not offered as a stale figure.
    assert!(!stdout.contains("could not be reached"), "{stdout}");
    let status = w.run(&["account", "status"]);
    let status_text = String::from_utf8_lossy(&status.stdout);
    assert!(status_text.contains("Balance: 20 credits\n"), "{status_text}");

    let status = w.json(&["account", "status", "--json"]);
    assert_eq!(status["signed_in"], true);
    assert_eq!(status["active_mode"], "account");
    assert_eq!(status["balance"]["credits"], 20);

    let packs = w.json(&["credits", "packs", "--json"]);
    assert_eq!(packs.as_array().unwrap().len(), 3);
    let fake = w.platform.fake.clone();
    let (out, stderr) =
        with_printed_url(&w, &["credits", "buy", "pack_100", "--no-browser", "--json"], |url| async move {
            let session = url.rsplit('/').next().unwrap().to_string();
            assert!(fake.complete_checkout(&session));
        })
        .await;
    assert!(out.status.success(), "{stderr}");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((result["state"].as_str(), result["credits_granted"].as_i64()), (Some("complete"), Some(100)));

    let gen = w.run(&["generate", "--model", "flux-schnell", "--prompt", "a kite over dunes", "--n", "2"]);
    assert!(gen.status.success(), "{}", String::from_utf8_lossy(&gen.stderr));
    assert!(String::from_utf8_lossy(&gen.stderr).contains("2 credits"), "{}", String::from_utf8_lossy(&gen.stderr));

    let credits = w.json(&["credits", "--ledger", "--json"]);
    assert_eq!(credits["balance"]["credits"], 118);
    let reasons: Vec<&str> =
        credits["ledger"].as_array().unwrap().iter().filter_map(|e| e["reason"].as_str()).collect();
    assert_eq!(reasons, ["generation", "purchase", "grant"], "newest first");

    // The platform cannot be told: signed out here, and the session is ended there later.
    w.platform.fake.set_knobs(PlatformKnobs { logout_server_errors: 1, ..PlatformKnobs::default() });
    let out = w.run(&["account", "sign-out"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("could not be reached to end the session there too"), "{stdout}");
    assert_eq!(w.platform.fake.live_sessions(), 1);
    let status = w.json(&["account", "status", "--json"]);
    assert_eq!((status["signed_in"].as_bool(), status["session_ending"].as_bool()), (Some(false), Some(false)));
    assert_eq!(w.platform.fake.live_sessions(), 0, "`account status` ended it");
    let denied = w.run(&["credits"]);
    assert!(!denied.status.success());
    assert!(String::from_utf8_lossy(&denied.stderr).contains("sign-in required"));
    // Nothing logged holds the e-mail address.
    for entry in std::fs::read_dir(w.sandbox.path().join("logs")).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        assert!(!text.contains("grace@example.com"), "an e-mail address in the log");
    }
}
