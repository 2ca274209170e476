//! The privacy endpoints: export, erasure of prompts and images, account deletion, consents.

use crate::common::platform::start;
use reqwest::Method;
use serde_json::{json, Value};

const ADA: &str = "ada@example.com";

#[tokio::test]
async fn export_holds_profile_ledger_consents_and_prompts_until_erased() {
    let h = start().await;
    let access = h.token("google").await;
    let input = json!({ "prompt": "a red fox in snow", "seed": 3 });
    let res = h
        .api(Method::POST, "/models/black-forest-labs/flux-schnell/predictions", &access)
        .header("Idempotency-Key", "e1")
        .header("Prefer", "wait=10")
        .json(&json!({ "input": input }))
        .send()
        .await
        .unwrap();
    let p: Value = res.json().await.unwrap();
    let id = p["id"].as_str().unwrap().to_string();

    let export = h.get("/privacy/export", &access).await;
    assert_eq!(export["profile"], h.get("/me", &access).await);
    assert_eq!(export["ledger"].as_array().unwrap().len(), 2);
    assert_eq!(export["consents"], h.get("/privacy/consents", &access).await);
    let prompts = export["prompts"].as_array().unwrap();
    assert_eq!(prompts.len(), 1);
    assert_eq!(
        (prompts[0]["prediction_id"].as_str(), prompts[0]["prompt"].as_str()),
        (Some(id.as_str()), Some("a red fox in snow"))
    );
    chrono::DateTime::parse_from_rfc3339(prompts[0]["created_at"].as_str().unwrap()).unwrap();

    assert!(!h.p.fake.prompts_erased(ADA));
    let res = h.api(Method::DELETE, "/privacy/prompts", &access).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "deleted": 1 }));
    assert!(h.p.fake.prompts_erased(ADA));
    assert_eq!(h.get("/privacy/export", &access).await["prompts"], json!([]));
    // The platform stops showing the parameters of that prediction too.
    assert_eq!(h.get(&format!("/predictions/{id}"), &access).await["input"], json!({}));
}

#[tokio::test]
async fn erasing_images_removes_the_files_from_temporary_storage() {
    let h = start().await;
    let access = h.token("google").await;
    let mut urls = Vec::new();
    for key in ["i1", "i2"] {
        let p: Value = h
            .create(&access, "flux-schnell", json!({ "prompt": "x", "num_outputs": 2 }), key)
            .await
            .json()
            .await
            .unwrap();
        let done = h.finish(&access, p["id"].as_str().unwrap()).await;
        urls.extend(done["output"].as_array().unwrap().iter().map(|u| u.as_str().unwrap().to_string()));
    }
    // Someone else's image must survive Ada's erasure.
    let grace = h.token("github").await;
    let theirs: Value = h.create(&grace, "flux-schnell", json!({ "prompt": "y" }), "g").await.json().await.unwrap();
    let theirs = h.finish(&grace, theirs["id"].as_str().unwrap()).await;
    let their_url = theirs["output"][0].as_str().unwrap();

    for url in &urls {
        assert_eq!(h.http.get(url).send().await.unwrap().status(), 200);
    }
    let res = h.api(Method::DELETE, "/privacy/images", &access).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "deleted": 4 }));
    assert!(h.p.fake.images_erased(ADA));
    assert!(!h.p.fake.images_erased("grace@example.com"));
    for url in &urls {
        assert_eq!(h.http.get(url).send().await.unwrap().status(), 404);
    }
    assert_eq!(h.http.get(their_url).send().await.unwrap().status(), 200);
    // Erasing is not a failed delivery: no refunds.
    assert_eq!(h.p.fake.balance(ADA), Some(16));
    let res = h.api(Method::DELETE, "/privacy/images", &access).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "deleted": 0 }));
}

#[tokio::test]
async fn account_deletion_is_one_pending_request_due_within_30_days() {
    let h = start().await;
    let access = h.token("github").await;
    let ask = || async { h.api(Method::POST, "/privacy/account-deletion", &access).send().await.unwrap() };
    let first = ask().await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert!(first["request_id"].as_str().unwrap().starts_with("del_"));
    let due = chrono::DateTime::parse_from_rfc3339(first["due_by"].as_str().unwrap()).unwrap();
    assert!((due.timestamp() - chrono::Utc::now().timestamp() - 30 * 86_400).abs() < 60);
    let second = ask().await;
    assert_eq!(second.status(), 202);
    assert_eq!(second.json::<Value>().await.unwrap(), first);
    let requests = h.p.fake.deletion_requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0]["email"].as_str(), requests[0]["request_id"].clone()),
        (Some("grace@example.com"), first["request_id"].clone())
    );

    // Withdrawn while pending; a second withdrawal finds nothing; asking again is a new request.
    let cancel = || async { h.api(Method::DELETE, "/privacy/account-deletion", &access).send().await.unwrap() };
    let cancelled = cancel().await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(
        (cancelled["request_id"].clone(), cancelled["status"].as_str()),
        (first["request_id"].clone(), Some("cancelled"))
    );
    assert_eq!(h.p.fake.deletion_requests()[0]["status"], "cancelled");
    let again = cancel().await;
    assert_eq!(again.status(), 404);
    assert_eq!(again.json::<Value>().await.unwrap()["code"], "not_found");
    let renewed: Value = ask().await.json().await.unwrap();
    assert_ne!(renewed["request_id"], first["request_id"]);
}

#[tokio::test]
async fn consents_start_off_and_accept_partial_updates() {
    let h = start().await;
    let access = h.token("google").await;
    let off = json!({ "granted": false, "updated_at": null });
    let all_off = json!({ "marketing_emails": off, "product_analytics": off, "training_use": off });
    assert_eq!(h.get("/privacy/consents", &access).await, all_off);

    let put = |body: Value| {
        let req = h.api(Method::PUT, "/privacy/consents", &access).json(&body);
        async move { req.send().await.unwrap() }
    };
    let res = put(json!({ "product_analytics": true })).await;
    assert_eq!(res.status(), 200);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["product_analytics"]["granted"], true);
    chrono::DateTime::parse_from_rfc3339(after["product_analytics"]["updated_at"].as_str().unwrap()).unwrap();
    assert_eq!((&after["marketing_emails"], &after["training_use"]), (&off, &off));

    let after: Value = put(json!({ "training_use": { "granted": true }, "product_analytics": { "granted": false } }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["training_use"]["granted"], true);
    assert_eq!(after["product_analytics"]["granted"], false);
    assert!(after["product_analytics"]["updated_at"].is_string());
    assert_eq!(h.p.fake.consents(ADA).unwrap(), after);

    for bad in [json!({ "newsletter": true }), json!({ "training_use": "yes" }), json!([true])] {
        let res = put(bad).await;
        assert_eq!(res.status(), 422);
        assert_eq!(res.json::<Value>().await.unwrap()["code"], "invalid_input");
    }
    assert_eq!(h.get("/privacy/consents", &access).await, after, "a rejected PUT changes nothing");
}
