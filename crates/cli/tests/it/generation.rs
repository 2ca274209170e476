//! `generate`, `jobs`, `cancel` through the real binary against the Replicate fake, including
//! SIGKILL at several points of a running job: after a restart every delivered image is in the
//! history, none twice, no partial file, no job stuck, and nothing was paid for twice.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use flux_krea_core::testing::Sandbox;
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};
use serde_json::Value;

const TOKEN: &str = "r8_cli_test_token";

/// A sandboxed install with its own key, against the Replicate fake (variations.rs uses it too).
pub(crate) struct World {
    pub(crate) sandbox: Sandbox,
    pub(crate) fake: RunningReplicate,
}

pub(crate) async fn world(knobs: Knobs) -> World {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    fake.fake.set_knobs(Knobs { image_side: Some(64), ..knobs });
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", fake.base_url()).with("REPLICATE_API_TOKEN", TOKEN);
    World { sandbox, fake }
}

impl World {
    pub(crate) fn cli(&self) -> Command {
        crate::cli(&self.sandbox)
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cli().args(args).output().unwrap()
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.cli().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    fn jobs(&self) -> Vec<Value> {
        let out = self.run(&["jobs", "list", "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn status_of_first(&self) -> Option<String> {
        self.jobs().first().and_then(|j| j["status"].as_str().map(str::to_string))
    }

    fn wait_until(&self, what: &str, child: &mut Child, timeout: Duration, mut done: impl FnMut(&World) -> bool) {
        let start = Instant::now();
        while !done(self) {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("the process ended ({status}) before {what}: {err}");
            }
            assert!(start.elapsed() < timeout, "timed out waiting for {what}; jobs: {:?}", self.jobs());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn image_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for area in ["images", "thumbs"] {
            for shard in std::fs::read_dir(self.sandbox.path().join("data").join(area)).into_iter().flatten().flatten()
            {
                out.extend(std::fs::read_dir(shard.path()).unwrap().flatten().map(|f| f.path()));
            }
        }
        out
    }

    /// After a crash and a resume: one job, done, with `n` images, one prediction, no temp files.
    fn assert_whole(&self, n: u64) {
        let jobs = self.jobs();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(jobs[0]["status"], "done", "{jobs:?}");
        assert_eq!(jobs[0]["images_returned"].as_u64(), Some(n));
        assert_eq!(self.fake.fake.creates(), 1, "the job was paid for once");
        let files = self.image_files();
        assert!(files.iter().all(|f| !f.to_string_lossy().ends_with(".tmp")), "partial files: {files:?}");
        assert_eq!(files.len() as u64, 2 * n, "one original and one thumbnail per image: {files:?}");
        let show = self.run(&["history", "show", &jobs[0]["id"].to_string()]);
        let details: Value = serde_json::from_slice(&show.stdout).unwrap();
        let idx: Vec<u64> = details["images"].as_array().unwrap().iter().map(|i| i["idx"].as_u64().unwrap()).collect();
        assert_eq!(idx, (0..n).collect::<Vec<_>>(), "each output once");
    }
}

pub(crate) fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generate_waits_and_prints_the_files_it_made() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "a red fox", "--n", "2", "--seed", "7"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let files: Vec<&str> = stdout.lines().collect();
    assert_eq!(files.len(), 2, "{stdout}");
    assert!(files.iter().all(|f| Path::new(f).is_file() && f.ends_with(".webp")));
    assert!(stderr.contains("2 image(s), $0.006"), "{stderr}");
    assert_eq!(w.fake.fake.last_inputs().unwrap()["seed"], 7);
    w.assert_whole(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_and_a_missing_key_fail_with_the_field_named_and_nothing_sent() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["generate", "--model", "flux-dev", "--prompt", "x", "--n", "9", "--set", "guidance=40"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("num_outputs: must be between 1 and 4")
            && stderr.contains("guidance: must be between 0 and 10"),
        "{stderr}"
    );
    let out = w.run(&["generate", "--model", "flux-dev", "--prompt", "x", "--image", "no-such.png"]);
    assert!(text(&out).1.contains("image: cannot read"), "{}", text(&out).1);
    let out = w
        .cli()
        .env_remove("REPLICATE_API_TOKEN")
        .args(["generate", "--model", "flux-schnell", "--prompt", "x"])
        .output()
        .unwrap();
    assert!(text(&out).1.contains("replicate_token: no Replicate API token is set"), "{}", text(&out).1);
    assert_eq!(w.fake.fake.creates(), 0);
    assert!(w.jobs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_submit_before_the_answer_the_job_is_found_not_sent_again() {
    // The create is held open until the run ends (Prefer: wait): kill while it is in flight.
    let w = world(Knobs { run_ms: 3000, ..Knobs::default() }).await;
    let mut child = w.spawn(&["generate", "--model", "flux-schnell", "--prompt", "kill me early"]);
    w.wait_until("the create to arrive", &mut child, Duration::from_secs(20), |w| w.fake.fake.creates() == 1);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(w.status_of_first().as_deref(), Some("submitted"));
    let out = w.run(&["jobs", "run"]);
    assert!(out.status.success(), "{}", text(&out).1);
    w.assert_whole(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_while_running_the_job_is_resumed_by_its_id() {
    // Longer than the create's wait: the prediction id is recorded and the job is polled.
    let w = world(Knobs { run_ms: 7000, ..Knobs::default() }).await;
    let mut child = w.spawn(&["generate", "--model", "flux-dev", "--prompt", "kill me running"]);
    w.wait_until("running", &mut child, Duration::from_secs(20), |w| w.status_of_first().as_deref() == Some("running"));
    child.kill().unwrap();
    child.wait().unwrap();
    let out = w.run(&["jobs", "run"]);
    assert!(out.status.success(), "{}", text(&out).1);
    w.assert_whole(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_download_the_rest_is_fetched_and_nothing_is_duplicated() {
    let w = world(Knobs { delivery_chunk_delay_ms: 700, ..Knobs::default() }).await;
    let mut child = w.spawn(&["generate", "--model", "flux-schnell", "--prompt", "kill me downloading", "--n", "3"]);
    w.wait_until("downloading", &mut child, Duration::from_secs(20), |w| {
        w.status_of_first().as_deref() == Some("downloading")
    });
    std::thread::sleep(Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    w.fake.fake.set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let out = w.run(&["jobs", "run"]);
    assert!(out.status.success(), "{}", text(&out).1);
    w.assert_whole(3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn detach_returns_at_once_and_cancel_from_another_process_stops_a_job() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "in the background", "--detach"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success() && stdout.starts_with("queued job "), "{stdout}{stderr}");
    let start = Instant::now();
    while w.status_of_first().as_deref() != Some("done") {
        assert!(start.elapsed() < Duration::from_secs(30), "the background runner did not finish: {:?}", w.jobs());
        std::thread::sleep(Duration::from_millis(50));
    }

    w.fake.fake.set_knobs(Knobs { image_side: Some(64), run_ms: 30_000, ..Knobs::default() });
    let mut child = w.spawn(&["generate", "--model", "flux-dev", "--prompt", "too slow"]);
    w.wait_until("running", &mut child, Duration::from_secs(20), |w| w.status_of_first().as_deref() == Some("running"));
    let id = w.jobs()[0]["id"].to_string();
    let out = w.run(&["cancel", &id]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a canceled job is not a success");
    assert!(text(&out).1.contains("canceled"), "{}", text(&out).1);
    assert_eq!(w.fake.fake.predictions().last().unwrap()["status"], "canceled");
}

/// The JSON shapes scripts rely on (#22): integers as integers, every time as RFC 3339.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_has_integers_and_rfc3339_times() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "a red fox", "--seed", "922285343"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let id = w.jobs()[0]["id"].as_i64().unwrap();
    let show = w.run(&["history", "show", &id.to_string()]);
    let (stdout, _) = text(&show);
    let details: Value = serde_json::from_str(&stdout).unwrap();
    assert!(stdout.contains("\"seed\": 922285343,") && !stdout.contains("922285343.0"), "{stdout}");
    let image = &details["images"][0];
    assert!(image["bytes"].is_u64() && image["width"].is_u64(), "{image}");
    let time = |v: &Value| v.as_str().and_then(flux_krea_core::clock::parse_rfc3339);
    let created = time(&details["generation"]["created_at"]).expect("created_at is RFC 3339");
    assert!(time(&details["generation"]["completed_at"]).is_some_and(|done| done >= created), "{details}");
    assert!(time(&image["downloaded_at"]).is_some(), "{image}");
    let listed = w.run(&["history", "list", "--json"]);
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(time(&listed[0]["created_at"]), Some(created));
    assert_eq!(time(&w.jobs()[0]["created_at"]), Some(created));
}
