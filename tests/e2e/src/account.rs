//! Account mode from the user's side: a stand-in for the system browser, and the sign-in and
//! checkout flows the user completes in it. Shared by the account and journey tests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{wait_until, App, TestResult};

/// A stand-in for the system browser: it only writes down the URLs the app asks it to open. The
/// test then plays the user in that browser with its own HTTP client.
pub struct FakeBrowser {
    /// The program the app runs to open a URL (`FLUX_KREA_BROWSER`).
    pub program: PathBuf,
    log: PathBuf,
    http: reqwest::Client,
}

impl FakeBrowser {
    pub fn new(dir: &Path) -> TestResult<FakeBrowser> {
        let log = dir.join("opened-urls.txt");
        let program = dir.join("browser.sh");
        std::fs::write(&program, format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755))?;
        }
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(FakeBrowser { program, log, http })
    }

    /// Waits for the app to open its `n`-th URL (1-based) and returns it.
    pub async fn opened(&self, n: usize) -> TestResult<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(url) = text.lines().nth(n - 1) {
                return Ok(url.to_string());
            }
            if Instant::now() > deadline {
                return Err(format!("the app did not open URL #{n} in the browser").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn opened_count(&self) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().count()
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Signs in with Google from the Account screen: the broker signs the user in and redirects
    /// to the app's loopback callback. Returns when the app shows the profile. The first sign-in
    /// on a machine asks for the age confirmation (`first`); the buttons wait for it.
    pub async fn sign_in_google(&self, app: &App, platform_url: &str, name: &str, first: bool) -> TestResult {
        let before = self.opened_count();
        app.click("nav button[data-screen='account']").await?;
        if first {
            app.click("[data-testid='age-confirm']").await?;
        }
        app.click("[data-testid='sign-in-google']").await?;
        app.find("[data-testid='sign-in-waiting']").await?;
        let authorize = self.opened(before + 1).await?;
        if !authorize.starts_with(&format!("{platform_url}/auth/v1/authorize?provider=google")) {
            return Err(format!("sign-in opened {authorize}").into());
        }
        let redirect = self.http.get(&authorize).send().await?;
        let callback = redirect.headers()["location"].to_str()?.to_string();
        let page = self.http.get(&callback).send().await?.text().await?;
        if !page.contains("You can close this tab") {
            return Err(format!("the callback page: {page}").into());
        }
        wait_until("the profile", 15, || async { Ok(app.text_of("[data-testid='account-name']").await.contains(name)) })
            .await
    }

    /// Buys a pack of `credits` from the Account screen and pays on the checkout page; returns
    /// once the app shows `expected_balance`.
    pub async fn buy(&self, app: &App, pack: &str, credits: i64, expected_balance: i64) -> TestResult {
        let before = self.opened_count();
        app.click("nav button[data-screen='account']").await?;
        app.click(&format!("[data-testid='buy-{pack}']")).await?;
        app.find("[data-testid='checkout-waiting']").await?;
        let checkout = self.opened(before + 1).await?;
        let page = self.http.get(&checkout).send().await?.text().await?;
        if !page.contains(&format!("{credits} credits")) {
            return Err(format!("the checkout page does not name the pack: {page}").into());
        }
        let paid = self.http.post(format!("{checkout}/pay")).send().await?;
        if !(paid.status().is_success() || paid.status().is_redirection()) {
            return Err(format!("paying at {checkout}: {}", paid.status()).into());
        }
        wait_until("the purchase to land", 30, || async {
            Ok(credits_shown(app, "[data-testid='account-balance']").await == Some(expected_balance))
        })
        .await?;
        app.find("[data-testid='checkout-result']").await?;
        Ok(())
    }
}

/// The balance an element shows (its `data-credits`), if any.
pub async fn credits_shown(app: &App, css: &str) -> Option<i64> {
    app.attr(css, "data-credits").await.ok().flatten().and_then(|v| v.parse().ok())
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}
