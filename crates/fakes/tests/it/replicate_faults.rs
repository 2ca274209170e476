//! Auth, throttling, server errors and broken downloads: what a client must survive.

use std::time::{Duration, Instant};

use crate::common::{start, TOKEN};
use serde_json::{json, Value};

#[tokio::test]
async fn every_api_endpoint_needs_a_bearer_or_token_header() {
    let h = start().await;
    let create = h.url("/models/black-forest-labs/flux-schnell/predictions");
    for auth in [None, Some("Bearer r8_wrong".to_string()), Some(format!("Basic {TOKEN}"))] {
        let requests = [
            h.http.post(&create).json(&json!({ "input": { "prompt": "x" } })),
            h.http.get(h.url("/predictions")),
            h.http.get(h.url("/predictions/abc")),
            h.http.post(h.url("/predictions/abc/cancel")),
            h.http.get(h.url("/files")),
        ];
        for req in requests {
            let req = match &auth {
                Some(a) => req.header("Authorization", a),
                None => req,
            };
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{auth:?}");
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
    }
    assert_eq!(h.fake.fake.creates(), 0);

    for header in [format!("Bearer {TOKEN}"), format!("Token {TOKEN}")] {
        let res = h
            .http
            .post(&create)
            .header("Authorization", &header)
            .header("Prefer", "wait")
            .json(&json!({ "input": { "prompt": "x" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{header}");
    }
}

#[tokio::test]
async fn throttle_answers_429_with_only_detail_and_retry_after_when_asked() {
    let h = start().await;
    h.knobs(|k| k.throttle = 1);
    let res = h.create("flux-schnell", json!({ "prompt": "x" }), &[]).await;
    assert_eq!(res.status(), 429);
    assert!(!res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({ "detail": "Request was throttled. Your rate limit resets in ~1s." }));

    h.knobs(|k| {
        k.throttle = 1;
        k.retry_after_s = Some(3);
    });
    let res = h.create("flux-schnell", json!({ "prompt": "x" }), &[]).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "3");

    // Only creates are throttled, and the knob has run out.
    assert_eq!(h.http.get(h.url("/predictions")).bearer_auth(TOKEN).send().await.unwrap().status(), 200);
    assert!(h.create("flux-schnell", json!({ "prompt": "x" }), &[]).await.status().is_success());
    assert_eq!(h.fake.fake.creates(), 1);
}

#[tokio::test]
async fn server_errors_answer_503_problems_except_on_account() {
    let h = start().await;
    h.knobs(|k| k.server_errors = 2);
    let account = h.http.get(h.url("/account")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(account.status(), 200);

    let res = h.http.get(h.url("/predictions")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.json::<Value>().await.unwrap()["status"], 503);
    assert_eq!(h.create("flux-schnell", json!({ "prompt": "x" }), &[]).await.status(), 503);
    assert!(h.create("flux-schnell", json!({ "prompt": "x" }), &[]).await.status().is_success());
    assert_eq!(h.fake.fake.knobs().server_errors, 0);
}

#[tokio::test]
async fn reset_and_truncated_downloads_fail_in_the_client_and_are_not_counted() {
    let h = start().await;
    h.knobs(|k| k.image_side = Some(96));
    let p: Value =
        h.create("flux-schnell", json!({ "prompt": "x" }), &[("Prefer", "wait")]).await.json().await.unwrap();
    let url = p["output"][0].as_str().unwrap().to_string();

    h.knobs(|k| k.reset_downloads = 1);
    let err = h.download(&url).await.expect_err("a reset download must fail");
    assert!(err.is_body() || err.is_decode() || err.is_request(), "{err:?}");

    h.knobs(|k| k.truncate_downloads = 1);
    let res = h.http.get(&url).send().await.unwrap();
    let declared = res.content_length().unwrap();
    let err = res.bytes().await.expect_err("a truncated download must fail");
    assert!(err.is_body() || err.is_decode(), "{err:?}");

    let (_, bytes) = h.download(&url).await.unwrap();
    assert!(declared > bytes.len() as u64, "truncated download declared more than the file");
    image::load_from_memory(&bytes).unwrap();
    assert_eq!(h.fake.fake.downloads(), 1);
}

#[tokio::test]
async fn delivery_latency_and_chunk_delay_make_a_slow_but_complete_download() {
    let h = start().await;
    let p: Value =
        h.create("flux-schnell", json!({ "prompt": "x" }), &[("Prefer", "wait")]).await.json().await.unwrap();
    let url = p["output"][0].as_str().unwrap().to_string();
    h.knobs(|k| {
        k.delivery_latency_ms = 200;
        k.delivery_chunk_delay_ms = 100;
    });
    let began = Instant::now();
    let (_, bytes) = h.download(&url).await.unwrap();
    assert!(began.elapsed() >= Duration::from_millis(200 + 3 * 100), "{:?}", began.elapsed());
    image::load_from_memory(&bytes).unwrap();
}

#[tokio::test]
async fn knobs_can_be_read_and_replaced_over_http() {
    let h = start().await;
    let control = format!("{}/_fake/knobs", h.fake.api.url());
    let res = h
        .http
        .post(&control)
        .json(&json!({ "run_ms": 250, "retry_after_s": 2, "fail_with": "boom" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let knobs = h.fake.fake.knobs();
    assert_eq!((knobs.run_ms, knobs.retry_after_s, knobs.fail_with.as_deref()), (250, Some(2), Some("boom")));
    assert_eq!(knobs.image_side, None, "POST replaces every knob");
    let read: Value = h.http.get(&control).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["run_ms"], 250);
    assert_eq!(read["throttle"], 0);
}
