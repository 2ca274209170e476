//! Input pictures kept with their generation (#19), against the Replicate fake: an image-to-image
//! run keeps the picture it sent (metadata removed) in the cache and only the file's name in the
//! history; Re-run still works after the user's own file is gone; the export carries the picture;
//! deletion, the purge and the erasure remove it; the details list the children (lineage).

use std::io::Read;

use flux_krea_core::generation::{GenerationRequest, InputValue};
use flux_krea_core::history::Status;
use flux_krea_core::retention::RetentionPolicy;

use crate::generation::{finished, jpeg_with_gps, request};
use crate::plan::World;

/// The plan tests' world, with the runner started.
async fn world() -> World {
    let w = crate::plan::world().await;
    assert!(w.core.start_jobs().unwrap());
    w
}

/// An image-to-image request on flux-dev with a picture the user owns (with GPS in its EXIF).
fn img2img(w: &World, prompt: &str) -> (GenerationRequest, std::path::PathBuf) {
    let own = w.sandbox.path().join("holiday-photo.jpg");
    std::fs::write(&own, jpeg_with_gps(96, 64)).unwrap();
    let path = own.display().to_string();
    let form =
        request("flux-dev", prompt, &[("image", InputValue::Text(path)), ("prompt_strength", InputValue::Number(0.6))]);
    (form, own)
}

/// Every `image` the fake was sent, in order.
fn sent_pictures(w: &World) -> Vec<String> {
    w.fake.fake.predictions().iter().filter_map(|p| p["input"]["image"].as_str().map(str::to_string)).collect()
}

#[tokio::test]
async fn the_sent_picture_is_kept_named_not_pathed_and_re_run_survives_the_original_going() {
    let w = world().await;
    let (form, own) = img2img(&w, "the same place in winter");
    let job = w.core.generate(&form).await.unwrap();
    assert_eq!(finished(&w.core, job.id).await.status, Status::Done);

    let details = w.core.generation_details(job.id).await.unwrap();
    assert_eq!(details.input_pictures.len(), 1);
    let kept = &details.input_pictures[0];
    assert_eq!((kept.field.as_str(), kept.name.as_str(), kept.format.as_str()), ("image", "holiday-photo.jpg", "jpg"));
    assert!(kept.file.starts_with("inputs/"), "{}", kept.file);
    let kept_bytes = std::fs::read(w.core.data_dir().join(&kept.file)).unwrap();
    assert!(!kept_bytes.windows(11).any(|b| b == b"GPSLatitude"), "the kept copy has no metadata");
    let stored: String = sqlx::query_scalar!("SELECT inputs FROM generations WHERE id = ?", job.id)
        .fetch_one(w.core.pool())
        .await
        .unwrap();
    assert!(!stored.contains(w.sandbox.path().to_str().unwrap()), "no path of the user's in the history: {stored}");
    assert!(stored.contains("\"holiday-photo.jpg\""), "{stored}");

    // The user's file goes; Re-run uses the kept copy and sends the same picture.
    std::fs::remove_file(&own).unwrap();
    let again = w.core.request_from(job.id).await.unwrap();
    let Some(InputValue::Text(path)) = again.inputs.get("image") else { panic!("no picture in {again:?}") };
    assert!(path.ends_with(&kept.file), "{path}");
    let rerun = w.core.generate(&again).await.unwrap();
    assert_eq!(finished(&w.core, rerun.id).await.status, Status::Done);
    let sent = sent_pictures(&w);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1], "the re-run sent the same picture");
    // Lineage: the re-run is the first's child, and the same file backs both.
    let details = w.core.generation_details(job.id).await.unwrap();
    assert_eq!(details.children, [rerun.id]);
    let child = w.core.generation_details(rerun.id).await.unwrap();
    assert_eq!((child.generation.parent_id, child.input_pictures[0].file.as_str()), (Some(job.id), kept.file.as_str()));
}

#[tokio::test]
async fn the_export_carries_the_picture_and_deletion_removes_it_when_unreferenced() {
    let w = world().await;
    let (form, _own) = img2img(&w, "a winter scene");
    let first = w.core.generate(&form).await.unwrap();
    let second = w.core.generate(&form).await.unwrap();
    finished(&w.core, first.id).await;
    finished(&w.core, second.id).await;
    let file = w.core.generation_details(first.id).await.unwrap().input_pictures[0].file.clone();

    let out = w.sandbox.path().join("export.zip");
    w.core.export_data(&out, &|_| {}).await.unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut history = String::new();
    archive.by_name("history.json").unwrap().read_to_string(&mut history).unwrap();
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    let named = history["generations"][0]["input_pictures"][0]["file"].as_str().unwrap().to_string();
    assert_eq!(named, file);
    assert!(archive.by_name(&file).is_ok(), "the picture is in the archive");

    let on_disk = w.core.data_dir().join(&file);
    w.core.delete_generations(&[first.id]).await.unwrap();
    assert!(on_disk.exists(), "the second run still uses the same file");
    w.core.delete_generations(&[second.id]).await.unwrap();
    assert!(!on_disk.exists(), "gone with the last generation that used it");
}

#[tokio::test]
async fn the_purge_and_the_erasure_remove_kept_pictures() {
    let w = world().await;
    let (form, _own) = img2img(&w, "a winter scene");
    let old = w.core.generate(&form).await.unwrap();
    finished(&w.core, old.id).await;
    let file = w.core.data_dir().join(&w.core.generation_details(old.id).await.unwrap().input_pictures[0].file);
    // Older than any window: the purge takes it.
    sqlx::query!("UPDATE generations SET created_at = 0 WHERE id = ?", old.id).execute(w.core.pool()).await.unwrap();
    let policy = RetentionPolicy { window_days: Some(1), ..w.core.retention().await.unwrap() };
    w.core.set_retention(&policy).await.unwrap();
    assert!(!file.exists(), "purged with its generation");

    let (form, _own) = img2img(&w, "another scene");
    let kept = w.core.generate(&form).await.unwrap();
    finished(&w.core, kept.id).await;
    let file = w.core.data_dir().join(&w.core.generation_details(kept.id).await.unwrap().input_pictures[0].file);
    assert!(file.exists());
    let report = w.core.erase_prompts().await.unwrap();
    assert!(report.files_removed >= 1, "{report:?}");
    assert!(!file.exists(), "erased with the prompts and parameters");
    assert!(w.core.generation_details(kept.id).await.unwrap().input_pictures.is_empty());
    let what = w.core.privacy_report().await.unwrap();
    let sent = what.kinds.iter().find(|k| k.key == "sent_pictures").expect("the report lists kept pictures");
    assert_eq!((sent.count, sent.bytes), (0, 0));
}
