//! Styles (#23) end to end in the core: a styled plan sends the composed prompt to the Replicate
//! fake once per job, the generation records the style and Re-run gives back the user's words and
//! the style; styles go out in the data export and come back from it, all or none; the erasures
//! remove recorded styles and the draft.

use std::io::Write;
use std::sync::Arc;

use flux_krea_core::generation::draft::PromptDraft;
use flux_krea_core::history::Status;
use flux_krea_core::styles::{AppliedStyle, StyleDraft};
use flux_krea_core::testing::Sandbox;
use flux_krea_core::{Core, Error};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

use crate::generation::{finished, request};

const TOKEN: &str = "r8_styles_test_token_01";

fn noir() -> StyleDraft {
    StyleDraft {
        name: "Noir".into(),
        prefix: "film noir still of".into(),
        suffix: "high contrast".into(),
        model: Some("flux-dev".into()),
        aspect_ratio: Some("16:9".into()),
        guidance: Some(3.0),
    }
}

async fn own_key() -> (Sandbox, RunningReplicate, Arc<Core>) {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    fake.fake.set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let sandbox = Sandbox::new().with("FLUX_KREA_REPLICATE_URL", fake.base_url());
    let core = Arc::new(sandbox.open().await);
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    (sandbox, fake, core)
}

#[tokio::test]
async fn a_styled_plan_sends_the_composed_prompts_and_re_run_brings_the_style_back() {
    let (_sandbox, fake, core) = own_key().await;
    assert!(core.start_jobs().unwrap());
    let style = core.save_style(&noir()).await.unwrap();
    let form = flux_krea_core::generation::GenerationRequest {
        style: Some(style.applied()),
        ..request("flux-schnell", "a detective in the {rain|fog}", &[])
    };
    let plan = core.plan_generation(&form, &[], 16).await.unwrap();
    let prompts: Vec<&str> = plan.jobs.iter().map(|j| j.prompt.as_str()).collect();
    assert_eq!(
        prompts,
        [
            "film noir still of a detective in the rain high contrast",
            "film noir still of a detective in the fog high contrast"
        ],
        "the plan shows what will be sent"
    );
    let queued = core.generate_plan(&plan).await.unwrap();
    for job in &queued {
        assert_eq!(finished(&core, job.id).await.status, Status::Done);
    }
    let mut sent: Vec<String> =
        fake.fake.predictions().iter().map(|p| p["input"]["prompt"].as_str().unwrap().to_string()).collect();
    sent.sort();
    let mut expected: Vec<String> = prompts.iter().map(|p| p.to_string()).collect();
    expected.sort();
    assert_eq!(sent, expected, "each composed prompt reached Replicate once");

    // The style changes afterwards; Re-run still gives the words and the style of that run.
    core.save_style(&StyleDraft { prefix: "watercolour of".into(), ..noir() }).await.unwrap();
    let again = core.request_from(queued[0].id).await.unwrap();
    assert_eq!(
        again.inputs.get("prompt"),
        Some(&flux_krea_core::generation::InputValue::Text("a detective in the rain".into()))
    );
    assert_eq!(
        again.style,
        Some(AppliedStyle { name: "Noir".into(), prefix: "film noir still of".into(), suffix: "high contrast".into() })
    );
    let replanned = core.plan_generation(&again, &[], 16).await.unwrap();
    assert_eq!(replanned.jobs[0].prompt, prompts[0], "Re-run sends the same prompt");
}

#[tokio::test]
async fn the_style_counts_towards_the_models_prompt_limit() {
    let (_sandbox, _fake, core) = own_key().await;
    // 1,000 + "a cat" + 995 and two spaces: 2,002 characters, over flux-schnell's 2,000.
    let long = StyleDraft { prefix: "x".repeat(1_000), suffix: "y".repeat(995), ..noir() };
    let style = core.save_style(&long).await.unwrap();
    let form = flux_krea_core::generation::GenerationRequest {
        style: Some(style.applied()),
        ..request("flux-schnell", "a cat", &[])
    };
    let err = core.plan_generation(&form, &[], 16).await.unwrap_err();
    assert!(err.to_string().contains("prompt") && err.to_string().contains("2002 characters"), "{err}");
    assert!(core.recent_jobs(10).await.unwrap().is_empty(), "nothing queued");
}

#[tokio::test]
async fn styles_travel_in_the_export_and_come_back_from_it() {
    let sandbox = Sandbox::new();
    let core = sandbox.open().await;
    core.save_style(&noir()).await.unwrap();
    let square = StyleDraft {
        name: "Square".into(),
        prefix: String::new(),
        suffix: String::new(),
        model: None,
        aspect_ratio: Some("1:1".into()),
        guidance: None,
    };
    core.save_style(&square).await.unwrap();
    let out = sandbox.path().join("export.zip");
    core.export_data(&out, &|_| {}).await.unwrap();

    let other = Sandbox::new();
    let fresh = other.open().await;
    fresh.save_style(&StyleDraft { prefix: "old noir".into(), ..noir() }).await.unwrap();
    let report = fresh.import_styles(&out).await.unwrap();
    assert_eq!((report.added, report.replaced), (1, 1));
    let styles = fresh.styles().await.unwrap();
    assert_eq!(styles.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["Noir", "Square"]);
    assert_eq!(styles[0].prefix, "film noir still of", "the export's version replaced the old one");
    assert_eq!((styles[0].guidance, styles[1].aspect_ratio.as_deref()), (Some(3.0), Some("1:1")));
}

#[tokio::test]
async fn a_bad_styles_file_names_the_file_and_the_style_and_imports_nothing() {
    let sandbox = Sandbox::new();
    let core = sandbox.open().await;
    let write = |name: &str, text: &str| {
        let path = sandbox.path().join(name);
        std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
        path
    };
    let bad_style = write(
        "styles.json",
        r#"{"schema_version": 1, "styles": [{"name": "Good", "prefix": "ok"}, {"name": "Loud", "prefix": "x", "guidance": 99}]}"#,
    );
    let not_json = write("broken.json", "{ nope");
    let not_zip = write("fake.zip", "plain text");
    let cases = [
        (&bad_style, vec!["styles.json", "\"Loud\"", "guidance"]),
        (&not_json, vec!["broken.json", "not a styles list"]),
        (&not_zip, vec!["fake.zip", "not a readable zip"]),
    ];
    for (path, words) in cases {
        let err = core.import_styles(path).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "file"), "{err:?}");
        for word in words {
            assert!(err.to_string().contains(word), "{err} should say {word}");
        }
    }
    let missing = core.import_styles(&sandbox.path().join("gone.zip")).await.unwrap_err();
    assert!(missing.to_string().contains("gone.zip"), "{missing}");
    assert!(core.styles().await.unwrap().is_empty(), "nothing was imported");
}

#[tokio::test]
async fn the_erasures_remove_recorded_styles_and_the_draft() {
    let (_sandbox, _fake, core) = own_key().await;
    assert!(core.start_jobs().unwrap());
    let style = core.save_style(&noir()).await.unwrap();
    let form = flux_krea_core::generation::GenerationRequest {
        style: Some(style.applied()),
        ..request("flux-schnell", "a lighthouse", &[])
    };
    let job = core.generate(&form).await.unwrap();
    finished(&core, job.id).await;
    let draft = PromptDraft { model: "flux-dev".into(), prompt: "half-written".into(), models: vec![], style: None };
    core.save_draft(&draft).await.unwrap();

    core.erase_prompts().await.unwrap();
    assert_eq!(core.draft().await.unwrap(), None);
    let recorded: Option<String> =
        sqlx::query_scalar!("SELECT style FROM generations WHERE id = ?", job.id).fetch_one(core.pool()).await.unwrap();
    assert_eq!(recorded, None);
    assert_eq!(core.request_from(job.id).await.unwrap().style, None);
    assert_eq!(core.styles().await.unwrap().len(), 1, "saved styles stay after erasing prompts");

    core.save_draft(&draft).await.unwrap();
    core.erase_everything().await.unwrap();
    assert!(core.styles().await.unwrap().is_empty());
    assert_eq!(core.draft().await.unwrap(), None);
}
