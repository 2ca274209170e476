//! HS256 access tokens, by hand (hmac + sha2): jsonwebtoken would bring `rsa` for nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub role: String,
    pub email: String,
    pub session_id: String,
    pub iat: i64,
    pub exp: i64,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialise");
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(payload));
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The claims of a token signed with `secret`, not expired at `now`; None otherwise.
pub fn verify(token: &str, secret: &[u8], now: i64) -> Option<Claims> {
    let (input, signature) = token.rsplit_once('.')?;
    let (header, payload) = input.split_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(input.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&signature).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header["alg"] != "HS256" {
        return None;
    }
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    (claims.exp > now && claims.aud == "authenticated").then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: "x".into(),
            sub: "u".into(),
            aud: "authenticated".into(),
            role: "authenticated".into(),
            email: "a@b".into(),
            session_id: "s".into(),
            iat: 0,
            exp,
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire_and_only_with_their_key() {
        let t = sign(&claims(100), b"k1");
        assert_eq!(verify(&t, b"k1", 99).unwrap().sub, "u");
        assert!(verify(&t, b"k1", 100).is_none(), "expired");
        assert!(verify(&t, b"k2", 99).is_none(), "other key");
        let mut forged = t.clone();
        forged.replace_range(forged.len() - 3.., "AAA");
        assert!(verify(&forged, b"k1", 99).is_none(), "tampered signature");
    }
}
