//! Lineage across a Kontext edit of an edit in the real window (#19): an image generated against
//! the Replicate fake, edited with Kontext from the viewer over Create's results, and that edit
//! edited again. The middle one, opened in the viewer from the Gallery, shows its parent and its
//! child in the info strip; the keyboard walks to the root and back down to the grandchild; the
//! details panel shows the same chain. Run by scripts/test.sh.

use std::collections::HashSet;

use fantoccini::key::Key;
use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};
use flux_krea_fakes::replicate::{Knobs, RunningReplicate};

const TOKEN: &str = "r8_e2e_lineage_01";

async fn press(app: &App, key: Key) -> TestResult {
    let text = char::from(key).to_string();
    app.step("a key press", |c| async move { c.active_element().await?.send_keys(&text).await }).await
}

async fn viewer_id(app: &App) -> TestResult<Option<i64>> {
    let v = app
        .js("const v = document.querySelector(\"[data-testid='viewer']\"); return v ? Number(v.dataset.id) : null;")
        .await?;
    Ok(v.as_i64())
}

/// The lineage entries under `within`, root first: (id, relation, label).
async fn chain(app: &App, within: &str) -> TestResult<Vec<(i64, String, String)>> {
    let v = app
        .execute(
            "return [...document.querySelectorAll(arguments[0] + \" [data-testid='lineage-node']\")].map((n) =>
               [Number(n.dataset.id), n.dataset.relation, n.querySelector('.label').textContent.trim()]);",
            vec![within.into()],
        )
        .await?;
    Ok(v.as_array()
        .ok_or("no list")?
        .iter()
        .map(|e| {
            (
                e[0].as_i64().unwrap_or(-1),
                e[1].as_str().unwrap_or("").to_string(),
                e[2].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}

fn expected(entries: &[(i64, &str, &str)]) -> Vec<(i64, String, String)> {
    entries.iter().map(|(id, rel, label)| (*id, rel.to_string(), label.to_string())).collect()
}

/// The queue panel's jobs: (id, status), newest first.
const JOBS: &str = "return [...document.querySelectorAll(\"[data-testid='queue'] li[data-status]\")]
    .map((e) => [Number(e.dataset.testid.slice(4)), e.dataset.status]);";

async fn jobs(app: &App) -> TestResult<Vec<(i64, String)>> {
    let v = app.js(JOBS).await?;
    Ok(v.as_array()
        .map(|a| a.iter().map(|j| (j[0].as_i64().unwrap_or(-1), j[1].as_str().unwrap_or("").to_string())).collect())
        .unwrap_or_default())
}

/// Generates with what the form holds and waits for the new job to finish; its id.
async fn generate(app: &App) -> TestResult<i64> {
    let before: HashSet<i64> = jobs(app).await?.into_iter().map(|j| j.0).collect();
    app.click("[data-testid='generate']").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let now = jobs(app).await?;
        if let Some((id, _)) = now.iter().find(|(id, status)| !before.contains(id) && status == "done") {
            return Ok(*id);
        }
        if std::time::Instant::now() > deadline {
            let said = app
                .js("return [...document.querySelectorAll(\"[role='alert'], [data-testid$='-error'], .error\")]
                       .map((e) => e.textContent.trim()).filter(Boolean);")
                .await?;
            return Err(format!("no new finished job; the queue shows {now:?}, the screen says {said}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// From Create's results: the viewer on `id`'s image, Edit with Kontext, the instruction, Generate.
async fn edit(app: &App, id: i64, instruction: &str) -> TestResult<i64> {
    app.click(&format!("[data-testid='result-{id}-0']")).await?;
    wait_until("the viewer on the result", 10, || async { Ok(viewer_id(app).await? == Some(id)) }).await?;
    app.click("[data-testid='viewer-edit']").await?;
    wait_until("the edit form", 10, || async { Ok(viewer_id(app).await?.is_none()) }).await?;
    let banner = app.find("[data-testid='origin-banner']").await?.text().await?;
    assert!(
        banner.contains("Kontext edit") && banner.contains(&format!("#{id}")),
        "the form says what it edits: {banner}"
    );
    assert_eq!(app.attr("[data-testid='model-flux-kontext-pro']", "aria-checked").await?.as_deref(), Some("true"));
    app.find("[data-testid='prompt']").await?.send_keys(instruction).await?;
    generate(app).await
}

/// Tabs until the focus is on the lineage entry of `id`; at most 30 presses.
async fn tab_to_entry(app: &App, id: i64) -> TestResult {
    let css = format!("[data-testid='viewer-lineage'] [data-testid='lineage-node'][data-id='{id}']");
    for _ in 0..30 {
        let on = app
            .execute(
                "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
                vec![css.clone().into()],
            )
            .await?;
        if on.as_bool() == Some(true) {
            return Ok(());
        }
        press(app, Key::Tab).await?;
    }
    Err(format!("Tab never reached the lineage entry of #{id}").into())
}

/// Enter on the focused entry of `id`: the viewer shows it, and the focus stays on its entry.
async fn enter_on(app: &App, id: i64) -> TestResult {
    tab_to_entry(app, id).await?;
    press(app, Key::Enter).await?;
    wait_until(&format!("the viewer on #{id}"), 10, || async { Ok(viewer_id(app).await? == Some(id)) }).await?;
    wait_until(&format!("#{id} the current entry"), 10, || async {
        let current = app
            .js("const c = document.querySelector(\"[data-testid='viewer-lineage'] [aria-current='true']\");
                 return c ? Number(c.dataset.id) : null;")
            .await?;
        Ok(current.as_i64() == Some(id))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn a_kontext_edit_of_an_edit_shows_its_chain_and_is_walked_by_keyboard() -> TestResult {
    let fake = RunningReplicate::start(&[TOKEN]).await?;
    fake.fake.set_knobs(Knobs { image_side: Some(256), run_ms: 400, ..Knobs::default() });
    let sandbox = Sandbox::new()?.with_replicate(&fake, TOKEN);

    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='create']").await?;
    app.click("[data-testid='model-flux-schnell']").await?;
    app.find("[data-testid='prompt']").await?.send_keys("a lighthouse on a cliff, lineage e2e").await?;
    let root = generate(&app).await?;
    let mid = edit(&app, root, "make it night").await?;
    let grand = edit(&app, mid, "add falling snow").await?;

    // The history records each edit's parent.
    for (child, parent) in [(mid, root), (grand, mid)] {
        let shown: serde_json::Value = serde_json::from_str(&sandbox.cli(&["history", "show", &child.to_string()])?)?;
        assert_eq!(shown["generation"]["parent_id"].as_i64(), Some(parent), "#{child} was made from #{parent}");
    }

    // The middle one in the viewer, from the Gallery: its parent and its child in the strip.
    app.click("nav button[data-screen='gallery']").await?;
    wait_until("the three images", 30, || async { Ok(app.tile_ids().await?.len() == 3) }).await?;
    app.execute(
        "document.querySelector(arguments[0]).focus();",
        vec![format!("{GALLERY_TILES}[data-id='{mid}']").into()],
    )
    .await?;
    press(&app, Key::Enter).await?;
    wait_until("the viewer on the middle one", 10, || async { Ok(viewer_id(&app).await? == Some(mid)) }).await?;
    if app.attr("[data-testid='viewer-info-toggle']", "aria-expanded").await?.as_deref() != Some("true") {
        app.click("[data-testid='viewer-info-toggle']").await?;
    }
    let strip = "[data-testid='viewer-lineage']";
    let mid_chain = expected(&[
        (root, "ancestor", "flux-schnell"),
        (mid, "current", "Kontext edit"),
        (grand, "child", "Kontext edit"),
    ]);
    wait_until("the chain in the strip", 10, || async { Ok(chain(&app, strip).await? == mid_chain) }).await?;
    wait_until("the thumbnails", 10, || async {
        let ok = app
            .js("const imgs = [...document.querySelectorAll(\"[data-testid='viewer-lineage'] [data-testid='lineage-node'] img\")];
                 return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);")
            .await?;
        Ok(ok.as_bool() == Some(true))
    })
    .await?;

    // By keyboard: up to the root, then down to the grandchild, one generation at a time.
    enter_on(&app, root).await?;
    assert_eq!(
        chain(&app, strip).await?,
        expected(&[(root, "current", "flux-schnell"), (mid, "child", "Kontext edit")]),
        "the root has no parent and one child"
    );
    enter_on(&app, mid).await?;
    enter_on(&app, grand).await?;
    wait_until("the grandchild's chain", 10, || async {
        Ok(chain(&app, strip).await?
            == expected(&[
                (root, "ancestor", "flux-schnell"),
                (mid, "ancestor", "Kontext edit"),
                (grand, "current", "Kontext edit"),
            ]))
    })
    .await?;

    // Esc, then the details panel of the middle one: the same chain.
    press(&app, Key::Escape).await?;
    wait_until("the viewer to close", 10, || async { Ok(viewer_id(&app).await?.is_none()) }).await?;
    app.click(&format!("{GALLERY_TILES}[data-id='{mid}']")).await?;
    let panel = "[data-testid='details-lineage']";
    wait_until("the chain in the details panel", 10, || async { Ok(chain(&app, panel).await? == mid_chain) }).await?;
    // Walking there moves the panel.
    app.click(&format!("{panel} [data-testid='lineage-node'][data-id='{root}']")).await?;
    wait_until("the panel on the root", 10, || async {
        Ok(app.text_of("[data-testid='details-prompt']").await.contains("a lighthouse on a cliff"))
    })
    .await?;
    app.quit().await
}
