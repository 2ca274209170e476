//! Copy image in the viewer (#19): the original's pixels reach the X clipboard as an image that
//! another app can paste, read back here with xclip as a paste would (scripts/setup.sh installs it).

use std::process::Command;

use flux_krea_e2e::{wait_until, App, Sandbox, TestResult, GALLERY_TILES};

/// What the clipboard holds as `target` (`TARGETS` lists the types on offer).
fn clipboard(target: &str) -> TestResult<Vec<u8>> {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-selection", "clipboard", "-t", target, "-o"])
        .output()
        .map_err(|e| format!("xclip (scripts/setup.sh installs it): {e}"))?;
    Ok(if out.status.success() { out.stdout } else { Vec::new() })
}

#[tokio::test]
#[ignore = "needs the built app, Xvfb and a D-Bus session: run scripts/test.sh"]
async fn copy_image_puts_the_original_on_the_clipboard() -> TestResult {
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    sandbox.cli(&["seed", "--count", "3"])?;
    let app = App::launch(&sandbox).await?;
    app.click_now("nav button[data-screen='gallery']").await?;
    wait_until("the seeded tiles", 30, || async { Ok(app.tile_ids().await?.len() == 3) }).await?;
    app.execute(&format!("document.querySelector(\"{GALLERY_TILES}\").focus();"), vec![]).await?;
    app.step("Enter on the tile", |c| async move { c.active_element().await?.send_keys("\u{e007}").await }).await?;
    app.find("[data-testid='viewer-image']").await?;
    let natural = "const i = document.querySelector(\"[data-testid='viewer-image']\");
                   return i && !i.src.includes('thumbs') && i.complete && i.naturalWidth ? [i.naturalWidth, i.naturalHeight] : null;";
    wait_until("the original decoded", 10, || async { Ok(!app.js(natural).await?.is_null()) }).await?;
    let natural = app.js(natural).await?;
    let offered = || -> TestResult<bool> { Ok(String::from_utf8_lossy(&clipboard("TARGETS")?).contains("image/png")) };
    assert!(!offered()?, "the clipboard starts without an image");

    app.click("[data-testid='viewer-copy-image']").await?;
    wait_until("an image on the clipboard", 10, || async { offered() }).await?;
    let png = clipboard("image/png")?;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the clipboard's image/png is a PNG");
    // IHDR: width and height, big-endian, right after the signature and the chunk header.
    let side = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    let size = serde_json::json!([side(16), side(20)]);
    assert_eq!(size, natural, "the clipboard holds the original at full size");
    assert!(side(16) >= 256 && side(20) >= 256, "a full-size image, not a thumbnail: {size}");
    app.quit().await
}
