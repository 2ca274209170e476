//! Compare in the real window over a seeded history: two tiles selected (Ctrl+Space, then a click
//! while a selection is on), Compare opened, the slider mode's divider moved with the keys and
//! standing on the image's edges at its ends, a differing parameter marked in words, and Esc back
//! to the Compare button. Run by scripts/test.sh.

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};

/// Keys to whatever has the focus, as a user's keyboard would.
async fn press(app: &App, keys: String) -> TestResult {
    app.step("key presses", |c| async move { c.active_element().await?.send_keys(&keys).await }).await
}

/// How far (CSS px) the divider's middle is from the given edge ("left" or "right") of the image
/// under it; null unless the image is clearly narrower than the pane (the check would prove nothing).
const DIVIDER_OFF_EDGE: &str =
    "const d = document.querySelector(\"[data-testid='compare-slider']\").getBoundingClientRect();
    const img = document.querySelector(\".slider-box [data-testid='viewer-image']\").getBoundingClientRect();
    const pane = document.querySelector('.slider-box').getBoundingClientRect();
    if (img.width > pane.width - 100) return null;
    return d.left + d.width / 2 - img[arguments[0]];";

async fn slider_value(app: &App) -> TestResult<Option<String>> {
    app.attr("[data-testid='compare-slider']", "aria-valuenow").await
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn compare_two_images_with_the_slider_and_their_differences() -> TestResult {
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "12"])?;

    let app = App::launch(&sandbox).await?;
    app.click_now("nav button[data-screen='gallery']").await?;
    wait_until("the seeded tiles", 30, || async { Ok(app.tile_ids().await?.len() >= 2) }).await?;
    let ids = app.tile_ids().await?;

    // Ctrl+Space selects the focused tile; with a selection on, a click adds to it.
    let first = format!("{GALLERY_TILES}[data-id='{}']", ids[0]);
    app.execute("document.querySelector(arguments[0]).focus();", vec![first.into()]).await?;
    press(&app, format!("{}{}{}", char::from(Key::Control), ' ', char::from(Key::Null))).await?;
    wait_until("one selected", 10, || async { app.exists("[data-testid='bulk-bar']").await }).await?;
    app.click(&format!("{GALLERY_TILES}[data-id='{}']", ids[1])).await?;
    app.click("[data-testid='compare-open']").await?;
    app.find("[data-testid='compare-view']").await?;

    // The parameters side by side, one that differs marked in words, not colour alone.
    wait_until("the parameters", 10, || async { app.exists("[data-testid='compare-diff-row']").await }).await?;
    let marked = app
        .js("return [...document.querySelectorAll(\"[data-testid='compare-diff-row'][data-differs='true']\")]
                 .map(r => r.querySelector('th').textContent);")
        .await?;
    let marked: Vec<String> = serde_json::from_value(marked)?;
    assert!(!marked.is_empty(), "two seeded images differ somewhere (their ids' dates or seeds at least)");
    assert!(marked.iter().all(|t| t.contains("differs")), "a differing row says so: {marked:?}");

    // The slider: its divider moves with the arrows, Home and End.
    app.click("[data-testid='compare-mode-slider']").await?;
    app.js("document.querySelector(\"[data-testid='compare-slider']\").focus();").await?;
    assert_eq!(slider_value(&app).await?.as_deref(), Some("50"));
    press(&app, format!("{}{}", char::from(Key::Right), char::from(Key::Right))).await?;
    wait_until("the divider at 52", 10, || async { Ok(slider_value(&app).await?.as_deref() == Some("52")) }).await?;
    press(&app, char::from(Key::Home).to_string()).await?;
    wait_until("the divider at 0", 10, || async { Ok(slider_value(&app).await?.as_deref() == Some("0")) }).await?;
    let text = app.attr("[data-testid='compare-slider']", "aria-valuetext").await?;
    assert_eq!(text.as_deref(), Some("0 % image 1, 100 % image 2"));
    // At 0 and 100 the divider stands on the square image's edges, not the wide pane's.
    for (key, edge) in [(Key::Home, "left"), (Key::End, "right")] {
        press(&app, char::from(key).to_string()).await?;
        wait_until(&format!("the divider on the image's {edge} edge"), 10, || async {
            let at = app.execute(DIVIDER_OFF_EDGE, vec![edge.into()]).await?;
            Ok(at.as_f64().is_some_and(|d| d.abs() < 2.0))
        })
        .await?;
    }

    // Esc: back to the grid, the focus on the Compare button, the selection kept.
    press(&app, char::from(Key::Escape).to_string()).await?;
    wait_until("the compare view to close", 10, || async { Ok(!app.exists("[data-testid='compare-view']").await?) })
        .await?;
    let focused = app.js("return document.activeElement && document.activeElement.dataset.testid;").await?;
    assert_eq!(focused.as_str(), Some("compare-open"), "focus returns to the Compare button");
    app.quit().await
}
