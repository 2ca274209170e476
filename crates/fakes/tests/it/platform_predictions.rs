//! Predictions through the platform: credits reserved at create, idempotent replays, refunds for
//! every image not delivered, ownership.

use std::time::Duration;

use crate::common::platform::start;
use flux_krea_fakes::platform::PlatformKnobs;
use reqwest::Method;
use serde_json::{json, Value};

const ADA: &str = "ada@example.com";

fn reasons(ledger: &[Value]) -> Vec<(String, i64)> {
    ledger.iter().map(|e| (e["reason"].as_str().unwrap().to_string(), e["delta"].as_i64().unwrap())).collect()
}

#[tokio::test]
async fn a_create_without_enough_credits_is_402_and_creates_nothing() {
    let h = start().await;
    h.p.fake.set_knobs(PlatformKnobs { initial_credits: 12, ..PlatformKnobs::default() });
    let access = h.token("google").await;
    let res = h.create(&access, "flux-dev", json!({ "prompt": "x", "num_outputs": 3 }), "k1").await;
    assert_eq!(res.status(), 402);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["title"], "Insufficient credits");
    assert_eq!(body["code"], "insufficient_credits");
    assert_eq!(body["status"], 402);
    assert!(body["type"].is_string() && body["detail"].is_string());
    assert_eq!((body["balance"].as_i64(), body["needed"].as_i64()), (Some(12), Some(15)));
    assert_eq!(h.p.fake.replicate().creates(), 0);
    assert_eq!(h.p.fake.balance(ADA), Some(12));
    assert_eq!(h.p.fake.ledger(ADA).len(), 1);
    // Fewer images fit the balance.
    let res = h.create(&access, "flux-dev", json!({ "prompt": "x", "num_outputs": 2 }), "k1").await;
    assert_eq!(res.status(), 202);
    assert_eq!(h.p.fake.balance(ADA), Some(2));
}

#[tokio::test]
async fn a_create_charges_once_and_a_replay_returns_the_same_prediction() {
    let h = start().await;
    let access = h.token("google").await;
    let input = json!({ "prompt": "a lighthouse", "num_outputs": 2 });
    let res = h
        .api(Method::POST, "/models/black-forest-labs/flux-schnell/predictions", &access)
        .header("Idempotency-Key", "job-1")
        .header("Prefer", "wait=10")
        .json(&json!({ "input": input }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let p: Value = res.json().await.unwrap();
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["status"], "succeeded");
    assert_eq!(p["credits_charged"], 2);
    assert_eq!(p["model"], "black-forest-labs/flux-schnell");
    assert_eq!(p["input"], input);
    assert_eq!(location, format!("{}/api/v1/predictions/{id}", h.p.url()));
    assert_eq!(p["urls"]["get"], location);
    assert_eq!(p["urls"]["cancel"], format!("{location}/cancel"));
    let urls = p["output"].as_array().unwrap();
    assert_eq!(urls.len(), 2);
    for url in urls {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&format!("{}/xezq/", h.p.delivery.url())), "{url}");
        let bytes = h.http.get(url).send().await.unwrap().error_for_status().unwrap().bytes().await.unwrap();
        image::load_from_memory(&bytes).unwrap();
    }
    assert_eq!(h.p.fake.balance(ADA), Some(18));
    let entry = &h.p.fake.ledger(ADA)[0];
    assert_eq!((entry["reason"].as_str(), entry["delta"].as_i64()), (Some("generation"), Some(-2)));
    assert_eq!(entry["prediction_id"], id);

    // The same key again: the same prediction, its current state, no charge, no new create.
    let replay = h.create(&access, "flux-schnell", input.clone(), "job-1").await;
    assert_eq!(replay.status(), 201);
    let again: Value = replay.json().await.unwrap();
    assert_eq!((again["id"].as_str(), again["credits_charged"].as_i64()), (Some(id), Some(2)));
    assert_eq!(h.p.fake.replicate().creates(), 1);
    assert_eq!(h.p.fake.balance(ADA), Some(18));
    let got = h.get(&format!("/predictions/{id}"), &access).await;
    assert_eq!((got["status"].as_str(), got["credits_charged"].as_i64()), (Some("succeeded"), Some(2)));

    // Another user's key space is separate, and they cannot see Ada's prediction.
    let grace = h.token("github").await;
    assert_eq!(h.api(Method::GET, &format!("/predictions/{id}"), &grace).send().await.unwrap().status(), 404);
    let cancel = h.api(Method::POST, &format!("/predictions/{id}/cancel"), &grace).send().await.unwrap();
    assert_eq!(cancel.status(), 404);
    let theirs: Value = h.create(&grace, "flux-schnell", input, "job-1").await.json().await.unwrap();
    assert_ne!(theirs["id"].as_str(), Some(id));
}

#[tokio::test]
async fn creates_are_validated_before_anything_is_charged() {
    let h = start().await;
    let access = h.token("google").await;
    let problem = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap()["code"].as_str().unwrap_or_default().to_string())
    };
    let no_key = h
        .api(Method::POST, "/models/black-forest-labs/flux-schnell/predictions", &access)
        .json(&json!({ "input": { "prompt": "x" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(no_key).await, (400, "idempotency_key_required".into()));
    let unknown = h.create(&access, "flux-pro-ultra", json!({ "prompt": "x" }), "a").await;
    assert_eq!(unknown.status(), 404);
    let too_many = h.create(&access, "flux-1.1-pro", json!({ "prompt": "x", "num_outputs": 2 }), "b").await;
    assert_eq!(problem(too_many).await, (422, "invalid_input".into()));
    // Replicate's own validation, passed on with a code; the hold is released.
    let invalid = h.create(&access, "flux-schnell", json!({ "prompt": "x", "colour": "red" }), "c").await;
    assert_eq!(invalid.status(), 422);
    let body: Value = invalid.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input");
    assert!(body["invalid_fields"].is_array());
    assert_eq!(h.p.fake.balance(ADA), Some(20));
    assert_eq!(h.p.fake.replicate().creates(), 0);
}

#[tokio::test]
async fn a_filtered_image_is_refunded_once() {
    let h = start().await;
    let access = h.token("google").await;
    h.replicate_knobs(|k| k.filter_images = 1);
    let res = h.create(&access, "flux-dev", json!({ "prompt": "x", "num_outputs": 2 }), "f").await;
    assert_eq!(res.status(), 202);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["credits_charged"], 10);
    let id = p["id"].as_str().unwrap();
    let done = h.finish(&access, id).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["output"].as_array().unwrap().len(), 1);
    assert_eq!(done["credits_charged"], 5);
    assert_eq!(h.get("/credits", &access).await["balance"], 15);
    let ledger = h.p.fake.ledger(ADA);
    assert_eq!(reasons(&ledger), [("refund".into(), 5), ("generation".into(), -10), ("grant".into(), 20)]);
    assert_eq!(ledger[0]["prediction_id"], id);
    // Reads settle again and again; the refund stays single.
    h.finish(&access, id).await;
    assert_eq!(h.p.fake.ledger(ADA).len(), 3);
}

#[tokio::test]
async fn failures_and_cancels_are_refunded_in_full() {
    let h = start().await;
    let access = h.token("google").await;
    h.replicate_knobs(|k| k.fail_with = Some("CUDA out of memory".into()));
    let p: Value =
        h.create(&access, "flux-schnell", json!({ "prompt": "x", "num_outputs": 3 }), "f1").await.json().await.unwrap();
    let failed = h.finish(&access, p["id"].as_str().unwrap()).await;
    assert_eq!((failed["status"].as_str(), failed["credits_charged"].as_i64()), (Some("failed"), Some(0)));
    assert_eq!(h.p.fake.balance(ADA), Some(20));

    h.replicate_knobs(|k| {
        k.fail_with = None;
        k.run_ms = 5_000;
    });
    let p: Value = h.create(&access, "flux-1.1-pro", json!({ "prompt": "y" }), "c1").await.json().await.unwrap();
    assert_eq!(h.p.fake.balance(ADA), Some(12));
    let id = p["id"].as_str().unwrap();
    let res = h.api(Method::POST, &format!("/predictions/{id}/cancel"), &access).send().await.unwrap();
    let canceled: Value = res.json().await.unwrap();
    assert_eq!((canceled["status"].as_str(), canceled["credits_charged"].as_i64()), (Some("canceled"), Some(0)));
    assert_eq!(h.p.fake.balance(ADA), Some(20));
    let refunds = h.p.fake.ledger(ADA).iter().filter(|e| e["reason"] == "refund").count();
    assert_eq!(refunds, 2);
}

#[tokio::test]
async fn refunds_arrive_without_anyone_asking() {
    let h = start().await;
    let access = h.token("google").await;
    h.replicate_knobs(|k| k.fail_with = Some("boom".into()));
    h.create(&access, "flux-krea-dev", json!({ "prompt": "x" }), "w").await;
    // Nothing reads the prediction: the watcher settles it when it ends.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let state: Value = h.http.get(h.url("/_fake/state")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["users"][0]["balance"], 20);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_and_charge_once() {
    let h = start().await;
    let access = h.token("github").await;
    let input = json!({ "prompt": "retry storm", "num_outputs": 2 });
    let attempts = (0..4).map(|_| h.create(&access, "flux-schnell", input.clone(), "same-key"));
    let answers = futures_util::future::join_all(attempts).await;
    let mut ids = Vec::new();
    for res in answers {
        assert!(res.status().is_success(), "{}", res.status());
        ids.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(h.p.fake.replicate().creates(), 1);
    assert_eq!(h.p.fake.balance("grace@example.com"), Some(18));
}
