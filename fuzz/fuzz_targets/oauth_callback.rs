//! The sign-in redirect the loopback listener receives from the browser: the request head, the
//! `/callback` query (code, state, error, error_description), the state check, and the page the
//! browser is shown (which must not let the URL add markup).
//!
//! The property is `flux_krea_core::fuzzing::properties::oauth_callback`,
//! so that the tests replay this target's committed corpus on every CI run.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| flux_krea_core::fuzzing::properties::oauth_callback(bytes));
