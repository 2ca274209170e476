//! An update feed (`latest.json`) through the release tool's parser and checks, as
//! `flux-krea-release validate` and `latest-json` run them; what it accepts must write back out
//! and read back the same.
//!
//! The property is `flux_krea_release::manifest::round_trip_property`,
//! so that the tests replay this target's committed corpus on every CI run.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| flux_krea_release::manifest::round_trip_property(bytes));
