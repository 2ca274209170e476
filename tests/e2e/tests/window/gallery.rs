//! The Gallery in the real window over a seeded history: scroll through pages, search with
//! highlights, open details, delete. Run by scripts/test.sh (`--ignored`).

use fantoccini::Locator;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};

const TILES: &str = GALLERY_TILES;

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn browse_scroll_search_and_delete_in_a_seeded_gallery() -> TestResult {
    let sandbox = Sandbox::new()?;
    // Seeded items span 18 months; keep them all so the whole history is browsable.
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "600"])?;
    let newest: serde_json::Value =
        serde_json::from_str(&sandbox.cli(&["history", "list", "--limit", "1", "--json"])?)?;
    let newest_id = newest[0]["id"].as_i64().ok_or("no seeded item")?;

    let app = App::launch(&sandbox).await?;
    app.click_now("nav button[data-screen='gallery']").await?;
    wait_until("thumbnails", 30, || async { Ok(!app.tile_ids().await?.is_empty()) }).await?;
    let first = app.tile_ids().await?;
    assert_eq!(first[0], newest_id, "newest first");
    assert!(first.len() < 600, "the grid is virtualized: {} tiles rendered", first.len());

    // Scroll to the end repeatedly: later pages load until the oldest item is rendered.
    wait_until("the last page", 30, || async {
        app.execute(
                "const s = document.querySelector(\"[data-testid='gallery-grid']\"); s.scrollTop = s.scrollHeight; return s.scrollHeight;",
                vec![],
            )
            .await?;
        let ids = app.tile_ids().await?;
        // A fresh database numbers the seeded rows from 1; the oldest is id 1.
        Ok(ids.iter().min().copied() == Some(1))
    })
    .await?;
    let img_ok: bool = app
        .execute(
            "return [...document.querySelectorAll(arguments[0] + ' img')].some(i => i.complete && i.naturalWidth > 0);",
            vec![TILES.into()],
        )
        .await?
        .as_bool()
        .unwrap_or(false);
    assert!(img_ok, "no thumbnail decoded in the webview (asset protocol scope?)");

    // Search: results only contain the word, marked.
    app.type_into("[data-testid='gallery-search']", "lighthouse").await?;
    wait_until("search results", 30, || async {
        let marks = app
            .execute("return document.querySelectorAll(arguments[0]).length;", vec![format!("{TILES} mark").into()])
            .await?;
        Ok(marks.as_u64().unwrap_or(0) > 0)
    })
    .await?;
    let expected: serde_json::Value =
        serde_json::from_str(&sandbox.cli(&["history", "search", "lighthouse", "--limit", "500", "--json"])?)?;
    let expected_ids: Vec<i64> =
        expected.as_array().ok_or("not a list")?.iter().filter_map(|i| i["id"].as_i64()).collect();
    assert!(!expected_ids.is_empty(), "the seed word list has 'lighthouse'");
    wait_until("search to settle", 30, || async { Ok(app.tile_ids().await?.first() == expected_ids.first()) }).await?;

    // Details, then delete from the panel.
    let target = expected_ids[0];
    app.click_now(&format!("{TILES}[data-id='{target}']")).await?;
    let prompt = app.text("[data-testid='details-prompt']").await?;
    assert!(prompt.to_lowercase().contains("lighthouse"), "{prompt}");
    app.click_now("[data-testid='details-delete']").await?;
    app.click_now("[data-testid='confirm-delete']").await?;
    wait_until("the tile to go", 30, || async { Ok(!app.tile_ids().await?.contains(&target)) }).await?;
    assert!(sandbox.cli(&["history", "show", &target.to_string()]).is_err(), "the row is gone from the database");

    // Favourite another one and put it in a new collection, from the details panel.
    let other = expected_ids[1];
    app.click_now(&format!("{TILES}[data-id='{other}']")).await?;
    app.wait_for(Locator::Css("[data-testid='details-prompt']")).await?;
    app.click_now("[data-testid='details-favourite']").await?;
    app.click_now("[data-testid='add-to-collection'] option[value='new']").await?;
    app.type_into("input[aria-label='Collection name']", "Lighthouses").await?;
    app.click_now(".new-collection button[type='submit']").await?;
    wait_until("the collection to be saved", 30, || async {
        let shown: serde_json::Value = serde_json::from_str(&sandbox.cli(&["history", "show", &other.to_string()])?)?;
        Ok(shown["generation"]["favourite"] == true && shown["collections"][0]["name"] == "Lighthouses")
    })
    .await?;

    app.quit().await
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn the_app_purges_history_past_the_default_window_at_start() -> TestResult {
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["seed", "--count", "300"])?;
    let due: serde_json::Value = serde_json::from_str(&sandbox.cli(&["history", "purge", "--dry-run"])?)?;
    let due = due["items"].as_i64().ok_or("no preview")?;
    assert!(due > 0, "18 months of seeded history must have items past 12 months");

    let app = App::launch(&sandbox).await?;
    // The start-up purge runs in the background; the CLI sees the same database.
    wait_until("the start-up purge", 30, || async {
        let left: serde_json::Value = serde_json::from_str(&sandbox.cli(&["history", "purge", "--dry-run"])?)?;
        Ok(left["items"].as_i64() == Some(0))
    })
    .await?;
    let remaining: serde_json::Value =
        serde_json::from_str(&sandbox.cli(&["history", "list", "--limit", "500", "--json"])?)?;
    let remaining = remaining.as_array().ok_or("not a list")?;
    assert_eq!(remaining.len() as i64, 300 - due, "exactly the items past the window went");
    let year_ago_ms = flux_krea_core::clock::now_ms() - 365 * 24 * 3600 * 1000;
    // The CLI prints times as RFC 3339.
    let created = |g: &serde_json::Value| g["created_at"].as_str().and_then(flux_krea_core::clock::parse_rfc3339);
    assert!(remaining.iter().all(|g| created(g).is_some_and(|ms| ms >= year_ago_ms)));
    app.quit().await
}
