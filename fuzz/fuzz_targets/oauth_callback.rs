//! The sign-in redirect the loopback listener receives from the browser: the request head, the
//! `/callback` query (code, state, error, error_description), the state check, and the page the
//! browser is shown (which must not let the URL add markup).
#![no_main]

use flux_krea_core::fuzzing;
use libfuzzer_sys::fuzz_target;

/// A state as the app makes them (oauth2's CsrfToken: 16 random bytes, base64url).
const STATE: &str = "k3J9sQ0vX2bW7nYc5pLm1A";

fuzz_target!(|head: &[u8]| {
    let Some((outcome, shown)) = fuzzing::oauth_callback(head, STATE) else { return };
    let (title, code) = match &outcome {
        Ok(code) => ("Signed in", Some(code)),
        Err(e) => {
            serde_json::to_string(e).expect("an error always serializes");
            ("Sign-in did not finish", None)
        }
    };
    if let Some(code) = code {
        assert!(!code.is_empty(), "an empty code was accepted");
    }
    let template = fuzzing::callback_page(title, "");
    for markup in ['<', '>', '"'] {
        assert_eq!(
            shown.matches(markup).count(),
            template.matches(markup).count(),
            "the callback URL added {markup:?} to the page"
        );
    }
});
