//! A keyboard-only journey in the real window (#19): after launch, nothing but key presses sent to
//! whatever has the focus (Tab, Shift+Tab, arrows, Enter, Space, Esc, Ctrl+digit for screens, and
//! typed text). Write a prompt, pick a model, generate against the Replicate fake, walk the Gallery
//! grid with the arrows, open the result in the viewer, flip, favourite, go back, select two and
//! compare them (the slider moved with the arrows), search, and export the data. Every Tab stop
//! on the way, and on every screen, must show a focus ring. Run by scripts/test.sh.

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_e2e_keyboard_01";
const PROMPT: &str = "a keyboard heron on one leg";

/// Keys (and text) to whatever has the focus, as a user's keyboard would. Modifier keys in `keys`
/// stay down until its end.
async fn keys(app: &App, keys: &str) -> TestResult {
    let keys = keys.to_string();
    app.step(format!("keys {keys:?}"), |c| async move { c.active_element().await?.send_keys(&keys).await }).await
}

async fn press(app: &App, key: Key) -> TestResult {
    keys(app, &char::from(key).to_string()).await
}

fn chord(modifier: Key, key: &str) -> String {
    format!("{}{key}{}", char::from(modifier), char::from(Key::Null))
}

/// The focused element, described (data-testid, else its tag, name and classes), and whether it
/// shows a focus indicator: an outline or a ring (box-shadow) on it or on its wrapper, or an
/// outline on the part of it marked as its indicator (`data-focus-indicator`, a slider's knob).
const FOCUSED: &str = "const el = document.activeElement;
    if (!el || el === document.body) return { what: 'body', ring: false };
    const shows = (e) => { const s = getComputedStyle(e);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'; };
    const what = el.dataset.testid || el.dataset.id && `tile ${el.dataset.id}` ||
      `${el.tagName.toLowerCase()} ${el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30)}`;
    const part = el.querySelector('[data-focus-indicator]');
    const outlined = !!part && getComputedStyle(part).outlineStyle !== 'none' && parseFloat(getComputedStyle(part).outlineWidth) > 0;
    return { what, ring: shows(el) || (!!el.parentElement && shows(el.parentElement)) || outlined };";

async fn focused_matches(app: &App, css: &str) -> TestResult<bool> {
    let v = app
        .execute("return !!document.activeElement && document.activeElement.matches(arguments[0]);", vec![css.into()])
        .await?;
    Ok(v.as_bool() == Some(true))
}

/// Tabs (forward or back) until the focus is on `css`, at most `limit` presses; records every stop
/// passed without a visible focus indicator in `ringless`.
async fn tab_to(app: &App, css: &str, back: bool, limit: usize, ringless: &mut Vec<String>) -> TestResult {
    let tab =
        if back { chord(Key::Shift, &char::from(Key::Tab).to_string()) } else { char::from(Key::Tab).to_string() };
    let mut seen = Vec::new();
    for _ in 0..limit {
        keys(app, &tab).await?;
        let now = app.js(FOCUSED).await?;
        let what = now["what"].as_str().unwrap_or_default().to_string();
        if now["ring"].as_bool() != Some(true) && !ringless.contains(&what) {
            ringless.push(what.clone());
        }
        if focused_matches(app, css).await? {
            return Ok(());
        }
        seen.push(what);
    }
    Err(format!("Tab never reached {css}; it went through {seen:?}").into())
}

async fn viewer_id(app: &App) -> TestResult<Option<i64>> {
    let v = app
        .js("const v = document.querySelector(\"[data-testid='viewer']\"); return v ? Number(v.dataset.id) : null;")
        .await?;
    Ok(v.as_i64())
}

async fn focused_tile(app: &App) -> TestResult<Option<i64>> {
    let v = app
        .js("const e = document.activeElement; return e && e.classList.contains('tile') ? Number(e.dataset.id) : null;")
        .await?;
    Ok(v.as_i64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn generate_view_favourite_search_and_export_by_keyboard_alone() -> TestResult {
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs { image_side: Some(64), run_ms: 1500, ..Knobs::default() });
    let sandbox = Sandbox::new()?;
    let downloads = sandbox.downloads_folder()?;
    let sandbox = sandbox.with_replicate(&fake, TOKEN);
    sandbox.forbid_in_logs(PROMPT);
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "12"])?;
    let mut ringless = Vec::new();

    let app = App::launch(&sandbox).await?;
    // Create: the prompt, a model chosen with the arrows in its radio group, Generate.
    keys(&app, &chord(Key::Control, "1")).await?;
    app.find("main[data-screen='create']").await?;
    tab_to(&app, "[data-testid='prompt']", false, 40, &mut ringless).await?;
    keys(&app, PROMPT).await?;
    tab_to(&app, "[role='radio'][aria-checked='true']", false, 30, &mut ringless).await?;
    for _ in 0..6 {
        if focused_matches(&app, "[data-testid='model-flux-schnell']").await? {
            break;
        }
        press(&app, Key::Down).await?;
    }
    assert!(
        app.attr("[data-testid='model-flux-schnell']", "aria-checked").await?.as_deref() == Some("true"),
        "the arrows chose FLUX schnell"
    );
    tab_to(&app, "[data-testid='generate']", false, 60, &mut ringless).await?;
    press(&app, Key::Enter).await?;
    // Progress and the outcome are announced: the queue is a polite live region.
    let job = "[data-testid='queue'] [aria-live] [data-status]";
    app.find(job).await?;
    wait_until("the job to finish", 60, || async {
        Ok(app.attr(job, "data-status").await?.as_deref() == Some("done"))
    })
    .await?;
    let made: i64 = app.attr(job, "data-testid").await?.unwrap_or_default().trim_start_matches("job-").parse()?;

    // Gallery: the grid is one Tab stop; the newest (ours) first, the arrows walk it.
    keys(&app, &chord(Key::Control, "2")).await?;
    wait_until("thumbnails", 30, || async { Ok(app.tile_ids().await?.first() == Some(&made)) }).await?;
    tab_to(&app, "[data-testid='gallery-grid'] button.tile", false, 40, &mut ringless).await?;
    let tiles = app.tile_ids().await?;
    assert_eq!(focused_tile(&app).await?, Some(made), "Tab lands on the first tile");
    press(&app, Key::Right).await?;
    wait_until("→ to the second tile", 10, || async { Ok(focused_tile(&app).await? == Some(tiles[1])) }).await?;
    press(&app, Key::Down).await?;
    wait_until("↓ a row down", 10, || async { Ok(focused_tile(&app).await?.is_some_and(|t| t != tiles[1])) }).await?;
    press(&app, Key::Home).await?;
    wait_until("Home to the first tile", 10, || async { Ok(focused_tile(&app).await? == Some(made)) }).await?;

    // The viewer: Enter opens it, → and ← flip, the favourite button by Tab, Esc back to the tile.
    press(&app, Key::Enter).await?;
    wait_until("the viewer on our image", 10, || async { Ok(viewer_id(&app).await? == Some(made)) }).await?;
    press(&app, Key::Right).await?;
    wait_until("→ flips", 10, || async { Ok(viewer_id(&app).await? == Some(tiles[1])) }).await?;
    press(&app, Key::Left).await?;
    wait_until("← flips back", 10, || async { Ok(viewer_id(&app).await? == Some(made)) }).await?;
    tab_to(&app, "[data-testid='viewer-favourite']", false, 20, &mut ringless).await?;
    press(&app, Key::Enter).await?;
    wait_until("the favourite saved", 10, || async {
        let shown: serde_json::Value = serde_json::from_str(&sandbox.cli(&["history", "show", &made.to_string()])?)?;
        Ok(shown["generation"]["favourite"] == true)
    })
    .await?;
    press(&app, Key::Escape).await?;
    wait_until("the viewer to close on our tile", 10, || async {
        Ok(viewer_id(&app).await?.is_none() && focused_tile(&app).await? == Some(made))
    })
    .await?;

    // Select two with Ctrl+Space, as Ctrl+click does.
    let selected = "[data-testid='bulk-bar'] strong";
    keys(&app, &chord(Key::Control, " ")).await?;
    app.wait_for_text(selected, "1").await?;
    press(&app, Key::Right).await?;
    keys(&app, &chord(Key::Control, " ")).await?;
    assert_eq!(app.wait_for_text(selected, "2").await?, "2", "two tiles selected by keyboard");

    // Compare them: Shift+Tab back to the selection bar's Compare, the slider chosen and moved with
    // the arrows, the differing parameters read, Tab kept inside, Esc back to the Compare button.
    tab_to(&app, "[data-testid='compare-open']", true, 10, &mut ringless).await?;
    press(&app, Key::Enter).await?;
    app.find("[data-testid='compare-view']").await?;
    tab_to(&app, "[data-testid='compare-mode-slider']", false, 5, &mut ringless).await?;
    press(&app, Key::Enter).await?;
    app.find("[data-testid='compare-view'][data-mode='slider']").await?;
    tab_to(&app, "[data-testid='compare-slider']", false, 15, &mut ringless).await?;
    let divider = || async { app.attr("[data-testid='compare-slider']", "aria-valuenow").await };
    assert_eq!(divider().await?.as_deref(), Some("50"));
    keys(&app, &[Key::Right, Key::Right, Key::Right, Key::Left].map(char::from).iter().collect::<String>()).await?;
    wait_until("the divider at 52", 10, || async { Ok(divider().await?.as_deref() == Some("52")) }).await?;
    // The parameters are a Tab stop of their own (they scroll); our prompt differs, said in words.
    tab_to(&app, "[data-testid='compare-params']", false, 5, &mut ringless).await?;
    let prompt_row = "[data-testid='compare-diff-row'][data-key='prompt']";
    app.find(prompt_row).await?;
    assert_eq!(app.attr(prompt_row, "data-differs").await?.as_deref(), Some("true"));
    assert!(app.text_of(prompt_row).await.contains("differs"), "a differing row says so");
    press(&app, Key::Tab).await?;
    assert!(focused_matches(&app, "[data-testid='compare-view'] button").await?, "Tab stays inside Compare");
    press(&app, Key::Escape).await?;
    wait_until("Compare to close", 10, || async { Ok(!app.exists("[data-testid='compare-view']").await?) }).await?;
    assert!(focused_matches(&app, "[data-testid='compare-open']").await?, "the focus is back on Compare");

    // Back to the grid (its tile is one Tab stop on); Esc there lets go of the selection.
    tab_to(&app, "[data-testid='gallery-grid'] button.tile", false, 10, &mut ringless).await?;
    press(&app, Key::Escape).await?;
    wait_until("the selection to clear", 10, || async { Ok(!app.exists("[data-testid='bulk-bar']").await?) }).await?;

    // Search: back from the grid to the search box, a word, only our item is left.
    tab_to(&app, "[data-testid='gallery-search']", true, 30, &mut ringless).await?;
    keys(&app, "heron").await?;
    wait_until("the search", 30, || async { Ok(app.tile_ids().await? == vec![made]) }).await?;

    // Export the data to the Downloads folder.
    keys(&app, &chord(Key::Control, "4")).await?;
    app.find("main[data-screen='privacy']").await?;
    tab_to(&app, "[data-testid='export-data']", false, 60, &mut ringless).await?;
    press(&app, Key::Enter).await?;
    app.find("[data-testid='export-result']").await?;
    wait_until("the export archive", 30, || async {
        Ok(std::fs::read_dir(&downloads)?.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".zip")))
    })
    .await?;

    assert!(ringless.is_empty(), "Tab stops without a visible focus indicator: {ringless:?}");
    app.quit().await
}

/// Tabs through every stop of the screen shown (until the focus comes back round, at most
/// `limit`), recording those without a visible focus indicator; returns how many it passed.
async fn tab_through(app: &App, screen: &str, limit: usize, ringless: &mut Vec<String>) -> TestResult<usize> {
    let mut first: Option<String> = None;
    for stops in 0..limit {
        press(app, Key::Tab).await?;
        let now = app.js(FOCUSED).await?;
        let what = now["what"].as_str().unwrap_or_default().to_string();
        if first.as_deref() == Some(what.as_str()) {
            return Ok(stops);
        }
        first.get_or_insert_with(|| what.clone());
        if what != "body" && now["ring"].as_bool() != Some(true) {
            let entry = format!("{screen}: {what}");
            if !ringless.contains(&entry) {
                ringless.push(entry);
            }
        }
    }
    Ok(limit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn every_tab_stop_on_every_screen_shows_a_focus_ring() -> TestResult {
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "12"])?;
    let app = App::launch(&sandbox).await?;
    let mut ringless = Vec::new();
    for (digit, screen) in [("1", "create"), ("2", "gallery"), ("3", "account"), ("4", "privacy"), ("5", "settings")] {
        keys(&app, &chord(Key::Control, digit)).await?;
        app.find(&format!("main[data-screen='{screen}']")).await?;
        let stops = tab_through(&app, screen, 150, &mut ringless).await?;
        assert!(stops >= 5, "{screen}: only {stops} Tab stops");
    }
    assert!(ringless.is_empty(), "Tab stops without a visible focus indicator: {ringless:#?}");
    app.quit().await
}
