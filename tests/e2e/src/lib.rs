//! The harness: starts `tauri-driver` with an isolated data/config/log environment, opens the
//! built app through it and gives tests a WebDriver client. Needs a display (Xvfb) and a D-Bus
//! session; `scripts/test.sh` provides both. The app binary is `target/e2e/flux-krea-desktop`
//! (copied there by the script after `tauri build --debug --no-bundle`) or `$FLUX_KREA_APP_BIN`.

pub mod accessibility;
pub mod account;
pub mod faults;
pub mod memory;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The Gallery's tiles; each carries its generation id in `data-id`.
pub const GALLERY_TILES: &str = "[data-testid='gallery-grid'] button.tile";

/// An isolated home for one or more launches of the app.
pub struct Sandbox {
    dir: tempfile::TempDir,
    extra_env: Vec<(String, String)>,
    /// Texts (prompts, tokens) the test used that must never reach a log line.
    forbidden: std::sync::Mutex<Vec<String>>,
}

impl Sandbox {
    pub fn new() -> TestResult<Sandbox> {
        let dir = tempfile::tempdir()?;
        for sub in ["xdg-data", "xdg-config", "xdg-cache"] {
            std::fs::create_dir_all(dir.path().join(sub))?;
        }
        Ok(Sandbox { dir, extra_env: Vec::new(), forbidden: std::sync::Mutex::new(Vec::new()) })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.path().join("logs")
    }

    /// Marks a text the app was given (a prompt, a token) that its logs must never contain.
    pub fn forbid_in_logs(&self, text: &str) {
        if let Ok(mut f) = self.forbidden.lock() {
            f.push(text.to_string());
        }
    }

    /// Every line every process of this sandbox logged, checked for secrets and personal data:
    /// the texts given to [`Sandbox::forbid_in_logs`], Replicate tokens, bearer headers, e-mail
    /// addresses and image URLs. Runs when the sandbox is dropped (unless the test already failed).
    pub fn scan_logs(&self) -> TestResult {
        let forbidden = self.forbidden.lock().map(|f| f.clone()).unwrap_or_default();
        for entry in std::fs::read_dir(self.log_dir()).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path())?;
            for (n, line) in text.lines().enumerate() {
                let why = forbidden
                    .iter()
                    .find(|f| line.contains(f.as_str()))
                    .map(|f| format!("the text {f:?}"))
                    .or_else(|| line.contains("r8_").then(|| "a Replicate token".to_string()))
                    .or_else(|| line.contains("Bearer ").then(|| "a bearer header".to_string()))
                    .or_else(|| has_email(line).then(|| "an e-mail address".to_string()))
                    .or_else(|| image_url(line).then(|| "an image URL".to_string()));
                if let Some(why) = why {
                    return Err(format!("{} line {}: {why} in the log", entry.path().display(), n + 1).into());
                }
            }
        }
        Ok(())
    }

    /// Makes `<sandbox>/downloads` the user's Downloads folder (where exports go) and returns it.
    pub fn downloads_folder(&self) -> TestResult<PathBuf> {
        let downloads = self.path().join("downloads");
        std::fs::create_dir_all(&downloads)?;
        std::fs::write(
            self.path().join("xdg-config/user-dirs.dirs"),
            format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
        )?;
        Ok(downloads)
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.extra_env.push((key.to_string(), value.to_string()));
        self
    }

    /// Generation with the user's own key, against the Replicate fake: its URL and `token` in the
    /// environment, and the token forbidden in every log line.
    pub fn with_replicate(self, fake: &flux_krea_fakes::replicate::RunningReplicate, token: &str) -> Self {
        self.forbid_in_logs(token);
        self.with_env("FLUX_KREA_REPLICATE_URL", &fake.base_url()).with_env("REPLICATE_API_TOKEN", token)
    }

    /// The environment every process of this sandbox gets.
    pub fn env(&self) -> Vec<(String, String)> {
        let p = |s: &str| self.path().join(s).display().to_string();
        let mut env = vec![
            ("XDG_DATA_HOME".into(), p("xdg-data")),
            ("XDG_CONFIG_HOME".into(), p("xdg-config")),
            ("XDG_CACHE_HOME".into(), p("xdg-cache")),
            ("FLUX_KREA_CONFIG".into(), p("config.toml")),
            ("FLUX_KREA_DATA_DIR".into(), self.data_dir().display().to_string()),
            ("FLUX_KREA_LOG_DIR".into(), self.log_dir().display().to_string()),
            ("FLUX_KREA_LOG".into(), "debug".into()),
        ];
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// Runs `flux-krea-cli` against this sandbox's data; fails the test on a non-zero exit.
    pub fn cli(&self, args: &[&str]) -> TestResult<String> {
        let bin = match std::env::var_os("FLUX_KREA_CLI_BIN") {
            Some(p) => PathBuf::from(p),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/flux-krea-cli"),
        };
        let out = Command::new(&bin).args(args).envs(self.env()).output()?;
        if !out.status.success() {
            return Err(format!("flux-krea-cli {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    /// Launches the app binary directly (not through WebDriver), e.g. as a second instance.
    pub fn launch_directly(&self, args: &[&str]) -> TestResult<Child> {
        let mut cmd = Command::new(app_binary()?);
        cmd.args(args).envs(self.env()).stdout(Stdio::null()).stderr(Stdio::null());
        Ok(cmd.spawn()?)
    }
}

pub fn app_binary() -> TestResult<PathBuf> {
    let path = match std::env::var_os("FLUX_KREA_APP_BIN") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e/flux-krea-desktop"),
    };
    if !path.is_file() {
        return Err(format!("app binary {} is missing: build it with scripts/test.sh", path.display()).into());
    }
    Ok(path.canonicalize()?)
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            if let Err(e) = self.scan_logs() {
                panic!("log scan: {e}");
            }
        }
    }
}

fn has_email(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'@'
            && i > 0
            && bytes[i - 1].is_ascii_alphanumeric()
            && line[i + 1..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .next()
                .is_some_and(|d| d.contains('.') && d.split('.').all(|p| !p.is_empty()))
    })
}

/// Output and input picture URLs: the delivery host's paths, image file names (query or not),
/// data URLs, and presigned storage URLs (the platform's outputs: the signature is a credential).
fn image_url(line: &str) -> bool {
    ["http://", "https://", "data:image/"].iter().any(|scheme| {
        line.match_indices(scheme).any(|(i, _)| {
            let rest = &line[i..];
            let url = rest.split(|c: char| c.is_whitespace() || c == '"').next().unwrap_or("");
            let path = url.split('?').next().unwrap_or("").to_ascii_lowercase();
            *scheme == "data:image/"
                || url.contains("/xezq/")
                || url.contains("X-Amz-Signature=")
                || [".png", ".jpg", ".jpeg", ".webp"].iter().any(|ext| path.ends_with(ext))
        })
    })
}

/// Polls `check` every 100 ms until it says true, failing after `secs` with `what` in the error.
pub async fn wait_until<F, Fut>(what: &str, secs: u64, mut check: F) -> TestResult
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = TestResult<bool>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await? {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// How long one WebDriver call may take: more than WebKitWebDriver's own 30 s script limit, far
/// less than a CI run. A driver that stops answering fails the test here, naming the step (#21).
const STEP_LIMIT: Duration = Duration::from_secs(45);

/// A running app under tauri-driver. Call [`App::quit`] at the end of a test. Every WebDriver call
/// goes through [`App::step`] (the client is not public), so none can hang a run.
pub struct App {
    client: Client,
    driver: Child,
}

impl App {
    pub async fn launch(sandbox: &Sandbox) -> TestResult<App> {
        App::launch_with_args(sandbox, &[]).await
    }

    /// Launches with command-line arguments (e.g. `--screen gallery`).
    pub async fn launch_with_args(sandbox: &Sandbox, args: &[&str]) -> TestResult<App> {
        let port = free_port()?;
        let native_port = free_port()?;
        let mut driver = Command::new(tauri_driver()?)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(sandbox.env())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        if let Err(e) = wait_for_port(port, Duration::from_secs(20)) {
            let _ = driver.kill();
            return Err(e);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_binary()?.display().to_string(), "args": args }),
        );
        // tauri-driver listens before its WebKitWebDriver does; a first session request can hit that gap.
        let url = format!("http://127.0.0.1:{port}");
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            // A session waits for the app's window; an app that dies at start would hang it forever.
            // Plain HTTP: the driver is on loopback, so no TLS stack is built for it.
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps.clone());
            match tokio::time::timeout(Duration::from_secs(30), builder.connect(&url)).await {
                Ok(Ok(c)) => break c,
                Ok(Err(_)) if attempt < 10 => tokio::time::sleep(Duration::from_millis(300)).await,
                Ok(Err(e)) => {
                    let _ = driver.kill();
                    return Err(e.into());
                }
                Err(_) => {
                    let _ = driver.kill();
                    return Err("the app did not open a window within 30 s".into());
                }
            }
        };
        let app = App { client, driver };
        app.wait_for(Locator::Css("nav button[data-screen], [data-testid='startup-error']")).await?;
        Ok(app)
    }

    /// Runs one WebDriver call (or a few that belong together) within [`STEP_LIMIT`]; an error or
    /// a hang is reported with `what`, so a failed run says where it stopped.
    pub async fn step<T, F, Fut>(&self, what: impl std::fmt::Display, call: F) -> TestResult<T>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    {
        match tokio::time::timeout(STEP_LIMIT, call(self.client.clone())).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(format!("{what}: {e}").into()),
            Err(_) => Err(format!("{what}: WebDriver did not answer within {} s", STEP_LIMIT.as_secs()).into()),
        }
    }

    /// Waits (up to 10 s) for an element to exist.
    pub async fn wait_for(&self, locator: Locator<'_>) -> TestResult<Element> {
        let what = format!("waiting for {locator:?}");
        self.step(what, |c| async move { c.wait().at_most(Duration::from_secs(10)).for_element(locator).await }).await
    }

    /// The visible text of the element (waited for, up to 10 s).
    pub async fn text(&self, css: &str) -> TestResult<String> {
        let el = self.find(css).await?;
        self.step(format!("the text of {css}"), |_| async move { el.text().await }).await
    }

    /// Types into the element (waited for).
    pub async fn type_into(&self, css: &str, text: &str) -> TestResult {
        let el = self.find(css).await?;
        self.step(format!("typing into {css}"), |_| async move { el.send_keys(text).await }).await
    }

    /// Clicks the element as soon as it exists, without waiting for it to settle.
    pub async fn click_now(&self, css: &str) -> TestResult {
        let el = self.find(css).await?;
        self.step(format!("click {css}"), |_| async move { el.click().await }).await
    }

    /// Whether the element is there now (no waiting).
    pub async fn exists(&self, css: &str) -> TestResult<bool> {
        let locator = Locator::Css(css);
        match tokio::time::timeout(STEP_LIMIT, self.client.find(locator)).await {
            Ok(found) => Ok(found.is_ok()),
            Err(_) => {
                Err(format!("looking for {css}: WebDriver did not answer within {} s", STEP_LIMIT.as_secs()).into())
            }
        }
    }

    /// A synchronous script's result.
    pub async fn execute(&self, script: &str, args: Vec<serde_json::Value>) -> TestResult<serde_json::Value> {
        let what = format!("script {}", script.chars().take(60).collect::<String>());
        self.step(what, |c| async move { c.execute(script, args).await }).await
    }

    /// An asynchronous script's result (it calls its last argument when done).
    pub async fn execute_async(&self, script: &str, args: Vec<serde_json::Value>) -> TestResult<serde_json::Value> {
        let what = format!("async script {}", script.chars().take(60).collect::<String>());
        self.step(what, |c| async move { c.execute_async(script, args).await }).await
    }

    /// Polls until the element's text equals `expected` (up to 10 s); returns the last text.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> TestResult<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let read = |c: Client| async move {
                Ok(match c.find(Locator::Css(css)).await {
                    Ok(el) => el.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                })
            };
            let text = self.step(format!("the text of {css}"), read).await?;
            if text == expected || Instant::now() > deadline {
                return Ok(text);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until the element's text content holds `needle` (up to `secs`); returns that text.
    pub async fn wait_for_text_containing(&self, css: &str, needle: &str, secs: u64) -> TestResult<String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let text = self.text_of(css).await;
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                return Err(format!("{css} never said {needle:?}; it says {text:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for an element; the error names the selector (WebDriver's own does not).
    pub async fn find(&self, css: &str) -> TestResult<Element> {
        self.wait_for(Locator::Css(css)).await.map_err(|e| format!("{css}: {e}").into())
    }

    /// Clicks the element once it has stopped moving: WebDriver clicks at a position, and a card
    /// that loads above the target moves it between finding and clicking (a click then lands on
    /// nothing and the test waits for an effect that never comes).
    pub async fn click(&self, css: &str) -> TestResult {
        self.find(css).await?;
        let settled = "const done = arguments[arguments.length - 1];
            const at = () => { const el = document.querySelector(arguments[0]);
              if (!el) return null; el.scrollIntoView({ block: 'nearest' });
              const r = el.getBoundingClientRect(); return `${r.x},${r.y},${r.width},${r.height}`; };
            let last = at(), still = 0, tries = 0;
            const tick = () => { const now = at(); still = now !== null && now === last ? still + 1 : 0; last = now;
              if (still >= 2 || ++tries > 30) done(still >= 2); else setTimeout(tick, 100); };
            setTimeout(tick, 100);";
        let _ = self.execute_async(settled, vec![css.into()]).await;
        self.click_now(css).await
    }

    /// The element's text content now, or empty when it is not there (yet). Not WebDriver's
    /// "visible text": WebKitWebDriver answers "" for some visible one-line, ellipsized elements.
    pub async fn text_of(&self, css: &str) -> String {
        let script = "const el = document.querySelector(arguments[0]); return el ? el.textContent : '';";
        match self.execute(script, vec![css.into()]).await {
            Ok(v) => v.as_str().unwrap_or_default().trim().to_string(),
            Err(_) => String::new(),
        }
    }

    /// The ids of the Gallery's rendered tiles, read in one script call (the grid re-renders
    /// while scrolling).
    pub async fn tile_ids(&self) -> TestResult<Vec<i64>> {
        let script = "return [...document.querySelectorAll(arguments[0])].map(e => Number(e.dataset.id));";
        let value = self.execute(script, vec![GALLERY_TILES.into()]).await?;
        Ok(serde_json::from_value(value)?)
    }

    pub async fn js(&self, script: &str) -> TestResult<serde_json::Value> {
        self.execute(script, vec![]).await
    }

    pub async fn attr(&self, css: &str, name: &str) -> TestResult<Option<String>> {
        self.step(
            format!("attribute {name} of {css}"),
            |c| async move { c.find(Locator::Css(css)).await?.attr(name).await },
        )
        .await
    }

    /// Kills the app with SIGKILL, as a crash or a power cut would: no shutdown code runs. The
    /// WebDriver session dies with it; launch again for a new one.
    pub fn kill(self) -> TestResult {
        let binary = app_binary()?;
        let status = Command::new("pkill").arg("-KILL").arg("-f").arg(&binary).status()?;
        if !status.success() {
            return Err("no app process to kill".into());
        }
        drop(self);
        Ok(())
    }

    pub async fn quit(mut self) -> TestResult {
        let result = self.step("closing the session", |c| c.close()).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        wait_for_app_exit()?;
        result
    }
}

impl Drop for App {
    /// A failed test must not leave its app running: the next launch would hand over to it.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Ok(binary) = app_binary() {
            let _ = Command::new("pkill").arg("-f").arg(&binary).status();
            let _ = wait_for_app_exit();
        }
    }
}

/// Waits until no process runs the app binary, so the next launch is a first instance again.
fn wait_for_app_exit() -> TestResult {
    let binary = app_binary()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let running = Command::new("pgrep").arg("-f").arg(&binary).stdout(Stdio::null()).status()?.success();
        if !running && !single_instance_name_owned()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            let what = if running { lingering(&binary) } else { "only its single-instance bus name is left".into() };
            return Err(format!("{} still runs 10 s after its session ended: {what}", binary.display()).into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the processes still running the app are doing: each thread's name, state and wait channel,
/// so a hang at exit can be told from a slow exit in the failure message.
fn lingering(binary: &Path) -> String {
    let pids = Command::new("pgrep").arg("-f").arg(binary).output().map(|o| o.stdout).unwrap_or_default();
    let mut report = Vec::new();
    for pid in String::from_utf8_lossy(&pids).split_whitespace() {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten();
        let threads: Vec<String> = tasks
            .map(|t| {
                let read = |f: &str| std::fs::read_to_string(t.path().join(f)).unwrap_or_default().trim().to_string();
                let state = read("stat")
                    .rsplit_once(") ")
                    .map(|(_, rest)| rest.chars().take(1).collect::<String>())
                    .unwrap_or_default();
                format!("{} {} {}", read("comm"), state, read("wchan"))
            })
            .collect();
        report.push(format!("pid {pid}: {}", threads.join("; ")));
    }
    report.join(" | ")
}

/// The bus releases the single-instance name a moment after the process is gone; a launch in that
/// moment would try to hand over to the dead instance.
fn single_instance_name_owned() -> TestResult<bool> {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:com.fluxkrea.desktop.SingleInstance",
        ])
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).contains("boolean true"))
}

fn tauri_driver() -> TestResult<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|d| d.join("bin/tauri-driver"));
    match cargo_bin {
        Some(p) if p.is_file() => Ok(p),
        _ => Ok(PathBuf::from("tauri-driver")),
    }
}

fn free_port() -> TestResult<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn wait_for_port(port: u16, timeout: Duration) -> TestResult {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("tauri-driver did not listen on port {port} within {timeout:?}").into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_log_scan_recognises_what_it_must() {
        assert!(super::has_email("signed in as jane.doe@example.com"));
        assert!(!super::has_email("keyring v3 <email>:default at 10:00"));
        assert!(super::image_url("GET http://127.0.0.1:4/xezq/abc/out-0.webp"));
        assert!(super::image_url("got https://cdn.example/x.PNG ok"));
        assert!(!super::image_url("replicate_url=http://127.0.0.1:4567/v1"));
        assert!(super::image_url("GET http://127.0.0.1:9/b-x/outputs/p1/0.webp?X-Amz-Date=1 failed"));
        assert!(super::image_url("url=http://127.0.0.1:9/b-x/k?X-Amz-Signature=ab12"));
    }
}
