//! The `flux-krea-fakes` binary demo scripts run.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_the_url_and_serves_with_the_default_token() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux-krea-fakes"))
        .arg("replicate")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("FLUX_KREA_REPLICATE_URL=").expect("first line names the URL").to_string();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/v1"), "{url}");

    let res =
        reqwest::Client::new().get(format!("{url}/account")).bearer_auth("r8_demo_fake_token").send().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(res.status(), 200);

    let bad = Command::new(env!("CARGO_BIN_EXE_flux-krea-fakes")).arg("nonsense").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn binary_serves_a_signed_update_feed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux-krea-fakes"))
        .arg("updates")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let feed = line.trim().strip_prefix("FLUX_KREA_UPDATE_FEED=").expect("first line names the feed").to_string();
    let manifest: serde_json::Value = reqwest::get(&feed).await.unwrap().json().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(feed.ends_with("/stable/latest.json"), "{feed}");
    assert_eq!(manifest["version"], flux_krea_fakes::updates::STABLE_VERSION);
    assert!(manifest["platforms"]["linux-x86_64"]["signature"].as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test]
async fn binary_serves_the_platform() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux-krea-fakes"))
        .arg("platform")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("FLUX_KREA_PLATFORM_URL=").expect("first line names the URL").to_string();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with('/'), "{url}");

    let http = reqwest::Client::new();
    let state = http.get(format!("{url}/_fake/state")).send().await.unwrap();
    let me = http.get(format!("{url}/api/v1/me")).send().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(state.status(), 200);
    assert_eq!(me.status(), 401);

    let bad = Command::new(env!("CARGO_BIN_EXE_flux-krea-fakes")).args(["platform", "--token", "t"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// Starts the binary with `args` and reads `n` `NAME=value` lines from its stdout.
fn env_lines(args: &[&str], n: usize) -> (std::process::Child, std::collections::HashMap<String, String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux-krea-fakes"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut vars = std::collections::HashMap::new();
    for _ in 0..n {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let (k, v) = line.trim().split_once('=').expect("NAME=value");
        vars.insert(k.to_string(), v.to_string());
    }
    (child, vars)
}

#[tokio::test]
async fn binary_upstreams_prints_every_variable_the_platform_service_reads() {
    let (mut child, vars) = env_lines(&["upstreams"], 15);
    let http = reqwest::Client::new();
    let stripe = http
        .get(format!("{}/v1/checkout/sessions/cs_test_x", vars["STRIPE_API_URL"]))
        .bearer_auth(&vars["STRIPE_SECRET_KEY"])
        .send()
        .await
        .unwrap();
    let github: serde_json::Value = http
        .post(format!("{}/login/oauth/access_token", vars["GITHUB_URL"]))
        .header("accept", "application/json")
        .form(&[("client_id", vars["GITHUB_CLIENT_ID"].as_str()), ("client_secret", "wrong"), ("code", "c")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret: serde_json::Value = http
        .get(format!("{}/webhooks/default/secret", vars["REPLICATE_API_URL"]))
        .bearer_auth(&vars["REPLICATE_API_TOKEN"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let google =
        http.get(format!("{}/v1/userinfo", vars["GOOGLE_AUTH_URL"].replace("/o/oauth2/v2/auth", ""))).send().await;
    child.kill().unwrap();
    child.wait().unwrap();
    for name in
        ["GOOGLE_TOKEN_URL", "GOOGLE_USERINFO_URL", "GOOGLE_CLIENT_SECRET", "GITHUB_API_URL", "STRIPE_WEBHOOK_SECRET"]
    {
        assert!(vars.contains_key(name), "{name} in {vars:?}");
    }
    assert_eq!(stripe.status(), 404, "the printed key is accepted; the session does not exist");
    assert_eq!(github["error"], "incorrect_client_credentials");
    assert_eq!(secret["key"], vars["REPLICATE_WEBHOOK_SECRET"].as_str());
    assert_eq!(google.unwrap().status(), 401);
}

#[tokio::test]
async fn binary_single_upstreams_take_their_client_and_keys_from_flags() {
    let (mut child, vars) = env_lines(&["google", "--client-id", "my-id", "--client-secret", "my-secret"], 5);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!((vars["GOOGLE_CLIENT_ID"].as_str(), vars["GOOGLE_CLIENT_SECRET"].as_str()), ("my-id", "my-secret"));

    let args =
        ["stripe", "--secret-key", "sk_test_x", "--webhook-url", "http://127.0.0.1:9/h", "--webhook-secret", "whsec_y"];
    let (mut child, vars) = env_lines(&args, 3);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!((vars["STRIPE_SECRET_KEY"].as_str(), vars["STRIPE_WEBHOOK_SECRET"].as_str()), ("sk_test_x", "whsec_y"));

    for bad in [&["github", "--token", "t"][..], &["google", "--webhook-url", "u"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_flux-krea-fakes")).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
