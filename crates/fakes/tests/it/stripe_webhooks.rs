//! Stripe webhook delivery: signatures checked with an independent HMAC, retries, N copies,
//! shuffled order, late delivery, delayed payments, refunds and disputes.

use std::time::Duration;

use flux_krea_fakes::stripe::{DelayedOutcome, RunningStripe, StripeKnobs};
use hmac::{Hmac, Mac};
use reqwest::Client;
use serde_json::Value;
use sha2::Sha256;

use crate::common::receiver::{Received, Receiver};
use crate::stripe_sessions::{create, params, start};

const SECRET: &str = "whsec_test_primary";
const WAIT: Duration = Duration::from_secs(10);

/// `t` and every `v1` of a `Stripe-Signature` header.
fn parse_signature(header: &str) -> (i64, Vec<String>) {
    let mut t = 0;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse().unwrap(),
            Some(("v1", v)) => v1.push(v.to_string()),
            _ => panic!("unexpected part {part}"),
        }
    }
    (t, v1)
}

/// hex(HMAC-SHA256(key = the whole whsec_ string, "{t}.{body}")), computed here, not by the fake.
fn expected(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn signed_by(r: &Received, secret: &str) -> bool {
    let (t, v1) = parse_signature(r.header("stripe-signature"));
    v1.contains(&expected(secret, t, &r.body))
}

async fn paid_session(s: &RunningStripe, http: &Client, user: &str) -> String {
    let (_, cs) = create(s, http, &params(user), None).await;
    let id = cs["id"].as_str().unwrap().to_string();
    let res = http.post(format!("{}/_fake/sessions/{id}/pay", s.url())).send().await.unwrap();
    assert_eq!(res.status(), 200);
    id
}

fn fast(knobs: StripeKnobs) -> StripeKnobs {
    StripeKnobs { retry_base_ms: 20, ..knobs }
}

#[tokio::test]
async fn stripe_completed_webhook_is_signed_with_the_real_scheme() {
    let hook = Receiver::start(0).await;
    let (s, http) = start(Some(hook.url())).await;
    let id = paid_session(&s, &http, "user-1").await;
    let got = hook.wait_for(1, WAIT).await;
    let r = &got[0];
    assert!(signed_by(r, SECRET), "signature {}", r.header("stripe-signature"));
    assert!(!signed_by(r, "whsec_other"));
    let (t, v1) = parse_signature(r.header("stripe-signature"));
    assert_eq!(v1.len(), 1);
    assert!((t - chrono::Utc::now().timestamp()).abs() < 30);
    assert!(r.header("user-agent").starts_with("Stripe/"));

    let event = r.json();
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!((event["object"].as_str(), event["type"].as_str()), (Some("event"), Some("checkout.session.completed")));
    let cs = &event["data"]["object"];
    assert_eq!(cs["id"], id.as_str());
    assert_eq!((cs["status"].as_str(), cs["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(cs["client_reference_id"], "user-1");
    assert_eq!(cs["metadata"]["pack_id"], "small");
    assert_eq!(s.events().len(), 1);
}

#[tokio::test]
async fn stripe_retries_after_500s_and_failed_connections_signing_each_attempt() {
    let hook = Receiver::start(2).await;
    let (s, http) = start(Some(hook.url())).await;
    s.set_knobs(fast(StripeKnobs::default()));
    paid_session(&s, &http, "u").await;
    let got = hook.wait_for(3, WAIT).await;
    assert!(got.iter().all(|r| signed_by(r, SECRET)), "each attempt carries a valid signature of its own");
    let delivered = s.wait_for_delivered(1, WAIT).await;
    assert_eq!(delivered.len(), 3);
    let ids: Vec<Value> = got.iter().map(|r| r.json()["id"].clone()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one event, retried");
    let attempts: Vec<(u32, Option<u16>)> = s.deliveries().iter().map(|d| (d.attempt, d.status)).collect();
    assert_eq!(attempts, [(1, Some(500)), (2, Some(500)), (3, Some(200))]);

    // Nobody listening: every attempt fails to connect, then the fake gives up.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    s.set_webhook(&closed, SECRET);
    s.set_knobs(fast(StripeKnobs { max_attempts: 3, ..StripeKnobs::default() }));
    paid_session(&s, &http, "u2").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while s.deliveries().iter().filter(|d| d.url == closed).count() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "retries did not happen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let to_closed: Vec<_> = s.deliveries().into_iter().filter(|d| d.url == closed).collect();
    assert!(to_closed.iter().all(|d| d.status.is_none() && d.error.is_some()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.deliveries().iter().filter(|d| d.url == closed).count(), 3, "max_attempts is the limit");
}

#[tokio::test]
async fn stripe_delivers_each_event_n_times_and_releases_held_events_shuffled() {
    let hook = Receiver::start(0).await;
    let (s, http) = start(Some(hook.url())).await;
    s.set_knobs(StripeKnobs { times: 3, ..StripeKnobs::default() });
    let a = paid_session(&s, &http, "alice").await;
    let b = paid_session(&s, &http, "bob").await;
    let got = hook.wait_for(6, WAIT).await;
    for sid in [&a, &b] {
        let copies: Vec<&Received> = got.iter().filter(|r| r.json()["data"]["object"]["id"] == sid.as_str()).collect();
        assert_eq!(copies.len(), 3, "three copies of {sid}");
        assert!(copies.iter().all(|r| r.json()["id"] == copies[0].json()["id"]), "copies share the event id");
    }

    // Eight events held, then released in a shuffled order (identical order: 1 in 40,320).
    let hook = Receiver::start(0).await;
    s.set_webhook(&hook.url(), SECRET);
    s.set_knobs(StripeKnobs { hold: true, shuffle: true, ..StripeKnobs::default() });
    let mut made = Vec::new();
    for i in 0..8 {
        made.push(paid_session(&s, &http, &format!("user-{i}")).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(hook.got().is_empty(), "held");
    assert_eq!(s.release(), 8);
    let got = hook.wait_for(8, WAIT).await;
    let order: Vec<String> =
        got.iter().map(|r| r.json()["data"]["object"]["id"].as_str().unwrap().to_string()).collect();
    let mut sorted_order = order.clone();
    sorted_order.sort();
    let mut sorted_made = made.clone();
    sorted_made.sort();
    assert_eq!(sorted_order, sorted_made, "each event exactly once");
    assert_ne!(order, made, "shuffled");
}

#[tokio::test]
async fn stripe_signs_with_both_secrets_while_rotating_and_can_age_or_delay() {
    let hook = Receiver::start(0).await;
    let (s, http) = start(Some(hook.url())).await;
    s.set_knobs(StripeKnobs { second_secret: Some("whsec_test_next".into()), ..StripeKnobs::default() });
    paid_session(&s, &http, "u").await;
    let r = &hook.wait_for(1, WAIT).await[0];
    assert_eq!(parse_signature(r.header("stripe-signature")).1.len(), 2);
    assert!(signed_by(r, SECRET) && signed_by(r, "whsec_test_next"));

    s.set_knobs(StripeKnobs { timestamp_offset_s: -600, delay_ms: 400, ..StripeKnobs::default() });
    let sent = tokio::time::Instant::now();
    paid_session(&s, &http, "u").await;
    let got = hook.wait_for(2, WAIT).await;
    assert!(sent.elapsed() >= Duration::from_millis(400), "delivered late");
    let (t, _) = parse_signature(got[1].header("stripe-signature"));
    assert!(chrono::Utc::now().timestamp() - t >= 590, "a stale timestamp");
    assert!(signed_by(&got[1], SECRET), "still a valid HMAC over the stale t");
}

#[tokio::test]
async fn stripe_delayed_payments_complete_unpaid_then_succeed_or_fail() {
    let hook = Receiver::start(0).await;
    let (s, http) = start(Some(hook.url())).await;
    s.set_knobs(StripeKnobs {
        delayed_payment: Some(DelayedOutcome::Succeed),
        delayed_payment_ms: 50,
        ..StripeKnobs::default()
    });
    let ok = paid_session(&s, &http, "u").await;
    let got = hook.wait_for(2, WAIT).await;
    let kinds: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let e = r.json();
            (e["type"].as_str().unwrap().into(), e["data"]["object"]["payment_status"].as_str().unwrap().into())
        })
        .collect();
    assert_eq!(kinds[0], ("checkout.session.completed".into(), "unpaid".into()));
    assert_eq!(kinds[1], ("checkout.session.async_payment_succeeded".into(), "paid".into()));
    assert_eq!(s.session(&ok).unwrap()["payment_status"], "paid");

    s.set_knobs(StripeKnobs::default());
    let (_, cs) = create(&s, &http, &params("u"), None).await;
    let id = cs["id"].as_str().unwrap();
    assert_eq!(http.post(format!("{}/_fake/sessions/{id}/fail", s.url())).send().await.unwrap().status(), 200);
    let got = hook.wait_for(4, WAIT).await;
    let last = got[3].json();
    assert_eq!(last["type"], "checkout.session.async_payment_failed");
    assert_eq!(
        (last["data"]["object"]["id"].as_str(), last["data"]["object"]["payment_status"].as_str()),
        (Some(id), Some("unpaid"))
    );
}

#[tokio::test]
async fn stripe_refunds_disputes_and_expiry_send_events_linked_by_payment_intent() {
    let hook = Receiver::start(0).await;
    let (s, http) = start(Some(hook.url())).await;
    let id = paid_session(&s, &http, "carol").await;
    let pi = s.session(&id).unwrap()["payment_intent"].as_str().unwrap().to_string();
    let refund = |body: &'static str| {
        http.post(format!("{}/_fake/sessions/{id}/refund", s.url()))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(refund(r#"{"amount":200}"#).await.unwrap().status(), 200);
    assert_eq!(refund("{}").await.unwrap().status(), 200);
    assert_eq!(refund("{}").await.unwrap().status(), 409, "nothing left to refund");
    assert!(s.dispute(&id).is_ok());

    let (_, open) = create(&s, &http, &params("dave"), None).await;
    let open_id = open["id"].as_str().unwrap();
    assert_eq!(http.post(format!("{}/_fake/sessions/{open_id}/expire", s.url())).send().await.unwrap().status(), 200);
    assert_eq!(http.post(format!("{}/_fake/sessions/{open_id}/refund", s.url())).send().await.unwrap().status(), 409);

    let got = hook.wait_for(5, WAIT).await;
    let events: Vec<Value> = got.iter().map(Received::json).collect();
    let of = |kind: &str| {
        events.iter().filter(|e| e["type"] == kind).map(|e| e["data"]["object"].clone()).collect::<Vec<_>>()
    };
    let refunds = of("charge.refunded");
    assert_eq!(refunds.len(), 2);
    let partial = refunds.iter().find(|c| c["amount_refunded"] == 200).expect("the partial refund");
    assert_eq!((partial["object"].as_str(), partial["refunded"].as_bool()), (Some("charge"), Some(false)));
    assert_eq!(partial["payment_intent"], pi.as_str());
    assert_eq!(partial["metadata"]["user_id"], "carol", "payment_intent_data metadata reaches the charge");
    assert!(refunds.iter().any(|c| c["amount_refunded"] == 500 && c["refunded"] == true));
    let dispute = &of("charge.dispute.created")[0];
    assert_eq!((dispute["object"].as_str(), dispute["payment_intent"].as_str()), (Some("dispute"), Some(pi.as_str())));
    assert_eq!(dispute["charge"], partial["id"]);
    let expired = &of("checkout.session.expired")[0];
    assert_eq!((expired["id"].as_str(), expired["status"].as_str()), (Some(open_id), Some("expired")));
}
