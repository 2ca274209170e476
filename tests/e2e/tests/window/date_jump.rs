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

/// The picker's month buttons.
const MONTHS: &str = "[data-testid='date-jump-panel'] button.month";

/// Launches the app on the Gallery, notes its newest tile, and opens "Jump to date" on its months.
async fn gallery_with_the_picker_open(sandbox: &Sandbox) -> TestResult<(App, i64)> {
    let app = App::launch(sandbox).await?;
    app.click_now("nav button[data-screen='gallery']").await?;
    wait_until("the seeded tiles", 30, || async { Ok(!app.tile_ids().await?.is_empty()) }).await?;
    let newest = app.tile_ids().await?[0];
    app.click("[data-testid='date-jump']").await?;
    wait_until("the months", 10, || async { app.exists(MONTHS).await }).await?;
    Ok((app, newest))
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

    // Open the picker: the months with items, the newest focused.
    let (app, newest) = gallery_with_the_picker_open(&sandbox).await?;
    let starts: Vec<i64> = serde_json::from_value(
        app.execute(
            "return [...document.querySelectorAll(arguments[0])].map(b => Number(b.dataset.starts));",
            vec![MONTHS.into()],
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

/// A time the CLI's JSON gives (RFC 3339) as unix ms, as the page's `data-starts` and `data-ends`.
fn ms(time: &serde_json::Value) -> i64 {
    parse_rfc3339(time.as_str().unwrap_or_default()).unwrap_or_default()
}

/// The days of a month (`YYYY-MM`, local time) that hold items, newest first, as the CLI lists them.
fn days_of(sandbox: &Sandbox, month: &str) -> TestResult<Vec<serde_json::Value>> {
    Ok(serde_json::from_str(&sandbox.cli(&["history", "dates", "--days", month, "--json"])?)?)
}

/// The item the Gallery starts with at a date (`YYYY-MM-DD`): the CLI's `history list --at`.
fn first_at(sandbox: &Sandbox, date: &str) -> TestResult<i64> {
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&sandbox.cli(&["history", "list", "--at", date, "--limit", "1", "--json"])?)?;
    Ok(items.first().and_then(|i| i["id"].as_i64()).ok_or_else(|| format!("nothing at {date}"))?)
}

/// A day, by keyboard: a month's days from the "›" beside it, listed as the CLI lists them (only
/// days with images are buttons, each named with its count); an older day by the arrows, Enter; the
/// grid then starts at that day's newest item, the one `history list --at` starts with. Reopened,
/// the picker shows that month's days; Escape goes back to the months, and a second Escape closes it.
#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn jumping_to_a_day_starts_the_grid_at_that_days_newest_item() -> TestResult {
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "400"])?;
    // A month before the current one (which may have only begun) with a day of several images that
    // is not its newest: the arrows have somewhere to go, and the day an item to get wrong.
    let months: Vec<serde_json::Value> = serde_json::from_str(&sandbox.cli(&["history", "dates", "--json"])?)?;
    let mut found = None;
    for m in months.iter().skip(1) {
        let name = format!("{}-{:02}", m["year"].as_i64().unwrap_or_default(), m["month"].as_i64().unwrap_or_default());
        let days = days_of(&sandbox, &name)?;
        if let Some(back) = (1..days.len()).find(|&i| days[i]["count"].as_i64() >= Some(2)) {
            found = Some((ms(&m["starts_at"]), ms(&m["ends_at"]), name, days, back));
            break;
        }
    }
    let (month_starts, month_ends, month, days, back) = found.ok_or("no month with an older day of several images")?;

    let (app, newest) = gallery_with_the_picker_open(&sandbox).await?;
    // Tab from the focused (newest) month reaches its days button.
    let tab = char::from(Key::Tab).to_string();
    app.step("Tab", |c| async move { c.active_element().await?.send_keys(&tab).await }).await?;
    let named = app.js("return document.activeElement.getAttribute('aria-label');").await?;
    assert!(named.as_str().unwrap_or_default().starts_with("Days of "), "the month's days button: {named}");

    // The chosen month's "›", named after the month its days show.
    let open_days =
        format!("[data-testid='date-jump-panel'] button.month[data-starts='{month_starts}'] + button.open-days");
    let named = app.attr(&open_days, "aria-label").await?.unwrap_or_default();
    app.click(&open_days).await?;
    let days_css = "[data-testid='date-jump-panel'] button.day";
    wait_until("the days", 10, || async { app.exists(days_css).await }).await?;
    let title = app.text_of("#date-jump-days-title").await;
    assert_eq!(named, format!("Days of {title}"), "the › names the month it opens ({month})");

    // Exactly the CLI's days are buttons, enabled, in calendar order, each named with its count;
    // the month's other days are there but are not buttons.
    let listed: Vec<(i64, i64, String, bool)> = serde_json::from_value(
        app.execute(
            "return [...document.querySelectorAll(arguments[0])].map(b => [Number(b.dataset.starts), \
             Number(b.dataset.ends), b.getAttribute('aria-label') ?? [...b.childNodes].filter(n => \
             n.nodeType !== Node.ELEMENT_NODE || n.getAttribute('aria-hidden') !== 'true').map(n => \
             n.textContent).join('').trim(), b.disabled || b.getAttribute('aria-disabled') === 'true']);",
            vec![days_css.into()],
        )
        .await?,
    )?;
    let spans: Vec<(i64, i64)> = listed.iter().map(|(s, e, _, _)| (*s, *e)).collect();
    let expected: Vec<(i64, i64)> = days.iter().rev().map(|d| (ms(&d["starts_at"]), ms(&d["ends_at"]))).collect();
    assert_eq!(spans, expected, "the day buttons are the CLI's days of {month}");
    for ((_, _, name, disabled), d) in listed.iter().zip(days.iter().rev()) {
        let n = d["count"].as_i64().unwrap_or_default();
        let count = format!(", {n} {}", if n == 1 { "image" } else { "images" });
        assert!(name.ends_with(&count), "day {} of {month} named with its count{count}: {name:?}", d["day"]);
        assert!(name.contains(&d["year"].to_string()), "named with its full date: {name:?}");
        assert!(!disabled, "a day with images is enabled: {name:?}");
    }
    let empty = app
        .execute(
            "return document.querySelectorAll(arguments[0]).length;",
            vec!["[data-testid='date-jump-panel'] .day-grid span.day.empty".into()],
        )
        .await?
        .as_i64()
        .unwrap_or_default();
    // Days are 23 to 25 hours long where the clocks change.
    let in_month = ((month_ends - month_starts) as f64 / 86_400_000.0).round() as i64;
    assert!(empty >= 1, "400 items over ~18 months leave days of {month} without images");
    assert_eq!(
        empty + listed.len() as i64,
        in_month,
        "every day of {month} is shown, those without images not as buttons"
    );
    let focused = app.js("return Number(document.activeElement.dataset.starts);").await?;
    assert_eq!(focused.as_i64(), Some(ms(&days[0]["starts_at"])), "the month's newest day has the focus");
    let findings = app.accessibility_findings().await?;
    assert!(findings.is_empty(), "axe with the days open: {findings:?}");

    // Left, one day with images at a time (over the days without), to the chosen day; then Enter.
    for d in &days[1..=back] {
        let left = char::from(Key::Left).to_string();
        app.step("Left", |c| async move { c.active_element().await?.send_keys(&left).await }).await?;
        let starts = Some(ms(&d["starts_at"]));
        wait_until("the previous day with images focused", 10, || async {
            let on = app.js("return document.activeElement.matches('button.day') && Number(document.activeElement.dataset.starts);").await?;
            Ok(on.as_i64() == starts)
        })
        .await?;
    }
    let day = &days[back];
    let (start, end) = (ms(&day["starts_at"]), ms(&day["ends_at"]));
    let date = format!("{month}-{:02}", day["day"].as_i64().unwrap_or_default());
    let enter = char::from(Key::Enter).to_string();
    app.step("Enter", |c| async move { c.active_element().await?.send_keys(&enter).await }).await?;

    // The grid starts at the day's newest item, as the CLI's jump does, and it has the focus.
    wait_until("the panel to close and a tile focused", 10, || async {
        Ok(!app.exists("[data-testid='date-jump-panel']").await? && focused_tile(&app).await?.is_some())
    })
    .await?;
    let wanted = first_at(&sandbox, &date)?;
    let made = created_at(&sandbox, wanted)?;
    assert!((start..end).contains(&made), "the CLI starts {date} with an item of that day ({made})");
    assert_ne!(wanted, newest, "{date} is not the newest day");
    let first = app.tile_ids().await?[0];
    assert_eq!(first, wanted, "the grid starts at {date}'s newest item");
    assert_eq!(focused_tile(&app).await?, Some(wanted), "and that tile has the focus");
    let ids = app.tile_ids().await?;
    assert!(created_at(&sandbox, ids[1])? <= made, "newest first from there");
    let named = app.attr("[data-testid='date-jump']", "aria-label").await?.unwrap_or_default();
    assert!(named.starts_with("Jump to date, showing from "), "the control says where the grid starts: {named}");

    // Reopened: that month's days, the day jumped to focused and current.
    app.click("[data-testid='date-jump']").await?;
    wait_until("the days again, the day jumped to focused", 10, || async {
        let on = app
            .js("return document.activeElement.matches('button.day') && Number(document.activeElement.dataset.starts);")
            .await?;
        Ok(on.as_i64() == Some(start))
    })
    .await?;
    let current = app.js("return document.activeElement.getAttribute('aria-current');").await?;
    assert_eq!(current.as_str(), Some("date"), "the day jumped to is marked current");
    // Escape: the months, with the focus on that month; Escape again closes, back on the control.
    let escape = char::from(Key::Escape).to_string();
    let first_escape = escape.clone();
    app.step("Escape", |c| async move { c.active_element().await?.send_keys(&first_escape).await }).await?;
    wait_until("the months again", 10, || async { Ok(app.exists(MONTHS).await? && !app.exists(days_css).await?) })
        .await?;
    let focused = app
        .js("return document.activeElement.matches('button.month') && Number(document.activeElement.dataset.starts);")
        .await?;
    assert_eq!(focused.as_i64(), Some(month_starts), "the focus on {month}");
    app.step("Escape", |c| async move { c.active_element().await?.send_keys(&escape).await }).await?;
    wait_until("the picker closed", 10, || async { Ok(!app.exists("[data-testid='date-jump-panel']").await?) }).await?;
    let focused = app.js("return document.activeElement.dataset.testid ?? null;").await?;
    assert_eq!(focused.as_str(), Some("date-jump"), "the focus back on the control");
    app.quit().await
}
