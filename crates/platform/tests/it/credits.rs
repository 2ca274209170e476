//! Buying credits: Checkout Sessions on the Stripe fake, fulfilment from its signed webhooks
//! (delivered several times, shuffled), reversals, and signatures that must be refused.

use std::time::Duration;

use flux_krea_fakes::signatures::stripe_header;
use flux_krea_fakes::stripe::{DelayedOutcome, StripeKnobs};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{start, Platform, STRIPE_WHSEC};

impl Platform {
    pub async fn checkout(&self, token: &str, key: &str, pack: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/credits/checkout", self.url))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({ "pack_id": pack }))
            .send()
            .await
            .unwrap()
    }

    pub async fn buy(&self, token: &str, key: &str, pack: &str) -> String {
        let res = self.checkout(token, key, pack).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["session_id"].as_str().unwrap().to_string()
    }

    pub async fn balance(&self, token: &str) -> i64 {
        self.get_json("/credits", token).await["balance"].as_i64().unwrap()
    }

    /// Every entry, newest first, following `next`.
    pub async fn ledger(&self, token: &str) -> Vec<Value> {
        let mut entries = Vec::new();
        let mut path = "/credits/ledger?limit=2".to_string();
        loop {
            let page = self.get_json(&path, token).await;
            entries.extend(page["entries"].as_array().unwrap().iter().cloned());
            match page["next"].as_str() {
                Some(next) => path = format!("/credits/ledger?limit=2&cursor={next}"),
                None => return entries,
            }
        }
    }

    /// The ledger sums to the balance for every user.
    pub async fn assert_ledger_matches_balances(&self) {
        let off: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM users u WHERE u.balance <> COALESCE((SELECT sum(delta) FROM ledger_entries l WHERE l.user_id = u.id), 0)",
        )
        .fetch_one(&self.db)
        .await
        .unwrap();
        assert_eq!(off, 0, "a balance differs from its ledger");
    }
}

async fn checkout_status(p: &Platform, token: &str, id: &str) -> (String, i64) {
    let s = p.get_json(&format!("/credits/checkout/{id}"), token).await;
    (s["status"].as_str().unwrap().to_string(), s["credits_granted"].as_i64().unwrap())
}

#[tokio::test]
async fn a_pack_is_granted_once_though_every_event_arrives_three_times_shuffled() {
    let p = start().await;
    let ada = p.token("google").await;
    let octo = p.token("github").await;
    let packs = p.get_json("/credits/packs", &ada).await;
    assert_eq!(packs[0], json!({"id": "pack_100", "credits": 100, "price_cents": 500, "currency": "usd"}));
    p.stripe.set_knobs(StripeKnobs { times: 3, shuffle: true, ..StripeKnobs::default() });

    let res = p.checkout(&ada, "buy-1", "pack_100").await;
    assert_eq!(res.status(), StatusCode::OK);
    let first: Value = res.json().await.unwrap();
    let id = first["session_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("cs_"), "{first}");
    assert!(first["checkout_url"].as_str().unwrap().starts_with(&p.stripe.url()), "{first}");
    chrono::DateTime::parse_from_rfc3339(first["expires_at"].as_str().unwrap()).unwrap();
    // The same key replays; another body under it is refused; Stripe saw one session.
    let again: Value = p.checkout(&ada, "buy-1", "pack_100").await.json().await.unwrap();
    assert_eq!(again, first);
    let res = p.checkout(&ada, "buy-1", "pack_500").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "idempotency_key_reused");
    assert_eq!(p.stripe.sessions().len(), 1);
    assert_eq!(checkout_status(&p, &ada, &id).await, ("open".into(), 0));

    let other = p.buy(&octo, "buy-1", "pack_500").await;
    p.stripe.pay(&id).unwrap();
    p.stripe.pay(&other).unwrap();
    let deliveries = p.stripe.wait_for_delivered(6, Duration::from_secs(10)).await;
    assert_eq!(deliveries.iter().filter(|d| d.ok()).count(), 6, "every copy acknowledged");

    assert_eq!(p.balance(&ada).await, 100);
    assert_eq!(p.balance(&octo).await, 500);
    let ledger = p.ledger(&ada).await;
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!((ledger[0]["delta"].as_i64(), ledger[0]["reason"].as_str()), (Some(100), Some("purchase")));
    assert_eq!(checkout_status(&p, &ada, &id).await, ("complete".into(), 100));
    // Octo cannot read Ada's checkout.
    assert_eq!(p.get(&format!("/credits/checkout/{id}"), &octo).await.status(), StatusCode::NOT_FOUND);
    p.assert_ledger_matches_balances().await;
}

#[tokio::test]
async fn refunds_and_disputes_post_reversals_once_each() {
    let p = start().await;
    let ada = p.token("google").await;
    p.stripe.set_knobs(StripeKnobs { times: 2, ..StripeKnobs::default() });
    let id = p.buy(&ada, "k", "pack_500").await;
    p.stripe.pay(&id).unwrap();
    p.stripe.wait_for_delivered(2, Duration::from_secs(10)).await;
    assert_eq!(p.balance(&ada).await, 500);

    p.stripe.refund(&id, Some(500)).unwrap(); // a quarter of $20.00
    p.stripe.wait_for_delivered(4, Duration::from_secs(10)).await;
    assert_eq!(p.balance(&ada).await, 375);
    p.stripe.dispute(&id).unwrap();
    p.stripe.wait_for_delivered(6, Duration::from_secs(10)).await;
    assert_eq!(p.balance(&ada).await, 0);
    let reasons: Vec<(i64, String)> = p
        .ledger(&ada)
        .await
        .iter()
        .map(|e| (e["delta"].as_i64().unwrap(), e["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(reasons, [(-375, "reversal".into()), (-125, "reversal".into()), (500, "purchase".into())]);
    p.assert_ledger_matches_balances().await;
}

#[tokio::test]
async fn forged_stale_and_replayed_stripe_webhooks_change_nothing() {
    let p = start().await;
    let ada = p.token("google").await;
    let id = p.buy(&ada, "k", "pack_100").await;
    let mut session = p.stripe.session(&id).unwrap();
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    let body =
        json!({"id": "evt_forged", "type": "checkout.session.completed", "data": {"object": session}}).to_string();
    let now = chrono::Utc::now().timestamp();
    let post = |signature: Option<String>| {
        let mut req = p.http.post(format!("{}/webhooks/stripe", p.url)).body(body.clone());
        if let Some(s) = signature {
            req = req.header("stripe-signature", s);
        }
        req.send()
    };
    for (why, signature) in [
        ("unsigned", None),
        ("wrong secret", Some(stripe_header(&["whsec_attacker"], now, body.as_bytes()))),
        ("stale", Some(stripe_header(&[STRIPE_WHSEC], now - 301, body.as_bytes()))),
        ("from the future", Some(stripe_header(&[STRIPE_WHSEC], now + 301, body.as_bytes()))),
    ] {
        assert_eq!(post(signature).await.unwrap().status(), StatusCode::BAD_REQUEST, "{why}");
    }
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events").fetch_one(&p.db).await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM checkouts").fetch_one(&p.db).await.unwrap();
    assert_eq!((events, status.as_str()), (0, "open"));
    assert_eq!(p.balance(&ada).await, 0);

    // A real delivery, then the very same request replayed: acknowledged, granted once.
    p.stripe.pay(&id).unwrap();
    let delivered = p.stripe.wait_for_delivered(1, Duration::from_secs(10)).await;
    let d = delivered.iter().find(|d| d.ok()).unwrap();
    let replay = p
        .http
        .post(format!("{}/webhooks/stripe", p.url))
        .header("stripe-signature", d.header("stripe-signature").unwrap())
        .body(d.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::OK);
    // Rotation: a second v1 from another secret next to ours still verifies.
    let rotated = stripe_header(&["whsec_old", STRIPE_WHSEC], chrono::Utc::now().timestamp(), d.body.as_bytes());
    let res =
        p.http.post(format!("{}/webhooks/stripe", p.url)).header("stripe-signature", rotated).body(d.body.clone());
    assert_eq!(res.send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(p.balance(&ada).await, 100);
    assert_eq!(p.ledger(&ada).await.len(), 1);
}

#[tokio::test]
async fn a_lost_webhook_is_caught_up_by_asking_stripe() {
    let p = start().await;
    let ada = p.token("google").await;
    p.stripe.set_knobs(StripeKnobs { hold: true, ..StripeKnobs::default() });
    let id = p.buy(&ada, "k", "pack_100").await;
    p.stripe.pay(&id).unwrap();
    assert_eq!(checkout_status(&p, &ada, &id).await, ("complete".into(), 100));
    assert_eq!(p.balance(&ada).await, 100);
    assert_eq!(p.stripe.release(), 1);
    p.stripe.wait_for_delivered(1, Duration::from_secs(10)).await;
    assert_eq!(p.balance(&ada).await, 100, "the late webhook grants nothing more");
}

#[tokio::test]
async fn a_delayed_payment_stays_open_until_it_succeeds_or_fails() {
    let p = start().await;
    let ada = p.token("google").await;
    for (outcome, status, balance) in [(DelayedOutcome::Fail, "expired", 0), (DelayedOutcome::Succeed, "complete", 100)]
    {
        p.stripe.set_knobs(StripeKnobs {
            delayed_payment: Some(outcome),
            delayed_payment_ms: 300,
            ..StripeKnobs::default()
        });
        let id = p.buy(&ada, &format!("{outcome:?}"), "pack_100").await;
        let before = p.stripe.deliveries().iter().filter(|d| d.ok()).count();
        p.stripe.pay(&id).unwrap();
        p.stripe.wait_for_delivered(before + 1, Duration::from_secs(10)).await;
        assert_eq!(checkout_status(&p, &ada, &id).await.0, "open", "{outcome:?}: paid but not settled");
        p.stripe.wait_for_delivered(before + 2, Duration::from_secs(10)).await;
        assert_eq!(checkout_status(&p, &ada, &id).await.0, status, "{outcome:?}");
        assert_eq!(p.balance(&ada).await, balance);
    }
}

#[tokio::test]
async fn a_paid_session_whose_row_was_never_written_is_still_granted() {
    let p = start().await;
    let ada = p.token("google").await;
    let id = p.buy(&ada, "k", "pack_100").await;
    // As if the replica died between Stripe's answer and its insert.
    sqlx::query("DELETE FROM checkouts").execute(&p.db).await.unwrap();
    p.stripe.pay(&id).unwrap();
    p.stripe.wait_for_delivered(1, Duration::from_secs(10)).await;
    assert_eq!(p.balance(&ada).await, 100);
    assert_eq!(checkout_status(&p, &ada, &id).await, ("complete".into(), 100));
}

#[tokio::test]
async fn events_about_sessions_that_are_not_ours_are_acknowledged_and_change_nothing() {
    let p = start().await;
    let now = chrono::Utc::now().timestamp();
    let post = |body: String| {
        let signature = stripe_header(&[STRIPE_WHSEC], now, body.as_bytes());
        p.http.post(format!("{}/webhooks/stripe", p.url)).header("stripe-signature", signature).body(body).send()
    };
    let foreign = json!({"id": "evt_other", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_other", "status": "complete", "payment_status": "paid", "metadata": {}}}});
    assert_eq!(post(foreign.to_string()).await.unwrap().status(), StatusCode::OK);
    // A refund of a charge we have no purchase for (yet) is refused, so Stripe delivers it again.
    let refund = json!({"id": "evt_refund", "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "payment_intent": "pi_unknown", "amount": 500, "amount_refunded": 500}}});
    assert_eq!(post(refund.to_string()).await.unwrap().status(), StatusCode::CONFLICT);
    let events: Vec<String> = sqlx::query_scalar("SELECT id FROM stripe_events").fetch_all(&p.db).await.unwrap();
    assert_eq!(events, ["evt_other"]);
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries").fetch_one(&p.db).await.unwrap();
    assert_eq!(entries, 0);
}
