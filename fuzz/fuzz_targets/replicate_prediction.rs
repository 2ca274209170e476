//! A Replicate (or platform-proxied) prediction answer, as the job runner reads it: the body as
//! JSON, the prediction or a page of them, its status, outputs (one string, a list, data URIs),
//! error, progress and id; the same body as an error answer.
//!
//! The property is `flux_krea_core::fuzzing::properties::replicate_prediction`,
//! so that the tests replay this target's committed corpus on every CI run.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| flux_krea_core::fuzzing::properties::replicate_prediction(bytes));
