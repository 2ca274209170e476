//! Cancel, Cancel-After, failures, the safety filter, retention and listing.

use std::time::Duration;

use crate::common::{start, TOKEN};
use serde_json::{json, Value};

#[tokio::test]
async fn cancel_mid_run_stops_the_prediction_and_cancel_again_changes_nothing() {
    let h = start().await;
    h.knobs(|k| k.run_ms = 1500);
    let p: Value = h.create("flux-schnell", json!({ "prompt": "x" }), &[]).await.json().await.unwrap();
    let url = p["urls"]["get"].as_str().unwrap().to_string();
    while h.get_json(&url).await["status"] != "processing" {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cancel_url = p["urls"]["cancel"].as_str().unwrap();
    let res = h.http.post(cancel_url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let canceled: Value = res.json().await.unwrap();
    assert_eq!(canceled["status"], "canceled");
    assert!(canceled["completed_at"].is_string());

    tokio::time::sleep(Duration::from_millis(1700)).await; // past the planned finish
    let later = h.get_json(&url).await;
    assert_eq!(later["status"], "canceled");
    assert!(later["output"].is_null());
    let again: Value = h.http.post(cancel_url).bearer_auth(TOKEN).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["completed_at"], canceled["completed_at"]);

    let res = h.http.post(h.url("/predictions/nosuchprediction/cancel")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn cancel_on_a_finished_prediction_returns_it_unchanged() {
    let h = start().await;
    let p: Value =
        h.create("flux-schnell", json!({ "prompt": "x" }), &[("Prefer", "wait")]).await.json().await.unwrap();
    let res = h.http.post(p["urls"]["cancel"].as_str().unwrap()).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["status"], "succeeded");
    assert_eq!(after["output"], p["output"]);
}

#[tokio::test]
async fn cancel_after_aborts_a_prediction_that_has_not_started() {
    let h = start().await;
    h.knobs(|k| k.run_ms = 60_000); // 12 s in `starting`
    let res = h.create("flux-schnell", json!({ "prompt": "x" }), &[("Cancel-After", "5s")]).await;
    assert_eq!(res.status(), 202);
    let p: Value = res.json().await.unwrap();
    assert!(p["deadline"].is_string());
    let done = h.poll(&p, Duration::from_secs(8)).await;
    assert_eq!(done["status"], "aborted");
    assert!(done["started_at"].is_null() && done["output"].is_null());
}

#[tokio::test]
async fn cancel_after_cancels_a_prediction_that_is_running() {
    let h = start().await;
    h.knobs(|k| k.run_ms = 20_000); // starts after 4 s, would finish at 20 s
    let p: Value = h.create("flux-dev", json!({ "prompt": "x" }), &[("Cancel-After", "5")]).await.json().await.unwrap();
    let done = h.poll(&p, Duration::from_secs(8)).await;
    assert_eq!(done["status"], "canceled");
    assert!(done["started_at"].is_string());

    for bad in ["3s", "soon", "5x"] {
        let res = h.create("flux-dev", json!({ "prompt": "x" }), &[("Cancel-After", bad)]).await;
        assert_eq!(res.status(), 422, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(body["title"].as_str().unwrap().contains("Cancel-After"), "{body}");
    }
}

#[tokio::test]
async fn fail_with_and_the_safety_filter_shape_the_outcome() {
    let h = start().await;
    h.knobs(|k| k.fail_with = Some("CUDA out of memory".into()));
    let p: Value = h.create("flux-dev", json!({ "prompt": "x" }), &[("Prefer", "wait")]).await.json().await.unwrap();
    assert_eq!((p["status"].as_str(), p["error"].as_str()), (Some("failed"), Some("CUDA out of memory")));
    assert!(p["output"].is_null());

    h.knobs(|k| {
        k.fail_with = None;
        k.filter_images = 1;
    });
    let p: Value = h
        .create("flux-schnell", json!({ "prompt": "x", "num_outputs": 3 }), &[("Prefer", "wait")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "succeeded");
    let outputs: Vec<&str> = p["output"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert_eq!(outputs.len(), 2);
    assert!(outputs[0].ends_with("/out-1.webp") && outputs[1].ends_with("/out-2.webp"), "{outputs:?}");

    let nsfw = "All generated images contained NSFW content. Try running it again with a different prompt.";
    for (model, input) in [("flux-schnell", json!({ "prompt": "x" })), ("flux-1.1-pro", json!({ "prompt": "x" }))] {
        let p: Value = h.create(model, input, &[("Prefer", "wait")]).await.json().await.unwrap();
        assert_eq!((p["status"].as_str(), p["error"].as_str()), (Some("failed"), Some(nsfw)), "{model}");
    }
}

#[tokio::test]
async fn expired_outputs_are_removed_from_the_prediction_and_the_delivery_host() {
    let h = start().await;
    let p: Value =
        h.create("flux-schnell", json!({ "prompt": "x" }), &[("Prefer", "wait")]).await.json().await.unwrap();
    let url = p["output"][0].as_str().unwrap().to_string();
    h.download(&url).await.unwrap();

    let res = h.http.post(format!("{}/_fake/expire", h.fake.api.url())).send().await.unwrap();
    assert!(res.status().is_success());
    let after = h.get_json(p["urls"]["get"].as_str().unwrap()).await;
    assert_eq!(after["data_removed"], true);
    assert!(after["output"].is_null());
    assert_eq!(after["status"], "succeeded");
    assert_eq!(h.http.get(&url).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn list_pages_100_newest_first_and_follows_next_and_previous() {
    let h = start().await;
    h.knobs(|k| k.image_side = Some(4));
    for i in 0..130 {
        let res = h.create("flux-schnell", json!({ "prompt": format!("p{i}") }), &[]).await;
        assert!(res.status().is_success());
    }
    let first = h.get_json(&h.url("/predictions")).await;
    let results = first["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    assert_eq!(results[0]["input"]["prompt"], "p129");
    assert_eq!(results[99]["input"]["prompt"], "p30");
    assert!(first["previous"].is_null());
    let next = first["next"].as_str().unwrap();
    assert!(next.contains("?cursor="), "{next}");

    let second = h.get_json(next).await;
    let results = second["results"].as_array().unwrap();
    assert_eq!(results.len(), 30);
    assert_eq!(results[0]["input"]["prompt"], "p29");
    assert_eq!(results[29]["input"]["prompt"], "p0");
    assert!(second["next"].is_null());
    let back = h.get_json(second["previous"].as_str().unwrap()).await;
    let ids = |page: &Value| page["results"].as_array().unwrap().iter().map(|p| p["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&back), ids(&first));

    let web = h.get_json(&h.url("/predictions?source=web")).await;
    assert!(web["results"].as_array().unwrap().is_empty());
    assert_eq!(h.fake.fake.predictions().len(), 130);
    assert_eq!(h.fake.fake.predictions()[0]["input"]["prompt"], "p0");
}
