//! Price lists, balance, the keyset-paged ledger, and buying credits through checkout.

use crate::common::platform::start;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn models_and_packs_are_the_price_lists() {
    let h = start().await;
    let access = h.token("google").await;
    let models = h.get("/models", &access).await;
    let prices: Vec<(String, i64, i64)> = models
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["enabled"], true);
            (
                m["id"].as_str().unwrap().into(),
                m["credits_per_image"].as_i64().unwrap(),
                m["max_outputs"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("flux-schnell", 1, 4),
        ("flux-dev", 5, 4),
        ("flux-krea-dev", 5, 4),
        ("flux-1.1-pro", 8, 1),
        ("flux-kontext-pro", 8, 1),
    ]
    .map(|(name, c, m)| (format!("black-forest-labs/{name}"), c, m));
    assert_eq!(prices, expected);
    assert_eq!(
        h.get("/credits/packs", &access).await,
        json!([
            { "id": "pack_100", "credits": 100, "price_cents": 500, "currency": "usd" },
            { "id": "pack_500", "credits": 500, "price_cents": 2000, "currency": "usd" },
            { "id": "pack_2000", "credits": 2000, "price_cents": 7000, "currency": "usd" },
        ])
    );
    let credits = h.get("/credits", &access).await;
    assert_eq!(credits["balance"], 20);
    chrono::DateTime::parse_from_rfc3339(credits["updated_at"].as_str().unwrap()).unwrap();
    let res = h.api(Method::GET, "/nowhere", &access).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "not_found");
}

#[tokio::test]
async fn the_ledger_pages_newest_first_by_cursor() {
    let h = start().await;
    let access = h.token("github").await;
    for n in 1..=6 {
        h.p.fake.grant("grace@example.com", n);
    }
    assert_eq!(h.p.fake.balance("grace@example.com"), Some(20 + 21));
    let mut deltas = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/credits/ledger?limit=3&cursor={c}"),
            None => "/credits/ledger?limit=3".to_string(),
        };
        let page = h.get(&path, &access).await;
        pages += 1;
        for e in page["entries"].as_array().unwrap() {
            assert_eq!(e["reason"], "grant");
            assert!(e["id"].is_string() && e["prediction_id"].is_null());
            chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap();
            deltas.push(e["delta"].as_i64().unwrap());
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!((pages, deltas), (3, vec![6, 5, 4, 3, 2, 1, 20]));
    let all = h.get("/credits/ledger", &access).await;
    assert_eq!((all["entries"].as_array().unwrap().len(), &all["next"]), (7, &Value::Null));
    assert_eq!(h.p.fake.ledger("grace@example.com"), *all["entries"].as_array().unwrap());
    for bad in ["cursor=%25%25", "limit=many"] {
        let res = h.api(Method::GET, &format!("/credits/ledger?{bad}"), &access).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let capped = h.get("/credits/ledger?limit=1000", &access).await;
    assert_eq!(capped["entries"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn checkout_replays_by_key_and_the_pay_page_grants_once() {
    let h = start().await;
    let access = h.token("google").await;
    let checkout = |key: Option<&'static str>, pack: &'static str| {
        let mut req = h.api(Method::POST, "/credits/checkout", &access).json(&json!({ "pack_id": pack }));
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        async move { req.send().await.unwrap() }
    };
    let missing = checkout(None, "pack_100").await;
    assert_eq!(missing.status(), 400);
    assert_eq!(missing.json::<Value>().await.unwrap()["code"], "idempotency_key_required");
    let unknown = checkout(Some("k0"), "pack_7").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], "unknown_pack");

    let first: Value = checkout(Some("k1"), "pack_100").await.json().await.unwrap();
    let again: Value = checkout(Some("k1"), "pack_100").await.json().await.unwrap();
    assert_eq!(first, again);
    let id = first["session_id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(first["checkout_url"], format!("{}/checkout/{id}", h.p.url()));
    let expires = chrono::DateTime::parse_from_rfc3339(first["expires_at"].as_str().unwrap()).unwrap();
    assert!((expires.timestamp() - chrono::Utc::now().timestamp() - 86_400).abs() < 60);
    let sessions = h.p.fake.checkout_sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["email"], "ada@example.com");
    assert_eq!(sessions[0]["idempotency_key"], "k1");
    assert_eq!(sessions[0]["pack_id"], "pack_100");
    let status = format!("/credits/checkout/{id}");
    assert_eq!(h.get(&status, &access).await, json!({ "status": "open", "credits_granted": 0 }));

    // Stripe's hosted page, as the browser sees it: one form posting to /pay.
    let page = h.http.get(first["checkout_url"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Pay $5.00 for 100 credits"), "{page}");
    assert!(page.contains(&format!("action=\"/checkout/{id}/pay\"")));
    let paid = h.http.post(h.url(&format!("/checkout/{id}/pay"))).send().await.unwrap();
    assert_eq!(paid.status(), 200);
    assert!(paid.text().await.unwrap().contains("Payment received — return to Flux Krea"));
    assert_eq!(h.get(&status, &access).await, json!({ "status": "complete", "credits_granted": 100 }));

    // Fulfilment is idempotent: the webhook arriving again, or paying twice, grants nothing more.
    assert!(h.p.fake.complete_checkout(id));
    h.http.post(h.url(&format!("/checkout/{id}/pay"))).send().await.unwrap();
    assert_eq!(h.p.fake.balance("ada@example.com"), Some(120));
    let purchases: Vec<Value> =
        h.p.fake.ledger("ada@example.com").into_iter().filter(|e| e["reason"] == "purchase").collect();
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0]["delta"], 100);
    assert!(!h.p.fake.expire_checkout(id), "a paid session cannot expire");

    // Someone else's session is not found.
    let grace = h.token("github").await;
    assert_eq!(h.api(Method::GET, &status, &grace).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn an_expired_checkout_grants_nothing() {
    let h = start().await;
    let access = h.token("google").await;
    let res = h
        .api(Method::POST, "/credits/checkout", &access)
        .header("Idempotency-Key", "buy-500")
        .json(&json!({ "pack_id": "pack_500" }))
        .send()
        .await
        .unwrap();
    let id = res.json::<Value>().await.unwrap()["session_id"].as_str().unwrap().to_string();
    let page = h.http.get(h.url(&format!("/checkout/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Pay $20.00 for 500 credits"));
    assert!(h.p.fake.expire_checkout(&id));
    let status = h.get(&format!("/credits/checkout/{id}"), &access).await;
    assert_eq!(status, json!({ "status": "expired", "credits_granted": 0 }));
    assert!(!h.p.fake.complete_checkout(&id));
    assert_eq!(h.http.post(h.url(&format!("/checkout/{id}/pay"))).send().await.unwrap().status(), 410);
    let via_control = h.http.post(h.url(&format!("/_fake/checkout/{id}/complete"))).send().await.unwrap();
    assert_eq!(via_control.status(), 404);
    assert_eq!(h.p.fake.balance("ada@example.com"), Some(20));
    assert_eq!(h.p.fake.checkout_sessions()[0]["status"], "expired");
}

#[tokio::test]
async fn control_routes_set_knobs_and_show_state() {
    let h = start().await;
    let access = h.token("google").await;
    let res = h.http.post(h.url("/_fake/knobs")).json(&json!({ "initial_credits": 7 })).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["access_ttl_s"], 3600, "defaults fill the rest");
    h.token("github").await;
    assert_eq!(h.p.fake.balance("grace@example.com"), Some(7));
    h.http.post(h.url("/_fake/replicate/knobs")).json(&json!({ "run_ms": 5 })).send().await.unwrap();
    assert_eq!(h.p.fake.replicate().knobs().run_ms, 5);

    let id = h
        .api(Method::POST, "/credits/checkout", &access)
        .header("Idempotency-Key", "c")
        .json(&json!({ "pack_id": "pack_2000" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = h.http.post(h.url(&format!("/_fake/checkout/{id}/complete"))).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let state: Value = h.http.get(h.url("/_fake/state")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["sessions"], 2);
    assert_eq!(state["checkout_sessions"][0]["status"], "complete");
    let ada = state["users"].as_array().unwrap().iter().find(|u| u["email"] == "ada@example.com").unwrap();
    assert_eq!(ada["balance"], 2020);
    assert!(!state.to_string().contains(&access), "no tokens in the state dump");
}
