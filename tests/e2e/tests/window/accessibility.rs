//! Every screen and state of the real window checked with axe-core (WCAG 2.0/2.1/2.2 A and AA) in
//! both themes: Create, an empty Gallery, a refused key (an error), Account, Privacy and its erase
//! confirmation, Settings, then over a seeded history the Gallery, its details panel, a delete
//! confirmation, the viewer, two items selected, and Compare (side by side, then the slider).
//! Fails on any serious or critical finding, listing them all with where and how to fix. Run by
//! scripts/test.sh.

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};
use flux_krea_fakes::replicate::RunningReplicate;

const TOKEN: &str = "r8_e2e_accessibility_01";

/// Whether the page's styles, under `prefers-reduced-motion: reduce`, turn off every transition
/// and animation (WebKitWebDriver cannot emulate the media feature, so the rule itself is read).
const REDUCED_MOTION: &str = "return [...document.styleSheets].some((sheet) => [...sheet.cssRules].some((rule) =>
      rule instanceof CSSMediaRule && rule.conditionText.includes('prefers-reduced-motion: reduce') &&
      [...rule.cssRules].some((r) => r.selectorText === '*' &&
        r.style.getPropertyValue('animation-name') === 'none' &&
        r.style.getPropertyValue('transition-property') === 'none')));";

/// A key to whatever has the focus, as a user's keyboard would.
async fn press(app: &App, key: Key) -> TestResult {
    let text = char::from(key).to_string();
    app.step("a key press", |c| async move { c.active_element().await?.send_keys(&text).await }).await
}

/// Scans the window as it is and adds what axe found, headed by theme and place, to `report`.
async fn scan(app: &App, theme: &str, place: &str, report: &mut Vec<String>) -> TestResult {
    // Transitions (a panel sliding in) finish before colours are measured.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let shown = app.js("return document.documentElement.dataset.theme;").await?;
    assert_eq!(shown.as_str(), Some(theme), "the {theme} theme is applied");
    for finding in app.accessibility_findings().await? {
        report.push(format!("[{theme}] {place}: {finding}"));
    }
    Ok(())
}

async fn open(app: &App, screen: &str) -> TestResult {
    app.click(&format!("nav button[data-screen='{screen}']")).await?;
    app.find(&format!("main[data-screen='{screen}']")).await?;
    Ok(())
}

async fn scan_theme(theme: &str, fake: &RunningReplicate, report: &mut Vec<String>) -> TestResult {
    let sandbox = Sandbox::new()?.with_env("FLUX_KREA_REPLICATE_URL", &fake.base_url());
    sandbox.forbid_in_logs(TOKEN);
    sandbox.cli(&["settings", "set", "theme", theme])?;
    sandbox.cli(&["retention", "set", "--forever"])?;

    // A first start: nothing made yet, no key.
    let app = App::launch(&sandbox).await?;
    let calm = app.js(REDUCED_MOTION).await?;
    assert_eq!(calm.as_bool(), Some(true), "prefers-reduced-motion stops every transition and animation");
    open(&app, "create").await?;
    app.find("[data-testid='key-missing']").await?;
    scan(&app, theme, "Create, no key", report).await?;
    open(&app, "gallery").await?;
    scan(&app, theme, "Gallery, empty", report).await?;
    open(&app, "account").await?;
    scan(&app, theme, "Account", report).await?;
    app.type_into("[data-testid='replicate-key-input']", "r8_refused_by_the_fake").await?;
    app.click("[data-testid='replicate-key-save']").await?;
    app.find("[data-testid='replicate-key-error']").await?;
    let role = app.attr("[data-testid='replicate-key-error']", "role").await?;
    assert_eq!(role.as_deref(), Some("alert"), "an error is announced when it appears");
    scan(&app, theme, "Account, a refused key", report).await?;
    open(&app, "privacy").await?;
    scan(&app, theme, "Privacy", report).await?;
    app.click("[data-testid='erase-everything']").await?;
    app.find("[data-testid='erase-everything-confirm']").await?;
    scan(&app, theme, "Privacy, erase everything asked to confirm", report).await?;
    open(&app, "settings").await?;
    scan(&app, theme, "Settings", report).await?;
    app.quit().await?;

    // A history to browse.
    sandbox.cli(&["seed", "--count", "40"])?;
    let app = App::launch(&sandbox).await?;
    open(&app, "gallery").await?;
    wait_until("thumbnails", 30, || async { Ok(!app.tile_ids().await?.is_empty()) }).await?;
    scan(&app, theme, "Gallery, seeded", report).await?;
    let first = app.tile_ids().await?[0];
    app.click(&format!("{GALLERY_TILES}[data-id='{first}']")).await?;
    app.find("[data-testid='details-prompt']").await?;
    scan(&app, theme, "Gallery, details open", report).await?;
    app.click("[data-testid='details-delete']").await?;
    app.find("[data-testid='confirm-delete']").await?;
    scan(&app, theme, "Gallery, delete confirmation", report).await?;
    app.execute(
        "document.querySelector(arguments[0]).focus();",
        vec![format!("{GALLERY_TILES}[data-id='{first}']").into()],
    )
    .await?;
    press(&app, Key::Enter).await?;
    app.find("[data-testid='viewer']").await?;
    scan(&app, theme, "Viewer", report).await?;
    // Back on the tile: two selected (Ctrl+Space, as Ctrl+click), the selection bar shown.
    press(&app, Key::Escape).await?;
    let select = format!("{}{}", char::from(Key::Control), ' ');
    app.step("Ctrl+Space", |c| async move { c.active_element().await?.send_keys(&select).await }).await?;
    press(&app, Key::Right).await?;
    let select = format!("{}{}", char::from(Key::Control), ' ');
    app.step("Ctrl+Space", |c| async move { c.active_element().await?.send_keys(&select).await }).await?;
    app.wait_for_text("[data-testid='bulk-bar'] strong", "2").await?;
    scan(&app, theme, "Gallery, two selected", report).await?;
    // The two compared: side by side with their parameters, then the slider.
    app.click("[data-testid='compare-open']").await?;
    app.find("[data-testid='compare-view'][data-mode='side'] [data-testid='compare-pane']").await?;
    app.find("[data-testid='compare-diff-row']").await?;
    scan(&app, theme, "Compare, side by side", report).await?;
    app.click("[data-testid='compare-mode-slider']").await?;
    app.find("[data-testid='compare-view'][data-mode='slider'] [data-testid='compare-slider']").await?;
    scan(&app, theme, "Compare, slider", report).await?;
    press(&app, Key::Escape).await?;
    wait_until("Compare to close", 10, || async { Ok(!app.exists("[data-testid='compare-view']").await?) }).await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn every_screen_passes_axe_in_both_themes() -> TestResult {
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    let mut report = Vec::new();
    for theme in ["light", "dark"] {
        scan_theme(theme, &fake, &mut report).await?;
    }
    assert!(report.is_empty(), "{} serious or critical accessibility findings:\n{}", report.len(), report.join("\n"));
    Ok(())
}
