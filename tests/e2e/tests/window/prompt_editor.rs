//! The prompt editor in the real window (#23), own key against the Replicate fake: recall of
//! earlier prompts with ↑/↓ and from the searchable list, a saved style applied with one click,
//! `{a|b}` variations on two models with the count and the price shown before anything is sent
//! (each composed prompt then reaches the fake once), and the draft kept across a restart.
//! Run by scripts/test.sh.

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_e2e_prompt_editor_01";

/// The prompt box's value (the textarea's, not its text).
async fn prompt(app: &App) -> TestResult<String> {
    let v = app.js("return document.querySelector(\"[data-testid='prompt']\").value;").await?;
    Ok(v.as_str().unwrap_or_default().to_string())
}

async fn press_in(app: &App, css: &str, key: Key) -> TestResult {
    app.type_into(css, &char::from(key).to_string()).await
}

async fn wait_prompt(app: &App, expected: &str) -> TestResult {
    wait_until(&format!("the prompt to read {expected:?}"), 10, || async { Ok(prompt(app).await? == expected) }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn recall_a_style_variations_on_two_models_and_the_draft() -> TestResult {
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
    let sandbox = Sandbox::new()?.with_replicate(&fake, TOKEN);
    sandbox.forbid_in_logs("lighthouse at dusk");
    // Two earlier prompts and a style, made with the CLI on the same data.
    sandbox.cli(&["generate", "--model", "flux-schnell", "--prompt", "an old lighthouse at dusk"])?;
    sandbox.cli(&["generate", "--model", "flux-schnell", "--prompt", "a red fox in snow"])?;
    sandbox.cli(&["styles", "add", "Noir", "--before", "film noir still of", "--after", "high contrast"])?;
    let made_before = fake.fake.creates();

    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='create']").await?;
    app.find("[data-testid='prompt']").await?;

    // ↑ in the empty prompt walks back, newest first; ↓ walks forward and back to empty.
    press_in(&app, "[data-testid='prompt']", Key::Up).await?;
    wait_prompt(&app, "a red fox in snow").await?;
    press_in(&app, "[data-testid='prompt']", Key::Up).await?;
    wait_prompt(&app, "an old lighthouse at dusk").await?;
    press_in(&app, "[data-testid='prompt']", Key::Down).await?;
    wait_prompt(&app, "a red fox in snow").await?;
    press_in(&app, "[data-testid='prompt']", Key::Down).await?;
    wait_prompt(&app, "").await?;

    // The searchable list: words, then Enter fills the prompt.
    app.click("[data-testid='prompt-recent-button']").await?;
    app.type_into("[data-testid='prompt-recent-search']", "lighthouse").await?;
    wait_until("one matching prompt", 10, || async {
        let n = app.js("return document.querySelectorAll(\"[data-testid='prompt-recent-option']\").length;").await?;
        Ok(n.as_u64() == Some(1))
    })
    .await?;
    press_in(&app, "[data-testid='prompt-recent-search']", Key::Enter).await?;
    wait_prompt(&app, "an old lighthouse at dusk").await?;

    // A style with one click; variations on two models, counted and priced before sending.
    app.click("[data-testid='style-chip-noir']").await?;
    app.wait_for_text_containing("[data-testid='style-applied']", "Noir", 10).await?;
    app.execute("const t = document.querySelector(\"[data-testid='prompt']\"); t.focus(); t.select();", vec![]).await?;
    app.type_into("[data-testid='prompt']", "a {red|blue} boat").await?;
    wait_prompt(&app, "a {red|blue} boat").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.click("[data-testid='also-model-flux-dev']").await?;
    let summary = app.wait_for_text_containing("[data-testid='plan-summary']", "4 jobs", 10).await?;
    // 2 prompts × (flux-schnell $0.003 + flux-dev $0.025) = $0.056.
    assert!(summary.contains("0.056"), "the total before sending: {summary}");
    assert_eq!(fake.fake.creates(), made_before, "nothing sent while planning");

    app.click("[data-testid='generate']").await?;
    wait_until("four predictions", 60, || async { Ok(fake.fake.creates() == made_before + 4) }).await?;
    let mut sent: Vec<(String, String)> = fake
        .fake
        .predictions()
        .iter()
        .filter(|p| p["input"]["prompt"].as_str().is_some_and(|t| t.contains("boat")))
        .map(|p| {
            (p["model"].as_str().unwrap_or("").to_string(), p["input"]["prompt"].as_str().unwrap_or("").to_string())
        })
        .collect();
    sent.sort();
    let expected: Vec<(String, String)> = {
        let mut e = Vec::new();
        for model in ["flux-dev", "flux-schnell"] {
            for colour in ["blue", "red"] {
                e.push((
                    format!("black-forest-labs/{model}"),
                    format!("film noir still of a {colour} boat high contrast"),
                ));
            }
        }
        e
    };
    assert_eq!(sent, expected, "each styled variation on each model, once");

    // The draft survives a restart.
    app.execute("const t = document.querySelector(\"[data-testid='prompt']\"); t.focus(); t.select();", vec![]).await?;
    app.type_into("[data-testid='prompt']", "a half-written idea").await?;
    // Saved shortly after typing stops.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.quit().await?;
    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='create']").await?;
    app.find("[data-testid='prompt']").await?;
    wait_prompt(&app, "a half-written idea").await?;
    app.quit().await
}
