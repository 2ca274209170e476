//! Client overhead per job against the local Replicate fake: a 1-megapixel image generated through
//! the real runner (journal rows, create, download, decode + thumbnail, files, row completion),
//! minus what a bare HTTP client needs for the same create and download — the fake's own latency.
//! Also: four outputs with a slow delivery host, to show they download at once.
//!
//! Run: `cargo bench -p flux-krea-core --bench generation` (medians of 15 runs each).

use std::sync::Arc;
use std::time::{Duration, Instant};

use flux_krea_core::generation::{GenerationRequest, InputValue};
use flux_krea_core::{Config, Core};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_bench";
const RUNS: usize = 15;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn request(prompt: &str, n: u32, seed: u32) -> GenerationRequest {
    let inputs = [
        ("seed", InputValue::Number(f64::from(seed))),
        ("prompt", InputValue::Text(prompt.into())),
        ("num_outputs", InputValue::Number(f64::from(n))),
        ("output_format", InputValue::Text("jpg".into())),
        ("megapixels", InputValue::Text("1".into())),
    ];
    GenerationRequest {
        model: "flux-schnell".into(),
        inputs: inputs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        parent_id: None,
        exact_rerun: false,
        style: None,
    }
}

async fn job_time(core: &Core, prompt: &str, n: u32, seed: u32) -> Duration {
    let start = Instant::now();
    let job = core.generate(&request(prompt, n, seed)).await.unwrap();
    loop {
        let j = core.job(job.id).await.unwrap();
        if j.status.is_finished() {
            assert_eq!(j.images_returned, n as i32, "{j:?}");
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The same create and download with nothing else: the fake's own latency.
async fn bare_time(http: &reqwest::Client, base: &str, prompt: &str, seed: u32) -> Duration {
    let start = Instant::now();
    let prediction: serde_json::Value = http
        .post(format!("{base}/models/black-forest-labs/flux-schnell/predictions"))
        .bearer_auth(TOKEN)
        .header("Prefer", "wait=5")
        .json(&serde_json::json!({"input": {"prompt": prompt, "output_format": "jpg", "megapixels": "1", "seed": seed, "num_outputs": 1}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = prediction["output"][0].as_str().unwrap();
    let bytes = http.get(url).send().await.unwrap().bytes().await.unwrap();
    assert!(bytes.len() > 10_000);
    start.elapsed()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data").display().to_string();
        let url = fake.base_url();
        let config = Config::resolve(&tmp.path().join("none.toml"), |k| match k {
            "FLUX_KREA_DATA_DIR" => Some(data.clone()),
            "FLUX_KREA_REPLICATE_URL" => Some(url.clone()),
            _ => None,
        })
        .unwrap();
        let core = Arc::new(Core::open(&config.data_dir.value.clone(), config).await.unwrap());
        core.use_replicate_token_from_environment(TOKEN).unwrap();
        core.start_jobs().unwrap();
        let http = reqwest::Client::new();
        // Warm up both paths (connections, first decode).
        job_time(&core, "warm-up", 1, 0).await;
        bare_time(&http, &fake.base_url(), "warm-up", 0).await;

        let mut jobs = Vec::new();
        let mut bare = Vec::new();
        for i in 0..RUNS {
            // The same seed for both: the fake draws the same image, so its work is the same; a
            // new seed each round gives distinct files (nothing deduplicated by content).
            let seed = 1000 + i as u32;
            jobs.push(job_time(&core, "bench", 1, seed).await);
            bare.push(bare_time(&http, &fake.base_url(), "bench", seed).await);
        }
        let (job, bare) = (median(jobs), median(bare));
        println!("1 MP job through the runner   median {:>7.1} ms", job.as_secs_f64() * 1e3);
        println!("bare create + download        median {:>7.1} ms", bare.as_secs_f64() * 1e3);
        println!(
            "client overhead               median {:>7.1} ms  (target ≤ 50 ms)",
            (job.saturating_sub(bare)).as_secs_f64() * 1e3
        );

        // Four outputs from a delivery host that takes 400 ms per file: ~400 ms if concurrent.
        fake.fake.set_knobs(Knobs { delivery_latency_ms: 400, ..Knobs::default() });
        let one = median(vec![
            job_time(&core, "slow 1a", 1, 7).await,
            job_time(&core, "slow 1b", 1, 7).await,
            job_time(&core, "slow 1c", 1, 7).await,
        ]);
        let four = median(vec![
            job_time(&core, "slow 4a", 4, 7).await,
            job_time(&core, "slow 4b", 4, 7).await,
            job_time(&core, "slow 4c", 4, 7).await,
        ]);
        println!("slow host, 1 output           median {:>7.1} ms", one.as_secs_f64() * 1e3);
        println!(
            "slow host, 4 outputs          median {:>7.1} ms  (sequential would be ≥ {} ms more)",
            four.as_secs_f64() * 1e3,
            3 * 400
        );
    });
}
