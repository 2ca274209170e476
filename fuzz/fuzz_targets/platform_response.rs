//! An answer of the Flux Krea platform, read as every answer the app asks it for (balance,
//! ledger, packs, prices, checkout, /me, privacy calls) and as the sign-in broker's token answer,
//! under success and error statuses (problem+json, insufficient credits, invalid fields, 429).
//!
//! The property is `flux_krea_core::fuzzing::properties::platform_response`,
//! so that the tests replay this target's committed corpus on every CI run.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| flux_krea_core::fuzzing::properties::platform_response(bytes));
