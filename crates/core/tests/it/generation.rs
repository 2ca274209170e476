//! The generation core against the Replicate fake: real HTTP, the real SQLite file, real image
//! files. Each fault knob ends in success or in a clear, specific error, with nothing half-written.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use flux_krea_core::generation::{GenerationRequest, InputValue, Job};
use flux_krea_core::history::Status;
use flux_krea_core::testing::Sandbox;
use flux_krea_core::{Core, Error};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_test_token_0123456789";

struct World {
    sandbox: Sandbox,
    fake: RunningReplicate,
    core: Arc<Core>,
}

async fn world(knobs: Knobs) -> World {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    fake.fake.set_knobs(Knobs { image_side: Some(64), ..knobs });
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", fake.base_url());
    let core = Arc::new(sandbox.open().await);
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    assert!(core.start_jobs().unwrap(), "this test process must run the jobs");
    World { sandbox, fake, core }
}

pub(crate) fn request(model: &str, prompt: &str, extra: &[(&str, InputValue)]) -> GenerationRequest {
    let mut inputs: std::collections::BTreeMap<String, InputValue> =
        extra.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    inputs.insert("prompt".into(), InputValue::Text(prompt.into()));
    GenerationRequest { model: model.into(), inputs, parent_id: None, exact_rerun: false, style: None }
}

pub(crate) fn n(v: f64) -> InputValue {
    InputValue::Number(v)
}

pub(crate) async fn finished(core: &Core, id: i32) -> Job {
    for _ in 0..600 {
        let job = core.job(id).await.unwrap();
        if job.status.is_finished() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish: {:?}", core.job(id).await);
}

/// No temp files anywhere in the cache, and every recorded file exists.
async fn cache_is_whole(w: &World) {
    let data = w.sandbox.path().join("data");
    for area in ["images", "thumbs"] {
        let Ok(shards) = std::fs::read_dir(data.join(area)) else { continue };
        for shard in shards.flatten() {
            for file in std::fs::read_dir(shard.path()).unwrap().flatten() {
                let name = file.file_name().to_string_lossy().to_string();
                assert!(!name.ends_with(".tmp"), "partial file left: {name}");
            }
        }
    }
    let files: Vec<String> = sqlx::query_scalar!("SELECT file FROM images").fetch_all(w.core.pool()).await.unwrap();
    for f in files {
        assert!(w.core.cached_file(&f).is_ok(), "{f} is recorded but missing");
    }
}

async fn ledger(core: &Core, id: i32) -> (f64, String) {
    let r = sqlx::query!("SELECT amount_usd, state FROM spend_ledger WHERE generation_id = ?", id)
        .fetch_one(core.pool())
        .await
        .unwrap();
    (r.amount_usd, r.state)
}

#[tokio::test]
async fn four_outputs_are_downloaded_thumbnailed_recorded_and_paid_for_once() {
    let w = world(Knobs::default()).await;
    let job =
        w.core.generate(&request("flux-schnell", "a lighthouse at dusk", &[("num_outputs", n(4.0))])).await.unwrap();
    assert!(!job.status.is_finished() && job.images_requested == 4, "{job:?}");
    let job = finished(&w.core, job.id).await;
    assert_eq!((job.status, job.images_returned, job.thumbs.len()), (Status::Done, 4, 4), "{job:?}");
    assert!((job.cost_usd.unwrap() - 0.012).abs() < 1e-9);
    assert_eq!(ledger(&w.core, job.id).await, (job.cost_usd.unwrap(), "final".to_string()));
    assert_eq!((w.fake.fake.creates(), w.fake.fake.downloads()), (1, 4));
    let details = w.core.generation_details(job.id).await.unwrap();
    assert_eq!(details.images.len(), 4);
    assert!(details.images.iter().all(|i| i.format == "webp" && i.width == 64));
    let sent = w.fake.fake.last_inputs().unwrap();
    assert_eq!(sent["seed"].as_i64(), details.generation.seed, "the seed is recorded as sent");
    cache_is_whole(&w).await;
}

#[tokio::test]
async fn a_slow_job_reports_progress_and_ends_in_the_gallery() {
    let w = world(Knobs { run_ms: 1500, ..Knobs::default() }).await;
    let mut updates = w.core.subscribe_jobs();
    let job = w.core.generate(&request("flux-dev", "a fox", &[])).await.unwrap();
    let mut seen = Vec::new();
    while let Ok(Ok(update)) = tokio::time::timeout(Duration::from_secs(20), updates.recv()).await {
        if update.id == job.id && seen.last() != Some(&update.status) {
            seen.push(update.status);
        }
        if update.id == job.id && update.status.is_finished() {
            break;
        }
    }
    assert_eq!(seen.first(), Some(&Status::Queued));
    for expected in [Status::Submitted, Status::Running, Status::Downloading, Status::Done] {
        assert!(seen.contains(&expected), "{expected:?} missing from {seen:?}");
    }
    let page = w.core.gallery_page(&Default::default()).await.unwrap();
    assert_eq!(page.items[0].id, job.id);
}

#[tokio::test]
async fn filtered_images_are_shown_as_a_shortfall_and_not_counted() {
    let w = world(Knobs { filter_images: 1, ..Knobs::default() }).await;
    let job = w.core.generate(&request("flux-schnell", "x", &[("num_outputs", n(3.0))])).await.unwrap();
    let job = finished(&w.core, job.id).await;
    assert_eq!((job.status, job.images_returned, job.images_requested), (Status::Done, 2, 3));
    assert!(job.note.as_deref().unwrap().starts_with("2 of 3 images came back"), "{job:?}");
    assert!((ledger(&w.core, job.id).await.0 - 0.006).abs() < 1e-9);
}

#[tokio::test]
async fn a_fully_filtered_run_fails_with_the_models_reason_and_costs_nothing() {
    let w = world(Knobs { filter_images: 4, ..Knobs::default() }).await;
    let job = w.core.generate(&request("flux-schnell", "x", &[("num_outputs", n(2.0))])).await.unwrap();
    let job = finished(&w.core, job.id).await;
    assert_eq!(job.status, Status::Failed);
    assert!(job.error.as_deref().unwrap().contains("NSFW"), "{job:?}");
    assert_eq!(ledger(&w.core, job.id).await, (0.0, "final".to_string()));
}

#[tokio::test]
async fn throttling_is_waited_out_and_creates_once() {
    let w = world(Knobs { throttle: 2, retry_after_s: Some(1), ..Knobs::default() }).await;
    let job = w.core.generate(&request("flux-schnell", "x", &[])).await.unwrap();
    let job = finished(&w.core, job.id).await;
    assert_eq!(job.status, Status::Done, "{job:?}");
    assert_eq!(w.fake.fake.creates(), 1);
}

#[tokio::test]
async fn a_server_error_on_create_is_not_retried_blindly_and_says_what_happened() {
    let w = world(Knobs { server_errors: 1, ..Knobs::default() }).await;
    let job = w.core.generate(&request("flux-schnell", "x", &[])).await.unwrap();
    let job = finished(&w.core, job.id).await;
    assert_eq!(job.status, Status::Failed);
    assert!(job.error.as_deref().unwrap().starts_with("Replicate answered 503"), "{job:?}");
    assert_eq!(w.fake.fake.creates(), 0);
    assert_eq!(ledger(&w.core, job.id).await.0, 0.0);
    // Retrying later works and is a new job.
    let again = finished(&w.core, w.core.retry_job(job.id).await.unwrap().id).await;
    assert_eq!(again.status, Status::Done);
}

#[tokio::test]
async fn broken_and_truncated_downloads_are_retried_to_completion() {
    let w = world(Knobs { reset_downloads: 1, truncate_downloads: 1, ..Knobs::default() }).await;
    let job = w.core.generate(&request("flux-schnell", "x", &[("num_outputs", n(2.0))])).await.unwrap();
    let job = finished(&w.core, job.id).await;
    assert_eq!((job.status, job.images_returned), (Status::Done, 2), "{job:?}");
    cache_is_whole(&w).await;
}

#[tokio::test]
async fn downloads_that_keep_failing_fail_clearly_and_retry_fetches_without_a_new_run() {
    let w = world(Knobs { reset_downloads: 100, ..Knobs::default() }).await;
    let job = w.core.generate(&request("flux-schnell", "x", &[("num_outputs", n(2.0))])).await.unwrap();
    let job = finished(&w.core, job.id).await;
    assert_eq!(job.status, Status::Failed);
    assert!(job.error.as_deref().unwrap().starts_with("the connection to Replicate failed"), "{job:?}");
    cache_is_whole(&w).await;
    w.fake.fake.set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let retried = w.core.retry_job(job.id).await.unwrap();
    assert_eq!(retried.id, job.id, "the same job fetches its outputs");
    let job = finished(&w.core, job.id).await;
    assert_eq!((job.status, job.images_returned), (Status::Done, 2));
    assert_eq!(w.fake.fake.creates(), 1, "no second prediction");
}

#[tokio::test]
async fn expired_outputs_are_reported_as_such() {
    let w = world(Knobs { run_ms: 1500, ..Knobs::default() }).await;
    w.core.set_queue_paused(false);
    let job = w.core.generate(&request("flux-schnell", "x", &[])).await.unwrap();
    // Let it be submitted, then make the hour pass before it finishes downloading.
    for _ in 0..100 {
        if w.fake.fake.creates() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1600)).await;
    w.fake.fake.expire_outputs();
    let job = finished(&w.core, job.id).await;
    // Either it raced ahead and downloaded, or it says exactly why it could not.
    if job.status == Status::Failed {
        assert!(job.error.as_deref().unwrap().contains("expired before they could be downloaded"), "{job:?}");
        assert_eq!(ledger(&w.core, job.id).await.0, 0.0);
    } else {
        assert_eq!(job.images_returned, 1);
    }
}

#[tokio::test]
async fn cancel_stops_a_running_prediction_and_a_queued_job() {
    let w = world(Knobs { run_ms: 20_000, ..Knobs::default() }).await;
    let running = w.core.generate(&request("flux-dev", "slow", &[])).await.unwrap();
    for _ in 0..500 {
        if w.core.job(running.id).await.unwrap().status == Status::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.core.set_queue_paused(true);
    let queued = w.core.generate(&request("flux-dev", "never", &[])).await.unwrap();
    w.core.cancel_job(queued.id).await.unwrap();
    let mut events = w.core.subscribe_jobs();
    let answer = w.core.cancel_job(running.id).await.unwrap();
    let (a, b) = (finished(&w.core, running.id).await, finished(&w.core, queued.id).await);
    assert_eq!((a.status, b.status), (Status::Canceled, Status::Canceled));
    // The cancel's answer is a snapshot no newer than the job's end, and says which by its
    // revision, whatever order the window receives the two in. Usually it is older (the runner is
    // woken after it is read); the runner may also have seen the flag on its own and ended first.
    assert!(answer.cancel_requested, "{answer:?}");
    let mut end = None;
    while let Ok(event) = events.try_recv() {
        if event.id == a.id && event.status == Status::Canceled {
            end = Some(event);
        }
    }
    let end = end.expect("the job's end was announced");
    assert_eq!(end.revision, a.revision);
    if answer.status.is_finished() {
        assert_eq!((answer.status, answer.revision), (Status::Canceled, end.revision), "{answer:?}");
    } else {
        assert!(end.revision > answer.revision, "{} after {}", end.revision, answer.revision);
    }
    assert_eq!(w.fake.fake.predictions()[0]["status"], "canceled");
    assert_eq!(w.fake.fake.creates(), 1, "the queued job was never sent");
    assert_eq!(ledger(&w.core, a.id).await.0, 0.0);
    assert!(w.core.cancel_job(a.id).await.is_err(), "an ended job cannot be canceled");
}

#[tokio::test]
async fn at_most_two_run_at_once_and_pause_holds_the_queue() {
    let w = world(Knobs { run_ms: 600, ..Knobs::default() }).await;
    w.core.set_queue_paused(true);
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(w.core.generate(&request("flux-schnell", &format!("p{i}"), &[])).await.unwrap().id);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(w.fake.fake.creates(), 0, "paused: nothing sent");
    w.core.set_queue_paused(false);
    let mut most = 0;
    loop {
        let jobs = w.core.recent_jobs(10).await.unwrap();
        let busy = jobs
            .iter()
            .filter(|j| matches!(j.status, Status::Submitted | Status::Running | Status::Downloading))
            .count();
        most = most.max(busy);
        if jobs.iter().all(|j| j.status.is_finished()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(most, 2, "the limit is two at a time");
    for id in ids {
        assert_eq!(w.core.job(id).await.unwrap().status, Status::Done);
    }
}

#[tokio::test]
async fn the_budget_blocks_before_anything_is_written_or_sent() {
    let w = world(Knobs::default()).await;
    w.core.set_monthly_budget(Some(0.005)).await.unwrap();
    let err = w.core.generate(&request("flux-schnell", "x", &[("num_outputs", n(2.0))])).await.unwrap_err();
    assert!(matches!(err, Error::BudgetExceeded { .. }), "{err:?}");
    assert!(w.core.recent_jobs(10).await.unwrap().is_empty());
    assert_eq!(w.fake.fake.creates(), 0);
}

#[tokio::test]
async fn bad_inputs_are_refused_before_anything_is_written() {
    let w = world(Knobs::default()).await;
    let err = w.core.generate(&request("flux-dev", "", &[("guidance", n(99.0))])).await.unwrap_err();
    let Error::InvalidFields { fields } = err else { panic!("{err:?}") };
    assert_eq!(fields.len(), 2);
    assert!(w.core.recent_jobs(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_token_and_no_network_give_clear_errors() {
    let w = world(Knobs::default()).await;
    w.core.use_replicate_token_from_environment("r8_wrong").unwrap();
    let job = finished(&w.core, w.core.generate(&request("flux-schnell", "x", &[])).await.unwrap().id).await;
    assert_eq!(
        job.error.as_deref(),
        Some("replicate_token: Replicate refused the token; check it on the Account screen")
    );

    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", format!("http://{closed}/v1"));
    let core = Arc::new(sandbox.open().await);
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    core.start_jobs().unwrap();
    let job = finished(&core, core.generate(&request("flux-schnell", "x", &[])).await.unwrap().id).await;
    assert_eq!(job.error.as_deref(), Some("offline: cannot reach Replicate"));
}

#[tokio::test]
async fn input_pictures_are_stripped_and_sent_inline_or_uploaded_by_size() {
    let w = world(Knobs::default()).await;
    let small = w.sandbox.path().join("small.jpg");
    std::fs::write(&small, jpeg_with_gps(64, 48)).unwrap();
    let job = w
        .core
        .generate(&request("flux-dev", "make it autumn", &[("image", InputValue::Text(small.display().to_string()))]))
        .await
        .unwrap();
    assert_eq!(finished(&w.core, job.id).await.status, Status::Done);
    let sent = w.fake.fake.last_inputs().unwrap();
    let url = sent["image"].as_str().unwrap();
    assert!(url.starts_with("data:image/jpeg;base64,"), "small pictures go inline");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(&url[23..]).unwrap();
    assert!(!bytes.windows(11).any(|w| w == b"GPSLatitude"), "GPS must not leave the machine");

    let large = w.sandbox.path().join("large.jpg");
    std::fs::write(&large, jpeg_with_gps(1400, 1000)).unwrap();
    assert!(std::fs::metadata(&large).unwrap().len() > 256 * 1024);
    let job = w
        .core
        .generate(&request(
            "flux-kontext-pro",
            "add snow",
            &[("input_image", InputValue::Text(large.display().to_string()))],
        ))
        .await
        .unwrap();
    assert_eq!(finished(&w.core, job.id).await.status, Status::Done);
    let uploads = w.fake.fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert!(!uploads[0].bytes.windows(11).any(|w| w == b"GPSLatitude"));
    assert!(w.fake.fake.last_inputs().unwrap()["input_image"].as_str().unwrap().starts_with("http://127.0.0.1"));
}

/// A noisy JPEG (so it does not compress away) with an EXIF block carrying GPS text.
pub(crate) fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let mut seed = 12345u32;
    let img = image::RgbImage::from_fn(width, height, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        image::Rgb([(seed >> 16) as u8, (seed >> 8) as u8, seed as u8])
    });
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .unwrap();
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    exif.extend_from_slice(b"GPSLatitude 52.5200 N");
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

/// The real keychain (gnome-keyring in CI's D-Bus session): a good token is checked and kept,
/// a bad one refused naming the field; the token never comes back out of the core.
#[tokio::test]
async fn own_key_is_checked_then_kept_in_the_keychain_only() {
    let _turn = crate::KEYCHAIN.lock().await;
    let w = world(Knobs::default()).await;
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", w.fake.base_url());
    let core = sandbox.open().await;
    let err = core.set_replicate_token("r8_not_valid").await.unwrap_err();
    assert_eq!(err, Error::invalid("replicate_token", "Replicate did not accept this token"));
    let status = core.set_replicate_token(&format!("  {TOKEN}\n")).await.unwrap();
    assert!(status.configured);
    assert_eq!(status.account.as_ref().map(|a| a.username.as_str()), Some("fake-user"));
    let shown = serde_json::to_string(&status).unwrap();
    assert!(!shown.contains(TOKEN), "the status must not carry the token");
    // Nothing in the data folder holds it.
    for entry in walk(sandbox.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "token found in {}", entry.display());
    }
    let status = core.remove_replicate_token().await.unwrap();
    assert!(!status.configured && status.account.is_none());
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The client on its own: Replicate's 422 `invalid_fields` become the form's field errors, creates
/// carry a `Cancel-After` deadline, and outputs come back as the model's shape.
#[tokio::test]
async fn the_client_maps_field_errors_and_sends_a_deadline() {
    use flux_krea_core::generation::provider::ProviderClient;
    use flux_krea_core::secrets::Sensitive;
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    fake.fake.set_knobs(Knobs { image_side: Some(32), ..Knobs::default() });
    let provider = ProviderClient::replicate(&fake.base_url(), Sensitive::new(TOKEN.to_string())).unwrap();
    let bad = serde_json::json!({"prompt": "x", "num_outputs": 9, "signal": true});
    let err = provider.create("black-forest-labs/flux-dev", &bad, "k", Duration::from_secs(5)).await.unwrap_err();
    let Error::InvalidFields { fields } = err else { panic!("{err:?}") };
    assert!(fields.iter().any(|f| f.field == "num_outputs"), "{fields:?}");
    assert_eq!(fake.fake.creates(), 0);
    let ok = serde_json::json!({"prompt": "x", "seed": 3});
    let p = provider.create("black-forest-labs/flux-1.1-pro", &ok, "k", Duration::from_secs(5)).await.unwrap();
    assert_eq!(p.output_urls().unwrap().len(), 1, "pro models answer one string");
    assert!(fake.fake.predictions()[0]["deadline"].is_string(), "Cancel-After was sent");
    let unknown = provider.get("nosuchprediction").await.unwrap_err();
    assert!(matches!(unknown, Error::Upstream { status: 404, .. }), "{unknown:?}");
    let account = provider.account().await.unwrap();
    assert_eq!(account.username, "fake-user");
}

#[tokio::test]
async fn a_model_failure_is_recorded_with_the_models_words() {
    let w = world(Knobs { fail_with: Some("CUDA out of memory".into()), ..Knobs::default() }).await;
    let job = finished(&w.core, w.core.generate(&request("flux-dev", "x", &[])).await.unwrap().id).await;
    assert_eq!((job.status, job.error.as_deref()), (Status::Failed, Some("CUDA out of memory")));
    assert_eq!(ledger(&w.core, job.id).await, (0.0, "final".to_string()));
    assert!(w.core.generation_details(job.id).await.unwrap().images.is_empty());
}
