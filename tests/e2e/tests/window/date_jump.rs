//! Jump to a date in the real window (#21): a history seeded over many months, a month chosen in
//! the Gallery's "Jump to date" picker with the keyboard, the grid then starting at that month's
//! newest item with the focus on it, and Back to newest returning to the top. Run by scripts/test.sh.

use fantoccini::key::Key;
use flux_krea_core::clock::parse_rfc3339;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};

/// When a generation was made (unix ms), as the CLI reports it.
fn created_at(sandbox: &Sandbox, id: i64) -> TestResult<i64> {
    let shown: serde_json::Value = serde_json::from_str(&sandbox.cli(&["history", "show", &id.to_string()])?)?;
    Ok(parse_rfc3339(shown["generation"]["created_at"].as_str().unwrap_or_default()).ok_or("no created_at")?)
}

async fn focused_tile(app: &App) -> TestResult<Option<i64>> {
    let id = app
        .js("const el = document.activeElement; return el && el.matches('button.tile') ? Number(el.dataset.id) : null;")
        .await?;
    Ok(id.as_i64())
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn jumping_to_a_month_starts_the_grid_there_and_back_to_newest_returns() -> TestResult {
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    // Spread over the last ~18 months by the seeder: several months, each with items.
    sandbox.cli(&["seed", "--count", "400"])?;

    let app = App::launch(&sandbox).await?;
    app.click_now("nav button[data-screen='gallery']").await?;
    wait_until("the seeded tiles", 30, || async { Ok(!app.tile_ids().await?.is_empty()) }).await?;
    let newest = app.tile_ids().await?[0];

    // Open the picker: the months with items, the newest focused.
    app.click("[data-testid='date-jump']").await?;
    let months = "[data-testid='date-jump-panel'] button.month";
    wait_until("the months", 10, || async { app.exists(months).await }).await?;
    let starts: Vec<i64> = serde_json::from_value(
        app.execute(
            "return [...document.querySelectorAll(arguments[0])].map(b => Number(b.dataset.starts));",
            vec![months.into()],
        )
        .await?,
    )?;
    assert!(starts.len() >= 6, "seeded over many months: {starts:?}");
    let focused = app.js("return Number(document.activeElement.dataset.starts);").await?;
    assert_eq!(focused.as_i64(), starts.iter().max().copied(), "the newest month has the focus");
    let findings = app.accessibility_findings().await?;
    assert!(findings.is_empty(), "axe with the picker open: {findings:?}");

    // Down a row: four months further back (past months without items), then Enter.
    let keys = char::from(Key::Down).to_string();
    app.step("arrow keys", |c| async move { c.active_element().await?.send_keys(&keys).await }).await?;
    let chosen = app.js("return [document.activeElement.dataset.starts, document.activeElement.dataset.ends, document.activeElement.textContent];").await?;
    let (start, end): (i64, i64) =
        (chosen[0].as_str().unwrap_or_default().parse()?, chosen[1].as_str().unwrap_or_default().parse()?);
    let label = chosen[2].as_str().unwrap_or_default().to_string();
    assert!(start < starts.iter().copied().max().unwrap_or_default(), "an older month: {label}");
    assert!(label.contains("images") || label.contains("image"), "named with its count: {label}");
    let enter = char::from(Key::Enter).to_string();
    app.step("Enter", |c| async move { c.active_element().await?.send_keys(&enter).await }).await?;

    // The grid starts at that month: its first tile is of the month and has the focus.
    wait_until("the panel to close and a tile focused", 10, || async {
        Ok(!app.exists("[data-testid='date-jump-panel']").await? && focused_tile(&app).await?.is_some())
    })
    .await?;
    let first = app.tile_ids().await?[0];
    assert_eq!(focused_tile(&app).await?, Some(first), "the first tile has the focus");
    let made = created_at(&sandbox, first)?;
    assert!((start..end).contains(&made), "first tile made at {made}, month {start}..{end} ({label})");
    let named = app.attr("[data-testid='date-jump']", "aria-label").await?.unwrap_or_default();
    assert!(named.starts_with("Jump to date, showing from "), "the control says where the grid starts: {named}");
    // Older items follow in order.
    let ids = app.tile_ids().await?;
    let second = created_at(&sandbox, ids[1])?;
    assert!(second <= made, "newest first from there");

    // Back to newest: the top of the history again, the jump control as before.
    app.click("[data-testid='back-to-newest']").await?;
    wait_until("the newest tile first", 10, || async { Ok(app.tile_ids().await?.first() == Some(&newest)) }).await?;
    assert!(!app.exists("[data-testid='back-to-newest']").await?);
    assert!(app.exists(GALLERY_TILES).await?);
    app.quit().await
}
