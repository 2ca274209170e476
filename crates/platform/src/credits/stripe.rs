//! The two Stripe calls the platform makes (create and retrieve a Checkout Session, form-encoded,
//! secret key as Bearer) and the `Stripe-Signature` check on its webhooks (docs/wire-facts.md §Stripe Checkout).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::app::App;

/// Stripe's default tolerance for a webhook's signed timestamp.
pub const TOLERANCE_S: i64 = 300;

pub struct NewSession<'a> {
    pub user: Uuid,
    pub pack_id: &'a str,
    pub credits: i64,
    pub price_cents: i64,
    pub currency: &'a str,
    /// Our own idempotency key for this purchase; Stripe replays the first answer for it.
    pub idempotency: &'a str,
}

fn url(app: &App, path: &str) -> String {
    format!("{}/v1{path}", app.config().upstreams.stripe_api.as_str().trim_end_matches('/'))
}

/// Creates a Checkout Session; Stripe's session object.
pub async fn create_session(app: &App, s: &NewSession<'_>) -> Result<Value, String> {
    let user = s.user.to_string();
    let credits = s.credits.to_string();
    let amount = s.price_cents.to_string();
    let name = format!("{} Flux Krea credits", s.credits);
    let success = app.public("/checkout/done?session_id={CHECKOUT_SESSION_ID}");
    let cancel = app.public("/checkout/cancelled");
    let form: [(&str, &str); 12] = [
        ("mode", "payment"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", s.currency),
        ("line_items[0][price_data][unit_amount]", &amount),
        ("line_items[0][price_data][product_data][name]", &name),
        ("success_url", &success),
        ("cancel_url", &cancel),
        ("client_reference_id", &user),
        ("metadata[user_id]", &user),
        ("metadata[pack_id]", s.pack_id),
        ("metadata[credits]", &credits),
        ("payment_intent_data[metadata][user_id]", &user),
    ];
    // ≤ 255 characters whatever the client's key: a hash of who and which key.
    let key = format!("fk-checkout-{:x}", Sha256::digest(format!("{}:{}", s.user, s.idempotency)));
    let res = app
        .http()
        .post(url(app, "/checkout/sessions"))
        .bearer_auth(app.config().stripe_secret_key.expose())
        .header("idempotency-key", key)
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("Stripe unreachable: {e}"))?;
    answer(res).await
}

pub async fn get_session(app: &App, id: &str) -> Result<Value, String> {
    let res = app
        .http()
        .get(url(app, &format!("/checkout/sessions/{id}")))
        .bearer_auth(app.config().stripe_secret_key.expose())
        .send()
        .await
        .map_err(|e| format!("Stripe unreachable: {e}"))?;
    answer(res).await
}

async fn answer(res: reqwest::Response) -> Result<Value, String> {
    let status = res.status();
    let body: Value = res.json().await.map_err(|_| format!("Stripe answered {status} without JSON"))?;
    if status.is_success() {
        Ok(body)
    } else {
        // Stripe's error message names parameters, never our key in full.
        Err(format!("Stripe answered {status}: {}", body["error"]["message"].as_str().unwrap_or("")))
    }
}

/// `Stripe-Signature: t=…,v1=…[,v1=…]` over `"{t}.{body}"`, HMAC-SHA256 keyed with the whole
/// `whsec_…` string: true if any v1 matches (secret rotation) and `t` is within the tolerance.
pub fn signature_valid(header: &str, body: &[u8], secret: &str, now: i64) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex(v)),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > TOLERANCE_S {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    // Every candidate is compared, in constant time each.
    signatures.iter().fold(false, |ok, s| ok | bool::from(s.as_slice().ct_eq(&expected[..])))
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn any_matching_v1_within_tolerance() {
        let body = br#"{"id":"evt_1"}"#;
        let good = sign("whsec_a", 1000, body);
        let other = sign("whsec_b", 1000, body);
        assert!(signature_valid(&format!("t=1000,v1={good}"), body, "whsec_a", 1000));
        assert!(signature_valid(&format!("t=1000,v1={other},v1={good}"), body, "whsec_a", 1200), "rotation");
        assert!(!signature_valid(&format!("t=1000,v1={good}"), body, "whsec_a", 1301), "stale");
        assert!(!signature_valid(&format!("t=1000,v1={other}"), body, "whsec_a", 1000), "wrong secret");
        assert!(!signature_valid(&format!("t=1000,v1={good}"), br#"{"id":"evt_2"}"#, "whsec_a", 1000), "body");
        assert!(!signature_valid(&format!("v1={good}"), body, "whsec_a", 1000), "no t");
        assert!(!signature_valid(&format!("t=1001,v1={good}"), body, "whsec_a", 1001), "t is signed");
    }
}
