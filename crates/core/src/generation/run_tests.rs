use std::collections::BTreeMap;
use std::time::Duration;

use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

use crate::generation::{GenerationRequest, InputValue};
use crate::history::Status;
use crate::{Config, Core};

const TOKEN: &str = "r8_run_test_token_0123456789";

#[tokio::test]
async fn a_prediction_that_never_ends_is_stopped_and_the_job_fails_saying_so() {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    // Far longer than the test: without the limit the job would poll for ten minutes.
    fake.fake.set_knobs(Knobs { run_ms: 600_000, image_side: Some(64), ..Knobs::default() });
    let tmp = tempfile::tempdir().unwrap();
    let (data, logs, url) =
        (tmp.path().join("data").display().to_string(), tmp.path().join("logs").display().to_string(), fake.base_url());
    let config = Config::resolve(&tmp.path().join("none.toml"), move |k| match k {
        "FLUX_KREA_DATA_DIR" => Some(data.clone()),
        "FLUX_KREA_LOG_DIR" => Some(logs.clone()),
        "FLUX_KREA_REPLICATE_URL" => Some(url.clone()),
        _ => None,
    })
    .unwrap();
    let core = std::sync::Arc::new(Core::open(&config.data_dir.value.clone(), config).await.unwrap());
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    core.jobs.set_give_up_after(Duration::from_millis(1500));
    assert!(core.start_jobs().unwrap());
    let inputs = BTreeMap::from([("prompt".to_string(), InputValue::Text("a slow lighthouse".into()))]);
    let request = GenerationRequest { model: "flux-dev".into(), inputs, parent_id: None, exact_rerun: false };
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
