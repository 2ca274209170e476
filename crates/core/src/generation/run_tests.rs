use std::collections::BTreeMap;
use std::time::Duration;

use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

use crate::generation::{GenerationRequest, InputValue};
use crate::history::Status;
use crate::{Config, Core};

const TOKEN: &str = "r8_run_test_token_0123456789";

/// A core generating against `fake` with its token, its runner started.
async fn core_against(fake: &RunningReplicate, tmp: &std::path::Path) -> std::sync::Arc<Core> {
    let (data, logs, url) =
        (tmp.join("data").display().to_string(), tmp.join("logs").display().to_string(), fake.base_url());
    let config = Config::resolve(&tmp.join("none.toml"), move |k| match k {
        "FLUX_KREA_DATA_DIR" => Some(data.clone()),
        "FLUX_KREA_LOG_DIR" => Some(logs.clone()),
        "FLUX_KREA_REPLICATE_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap();
    let core = std::sync::Arc::new(Core::open(&config.data_dir.value.clone(), config).await.unwrap());
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    core
}

async fn wait_until_finished(core: &Core, id: i32) -> crate::generation::Job {
    for _ in 0..1500 {
        let now = core.job(id).await.unwrap();
        if now.status.is_finished() {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} did not finish in 30 s");
}

#[tokio::test]
async fn a_prediction_that_never_ends_is_stopped_and_the_job_fails_saying_so() {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    // Far longer than the test: without the limit the job would poll for ten minutes.
    fake.fake.set_knobs(Knobs { run_ms: 600_000, image_side: Some(64), ..Knobs::default() });
    let tmp = tempfile::tempdir().unwrap();
    let core = core_against(&fake, tmp.path()).await;
    core.jobs.set_give_up_after(Duration::from_millis(1500));
    assert!(core.start_jobs().unwrap());
    let inputs = BTreeMap::from([("prompt".to_string(), InputValue::Text("a slow lighthouse".into()))]);
    let request =
        GenerationRequest { model: "flux-dev".into(), inputs, parent_id: None, exact_rerun: false, style: None };
    let job = core.generate(&request).await.unwrap();
    let mut ended = None;
    // The create itself holds up to 5 s (`Prefer: wait=5`) before the polling starts.
    for _ in 0..750 {
        let now = core.job(job.id).await.unwrap();
        if now.status.is_finished() {
            ended = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ended = ended.expect("the job gave up soon after its create");
    assert_eq!(ended.status, Status::Failed);
    let error = ended.error.unwrap_or_default();
    assert!(error.contains("had not finished it after 1 minutes") && error.contains("No image came back"), "{error}");
    assert_eq!(fake.fake.predictions()[0]["status"], "canceled", "the provider was told to stop it");
    assert_eq!((ended.images_returned, fake.fake.creates(), fake.fake.downloads()), (0, 1, 0));
}

#[tokio::test]
async fn a_job_decodes_at_most_two_outputs_at_once() {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    // Four outputs that arrive together (the delivery host holds each answer 300 ms).
    fake.fake.set_knobs(Knobs { image_side: Some(768), delivery_latency_ms: 300, ..Knobs::default() });
    let tmp = tempfile::tempdir().unwrap();
    let core = core_against(&fake, tmp.path()).await;
    assert!(core.start_jobs().unwrap());
    let inputs = BTreeMap::from([
        ("prompt".to_string(), InputValue::Text("four lighthouses".into())),
        ("num_outputs".to_string(), InputValue::Number(4.0)),
    ]);
    let request =
        GenerationRequest { model: "flux-schnell".into(), inputs, parent_id: None, exact_rerun: false, style: None };
    let job = core.generate(&request).await.unwrap();
    let ended = wait_until_finished(&core, job.id).await;
    assert_eq!((ended.status, ended.images_returned), (Status::Done, 4), "{:?}", ended.error);
    let peak = core.jobs.decodes.peak.load(std::sync::atomic::Ordering::SeqCst);
    // Without the limit all four decode together.
    assert!((1..=2).contains(&peak), "{peak} outputs were decoded at once");
}
