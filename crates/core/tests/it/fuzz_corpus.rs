//! Every input of the committed fuzz corpus (`fuzz/corpus/<target>`), replayed through the same
//! properties the `cargo fuzz` targets check (`flux_krea_core::fuzzing::properties`). The corpus
//! holds the fakes' real answers, what the fuzzer grew from them, and the inputs that once found a
//! bug; replaying it on every test run keeps those fixed without a fuzzing build in CI.

use std::path::{Path, PathBuf};

use flux_krea_core::fuzzing::properties;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 100, "{}: only {} inputs; is the corpus there?", dir.display(), files.len());
    files
}

/// Runs `property` on each input; a panic names the file that caused it.
fn replay(target: &str, property: fn(&[u8])) {
    for file in corpus(target) {
        let bytes = std::fs::read(&file).unwrap();
        if std::panic::catch_unwind(|| property(&bytes)).is_err() {
            panic!("{}: the {target} property failed (see the panic above)", file.display());
        }
    }
}

#[test]
fn replicate_prediction_corpus() {
    replay("replicate_prediction", properties::replicate_prediction);
}

#[test]
fn platform_response_corpus() {
    replay("platform_response", properties::platform_response);
}

#[test]
fn oauth_callback_corpus() {
    replay("oauth_callback", properties::oauth_callback);
}
