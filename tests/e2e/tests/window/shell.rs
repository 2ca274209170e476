//! The app shell in the real window: the four screens, shortcuts, theme, single instance,
//! and the start-up error screen. Run by scripts/test.sh (`--ignored`): they need the built app,
//! a display and a D-Bus session.

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::Locator;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult};

const SCREENS: [(&str, &str); 4] =
    [("create", "Create"), ("gallery", "Gallery"), ("account", "Account"), ("privacy", "Privacy")];

async fn press_ctrl(app: &App, key: char) -> TestResult {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: Key::Control.into() })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: Key::Control.into() });
    app.step("pressing keys", |c| async move { c.perform_actions(actions).await }).await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn walks_the_four_screens_by_sidebar_and_keyboard() -> TestResult {
    let sandbox = Sandbox::new()?;
    let app = App::launch(&sandbox).await?;

    // Opens on Create.
    assert_eq!(app.attr("main", "data-screen").await?.as_deref(), Some("create"));

    for (id, title) in SCREENS {
        app.click_now(&format!("nav button[data-screen='{id}']")).await?;
        assert_eq!(app.wait_for_text("main h1", title).await?, title);
        assert_eq!(
            app.attr(&format!("nav button[data-screen='{id}']"), "aria-current").await?.as_deref(),
            Some("page")
        );
        // Each screen shows its own content; the gallery and queue of a new install are empty,
        // and what is not built yet says so.
        match id {
            "create" => {
                app.wait_for(Locator::Css("[data-testid='create-form']")).await?;
                app.wait_for(Locator::Css("[data-testid='queue-empty']")).await?;
            }
            "account" => {
                app.wait_for(Locator::Css("[data-testid='replicate-key-card']")).await?;
            }
            "privacy" => {
                app.wait_for(Locator::Css("[data-testid='consents']")).await?;
                app.wait_for(Locator::Css("[data-testid='rights']")).await?;
            }
            _ => {
                let empty = app.text("main [data-testid='empty-state'] h2").await?;
                assert!(empty.ends_with("Your gallery is empty"), "{id}: {empty}");
            }
        }
    }

    // Ctrl+1..4 from the keyboard, through WebDriver's real key input.
    for (n, (_, title)) in SCREENS.iter().enumerate().rev() {
        press_ctrl(&app, char::from(b'1' + n as u8)).await?;
        assert_eq!(app.wait_for_text("main h1", title).await?, *title);
    }

    // The Privacy screen shows where the data lives: the sandbox's folder, from the core.
    press_ctrl(&app, '4').await?;
    let data_dir = app.text("[data-testid='data-dir']").await?;
    assert_eq!(data_dir, sandbox.data_dir().display().to_string());
    assert!(sandbox.data_dir().join("history.db").is_file());

    app.quit().await
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn theme_choice_applies_and_survives_a_restart() -> TestResult {
    let sandbox = Sandbox::new()?;
    let app = App::launch(&sandbox).await?;
    let toggle = "[data-testid='theme-toggle']";
    assert_eq!(app.attr(toggle, "data-theme-preference").await?.as_deref(), Some("system"));
    let os_theme = app.attr("html", "data-theme").await?;
    assert!(matches!(os_theme.as_deref(), Some("light" | "dark")), "{os_theme:?}");

    app.click_now(toggle).await?; // system → light
    app.click_now(toggle).await?; // light → dark
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while app.attr(toggle, "data-theme-preference").await?.as_deref() != Some("dark") {
        assert!(std::time::Instant::now() < deadline, "theme did not become dark");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.attr("html", "data-theme").await?.as_deref(), Some("dark"));
    app.quit().await?;

    let app = App::launch(&sandbox).await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while app.attr(toggle, "data-theme-preference").await?.as_deref() != Some("dark") {
        assert!(std::time::Instant::now() < deadline, "the saved theme was not restored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.attr("html", "data-theme").await?.as_deref(), Some("dark"));
    app.quit().await
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn a_second_launch_focuses_the_first_and_opens_the_asked_screen() -> TestResult {
    let sandbox = Sandbox::new()?;
    let app = App::launch(&sandbox).await?;
    assert_eq!(app.attr("main", "data-screen").await?.as_deref(), Some("create"));

    let mut second = sandbox.launch_directly(&["--screen", "gallery"])?;
    // The second process hands over to the first and exits by itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = second.try_wait()? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = second.kill();
            panic!("the second instance kept running");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(app.wait_for_text("main h1", "Gallery").await?, "Gallery");
    app.quit().await
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn a_refused_config_is_explained_instead_of_a_blank_window() -> TestResult {
    let sandbox = Sandbox::new()?.with_env("FLUX_KREA_PLATFORM_URL", "http://platform.example.com");
    let app = App::launch(&sandbox).await?;
    let panel = app.wait_for(Locator::Css("[data-testid='startup-error']")).await?;
    let text = panel.text().await?;
    assert!(text.contains("FLUX_KREA_PLATFORM_URL"), "{text}");
    assert!(text.contains("plain http"), "{text}");
    assert!(!sandbox.data_dir().exists(), "nothing is created when the config is refused");
    app.quit().await
}

/// Runs xdotool on the app's window (its title is the app's name) and returns what it printed.
/// The window is handled through the X server, as a window manager would: WebKitWebDriver's
/// window-rect commands sometimes never answer without a window manager (seen in CI and here,
/// for both setting and reading), so this test does not use them.
fn xdotool(commands: &[&str]) -> TestResult<String> {
    let out = std::process::Command::new("timeout")
        .args(["10", "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Flux Krea$"])
        .args(commands)
        .output()
        .map_err(|e| format!("xdotool (scripts/setup.sh installs it): {e}"))?;
    if !out.status.success() {
        return Err(format!("xdotool {commands:?}: {} {}", out.status, String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The window's (x, y, width, height) as the X server has it.
fn geometry() -> TestResult<(i64, i64, i64, i64)> {
    let shell = xdotool(&["getwindowgeometry", "--shell", "%1"])?;
    let value = |key: &str| -> TestResult<i64> {
        let line = shell.lines().find_map(|l| l.strip_prefix(&format!("{key}=")));
        Ok(line.ok_or_else(|| format!("no {key} in {shell:?}"))?.trim().parse()?)
    };
    Ok((value("X")?, value("Y")?, value("WIDTH")?, value("HEIGHT")?))
}

/// Polls the geometry until it is `wanted` (up to 10 s); returns the last one read.
async fn geometry_becomes(wanted: (i64, i64, i64, i64)) -> TestResult<(i64, i64, i64, i64)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = geometry()?;
        if now == wanted || Instant::now() > deadline {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn the_window_size_and_position_are_remembered() -> TestResult {
    // Only the X server is asked after a resize: without a window manager WebKitWebDriver
    // sometimes stops answering once the window changed size (Set Window Rect in stop 26, a plain
    // script in stop 27), which says nothing about the app.
    let sandbox = Sandbox::new()?;
    let saved = sandbox.path().join("xdg-config/com.fluxkrea.desktop/.window-state.json");
    let app = App::launch(&sandbox).await?;
    let placed = (40, 30, 1000, 700);
    xdotool(&["windowmove", "%1", "40", "30", "windowsize", "%1", "1000", "700"])?;
    assert_eq!(geometry_becomes(placed).await?, placed, "the move and resize themselves applied");
    // Saved shortly after the change, so even an app that is killed keeps it.
    wait_until("the new size to be saved", 10, || async {
        let text = std::fs::read_to_string(&saved).unwrap_or_default();
        let state: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let main = &state["main"];
        Ok((&main["x"], &main["y"], &main["width"], &main["height"])
            == (&40.into(), &30.into(), &1000.into(), &700.into()))
    })
    .await?;
    app.kill()?;

    let app = App::launch(&sandbox).await?;
    assert_eq!(geometry_becomes(placed).await?, placed, "size and position restored");
    app.kill()
}
