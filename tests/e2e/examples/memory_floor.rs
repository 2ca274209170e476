//! The app's memory next to WebKitGTK's own floor on the same machine: the resident memory (PSS)
//! of the app's process tree launched alone (no WebDriver session, which costs ~12 MB of its own)
//! with the Gallery open on a seeded history, and of WebKitGTK's MiniBrowser showing a blank page,
//! each measured after the same settling time. Prints a README table row.
//!
//! `scripts/measure-gallery.sh` runs it after the fling (needs an app build, Xvfb and D-Bus).

use std::process::{Command, Stdio};
use std::time::Duration;

use flux_krea_e2e::{memory, Sandbox, TestResult};

/// Long enough for either to paint and go idle (the Gallery paints in about a second).
const SETTLE: Duration = Duration::from_secs(10);

/// WebKitGTK's MiniBrowser ships with the library (Debian: libwebkit2gtk-4.1-0).
fn minibrowser() -> TestResult<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("FLUX_KREA_MINIBROWSER") {
        return Ok(path.into());
    }
    let out = Command::new("pkg-config").args(["--variable=libdir", "webkit2gtk-4.1"]).output()?;
    let libdir = String::from_utf8(out.stdout)?;
    let path = std::path::Path::new(libdir.trim()).join("webkit2gtk-4.1/MiniBrowser");
    if !path.is_file() {
        return Err(format!("no MiniBrowser at {} (set FLUX_KREA_MINIBROWSER)", path.display()).into());
    }
    Ok(path)
}

fn main() -> TestResult {
    let count: u32 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(10_000);
    let sandbox = Sandbox::new()?;
    sandbox.cli(&["retention", "set", "--forever"])?;
    // Distinct thumbnails (of the real thumbnails' size), as a real history has: WebKit decodes
    // each once, so shared files would hide what decoded images cost. 10,000 keep the files ~1 GB.
    let distinct = count.min(10_000).to_string();
    sandbox.cli(&["seed", "--count", &count.to_string(), "--distinct-images", &distinct])?;

    eprintln!("the app alone, Gallery open on {count} items:");
    let mut app = sandbox.launch_directly(&["--screen", "gallery"])?;
    std::thread::sleep(SETTLE);
    let app_mb = memory::tree_of_pid_mb(app.id());
    app.kill()?;
    app.wait()?;

    eprintln!("MiniBrowser, blank page:");
    let mut browser = Command::new(minibrowser()?);
    // The same rendering the app chooses on this machine (src-tauri/rendering.rs).
    let gpu = std::fs::read_dir("/dev/dri")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false);
    if !gpu && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        browser.env("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    let mut browser = browser.arg("about:blank").stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    std::thread::sleep(SETTLE);
    let floor_mb = memory::tree_of_pid_mb(browser.id());
    browser.kill()?;
    browser.wait()?;

    println!(
        "| memory (PSS) without WebDriver, {}s after launch | the app alone, Gallery open on {count} items: {app_mb:.0} MB; \
         WebKitGTK's MiniBrowser on a blank page: {floor_mb:.0} MB; the app above that floor: {:.0} MB |",
        SETTLE.as_secs(),
        app_mb - floor_mb
    );
    Ok(())
}
