//! The two webhook signature schemes the fakes sign with, public so a service's tests can also
//! forge, age or replay signatures on purpose.
//!
//! - Stripe (docs.stripe.com/webhooks#verify-manually; stripe-python `_webhook.py`):
//!   `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>]`, each `v1` = hex(HMAC-SHA256(key = the whole
//!   `whsec_…` string as bytes, message = `"{t}.{raw body}"`)); one `v1` per secret during rotation.
//! - Standard Webhooks, as Replicate sends them (standardwebhooks.com spec; replicate.com/docs
//!   webhooks): `webhook-signature: v1,<base64(HMAC-SHA256(key = base64-decode(secret without
//!   "whsec_"), message = "{webhook-id}.{webhook-timestamp}.{raw body}"))>`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One Stripe `v1` value: hex HMAC-SHA256 keyed with the whole `whsec_…` string over `"{t}.{body}"`.
pub fn stripe_v1(secret: &str, t: i64, body: &[u8]) -> String {
    hex(&hmac(secret.as_bytes(), &[t.to_string().as_bytes(), b".", body]))
}

/// The whole `Stripe-Signature` value: `t=<t>` then one `v1=` per secret, in the order given.
pub fn stripe_header(secrets: &[&str], t: i64, body: &[u8]) -> String {
    let mut header = format!("t={t}");
    for secret in secrets {
        header.push_str(&format!(",v1={}", stripe_v1(secret, t, body)));
    }
    header
}

/// The `webhook-signature` value (`v1,<base64>`) for a Standard Webhooks secret (`whsec_<base64>`).
/// None when the secret is not base64 after its prefix.
pub fn standard_webhooks(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).ok()?;
    let mac = hmac(&key, &[id.as_bytes(), b".", timestamp.to_string().as_bytes(), b".", body]);
    Some(format!("v1,{}", STANDARD.encode(mac)))
}

/// A fresh Standard Webhooks secret: `whsec_` + base64 of 24 random bytes (Replicate's shape).
pub fn new_standard_secret() -> String {
    let bytes: Vec<u8> = (0..3).flat_map(|_| crate::replicate::ids::random_u64().to_le_bytes()).collect();
    format!("whsec_{}", STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks spec's published test vector.
    #[test]
    fn standard_webhooks_matches_the_spec_vector() {
        let sig = standard_webhooks(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    #[test]
    fn stripe_header_lists_one_v1_per_secret() {
        let h = stripe_header(&["whsec_a", "whsec_b"], 42, b"{}");
        let parts: Vec<&str> = h.split(',').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "t=42");
        assert_eq!(parts[1], format!("v1={}", stripe_v1("whsec_a", 42, b"{}")));
        assert_ne!(parts[1], parts[2]);
    }
}
