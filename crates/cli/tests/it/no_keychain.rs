//! The CLI on a machine without a keychain (#24): no D-Bus session at all, as over SSH. Own-key runs
//! work from `REPLICATE_API_TOKEN`, read paths report "signed out, keychain unavailable", and only
//! the verbs that must store a secret fail, saying what is missing.

use std::process::{Command, Output, Stdio};

use flux_krea_core::testing::Sandbox;
use flux_krea_fakes::platform::{RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};
use serde_json::Value;

const TOKEN: &str = "r8_no_keychain_token";

struct World {
    sandbox: Sandbox,
    replicate: RunningReplicate,
    _platform: RunningPlatform,
}

async fn world() -> World {
    let replicate = RunningReplicate::start(&[TOKEN]).await.unwrap();
    replicate.fake.set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let platform = RunningPlatform::start().await.unwrap();
    let sandbox = Sandbox::new()
        .with("FLUX_KREA_REPLICATE_URL", replicate.base_url())
        .with("FLUX_KREA_PLATFORM_URL", platform.url())
        .with("FLUX_KREA_PLATFORM_ANON_KEY", ANON_KEY);
    World { sandbox, replicate, _platform: platform }
}

impl World {
    /// The binary with no session bus, no display and an empty runtime dir: libdbus can neither
    /// find a bus nor autolaunch one, which is what an SSH login without a desktop looks like.
    fn cli(&self, token: Option<&str>) -> Command {
        let runtime = self.sandbox.path().join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let mut cmd = crate::cli(&self.sandbox);
        cmd.env("XDG_RUNTIME_DIR", &runtime)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        if let Some(t) = token {
            cmd.env("REPLICATE_API_TOKEN", t);
        }
        cmd
    }

    fn run(&self, token: Option<&str>, args: &[&str]) -> Output {
        self.cli(token).args(args).output().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_key_generation_works_from_the_environment_and_says_so_once() {
    let w = world().await;
    let out = w.run(Some(TOKEN), &["generate", "--model", "flux-schnell", "--prompt", "a quiet harbour", "--json"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    let said = "Mode: own key (your Replicate account, the token from REPLICATE_API_TOKEN).";
    assert_eq!(stderr.matches(said).count(), 1, "{stderr}");
    let out: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out["job"]["status"], "done", "{out}");
    assert!(out["job"]["cost_usd"].as_f64().is_some_and(|usd| usd > 0.0), "paid in dollars: {out}");
    // The image is in the cache, and Replicate was paid once.
    let file = out["files"][0].as_str().unwrap();
    assert!(std::path::Path::new(file).is_file(), "{file}");
    assert_eq!(w.replicate.fake.creates(), 1);
    assert!(!stderr.contains(TOKEN) && !stdout.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_status_is_signed_out_with_the_keychain_named_not_an_error() {
    let w = world().await;
    let out = w.run(None, &["account", "status"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("Not signed in: the keychain cannot be reached"), "{stdout}");
    assert!(stdout.contains("gnome-keyring") && stdout.contains("REPLICATE_API_TOKEN"), "{stdout}");
    assert!(stdout.contains("Generating with: nothing yet"), "{stdout}");

    let out = w.run(Some(TOKEN), &["account", "status", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["signed_in"], false);
    assert_eq!(status["active_mode"], "own_key");
    assert!(status["keychain_unavailable"].as_str().is_some_and(|r| !r.is_empty()), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_status_reads_as_no_stored_key() {
    let w = world().await;
    let out = w.run(None, &["key", "status"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["configured"], false);
    assert!(status["keychain_unavailable"].is_string(), "{status}");
    assert!(text(&out.stderr).contains("The keychain cannot be reached"));

    let out = w.run(Some(TOKEN), &["key", "status"]);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((status["configured"].clone(), status["source"].clone()), (Value::Bool(true), "environment".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbs_that_store_a_secret_fail_at_once_and_say_what_is_missing() {
    let w = world().await;
    // `key set` stops before reading a token (stdin is closed: a prompt would read nothing).
    let key_set = w.run(Some(TOKEN), &["key", "set"]);
    // `account sign-in` stops before printing a URL or opening a browser.
    let sign_in = w.run(None, &["account", "sign-in", "--provider", "google", "--confirm-age", "--no-browser"]);
    for (verb, out) in [("key set", key_set), ("account sign-in", sign_in)] {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{verb}: {stderr}");
        assert!(stderr.contains("error: keychain unavailable:"), "{verb}: {stderr}");
        assert!(stderr.contains("hint:") && stderr.contains("gnome-keyring"), "{verb}: {stderr}");
        assert!(stderr.contains("REPLICATE_API_TOKEN"), "{verb}: {stderr}");
        assert!(!stderr.contains("Open this address"), "{verb}: {stderr}");
    }
    assert_eq!(w.replicate.fake.creates(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_without_a_token_names_the_keychain_and_the_variable() {
    let w = world().await;
    let out = w.run(None, &["generate", "--model", "flux-schnell", "--prompt", "a quiet harbour"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("replicate_token: no Replicate API token can be read: the keychain cannot be reached"),
        "{stderr}"
    );
    assert!(stderr.contains("set REPLICATE_API_TOKEN"), "{stderr}");
    assert_eq!(w.replicate.fake.creates(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_still_fails_and_says_how_to_get_a_keychain() {
    let w = world().await;
    let out = w.run(Some(TOKEN), &["doctor"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("keychain       FAILED:"), "{stdout}");
    assert!(stdout.contains("dbus-run-session") && stdout.contains("gnome-keyring"), "{stdout}");
    assert!(stdout.contains("Some checks failed."), "{stdout}");
}
