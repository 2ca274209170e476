//! The Privacy screen in the real window: toggle a consent, export my data, erase prompts — each
//! checked on disk (the archive, the database bytes) and through the CLI. Run by scripts/test.sh.

use flux_krea_e2e::{App, Sandbox, TestResult};

fn holds(path: &std::path::Path, needle: &str) -> bool {
    std::fs::read(path).map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes())).unwrap_or(false)
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn consent_export_and_erasure_from_the_privacy_screen() -> TestResult {
    let sandbox = Sandbox::new()?;
    let downloads = sandbox.downloads_folder()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "40"])?;
    let newest: serde_json::Value =
        serde_json::from_str(&sandbox.cli(&["history", "list", "--limit", "1", "--json"])?)?;
    let prompt = newest[0]["prompt"].as_str().ok_or("no seeded prompt")?.to_string();
    sandbox.forbid_in_logs(&prompt);

    let app = App::launch(&sandbox).await?;
    app.click("nav button[data-screen='privacy']").await?;

    // A consent: off by default, on after one click, recorded with its source.
    let switch = app.find("[data-testid='consent-product_analytics']").await?;
    assert_eq!(switch.prop("checked").await?.as_deref(), Some("false"), "off by default");
    switch.click().await?;
    app.wait_for_text_containing("[data-testid='consent-product_analytics-changed']", "Last changed", 10).await?;
    let consents: serde_json::Value = serde_json::from_str(&sandbox.cli(&["privacy", "consents"])?)?;
    let analytics =
        consents.as_array().ok_or("consents")?.iter().find(|c| c["name"] == "product_analytics").ok_or("missing")?;
    assert_eq!((analytics["granted"].as_bool(), analytics["source"].as_str()), (Some(true), Some("app")));

    // Export: to the Downloads folder, read back.
    app.click("[data-testid='export-data']").await?;
    app.wait_for_text_containing("[data-testid='export-result']", ".zip", 30).await?;
    let archives: Vec<_> = std::fs::read_dir(&downloads)?.flatten().map(|e| e.path()).collect();
    assert_eq!(archives.len(), 1, "one archive: {archives:?}");
    assert!(archives[0].extension().is_some_and(|e| e == "zip"));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&archives[0])?)?;
    let mut history = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("history.json")?, &mut history)?;
    let history: serde_json::Value = serde_json::from_str(&history)?;
    assert_eq!(history["schema_version"], 1);
    assert_eq!(history["generations"].as_array().map(Vec::len), Some(40), "every generation exported");

    // Erase prompts: confirmed, then no trace of a prompt in the database files.
    let db = sandbox.data_dir().join("history.db");
    assert!(holds(&db, &prompt) || holds(&sandbox.data_dir().join("history.db-wal"), &prompt));
    app.click("[data-testid='erase-prompts']").await?;
    app.click("[data-testid='erase-prompts-confirm']").await?;
    app.wait_for_text_containing("[data-testid='erase-result']", "40", 30).await?;
    for file in ["history.db", "history.db-wal"] {
        assert!(!holds(&sandbox.data_dir().join(file), &prompt), "the prompt is still in {file}");
    }
    app.wait_for_text_containing("[data-testid='privacy-requests']", "", 5).await?;
    app.quit().await?;
    let found = sandbox.cli(&["history", "search", prompt.split_whitespace().next().unwrap_or("a")])?;
    assert!(found.trim().is_empty(), "search still finds erased prompts: {found}");
    Ok(())
}
