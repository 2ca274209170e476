//! The `flux-krea-platform` binary itself: its verbs, its configuration errors, and `serve`
//! answering on its own port after migrating a fresh database.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{fresh_bucket, fresh_database, services};

const BIN: &str = env!("CARGO_BIN_EXE_flux-krea-platform");

#[test]
fn a_missing_configuration_is_named_in_full_and_exits_2() {
    let out = Command::new(BIN).arg("check-config").env_clear().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    for name in
        ["DATABASE_URL", "FLUX_KREA_PLATFORM_BIND", "S3_BUCKET", "GOOGLE_CLIENT_SECRET", "REPLICATE_WEBHOOK_SECRET"]
    {
        assert!(err.contains(&format!("{name}: missing")), "{name} not named:\n{err}");
    }
    let out = Command::new(BIN).arg("dance").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn serve_migrates_and_answers_readyz() {
    let s = services();
    let database = fresh_database(&s).await;
    let bucket = fresh_bucket(&s).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = [
        ("DATABASE_URL", database.as_str()),
        ("FLUX_KREA_PLATFORM_BIND", &format!("127.0.0.1:{port}")),
        ("FLUX_KREA_PLATFORM_PUBLIC_URL", &format!("http://127.0.0.1:{port}")),
        ("FLUX_KREA_PLATFORM_JWT_SECRET", "binary-test-jwt-secret-32-bytes-long!"),
        ("FLUX_KREA_PLATFORM_ANON_KEY", "anon"),
        ("S3_ENDPOINT", &s.s3_endpoint),
        ("S3_BUCKET", &bucket),
        ("S3_REGION", &s.s3_region),
        ("S3_ACCESS_KEY_ID", &s.s3_key),
        ("S3_SECRET_ACCESS_KEY", &s.s3_secret),
        ("GOOGLE_CLIENT_ID", "g"),
        ("GOOGLE_CLIENT_SECRET", "gs"),
        ("GITHUB_CLIENT_ID", "h"),
        ("GITHUB_CLIENT_SECRET", "hs"),
        ("STRIPE_SECRET_KEY", "sk_test_x"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
        ("REPLICATE_API_TOKEN", "r8_x"),
        ("REPLICATE_WEBHOOK_SECRET", "whsec_eA=="),
    ];
    let out = Command::new(BIN).arg("check-config").env_clear().envs(env).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN).arg("migrate").env_clear().envs(env).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let mut child = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/readyz");
    let mut ready = None;
    for _ in 0..100 {
        if let Ok(res) = reqwest::get(&url).await {
            ready = Some(res.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(ready, Some(reqwest::StatusCode::OK));
}
