//! Replicate's signed webhooks (Standard Webhooks), checked with an independent HMAC.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::receiver::{Received, Receiver};
use crate::common::{start, Harness, TOKEN};

const WAIT: Duration = Duration::from_secs(10);

/// True when one of the space-separated `v1,<base64>` entries is HMAC-SHA256 keyed with the
/// base64-decoded secret over `"{id}.{timestamp}.{body}"`, computed here.
fn verifies(r: &Received, secret: &str) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", r.header("webhook-id"), r.header("webhook-timestamp")).as_bytes());
    mac.update(&r.body);
    let want = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.header("webhook-signature").split(' ').any(|s| s == want)
}

async fn create_with_hook(h: &Harness, hook: &str, filter: Option<Value>) -> Value {
    let mut body = json!({ "input": { "prompt": "x" }, "webhook": hook });
    if let Some(f) = filter {
        body["webhook_events_filter"] = f;
    }
    let res = h
        .http
        .post(h.url("/models/black-forest-labs/flux-schnell/predictions"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202, "created, not finished");
    res.json().await.unwrap()
}

async fn secret(h: &Harness) -> String {
    let res = h.http.get(h.url("/webhooks/default/secret")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn replicate_webhook_secret_needs_auth_and_can_be_set() {
    let h = start().await;
    assert_eq!(h.http.get(h.url("/webhooks/default/secret")).send().await.unwrap().status(), 401);
    let key = secret(&h).await;
    assert!(key.starts_with("whsec_") && STANDARD.decode(&key[6..]).is_ok(), "{key}");
    h.fake.fake.set_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert_eq!(secret(&h).await, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
}

#[tokio::test]
async fn replicate_sends_every_event_signed_with_standard_webhooks() {
    let h = start().await;
    h.knobs(|k| k.run_ms = 400);
    let hook = Receiver::start(0).await;
    let p = create_with_hook(&h, &hook.url(), None).await;
    let key = secret(&h).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let got = loop {
        let got = hook.got();
        if got.iter().any(|r| r.json()["status"] == "succeeded") {
            break got;
        }
        assert!(tokio::time::Instant::now() < deadline, "no completed webhook");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(got.iter().all(|r| verifies(r, &key)), "every webhook verifies");
    assert!(!verifies(&got[0], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assert!(got.iter().all(|r| r.json()["id"] == p["id"]));
    assert!(got.iter().all(|r| r.header("webhook-id").starts_with("msg_")));
    let ts: i64 = got[0].header("webhook-timestamp").parse().unwrap();
    assert!((ts - chrono::Utc::now().timestamp()).abs() < 30);
    let statuses: Vec<String> = got.iter().map(|r| r.json()["status"].as_str().unwrap().to_string()).collect();
    assert_eq!(statuses[0], "starting", "start comes first: {statuses:?}");
    assert!(statuses.iter().any(|s| s == "processing"), "a logs webhook while running: {statuses:?}");
    let done = got.iter().find(|r| r.json()["status"] == "succeeded").unwrap().json();
    assert!(done["output"].as_array().is_some_and(|o| !o.is_empty()));
    // The fake records an attempt once its answer is back, a moment after the receiver saw it.
    const ALL: [&str; 4] = ["start", "logs", "output", "completed"];
    let recorded = h.fake.fake.wait_for_webhooks(WAIT, |d| ALL.iter().all(|k| d.iter().any(|d| d.kind == *k))).await;
    let kinds: Vec<String> = recorded.iter().map(|d| d.kind.clone()).collect();
    for kind in ALL {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test]
async fn replicate_retries_only_the_completed_webhook() {
    let h = start().await;
    h.knobs(|k| k.run_ms = 300);
    // The first answer (start's) fails and is not retried; completed fails once and is retried.
    let hook = Receiver::start(2).await;
    create_with_hook(&h, &hook.url(), Some(json!(["start", "completed"]))).await;
    let got = hook.wait_for(3, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_after = hook.got();
    assert_eq!(got_after.len(), 3, "no further attempts");
    let starts = got.iter().filter(|r| r.json()["status"] == "starting").count();
    assert_eq!(starts, 1, "start is sent once");
    let completed: Vec<&Received> = got.iter().filter(|r| r.json()["status"] == "succeeded").collect();
    assert_eq!(completed.len(), 2, "completed retried after its 500");
    assert_eq!(completed[0].header("webhook-id"), completed[1].header("webhook-id"), "a retry keeps its id");
    let attempts: Vec<(String, u32, Option<u16>)> =
        h.fake.fake.webhook_deliveries().into_iter().map(|d| (d.kind, d.attempt, d.status)).collect();
    assert!(attempts.contains(&("completed".into(), 2, Some(200))), "{attempts:?}");
}

#[tokio::test]
async fn replicate_knobs_drop_or_duplicate_webhooks() {
    let h = start().await;
    h.knobs(|k| {
        k.run_ms = 100;
        k.drop_webhooks = true;
    });
    let hook = Receiver::start(0).await;
    let p = create_with_hook(&h, &hook.url(), Some(json!(["completed"]))).await;
    let done = h.poll(&p, WAIT).await;
    assert_eq!(done["status"], "succeeded");
    let dropped = h.fake.fake.wait_for_webhooks(WAIT, |d| !d.is_empty()).await;
    assert_eq!((dropped[0].attempt, dropped[0].status), (0, None));
    assert!(hook.got().is_empty(), "nothing sent while dropping");

    h.knobs(|k| {
        k.drop_webhooks = false;
        k.duplicate_webhooks = true;
    });
    create_with_hook(&h, &hook.url(), Some(json!(["completed"]))).await;
    let got = hook.wait_for(2, WAIT).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[0].body, got[1].body);
}
