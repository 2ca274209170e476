//! The full-size viewer over the Gallery in the real window (#19): opened with Enter on a tile,
//! flipped with → across a page boundary with a filter on (the Favourites of a seeded history),
//! zoomed, a delete undone, and Esc back to the grid with the last image focused. Run by
//! scripts/test.sh.

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};

/// The viewer's current item and zoom, or None when it is closed.
async fn viewer(app: &App) -> TestResult<Option<(i64, f64)>> {
    let v = app
        .js("const v = document.querySelector(\"[data-testid='viewer']\");
             return v ? [Number(v.dataset.id), Number(v.dataset.scale)] : null;")
        .await?;
    Ok(v.as_array().map(|a| (a[0].as_i64().unwrap_or(-1), a[1].as_f64().unwrap_or(0.0))))
}

/// A key to whatever has the focus, as a user's keyboard would.
async fn press(app: &App, key: Key) -> TestResult {
    let text = char::from(key).to_string();
    app.step("a key press", |c| async move { c.active_element().await?.send_keys(&text).await }).await
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn open_flip_across_pages_with_a_filter_zoom_undo_and_back() -> TestResult {
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    // About one in twenty seeded items is a favourite: well over one 100-item page of them.
    sandbox.cli(&["seed", "--count", "2600"])?;
    let listed: serde_json::Value =
        serde_json::from_str(&sandbox.cli(&["history", "list", "--favourites", "--limit", "500", "--json"])?)?;
    let favourites: Vec<i64> = listed.as_array().ok_or("not a list")?.iter().filter_map(|i| i["id"].as_i64()).collect();
    assert!(favourites.len() > 101, "the seed made {} favourites", favourites.len());

    let app = App::launch(&sandbox).await?;
    app.click_now("nav button[data-screen='gallery']").await?;
    app.click("[data-testid='filter-favourites']").await?;
    wait_until("the favourites", 30, || async { Ok(app.tile_ids().await?.first() == favourites.first()) }).await?;

    // Enter on the first tile opens the viewer on it.
    let first = format!("{GALLERY_TILES}[data-id='{}']", favourites[0]);
    app.execute("document.querySelector(arguments[0]).focus();", vec![first.clone().into()]).await?;
    press(&app, Key::Enter).await?;
    wait_until("the viewer on the first favourite", 10, || async {
        Ok(viewer(&app).await?.map(|v| v.0) == Some(favourites[0]))
    })
    .await?;
    app.find("[data-testid='viewer-image']").await?;

    // → 101 times: past the first page of 100, which the viewer loads as it goes.
    for (step, &wanted) in favourites.iter().enumerate().take(102).skip(1) {
        press(&app, Key::Right).await?;
        wait_until(&format!("favourite {step}"), 10, || async { Ok(viewer(&app).await?.map(|v| v.0) == Some(wanted)) })
            .await?;
    }
    // ← once, back onto the first page's last item.
    press(&app, Key::Left).await?;
    wait_until("back one", 10, || async { Ok(viewer(&app).await?.map(|v| v.0) == Some(favourites[100])) }).await?;

    // Zoom in and back to fit.
    let (_, fit) = viewer(&app).await?.ok_or("the viewer closed")?;
    app.click("[data-testid='viewer-zoom-in']").await?;
    wait_until("a larger scale", 10, || async { Ok(viewer(&app).await?.is_some_and(|v| v.1 > fit)) }).await?;
    app.click("[data-testid='viewer-zoom-fit']").await?;
    wait_until("the fit scale", 10, || async { Ok(viewer(&app).await?.is_some_and(|v| (v.1 - fit).abs() < 0.01)) })
        .await?;

    // Delete, then undo within the window: nothing is deleted.
    let shown = favourites[100];
    app.click("[data-testid='viewer-delete']").await?;
    app.click("[data-testid='viewer-undo']").await?;
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert!(sandbox.cli(&["history", "show", &shown.to_string()]).is_ok(), "an undone delete kept the item");
    wait_until("the undone item shown again", 10, || async { Ok(viewer(&app).await?.map(|v| v.0) == Some(shown)) })
        .await?;

    // Esc: back to the grid, the last image's tile focused.
    press(&app, Key::Escape).await?;
    wait_until("the viewer to close", 10, || async { Ok(viewer(&app).await?.is_none()) }).await?;
    let focused = app.js("return Number(document.activeElement && document.activeElement.dataset.id);").await?;
    assert_eq!(focused.as_i64(), Some(shown), "focus returns to the tile of the last image shown");
    app.quit().await
}
