//! The data export read back, and the record of rights exercised, through the real core.

use std::io::Read;

use flux_krea_core::privacy::{ConsentSource, ExportPhase, ExportProgress};
use flux_krea_core::Error;

use crate::core_in as core;

const TOKEN: &str = "r8_never_in_an_export_0042";

#[tokio::test]
async fn the_export_holds_every_row_and_file_and_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path()).await;
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    let mut policy = core.retention().await.unwrap();
    policy.window_days = None;
    core.set_retention(&policy).await.unwrap();
    core.seed_synthetic(120).await.unwrap();
    core.set_consent("training_use", true, ConsentSource::App).await.unwrap();
    let out = tmp.path().join("my-data.zip");
    let calls = std::sync::atomic::AtomicU32::new(0);
    let report = core
        .export_data(&out, &|p| {
            assert!(p.done <= p.total);
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .unwrap();
    assert_eq!(report.generations, 120);
    assert!(calls.into_inner() >= 1, "progress was reported");
    assert!(!tmp.path().join(".my-data.zip.partial").exists(), "no temp file left");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let raw = std::fs::read(&out).unwrap();
    assert!(!raw.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "a token went into the archive");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut text = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap_or_else(|_| panic!("{name} missing")).read_to_string(&mut s).unwrap();
        s
    };
    assert!(text("README.txt").contains("history.json"));
    let history: serde_json::Value = serde_json::from_str(&text("history.json")).unwrap();
    assert_eq!(history["schema_version"], 1);
    let created = history["generations"][0]["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.contains('T'), "RFC 3339 times: {created}");
    // One time format throughout, also inside each image and in every other document.
    let downloaded = history["generations"][0]["images"][0]["downloaded_at"].as_str().unwrap();
    assert!(flux_krea_core::clock::parse_rfc3339(downloaded).is_some(), "{downloaded}");
    let generations = history["generations"].as_array().unwrap();
    assert_eq!(generations.len(), 120);
    let consents: serde_json::Value = serde_json::from_str(&text("consents.json")).unwrap();
    assert_eq!(consents["history"][0]["name"], "training_use");
    for name in ["consents.json", "settings.json", "spend_ledger.json", "privacy_requests.json"] {
        let doc = serde_json::from_str::<serde_json::Value>(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(epoch_times(&doc), Vec::<String>::new(), "{name}: {doc}");
    }
    let mut files = std::collections::HashSet::new();
    for g in generations {
        for image in g["images"].as_array().unwrap() {
            files.insert(image["file"].as_str().unwrap().to_string());
        }
    }
    assert!(!files.is_empty());
    for file in &files {
        let entry = zip.by_name(file).unwrap_or_else(|_| panic!("{file} missing from the archive"));
        assert!(entry.size() > 0);
    }
    // The export itself is recorded; a second export to the same name is refused, naming the field.
    let requests = core.privacy_requests().await.unwrap();
    assert_eq!(requests[0].kind, "export");
    let again = core.export_data(&out, &|_| {}).await.unwrap_err();
    assert!(matches!(again, Error::InvalidInput { ref field, .. } if field == "out"), "{again:?}");
}

#[tokio::test]
async fn the_export_reports_the_files_it_copies_after_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path()).await;
    let mut policy = core.retention().await.unwrap();
    policy.window_days = None;
    core.set_retention(&policy).await.unwrap();
    // More rows than one batch of history.json, sharing a dozen distinct image files.
    core.seed_synthetic(1_200).await.unwrap();
    let out = tmp.path().join("my-data.zip");
    let seen = std::sync::Mutex::new(Vec::<ExportProgress>::new());
    let report = core.export_data(&out, &|p| seen.lock().unwrap().push(p)).await.unwrap();
    let seen = seen.into_inner().unwrap();

    let split = seen.iter().position(|p| p.phase == ExportPhase::Files).expect("the file copy was reported");
    let (history, files) = seen.split_at(split);
    assert!(files.iter().all(|p| p.phase == ExportPhase::Files), "history after the files: {seen:?}");
    assert!(history.iter().all(|p| p.total == 1_200), "{history:?}");
    let done: Vec<u32> = history.iter().map(|p| p.done).collect();
    assert_eq!(done.first(), Some(&0), "{done:?}");
    assert_eq!(done.last(), Some(&1_200), "{done:?}");
    assert!(done.windows(2).all(|w| w[0] < w[1]), "history not monotonic: {done:?}");

    // The distinct files the archive's history names, originals and input pictures alike.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name("history.json").unwrap().read_to_string(&mut text).unwrap();
    let history_doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut distinct = std::collections::BTreeSet::new();
    for g in history_doc["generations"].as_array().unwrap() {
        for list in ["images", "input_pictures"] {
            for item in g[list].as_array().unwrap() {
                distinct.insert(item["file"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(distinct.len() > 2, "several distinct files: {distinct:?}");
    assert_eq!(report.images as usize, distinct.len());
    assert!(distinct.iter().all(|f| zip.by_name(f).is_ok()), "a file is missing from the archive");

    let total = distinct.len() as u32;
    assert!(files.iter().all(|p| p.total == total), "{files:?}");
    let done: Vec<u32> = files.iter().map(|p| p.done).collect();
    assert_eq!(done.first(), Some(&0), "the copy is announced before it starts: {done:?}");
    assert_eq!(done.last(), Some(&total), "the copy ends at its total: {done:?}");
    assert!(done.windows(2).all(|w| w[0] < w[1]), "files not monotonic: {done:?}");
    assert!(done.len() > 2, "reported while copying, not only at both ends: {done:?}");
}

#[tokio::test]
async fn the_report_counts_what_is_stored_and_erasure_empties_it() {
    // Erasing everything clears the keychain entries the sign-in tests use.
    let _turn = crate::KEYCHAIN.lock().await;
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path()).await;
    // Synthetic history spans 18 months: keep it all, so the counts are the seeded ones.
    let mut policy = core.retention().await.unwrap();
    policy.window_days = None;
    core.set_retention(&policy).await.unwrap();
    core.seed_synthetic(30).await.unwrap();
    core.purge().await.unwrap();
    let report = core.privacy_report().await.unwrap();
    let count = |key: &str| report.kinds.iter().find(|k| k.key == key).unwrap().count;
    assert_eq!((count("generations"), count("prompts")), (30, 30));
    assert!(count("images") > 0 && report.oldest_item_at.is_some());
    assert_eq!(report.retention_days, None, "kept forever");
    assert!(report.next_purge_at.is_some(), "a purge ran, so the next one is known");
    let erased = core.erase_prompts().await.unwrap();
    assert_eq!(erased.generations, 30);
    assert_eq!(core.privacy_report().await.unwrap().kinds.iter().find(|k| k.key == "prompts").unwrap().count, 0);
    core.erase_everything().await.unwrap();
    let after = core.privacy_report().await.unwrap();
    assert_eq!(after.kinds.iter().find(|k| k.key == "images").unwrap().count, 0);
    let kinds: Vec<String> = core.privacy_requests().await.unwrap().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ["erase_all", "erase_prompts"]);
}

/// Fields named for a time (`*_at`) that hold a number rather than RFC 3339 text.
fn epoch_times(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| if k.ends_with("_at") && v.is_number() { vec![k.clone()] } else { epoch_times(v) })
            .collect(),
        serde_json::Value::Array(items) => items.iter().flat_map(epoch_times).collect(),
        _ => Vec::new(),
    }
}
