//! Random-looking identifiers and Replicate's timestamp format. No RNG crate: ids only need to be
//! unique within a run and look like the real ones.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// splitmix64 over the clock and a counter.
pub(crate) fn random_u64() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let mut z = nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    let mut bits = random_u64();
    for i in 0..len {
        if i % 8 == 7 {
            bits = random_u64();
        }
        out.push(alphabet[(bits % alphabet.len() as u64) as usize] as char);
        bits /= alphabet.len() as u64;
    }
    out
}

/// Prediction ids look like `gm3qorzdhgbfurvjtvhg6dckhu`: 26 chars of lowercase base32.
pub(super) fn prediction_id() -> String {
    random_string(26, b"abcdefghijklmnopqrstuvwxyz234567")
}

/// File ids and delivery folders: mixed-case alphanumerics, as replicate.delivery paths are.
pub(crate) fn token(len: usize) -> String {
    random_string(len, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
}

/// `2025-07-31T12:00:00.123456Z`, the shape Replicate sends.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}
