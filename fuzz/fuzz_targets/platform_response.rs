//! An answer of the Flux Krea platform, read as every answer the app asks it for (balance,
//! ledger, packs, prices, checkout, /me, privacy calls) and as the sign-in broker's token answer,
//! under success and error statuses (problem+json, insufficient credits, invalid fields, 429).
#![no_main]

use flux_krea_core::fuzzing::{self, Session};
use libfuzzer_sys::fuzz_target;

/// A "now" in the app's range (2026); the session's expiry is computed from it.
const NOW_S: i64 = 1_795_000_000;

fuzz_target!(|body: &[u8]| {
    let ok = fuzzing::status(200).unwrap();
    let headers = fuzzing::headers(None);
    for answer in fuzzing::platform_answers(ok, &headers, body) {
        if let Err(e) = answer {
            shown(&e);
        }
    }
    for code in [200, 400, 401, 404, 422, 429, 500] {
        let status = fuzzing::status(code).unwrap();
        match fuzzing::token(status, body) {
            Ok(answer) => {
                assert!(status.is_success(), "an error status read as a token answer");
                let session = Session::from_answer(answer, NOW_S);
                let _ = session.needs_refresh(NOW_S);
            }
            Err(e) => shown(&e),
        }
    }
    // The same body as an error answer; a 429's Retry-After from its first bytes.
    let retry_after = fuzzing::headers(body.get(..body.len().min(8)));
    for code in [400, 401, 402, 403, 404, 409, 422, 429, 500, 503] {
        let status = fuzzing::status(code).unwrap();
        let headers = if code == 429 { &retry_after } else { &headers };
        let err = fuzzing::platform_answer(status, headers, body).expect_err("an error status read as an answer");
        shown(&err);
    }
});

/// Errors reach the window as JSON and the CLI as text; a wait is 1 s to 1 h, as documented.
fn shown(e: &fuzzing::Error) {
    let _ = e.to_string();
    serde_json::to_string(e).expect("an error always serializes");
    if let fuzzing::Error::RateLimited { retry_after_s } = e {
        assert!((1..=3600).contains(retry_after_s), "retry after {retry_after_s} s");
    }
}
