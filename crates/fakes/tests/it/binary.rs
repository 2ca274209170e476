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
