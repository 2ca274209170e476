//! Health, readiness, problem+json, and configuration errors.

use flux_krea_platform::Config;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::start;

#[tokio::test]
async fn health_readiness_and_problems() {
    let p = start().await;
    let res = p.http.get(format!("{}/healthz", p.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = p.http.get(format!("{}/readyz", p.url)).send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["database"].as_bool(), body["storage"].as_bool()), (Some(true), Some(true)));

    let res = p.http.get(format!("{}/api/v1/me", p.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("invalid_token"), Some(401)));
    let res = p.get("/me", "not.a.jwt").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = p.http.get(format!("{}/nowhere", p.url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "not_found");
}

#[test]
fn configuration_names_every_problem_at_once_and_no_secret() {
    let env = |name: &str| match name {
        "DATABASE_URL" => Some("mysql://nope".to_string()),
        "FLUX_KREA_PLATFORM_PUBLIC_URL" => Some("http://platform.example".to_string()),
        "S3_ENDPOINT" => Some("http://10.0.0.1:9000".to_string()),
        "STRIPE_WEBHOOK_SECRET" => Some("not-a-whsec-value".to_string()),
        "FLUX_KREA_PLATFORM_JWT_SECRET" => Some("short-secret".to_string()),
        "GOOGLE_AUTH_URL" => Some("http://127.0.0.1:9/auth".to_string()),
        "FLUX_KREA_PLATFORM_DB_CONNECTIONS" => Some("0".to_string()),
        _ => None,
    };
    let e = Config::from_lookup(env).unwrap_err().to_string();
    for expected in [
        "DATABASE_URL: must be a postgres:// URL",
        "FLUX_KREA_PLATFORM_BIND: missing",
        "FLUX_KREA_PLATFORM_PUBLIC_URL: must be https, or http to a loopback IP",
        "S3_ENDPOINT: must be https, or http to a loopback IP",
        "STRIPE_WEBHOOK_SECRET: must start with whsec_",
        "FLUX_KREA_PLATFORM_JWT_SECRET: too short",
        "GITHUB_CLIENT_SECRET: missing",
        "REPLICATE_WEBHOOK_SECRET: missing",
        "FLUX_KREA_PLATFORM_DB_CONNECTIONS: must be a whole number from 1",
    ] {
        assert!(e.contains(expected), "{expected:?} not in:\n{e}");
    }
    assert!(!e.contains("GOOGLE_AUTH_URL"), "loopback http is allowed:\n{e}");
    for secret in ["not-a-whsec-value", "short-secret", "mysql://nope"] {
        assert!(!e.contains(secret), "{secret} leaked:\n{e}");
    }
}
