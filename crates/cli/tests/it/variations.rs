//! `generate` with `{a|b}` variations and `--models`, and `prompts recent`, through the real binary
//! against the Replicate fake (#23): every expanded prompt reaches the fake exactly once, a broken
//! template or a prompt past the cap sends nothing, and erased prompts are never recalled.

use std::path::Path;
use std::time::{Duration, Instant};

use flux_krea_fakes::replicate::Knobs;
use serde_json::Value;

use crate::generation::{text, world, World};

/// What these tests add to generation.rs's world.
impl World {
    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out).1);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn all_jobs(&self) -> Vec<Value> {
        self.json(&["jobs", "list", "--limit", "100", "--json"]).as_array().unwrap().clone()
    }

    /// (model, prompt) of every prediction the fake was asked for, sorted.
    fn sent(&self) -> Vec<(String, String)> {
        let mut sent: Vec<(String, String)> = self
            .fake
            .fake
            .predictions()
            .iter()
            .map(|p| {
                let model = p["model"].as_str().unwrap().trim_start_matches("black-forest-labs/").to_string();
                (model, p["input"]["prompt"].as_str().unwrap().to_string())
            })
            .collect();
        sent.sort();
        sent
    }
}

fn pairs(model: &str, prompts: &[&str]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = prompts.iter().map(|p| (model.to_string(), p.to_string())).collect();
    pairs.sort();
    pairs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_variations_make_one_job_each_and_each_prompt_reaches_the_fake_once() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "{a|b} and {c|{d|e}}", "--n", "2"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // The plan, before anything is sent: the count, each job, the total.
    assert!(stderr.contains("6 jobs: 6 prompts × 1 model (flux-schnell), 12 images, about $0.036"), "{stderr}");
    assert!(stderr.contains("  flux-schnell  2 × b and e\n"), "{stderr}");
    let plan_at = stderr.find("6 jobs:").unwrap();
    assert!(stderr.find("queued").is_some_and(|queued| queued > plan_at), "the plan comes first: {stderr}");
    // Every job's files on stdout, and each job's outcome.
    let files: Vec<&str> = stdout.lines().collect();
    assert_eq!(files.len(), 12, "{stdout}");
    assert!(files.iter().all(|f| Path::new(f).is_file()), "{stdout}");
    assert_eq!(stderr.matches(" image(s), $0.006").count(), 6, "{stderr}");
    assert!(stderr.contains("6 of 6 jobs succeeded"), "{stderr}");

    let expected = ["a and c", "a and d", "a and e", "b and c", "b and d", "b and e"];
    assert_eq!(w.fake.fake.creates(), 6);
    assert_eq!(w.sent(), pairs("flux-schnell", &expected), "each expanded prompt exactly once");
    let jobs = w.all_jobs();
    assert_eq!(jobs.len(), 6);
    assert!(jobs.iter().all(|j| j["status"] == "done" && j["images_returned"] == 2), "{jobs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_models_run_the_same_prompt_each_with_its_own_job() {
    let w = world(Knobs::default()).await;
    let out = w.run(&[
        "generate",
        "--models",
        "flux-schnell,flux-dev",
        "--prompt",
        "a lighthouse at {dawn|dusk}",
        "--seed",
        "5",
        "--json",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("4 jobs: 2 prompts × 2 models (flux-schnell, flux-dev), 4 images, about $0.056"),
        "{stderr}"
    );
    let reports: Value = serde_json::from_str(&stdout).unwrap();
    let reports = reports.as_array().expect("several jobs: one JSON array");
    let made: Vec<(&str, &str)> =
        reports.iter().map(|r| (r["job"]["model"].as_str().unwrap(), r["job"]["status"].as_str().unwrap())).collect();
    assert_eq!(made, [("flux-schnell", "done"), ("flux-dev", "done"), ("flux-schnell", "done"), ("flux-dev", "done")]);
    for report in reports {
        assert!(report["job"]["created_at"].is_string(), "times as RFC 3339: {report}");
        let files = report["files"].as_array().unwrap();
        assert_eq!(files.len(), 1);
        assert!(Path::new(files[0].as_str().unwrap()).is_file());
    }
    let mut expected = pairs("flux-schnell", &["a lighthouse at dawn", "a lighthouse at dusk"]);
    expected.extend(pairs("flux-dev", &["a lighthouse at dawn", "a lighthouse at dusk"]));
    expected.sort();
    assert_eq!(w.sent(), expected);
    assert!(w.fake.fake.predictions().iter().all(|p| p["input"]["seed"] == 5));

    // A field one of the models does not take: refused, naming model and field, nothing sent.
    let out = w.run(&["generate", "--models", "flux-dev,flux-schnell", "--prompt", "x", "--set", "guidance=3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("guidance: is not an input of flux-schnell"), "{}", text(&out).1);
    // --model and --models are alternatives.
    let out = w.run(&["generate", "--model", "flux-dev", "--models", "flux-schnell", "--prompt", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out).1);
    // No model at all (and no style that sets one): refused, saying how to name one.
    let out = w.run(&["generate", "--prompt", "x"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out).1);
    assert!(text(&out).1.contains("name one with --model or --models"), "{}", text(&out).1);
    assert_eq!(w.fake.fake.creates(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_template_or_too_many_prompts_sends_nothing_until_the_cap_is_raised() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "a {red|blue car"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("error: prompt: the group opened at character 3 is not closed (`{red|blue car`"),
        "{stderr}"
    );
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "a red car}"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("`}` at character 10 closes no group"), "{}", text(&out).1);

    let seventeen = format!("tile {{{}}}", (1..=17).map(|n| n.to_string()).collect::<Vec<_>>().join("|"));
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", &seventeen]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("makes 17 prompts, more than the limit of 16"), "{}", text(&out).1);
    assert_eq!(w.fake.fake.creates(), 0, "nothing sent");
    assert!(w.all_jobs().is_empty(), "nothing queued");

    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", &seventeen, "--variations-cap", "20"]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(text(&out).0.lines().count(), 17);
    let expected: Vec<String> = (1..=17).map(|n| format!("tile {n}")).collect();
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(w.sent(), pairs("flux-schnell", &expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_queues_every_job_and_prints_each_id() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "a {cat|dog}", "--detach"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines.iter().all(|l| l.starts_with("queued job ") && l.contains("(flux-schnell)")), "{stdout}");
    // The background runner finishes both.
    let start = Instant::now();
    while !w.all_jobs().iter().all(|j| j["status"] == "done") {
        assert!(start.elapsed() < Duration::from_secs(30), "the background runner did not finish: {:?}", w.all_jobs());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(w.sent(), pairs("flux-schnell", &["a cat", "a dog"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_prompts_are_listed_searched_and_gone_after_erasure() {
    let w = world(Knobs::default()).await;
    for prompt in ["a red fox", "a {blue|green} whale", "a red fox"] {
        let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", prompt]);
        assert!(out.status.success(), "{}", text(&out).1);
    }
    let out = w.run(&["prompts", "recent"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].ends_with("   2×  a red fox"), "newest use first, with its count: {stdout}");
    assert!(lines[1].ends_with("   1×  a green whale") && lines[2].ends_with("   1×  a blue whale"), "{stdout}");
    // The time first, as `history list` prints it: "2026-12-04 06:53".
    assert_eq!(lines[0].as_bytes()[4], b'-', "{stdout}");

    let found = w.json(&["prompts", "recent", "--search", "wha", "--json"]);
    let found = found.as_array().unwrap();
    let prompts: Vec<&str> = found.iter().map(|p| p["prompt"].as_str().unwrap()).collect();
    assert_eq!(prompts, ["a green whale", "a blue whale"]);
    let when = found[0]["last_used_at"].as_str().and_then(flux_krea_core::clock::parse_rfc3339);
    assert!(when.is_some(), "last_used_at as RFC 3339: {found:?}");
    assert_eq!(found[0]["uses"], 1);
    let limited = w.json(&["prompts", "recent", "--limit", "1", "--json"]);
    assert_eq!(limited.as_array().unwrap().len(), 1);
    assert_eq!(limited[0]["uses"], 2);
    let out = w.run(&["prompts", "recent", "--limit", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("limit: must be between 1 and 500"), "{}", text(&out).1);

    let out = w.run(&["privacy", "erase", "--prompts"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let out = w.run(&["prompts", "recent"]);
    assert!(out.status.success() && out.stdout.is_empty(), "{}", text(&out).0);
    assert_eq!(w.json(&["prompts", "recent", "--search", "fox", "--json"]), serde_json::json!([]));
}
