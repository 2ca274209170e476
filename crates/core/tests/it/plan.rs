//! Plans of several jobs (#23): `{a|b}` variations × models, each job validated for its own model
//! and priced (USD with an own key, credits with the account) before anything is sent, then queued
//! all or none. Against the Replicate fake (own key) and the platform fake (account).

use std::sync::Arc;

use flux_krea_core::auth::{GenerationMode, IdentityProvider};
use flux_krea_core::generation::{GenerationPlan, InputValue};
use flux_krea_core::history::Status;
use flux_krea_core::secrets::KeychainEntry;
use flux_krea_core::testing::Sandbox;
use flux_krea_core::{Core, Error};
use flux_krea_fakes::platform::{PlatformKnobs, RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

use crate::generation::{finished, n, request};

const TOKEN: &str = "r8_plan_test_token_0123";

pub(crate) struct World {
    pub(crate) sandbox: Sandbox,
    pub(crate) fake: RunningReplicate,
    pub(crate) core: Arc<Core>,
}

/// Own key against the Replicate fake (64-px images); the runner is not started.
pub(crate) async fn world() -> World {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    fake.fake.set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", fake.base_url());
    let core = Arc::new(sandbox.open().await);
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    World { sandbox, fake, core }
}

fn models(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|m| m.to_string()).collect()
}

/// The (field, reason) pairs of a refusal.
fn problems(err: Error) -> Vec<(String, String)> {
    match err {
        Error::InvalidFields { fields } => fields.into_iter().map(|f| (f.field, f.reason)).collect(),
        Error::InvalidInput { field, reason } => vec![(field, reason)],
        other => panic!("expected a refusal naming fields, got {other:?}"),
    }
}

fn job_list(plan: &GenerationPlan) -> Vec<(&str, &str)> {
    plan.jobs.iter().map(|j| (j.model.as_str(), j.prompt.as_str())).collect()
}

#[tokio::test]
async fn variations_times_models_are_planned_prompt_major_and_priced_in_usd_without_sending() {
    let w = world().await;
    let form = request("flux-schnell", "{a|b} and {c|{d|e}}", &[("num_outputs", n(2.0))]);
    let plan = w.core.plan_generation(&form, &models(&["flux-schnell", "flux-dev"]), 16).await.unwrap();
    assert_eq!((plan.mode, plan.prompts, plan.jobs.len(), plan.images), (GenerationMode::OwnKey, 6, 12, 24));
    assert_eq!(plan.models, ["flux-schnell", "flux-dev"]);
    assert_eq!(
        job_list(&plan)[..4],
        [("flux-schnell", "a and c"), ("flux-dev", "a and c"), ("flux-schnell", "a and d"), ("flux-dev", "a and d")]
    );
    let prompts: Vec<&str> = plan.jobs.iter().step_by(2).map(|j| j.prompt.as_str()).collect();
    assert_eq!(prompts, ["a and c", "a and d", "a and e", "b and c", "b and d", "b and e"]);
    for job in &plan.jobs {
        let per_image = if job.model == "flux-schnell" { 0.003 } else { 0.025 };
        assert!((job.estimate_usd.unwrap() - 2.0 * per_image).abs() < 1e-9, "{job:?}");
        assert_eq!((job.estimate_credits, job.images), (None, 2));
        assert_eq!(job.request.model, job.model);
        assert_eq!(job.request.inputs["prompt"], InputValue::Text(job.prompt.clone()));
        assert_eq!(job.request.inputs["num_outputs"], n(2.0));
    }
    assert!((plan.total_usd.unwrap() - 6.0 * 2.0 * (0.003 + 0.025)).abs() < 1e-9, "{plan:?}");
    assert_eq!(plan.total_credits, None);
    // A plan is only a plan.
    assert!(w.core.recent_jobs(50).await.unwrap().is_empty());
    assert_eq!(w.fake.fake.creates(), 0);

    // No models named: the request's own; a model named twice (or by its Replicate name) runs once.
    let plan = w.core.plan_generation(&form, &[], 16).await.unwrap();
    assert_eq!((plan.jobs.len(), plan.models.clone()), (6, models(&["flux-schnell"])));
    let plan = w
        .core
        .plan_generation(&form, &models(&["flux-dev", "black-forest-labs/flux-dev", " flux-dev "]), 16)
        .await
        .unwrap();
    assert_eq!(plan.models, ["flux-dev"]);
    let unknown = w.core.plan_generation(&form, &models(&["flux-dev", "flux-9"]), 16).await.unwrap_err();
    assert!(problems(unknown)[0].1.contains("unknown model \"flux-9\""));
}

#[tokio::test]
async fn each_model_validates_the_inputs_on_its_own_and_the_refusal_names_model_and_field() {
    let w = world().await;
    // 28 steps suit flux-dev, not flux-schnell (at most 4); guidance is no input of flux-schnell.
    let form = request("flux-dev", "a {red|blue} car", &[("num_inference_steps", n(28.0)), ("guidance", n(3.5))]);
    let err = w.core.plan_generation(&form, &models(&["flux-dev", "flux-schnell"]), 16).await.unwrap_err();
    assert_eq!(
        problems(err),
        [
            ("guidance".to_string(), "is not an input of flux-schnell".to_string()),
            ("num_inference_steps".to_string(), "must be between 1 and 4 (with flux-schnell)".to_string()),
        ],
        "each problem once, for the model it concerns"
    );
    // The same inputs on flux-dev alone are fine.
    assert_eq!(w.core.plan_generation(&form, &models(&["flux-dev"]), 16).await.unwrap().jobs.len(), 2);

    // A variation that leaves the prompt empty is named.
    let err = w.core.plan_generation(&request("flux-dev", "{|a red car}", &[]), &[], 16).await.unwrap_err();
    assert_eq!(problems(err), [("prompt".to_string(), "must not be empty (the prompt ``)".to_string())]);
    // One job alone is refused exactly as `generate` refuses it.
    let single = request("flux-dev", "x", &[("guidance", n(99.0))]);
    assert_eq!(
        w.core.plan_generation(&single, &[], 16).await.unwrap_err(),
        w.core.generate(&single).await.unwrap_err()
    );
    assert!(w.core.recent_jobs(50).await.unwrap().is_empty());
    assert_eq!(w.fake.fake.creates(), 0);
}

#[tokio::test]
async fn the_cap_and_a_broken_template_are_refused_naming_what_to_fix() {
    let w = world().await;
    let seventeen = format!("a {{{}}} cat", (1..=17).map(|n| n.to_string()).collect::<Vec<_>>().join("|"));
    let err = w.core.plan_generation(&request("flux-schnell", &seventeen, &[]), &[], 16).await.unwrap_err();
    assert_eq!(
        problems(err),
        [("prompt".into(), "makes 17 prompts, more than the limit of 16; raise the limit or remove a choice".into())]
    );
    let plan = w
        .core
        .plan_generation(&request("flux-schnell", &seventeen, &[]), &models(&["flux-schnell", "flux-dev"]), 20)
        .await
        .unwrap();
    assert_eq!((plan.prompts, plan.jobs.len()), (17, 34), "the cap counts prompts; models multiply them");
    let err = w.core.plan_generation(&request("flux-schnell", "x", &[]), &[], 0).await.unwrap_err();
    assert_eq!(problems(err)[0].0, "variations_cap");

    let err = w.core.plan_generation(&request("flux-schnell", "a {red|blue car", &[]), &[], 16).await.unwrap_err();
    let (field, reason) = problems(err).remove(0);
    assert_eq!(field, "prompt");
    assert!(reason.starts_with("the group opened at character 3 is not closed (`{red|blue car`"), "{reason}");
    // Escaped braces are text.
    let plan = w.core.plan_generation(&request("flux-schnell", r"a \{literal\} brace", &[]), &[], 16).await.unwrap();
    assert_eq!(job_list(&plan), [("flux-schnell", "a {literal} brace")]);
    assert!(w.core.recent_jobs(50).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_plan_is_queued_whole_and_each_prompt_reaches_each_model_once() {
    let w = world().await;
    assert!(w.core.start_jobs().unwrap());
    let form = request("flux-schnell", "a {fox|hare} at {dawn|dusk}", &[("seed", n(11.0))]);
    let plan = w.core.plan_generation(&form, &models(&["flux-schnell", "flux-dev"]), 16).await.unwrap();
    let queued = w.core.generate_plan(&plan).await.unwrap();
    assert_eq!(queued.len(), 8);
    let mut made = Vec::new();
    for (job, planned) in queued.iter().zip(&plan.jobs) {
        assert_eq!(job.model, planned.model);
        assert!((job.cost_usd.unwrap() - planned.estimate_usd.unwrap()).abs() < 1e-9);
        let job = finished(&w.core, job.id).await;
        assert_eq!((job.status, job.images_returned), (Status::Done, 1), "{job:?}");
        let details = w.core.generation_details(job.id).await.unwrap();
        made.push((job.model.clone(), details.generation.prompt.clone()));
    }
    assert_eq!(w.fake.fake.creates(), 8);
    let mut sent: Vec<(String, String)> = w
        .fake
        .fake
        .predictions()
        .iter()
        .map(|p| (p["model"].as_str().unwrap().to_string(), p["input"]["prompt"].as_str().unwrap().to_string()))
        .collect();
    sent.sort();
    let mut expected: Vec<(String, String)> =
        plan.jobs.iter().map(|j| (format!("black-forest-labs/{}", j.model), j.prompt.clone())).collect();
    expected.sort();
    assert_eq!(sent, expected, "each prompt on each model, once");
    assert!(w.fake.fake.predictions().iter().all(|p| p["input"]["seed"] == 11));
    let planned: Vec<(String, String)> = plan.jobs.iter().map(|j| (j.model.clone(), j.prompt.clone())).collect();
    assert_eq!(made, planned);
}

#[tokio::test]
async fn nothing_is_queued_when_one_job_fails_or_the_total_passes_the_budget() {
    let w = world().await;
    let form = request("flux-schnell", "{a|b|c}", &[("num_outputs", n(4.0))]);
    let plan = w.core.plan_generation(&form, &[], 16).await.unwrap();
    assert!((plan.total_usd.unwrap() - 0.036).abs() < 1e-9);

    // One job changed after planning (a plan can come back from the window): all are refused.
    let mut tampered = plan.clone();
    tampered.jobs[2].request.inputs.insert("num_outputs".into(), n(9.0));
    let err = w.core.generate_plan(&tampered).await.unwrap_err();
    assert_eq!(problems(err), [("num_outputs".to_string(), "must be between 1 and 4".to_string())]);
    assert!(w.core.recent_jobs(50).await.unwrap().is_empty());

    // Each job fits the budget alone; together they do not.
    w.core.set_monthly_budget(Some(0.03)).await.unwrap();
    let err = w.core.generate_plan(&plan).await.unwrap_err();
    let Error::BudgetExceeded { estimate_usd, .. } = err else { panic!("{err:?}") };
    assert!((estimate_usd - 0.036).abs() < 1e-9, "checked against the total: {estimate_usd}");
    assert!(w.core.recent_jobs(50).await.unwrap().is_empty());
    assert!(w.core.spend().await.unwrap().recent.is_empty(), "no pending spend either");

    // Priced in another mode than the one in force: planned again, not queued.
    let mut other_mode = plan.clone();
    other_mode.mode = GenerationMode::Account;
    assert_eq!(problems(w.core.generate_plan(&other_mode).await.unwrap_err())[0].0, "mode");
    let empty = GenerationPlan { jobs: Vec::new(), ..plan.clone() };
    assert_eq!(problems(w.core.generate_plan(&empty).await.unwrap_err())[0].0, "jobs");

    w.core.set_monthly_budget(Some(0.04)).await.unwrap();
    assert_eq!(w.core.generate_plan(&plan).await.unwrap().len(), 3);
    assert_eq!(w.core.recent_jobs(50).await.unwrap().len(), 3);
    assert_eq!(w.fake.fake.creates(), 0, "queued, not run: this test runs no jobs");
}

/// Account mode: credits per job from the platform's price list, the balance checked against the
/// total. The keychain holds the session, so this takes its turn with the other keychain tests.
#[tokio::test]
async fn with_the_account_the_plan_is_priced_in_credits_and_the_balance_covers_the_total() {
    let _turn = crate::KEYCHAIN.lock().await;
    let platform = RunningPlatform::start().await.unwrap();
    platform.fake.set_knobs(PlatformKnobs { initial_credits: 11, ..PlatformKnobs::default() });
    platform.fake.replicate().set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let sandbox =
        Sandbox::new().with("FLUX_KREA_PLATFORM_URL", platform.url()).with("FLUX_KREA_PLATFORM_ANON_KEY", ANON_KEY);
    let core = Arc::new(sandbox.open().await);
    KeychainEntry::new("platform-session").delete().unwrap();
    KeychainEntry::new("platform-session-ending").delete().unwrap();
    core.confirm_age().await.unwrap();
    core.sign_in(IdentityProvider::Google, |url| {
        let url = url.to_string();
        tokio::spawn(async move {
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            let answer = http.get(&url).send().await.unwrap();
            let location = answer.headers()["location"].to_str().unwrap().to_string();
            http.get(location).send().await.unwrap();
        });
        Ok(())
    })
    .await
    .unwrap();

    // flux-schnell is 1 credit an image, flux-dev 5 (the fake's price list).
    let form = request("flux-schnell", "a {kite|balloon}", &[]);
    let plan = core.plan_generation(&form, &models(&["flux-schnell", "flux-dev"]), 16).await.unwrap();
    assert_eq!(plan.mode, GenerationMode::Account);
    let credits: Vec<Option<i32>> = plan.jobs.iter().map(|j| j.estimate_credits).collect();
    assert_eq!(credits, [Some(1), Some(5), Some(1), Some(5)]);
    assert!(plan.jobs.iter().all(|j| j.estimate_usd.is_none()));
    assert_eq!((plan.total_credits, plan.total_usd), (Some(12), None));
    // 11 credits pay for any one job, not for all four.
    assert_eq!(core.generate_plan(&plan).await.unwrap_err(), Error::InsufficientCredits { needed: 12, balance: 11 });
    assert!(core.recent_jobs(50).await.unwrap().is_empty());

    let smaller = core.plan_generation(&form, &models(&["flux-dev", "flux-schnell"]), 16).await.unwrap();
    let one_each = GenerationPlan { jobs: smaller.jobs[..2].to_vec(), ..smaller };
    let queued = core.generate_plan(&one_each).await.unwrap();
    let charged: Vec<Option<i32>> = queued.iter().map(|j| j.cost_credits).collect();
    assert_eq!(charged, [Some(5), Some(1)]);
    assert_eq!(platform.fake.replicate().creates(), 0, "queued, not run: this test runs no jobs");
    for job in &queued {
        core.cancel_job(job.id).await.unwrap();
    }
    core.sign_out().await.unwrap();
}
