//! Generation through the platform on the Replicate fake: holds, outputs copied to S3 and served
//! presigned, refunds of undelivered images exactly once, idempotency, webhooks and the poller.

use std::time::Duration;

use flux_krea_fakes::replicate::Knobs;
use flux_krea_fakes::signatures::standard_webhooks;
use flux_krea_platform::jobs;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{start_with, Platform};

impl Platform {
    pub async fn create(&self, token: &str, model: &str, key: &str, input: Value, wait: bool) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/api/v1/models/{model}/predictions", self.url))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({ "input": input }));
        if wait {
            req = req.header("prefer", "wait=30");
        }
        req.send().await.unwrap()
    }

    /// Waits until the Replicate fake has finished every prediction.
    pub async fn replicate_done(&self) {
        for _ in 0..200 {
            let all = self.replicate.fake.predictions();
            if all.iter().all(|p| matches!(p["status"].as_str(), Some("succeeded" | "failed" | "canceled" | "aborted")))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the Replicate fake did not finish");
    }

    pub async fn knobs(&self, knobs: Knobs) {
        self.replicate.fake.set_knobs(knobs);
    }
}

async fn funded(credits: i64) -> Platform {
    start_with(|c| c.signup_credits = credits).await
}

fn schnell() -> &'static str {
    "black-forest-labs/flux-schnell"
}

#[tokio::test]
async fn outputs_are_served_from_storage_and_a_filtered_image_is_refunded_once() {
    let p = funded(100).await;
    let ada = p.token("google").await;
    let res = p.create(&ada, schnell(), "a", json!({"prompt": "a red fox", "num_outputs": 2}), true).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let done: Value = res.json().await.unwrap();
    assert_eq!((done["status"].as_str(), done["credits_charged"].as_i64()), (Some("succeeded"), Some(2)), "{done}");
    let urls: Vec<&str> = done["output"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert_eq!(urls.len(), 2);
    let s3 = std::env::var("PLATFORM_TEST_S3_ENDPOINT").unwrap();
    for url in &urls {
        assert!(url.starts_with(&s3) && url.contains("X-Amz-Signature"), "a presigned URL of our storage: {url}");
        let image = p.http.get(*url).send().await.unwrap();
        assert_eq!(image.status(), StatusCode::OK);
        assert!(image.bytes().await.unwrap().len() > 100);
    }
    assert_eq!(done["urls"]["get"], format!("{}/api/v1/predictions/{}", p.url, done["id"].as_str().unwrap()));

    p.knobs(Knobs { filter_images: 1, ..Knobs::default() }).await;
    let res = p.create(&ada, "black-forest-labs/flux-dev", "b", json!({"prompt": "two", "num_outputs": 2}), true).await;
    let filtered: Value = res.json().await.unwrap();
    assert_eq!(filtered["output"].as_array().map(Vec::len), Some(1), "{filtered}");
    assert_eq!(filtered["credits_charged"], 5);
    let id = filtered["id"].as_str().unwrap();
    // Every other way of learning the end changes nothing more.
    p.get_json(&format!("/predictions/{id}"), &ada).await;
    jobs::run_once(&p.app).await.unwrap();
    p.replicate.fake.wait_for_webhooks(Duration::from_secs(5), |d| d.iter().filter(|d| d.ok()).count() >= 2).await;
    // A genuine delivery replayed as is: acknowledged, nothing changes.
    let deliveries = p.replicate.fake.webhook_deliveries();
    let rid: String = sqlx::query_scalar("SELECT replicate_id FROM predictions WHERE id = $1")
        .bind(id)
        .fetch_one(&p.db)
        .await
        .unwrap();
    let d = deliveries.iter().find(|d| d.ok() && d.body.contains(&rid)).expect("the filtered prediction's webhook");
    let mut replay = p.http.post(format!("{}/webhooks/replicate", p.url)).body(d.body.clone());
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        replay = replay.header(name, d.header(name).unwrap());
    }
    assert_eq!(replay.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(p.balance(&ada).await, 100 - 2 - 5);
    let mine: Vec<(i64, String)> = p
        .ledger(&ada)
        .await
        .iter()
        .filter(|e| e["prediction_id"] == id)
        .map(|e| (e["delta"].as_i64().unwrap(), e["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(mine, [(5, "refund".into()), (-10, "generation".into())]);
    p.assert_ledger_matches_balances().await;
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_and_report_in_flight() {
    let p = funded(100).await;
    let ada = p.token("google").await;
    let input = json!({"prompt": "same", "num_outputs": 1});
    let first: Value = p.create(&ada, schnell(), "k1", input.clone(), true).await.json().await.unwrap();
    let again: Value = p.create(&ada, schnell(), "k1", input.clone(), true).await.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let res = p.create(&ada, schnell(), "k1", json!({"prompt": "other"}), true).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "idempotency_key_reused");
    let res = p.create(&ada, "black-forest-labs/flux-dev", "k1", input.clone(), true).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "another model is another request");
    assert_eq!(p.replicate.fake.creates(), 1);

    // Still running under its key: 409.
    p.knobs(Knobs { run_ms: 1500, ..Knobs::default() }).await;
    let slow = {
        let (http, url, ada) = (p.http.clone(), p.url.clone(), ada.clone());
        tokio::spawn(async move {
            http.post(format!("{url}/api/v1/models/black-forest-labs/flux-schnell/predictions"))
                .bearer_auth(ada)
                .header("idempotency-key", "k2")
                .header("prefer", "wait=30")
                .json(&json!({"input": {"prompt": "slow"}}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let res = p.create(&ada, schnell(), "k2", json!({"prompt": "slow"}), true).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "idempotency_key_in_flight");
    assert_eq!(slow.await.unwrap(), StatusCode::CREATED);
    assert_eq!(p.balance(&ada).await, 98, "one charge per key");
    // Another user's same key is theirs alone.
    let octo = p.token("github").await;
    let theirs: Value = p.create(&octo, schnell(), "k1", input, true).await.json().await.unwrap();
    assert_ne!(theirs["id"], first["id"]);
}

#[tokio::test]
async fn failed_and_canceled_predictions_are_refunded_and_credits_are_never_overdrawn() {
    let p = funded(6).await;
    let ada = p.token("google").await;
    p.knobs(Knobs { fail_with: Some("CUDA out of memory".into()), ..Knobs::default() }).await;
    let failed: Value =
        p.create(&ada, schnell(), "f", json!({"prompt": "x", "num_outputs": 2}), true).await.json().await.unwrap();
    assert_eq!((failed["status"].as_str(), failed["credits_charged"].as_i64()), (Some("failed"), Some(0)), "{failed}");
    assert_eq!(p.balance(&ada).await, 6);

    p.knobs(Knobs { run_ms: 10_000, ..Knobs::default() }).await;
    let res = p.create(&ada, schnell(), "c", json!({"prompt": "x"}), false).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let running: Value = res.json().await.unwrap();
    assert_eq!(running["credits_charged"], 1);
    let id = running["id"].as_str().unwrap();
    let canceled: Value = p
        .http
        .post(format!("{}/api/v1/predictions/{id}/cancel", p.url))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((canceled["status"].as_str(), canceled["credits_charged"].as_i64()), (Some("canceled"), Some(0)));
    assert_eq!(p.balance(&ada).await, 6);

    // 6 credits: a flux-dev image (5) fits, a second does not.
    p.knobs(Knobs::default()).await;
    assert_eq!(
        p.create(&ada, "black-forest-labs/flux-dev", "d1", json!({"prompt": "x"}), true).await.status(),
        StatusCode::CREATED
    );
    let res = p.create(&ada, "black-forest-labs/flux-dev", "d2", json!({"prompt": "x"}), true).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["balance"].as_i64(), body["needed"].as_i64()),
        (Some("insufficient_credits"), Some(1), Some(5))
    );
    p.assert_ledger_matches_balances().await;
}

#[tokio::test]
async fn a_lost_webhook_is_settled_by_the_poller_and_forged_webhooks_are_refused() {
    let p = funded(10).await;
    let ada = p.token("google").await;
    p.knobs(Knobs { drop_webhooks: true, run_ms: 200, filter_images: 1, ..Knobs::default() }).await;
    let res = p.create(&ada, schnell(), "w", json!({"prompt": "x", "num_outputs": 2}), false).await;
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    p.replicate_done().await;

    // Forged, stale and unsigned webhooks for it change nothing.
    let rid: String = sqlx::query_scalar("SELECT replicate_id FROM predictions").fetch_one(&p.db).await.unwrap();
    let body = json!({"id": rid, "status": "failed", "output": null, "error": "forged"}).to_string();
    let now = chrono::Utc::now().timestamp();
    for (why, secret, t) in [("wrong key", "whsec_d3Jvbmc=", now), ("stale", crate::common::REPLICATE_WHSEC, now - 600)]
    {
        let sig = standard_webhooks(secret, "msg_1", t, body.as_bytes()).unwrap();
        let res = p
            .http
            .post(format!("{}/webhooks/replicate", p.url))
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", t.to_string())
            .header("webhook-signature", sig)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{why}");
    }
    let res = p.http.post(format!("{}/webhooks/replicate", p.url)).body(body.clone()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "unsigned");
    let settled: bool =
        sqlx::query_scalar("SELECT settled_at IS NOT NULL FROM predictions").fetch_one(&p.db).await.unwrap();
    assert!(!settled);
    assert_eq!(p.balance(&ada).await, 8);

    let swept = jobs::run_once(&p.app).await.unwrap();
    assert_eq!(swept.settled, 1);
    assert_eq!(p.balance(&ada).await, 9, "one image delivered, one filtered and refunded");
    let octo = p.token("github").await;
    assert_eq!(p.get(&format!("/predictions/{id}"), &octo).await.status(), StatusCode::NOT_FOUND, "not theirs");
    let mine = p.get_json(&format!("/predictions/{id}"), &ada).await;
    assert_eq!((mine["status"].as_str(), mine["credits_charged"].as_i64()), (Some("succeeded"), Some(1)));
}

#[tokio::test]
async fn stored_outputs_expire_and_are_swept_objects_and_rows() {
    let p = start_with(|c| {
        c.signup_credits = 10;
        c.output_ttl = Duration::from_secs(1);
    })
    .await;
    let ada = p.token("google").await;
    let done: Value = p.create(&ada, schnell(), "e", json!({"prompt": "x"}), true).await.json().await.unwrap();
    let url = done["output"][0].as_str().unwrap().to_string();
    let key: String = sqlx::query_scalar("SELECT object_key FROM outputs").fetch_one(&p.db).await.unwrap();
    assert!(p.app.storage().exists(&key).await.unwrap());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let swept = jobs::run_once(&p.app).await.unwrap();
    assert_eq!(swept.outputs, 1);
    assert!(!p.app.storage().exists(&key).await.unwrap(), "the object is gone");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM outputs").fetch_one(&p.db).await.unwrap();
    assert_eq!(rows, 0);
    assert_eq!(p.http.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let later = p.get_json(&format!("/predictions/{}", done["id"].as_str().unwrap()), &ada).await;
    assert_eq!((later["output"].clone(), later["data_removed"].as_bool()), (Value::Null, Some(true)));

    // An expired presigned URL is refused by the S3 server itself.
    p.app.storage().put("probe", bytes::Bytes::from_static(b"x"), "text/plain").await.unwrap();
    let short = p.app.storage().presign("probe", Duration::from_secs(1)).await.unwrap();
    assert_eq!(p.http.get(short.clone()).send().await.unwrap().status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(p.http.get(short).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_throttled_create_is_passed_on_with_retry_after_and_holds_nothing() {
    let p = funded(10).await;
    let ada = p.token("google").await;
    p.knobs(Knobs { throttle: 1, retry_after_s: Some(3), ..Knobs::default() }).await;
    let res = p.create(&ada, schnell(), "t", json!({"prompt": "x"}), true).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "3");
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "rate_limited");
    assert_eq!(p.balance(&ada).await, 10);
    // The same key then goes through (a throttled create was not kept).
    assert_eq!(p.create(&ada, schnell(), "t", json!({"prompt": "x"}), true).await.status(), StatusCode::CREATED);
    assert_eq!(p.balance(&ada).await, 9);

    let res = p
        .http
        .post(format!("{}/api/v1/models/{}/predictions", p.url, schnell()))
        .bearer_auth(&ada)
        .header("idempotency-key", "bad-wait")
        .header("prefer", "wait=61")
        .json(&json!({"input": {"prompt": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p.balance(&ada).await, 9);
}
