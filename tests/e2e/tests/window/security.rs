//! The window as an attacker inside the page would use it (issue #20): IPC straight through
//! `__TAURI_INTERNALS__`, navigation and new windows. Each must be refused by the shell, whatever
//! the UI would have done.

use std::time::Duration;

use fantoccini::Locator;
use flux_krea_core::secrets::KeychainEntry;
use flux_krea_e2e::account::FakeBrowser;
use flux_krea_e2e::{App, Sandbox, TestResult};
use serde_json::{json, Value};

/// Calls a command as page script can, and returns `{ok}` or `{err}` (the rejection as sent).
async fn invoke(app: &App, command: &str, args: Value) -> TestResult<Value> {
    const CALL: &str = "const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
          .then((ok) => done({ ok: ok === undefined ? null : ok }), (err) => done({ err }));";
    app.execute_async(CALL, vec![command.into(), args]).await
}

/// The `field` of an `invalid_input` rejection; anything else fails the test.
fn refused_field(answer: &Value) -> TestResult<String> {
    match answer["err"]["kind"].as_str() {
        Some("invalid_input") => Ok(answer["err"]["field"].as_str().unwrap_or_default().to_string()),
        _ => Err(format!("expected an invalid_input refusal, got {answer}").into()),
    }
}

/// A real 1×1 PNG, so only the "not chosen here" rule can refuse it.
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xfc, 0xcf, 0xc0, 0x50, 0x0f, 0x00, 0x04, 0x85, 0x01, 0x80, 0x84, 0xa9, 0x8c,
    0x21, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn the_page_cannot_name_files_or_plugins_it_was_not_given() -> TestResult {
    let sandbox = Sandbox::new()?;
    let downloads = sandbox.downloads_folder()?;
    let private = sandbox.path().join("private.png");
    std::fs::write(&private, PNG)?;
    let private = private.display().to_string();
    let app = App::launch(&sandbox).await?;

    // A file the user never chose: no preview (no oracle of existence or size), no upload.
    let answer = invoke(&app, "preview_input_image", json!({ "path": private })).await?;
    assert_eq!(refused_field(&answer)?, "image", "{answer}");
    let request = json!({ "model": "flux-dev", "inputs": { "prompt": "a fox", "image": private },
                          "parent_id": null, "exact_rerun": false });
    let answer = invoke(&app, "generate", json!({ "request": request })).await?;
    assert_eq!(refused_field(&answer)?, "image", "{answer}");
    // Planning reads the picture too, and a plan names its jobs' pictures: the same rule.
    let plan = json!({ "request": request, "models": ["flux-dev", "flux-krea-dev"], "cap": 16 });
    let answer = invoke(&app, "plan_generation", plan).await?;
    assert_eq!(refused_field(&answer)?, "image", "{answer}");
    let forged = json!({ "mode": "own_key", "prompts": 1, "models": ["flux-dev"], "images": 1,
                         "total_usd": 0.025, "total_credits": null,
                         "jobs": [{ "model": "flux-dev", "prompt": "a fox", "images": 1, "estimate_usd": 0.025,
                                    "estimate_credits": null, "request": request }] });
    let answer = invoke(&app, "generate_plan", json!({ "plan": forged })).await?;
    assert_eq!(refused_field(&answer)?, "image", "{answer}");

    // An export anywhere but the suggested file or the save dialog's answer.
    let elsewhere = sandbox.path().join("elsewhere.zip");
    let answer = invoke(&app, "export_data", json!({ "path": elsewhere.display().to_string() })).await?;
    assert_eq!(refused_field(&answer)?, "out", "{answer}");
    assert!(!elsewhere.exists(), "the export was written where the page said");
    // The suggested one still works (the one-click export).
    let suggested = invoke(&app, "suggested_export_path", json!({})).await?;
    let suggested = suggested["ok"].as_str().ok_or("no suggested path")?.to_string();
    assert!(suggested.starts_with(&downloads.display().to_string()), "{suggested}");
    let answer = invoke(&app, "export_data", json!({ "path": suggested })).await?;
    assert!(answer["ok"]["path"].is_string(), "{answer}");

    // Plugin APIs the UI does not use are not granted to the page.
    for (command, args) in [
        ("plugin:notification|is_permission_granted", json!({})),
        ("plugin:notification|notify", json!({ "options": { "title": "hi" } })),
        ("plugin:opener|open_url", json!({ "url": "https://example.com/" })),
    ] {
        let answer = invoke(&app, command, args).await?;
        assert!(answer.get("err").is_some(), "{command} was allowed: {answer}");
    }

    app.quit().await?;
    sandbox.scan_logs()
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn the_window_only_shows_the_app_and_opens_allowed_links_in_the_browser() -> TestResult {
    // The Account screen links to Replicate's tokens page only while no key is set; the keychain
    // is shared by the tests (the own-key generation test leaves its key there).
    KeychainEntry::new("replicate-token").delete()?;
    let sandbox = Sandbox::new()?;
    let browser = FakeBrowser::new(sandbox.path())?;
    let sandbox = sandbox.with_env("FLUX_KREA_BROWSER", &browser.program.display().to_string());
    let app = App::launch(&sandbox).await?;
    let origin = app.js("return location.origin;").await?;

    // Top-level navigation elsewhere, and a new window, are refused.
    app.js("location.href = 'https://example.com/phish'; return null;").await?;
    app.js("window.open('https://example.com/popup'); return null;").await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.js("return location.origin;").await?, origin);
    app.wait_for(Locator::Css("nav button[data-screen='create']")).await?;
    assert_eq!(app.step("the windows", |c| async move { c.windows().await }).await?.len(), 1, "a second window opened");
    assert_eq!(browser.opened_count(), 0, "a site off the allow-list went to the browser");

    // An allowed link leaves for the system browser; the window stays.
    app.js("location.href = 'https://replicate.com/account/api-tokens'; return null;").await?;
    assert_eq!(browser.opened(1).await?, "https://replicate.com/account/api-tokens");
    assert_eq!(app.js("return location.origin;").await?, origin);

    // And the link on the Account screen, through the open_link command.
    app.click("nav button[data-screen='account']").await?;
    app.click("[data-testid='replicate-tokens-link']").await?;
    assert_eq!(browser.opened(2).await?, "https://replicate.com/account/api-tokens");
    let answer = invoke(&app, "open_link", json!({ "url": "https://example.com/" })).await?;
    assert_eq!(refused_field(&answer)?, "url", "{answer}");
    assert_eq!(browser.opened_count(), 2);

    app.quit().await?;
    sandbox.scan_logs()
}
