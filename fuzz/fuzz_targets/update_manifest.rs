//! An update feed (`latest.json`) through the release tool's parser and checks, as
//! `flux-krea-release validate` and `latest-json` run them; what it accepts must write back out
//! and read back the same.
#![no_main]

use flux_krea_release::manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match manifest::parse(bytes) {
        Ok(m) => {
            let json = m.to_json();
            let again = manifest::parse(json.as_bytes()).expect("a manifest it accepted reads back");
            assert_eq!(again, m);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
