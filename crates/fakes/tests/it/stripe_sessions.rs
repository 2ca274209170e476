//! The Stripe fake's Checkout Sessions API, idempotency and hosted page.

use flux_krea_fakes::stripe::{Price, RunningStripe, StripeConfig, StripeFake};
use reqwest::Client;
use serde_json::Value;

pub const KEY: &str = "sk_test_fakes_0123456789abcdef";

pub async fn start(webhook_url: Option<String>) -> (RunningStripe, Client) {
    let price = Price {
        id: "price_pack_s".into(),
        unit_amount: 500,
        currency: "usd".into(),
        product_name: "100 credits".into(),
    };
    let config = StripeConfig {
        secret_key: KEY.into(),
        webhook_url,
        webhook_secret: "whsec_test_primary".into(),
        prices: vec![price],
    };
    let s = StripeFake::start(config).await.unwrap();
    (s, Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap())
}

pub fn params(user: &str) -> Vec<(&str, &str)> {
    vec![
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "500"),
        ("line_items[0][price_data][product_data][name]", "100 credits"),
        ("line_items[0][quantity]", "1"),
        ("success_url", "http://127.0.0.1:1/done?session_id={CHECKOUT_SESSION_ID}"),
        ("cancel_url", "http://127.0.0.1:1/cancel"),
        ("client_reference_id", user),
        ("metadata[pack_id]", "small"),
        ("metadata[user_id]", user),
        ("payment_intent_data[metadata][user_id]", user),
    ]
}

pub async fn create(s: &RunningStripe, http: &Client, form: &[(&str, &str)], key: Option<&str>) -> (u16, Value) {
    let mut req = http.post(format!("{}/v1/checkout/sessions", s.api_url())).bearer_auth(KEY).form(form);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn stripe_creates_and_retrieves_an_open_session() {
    let (s, http) = start(None).await;
    let (status, cs) = create(&s, &http, &params("user-1"), None).await;
    assert_eq!(status, 200, "{cs}");
    assert!(cs["id"].as_str().unwrap().starts_with("cs_test_"));
    assert_eq!(cs["object"], "checkout.session");
    assert_eq!((cs["status"].as_str(), cs["payment_status"].as_str()), (Some("open"), Some("unpaid")));
    assert_eq!((cs["amount_total"].as_i64(), cs["currency"].as_str()), (Some(500), Some("usd")));
    assert_eq!(cs["client_reference_id"], "user-1");
    assert_eq!(cs["metadata"]["pack_id"], "small");
    assert_eq!(cs["payment_intent"], Value::Null, "no PaymentIntent before payment");
    let now = chrono::Utc::now().timestamp();
    assert!((now + 23 * 3600..=now + 24 * 3600 + 5).contains(&cs["expires_at"].as_i64().unwrap()));
    assert!(cs["url"].as_str().unwrap().starts_with(&s.url()));

    let id = cs["id"].as_str().unwrap();
    let got: Value = http
        .get(format!("{}/v1/checkout/sessions/{id}", s.api_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, cs);

    // A known price works too and sums quantities.
    let form = [
        ("mode", "payment"),
        ("line_items[0][price]", "price_pack_s"),
        ("line_items[0][quantity]", "3"),
        ("success_url", "https://example.com/ok"),
    ];
    let (status, cs) = create(&s, &http, &form, None).await;
    assert_eq!((status, cs["amount_total"].as_i64()), (200, Some(1500)));
}

#[tokio::test]
async fn stripe_refuses_bad_keys_and_bad_parameters_like_stripe() {
    let (s, http) = start(None).await;
    let url = format!("{}/v1/checkout/sessions", s.api_url());
    let res = http.post(&url).bearer_auth("sk_test_wrong_key_123456").form(&params("u")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Invalid API Key") && !message.contains("wrong_key"), "the key is masked: {message}");
    assert_eq!(http.post(&url).form(&params("u")).send().await.unwrap().status(), 401);

    let drop = |k: &str| params("u").into_iter().filter(|(pk, _)| *pk != k).collect::<Vec<_>>();
    let with = |k: &'static str, v: &'static str| {
        let mut p = params("u");
        p.retain(|(pk, _)| *pk != k);
        p.push((k, v));
        p
    };
    for (form, code, param) in [
        (drop("mode"), "parameter_missing", "mode"),
        (drop("success_url"), "parameter_missing", "success_url"),
        (drop("line_items[0][quantity]"), "parameter_missing", "line_items[0][quantity]"),
        (with("surprise", "1"), "parameter_unknown", "surprise"),
        (
            with("line_items[0][price_data][unit_amount]", "abc"),
            "parameter_invalid",
            "line_items[0][price_data][unit_amount]",
        ),
        (
            with("line_items[0][price_data][currency]", "USD"),
            "parameter_invalid",
            "line_items[0][price_data][currency]",
        ),
        (with("line_items[0][price_data][unit_amount]", "10"), "parameter_invalid", "line_items"),
        (with("success_url", "not a url"), "parameter_invalid", "success_url"),
    ] {
        let (status, body) = create(&s, &http, &form, None).await;
        assert_eq!(status, 400, "{form:?}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(
            (body["error"]["code"].as_str(), body["error"]["param"].as_str()),
            (Some(code), Some(param)),
            "{body}"
        );
    }
    let form = [
        ("mode", "payment"),
        ("line_items[0][price]", "price_missing"),
        ("line_items[0][quantity]", "1"),
        ("success_url", "https://e.com"),
    ];
    let (status, body) = create(&s, &http, &form, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("resource_missing")));

    let res =
        http.get(format!("{}/v1/checkout/sessions/cs_test_nope", s.api_url())).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "resource_missing");
    assert!(s.sessions().is_empty(), "nothing refused was created");
}

#[tokio::test]
async fn stripe_idempotency_key_replays_the_first_answer_and_refuses_other_parameters() {
    let (s, http) = start(None).await;
    let (_, first) = create(&s, &http, &params("u1"), Some("key-1")).await;
    let res = http
        .post(format!("{}/v1/checkout/sessions", s.api_url()))
        .bearer_auth(KEY)
        .header("Idempotency-Key", "key-1")
        .form(&params("u1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    assert_eq!(res.json::<Value>().await.unwrap(), first);
    assert_eq!(s.sessions().len(), 1);

    let (status, body) = create(&s, &http, &params("u2"), Some("key-1")).await;
    assert_eq!((status, body["error"]["type"].as_str()), (400, Some("idempotency_error")));
    let (status, other) = create(&s, &http, &params("u1"), Some("key-2")).await;
    assert_eq!(status, 200);
    assert_ne!(other["id"], first["id"]);

    // A request refused by validation is not saved: the key is still free.
    let (status, _) = create(&s, &http, &[("mode", "payment")], Some("key-3")).await;
    assert_eq!(status, 400);
    let (status, _) = create(&s, &http, &params("u3"), Some("key-3")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn stripe_hosted_page_pays_and_redirects_to_the_success_url() {
    let (s, http) = start(None).await;
    let (_, cs) = create(&s, &http, &params("u1"), None).await;
    let (id, url) = (cs["id"].as_str().unwrap(), cs["url"].as_str().unwrap());
    let page = http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Pay") && page.contains("100 credits") && page.contains("5.00"), "{page}");

    let res = http.post(url).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), format!("http://127.0.0.1:1/done?session_id={id}"));
    let paid = s.session(id).unwrap();
    assert_eq!((paid["status"].as_str(), paid["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert!(paid["payment_intent"].as_str().unwrap().starts_with("pi_"));
    assert_eq!(paid["url"], Value::Null);
    assert_eq!(http.post(url).send().await.unwrap().status(), 410, "paid once only");
    assert_eq!(http.get(url).send().await.unwrap().status(), 410);

    // The API's expire: open → expired; anything else is refused.
    let (_, cs2) = create(&s, &http, &params("u1"), None).await;
    let expire =
        |id: &str| http.post(format!("{}/v1/checkout/sessions/{id}/expire", s.api_url())).bearer_auth(KEY).send();
    let done: Value = expire(cs2["id"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    assert_eq!(done["status"], "expired");
    assert_eq!(expire(id).await.unwrap().status(), 400);
}

/// The usual parameters with `extra` replacing or adding some.
fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = params("u");
    p.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    p.extend_from_slice(extra);
    p
}

#[tokio::test]
async fn stripe_refuses_the_rarer_mistakes_and_unknown_routes() {
    let (s, http) = start(None).await;
    let long_key = "k".repeat(256);
    let (status, body) = create(&s, &http, &params("u"), Some(&long_key)).await;
    assert_eq!((status, body["error"]["type"].as_str()), (400, Some("invalid_request_error")));
    let too_soon = (chrono::Utc::now().timestamp() + 60).to_string();
    let long_meta = "v".repeat(501);
    for form in [
        with(&[("mode", "subscription")]),
        with(&[("line_items[0][price]", "price_pack_s")]),
        with(&[("line_items[0][quantity]", "0")]),
        with(&[("expires_at", &too_soon)]),
        with(&[("metadata[note]", &long_meta)]),
        with(&[("mode", "payment"), ("mode[x]", "y")]),
    ] {
        let (status, body) = create(&s, &http, &form, None).await;
        assert_eq!(status, 400, "{form:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    // Basic auth with the key as the user name is accepted, as Stripe documents.
    let res = http
        .post(format!("{}/v1/checkout/sessions", s.api_url()))
        .basic_auth(KEY, Some(""))
        .form(&params("u"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http.get(format!("{}/v1/charges", s.api_url())).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Unrecognized request URL"));

    let id = s.sessions()[0]["id"].as_str().unwrap().to_string();
    let control = |path: String| http.post(format!("{}/_fake/sessions/{path}", s.url())).send();
    assert_eq!(control("cs_test_nope/pay".into()).await.unwrap().status(), 404);
    assert_eq!(control(format!("{id}/teleport")).await.unwrap().status(), 404);
    assert_eq!(control(format!("{id}/refund")).await.unwrap().status(), 409, "unpaid: nothing to refund");
    assert_eq!(control(format!("{id}/dispute")).await.unwrap().status(), 409);
    assert_eq!(control(format!("{id}/pay")).await.unwrap().status(), 200);
    assert_eq!(control(format!("{id}/pay")).await.unwrap().status(), 409, "paid once");
    assert_eq!(control(format!("{id}/expire")).await.unwrap().status(), 409, "a complete session cannot expire");
}
