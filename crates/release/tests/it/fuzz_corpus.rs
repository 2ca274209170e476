//! The `update_manifest` fuzz target's committed corpus (`fuzz/corpus/update_manifest`), replayed
//! through the property the target checks: each feed is refused with a reason, or accepted and
//! written back out unchanged. Keeps what the fuzzer found fixed without a fuzzing build in CI.

use std::path::Path;

use flux_krea_release::manifest::round_trip_property;

#[test]
fn update_manifest_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/update_manifest");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() > 100, "{}: only {} inputs; is the corpus there?", dir.display(), files.len());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        if std::panic::catch_unwind(|| round_trip_property(&bytes)).is_err() {
            panic!("{}: the update_manifest property failed (see the panic above)", file.display());
        }
    }
}
