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

    /// Signs in with Google from the Account screen: the browser follows the broker's redirects
    /// (straight to the app with the platform fake; through Google's consent and the broker's
    /// callback with the real service) to the app's loopback callback. Returns when the app shows
    /// the profile. The first sign-in on a machine asks for the age confirmation (`first`); the
    /// buttons wait for it.
    pub async fn sign_in_google(&self, app: &App, platform_url: &str, name: &str, first: bool) -> TestResult {
        self.sign_in(app, platform_url, "google", name, first).await
    }

    /// As [`FakeBrowser::sign_in_google`], with `provider` (`google` or `github`).
    pub async fn sign_in(&self, app: &App, platform_url: &str, provider: &str, name: &str, first: bool) -> TestResult {
        let before = self.opened_count();
        app.click("nav button[data-screen='account']").await?;
        if first {
            app.click("[data-testid='age-confirm']").await?;
        }
        app.click(&format!("[data-testid='sign-in-{provider}']")).await?;
        app.find("[data-testid='sign-in-waiting']").await?;
        let authorize = self.opened(before + 1).await?;
        if !authorize.starts_with(&format!("{platform_url}/auth/v1/authorize?provider={provider}")) {
            return Err(format!("sign-in opened {authorize}").into());
        }
        // Where the app listens: `redirect_to` without its query.
        let url = reqwest::Url::parse(&authorize)?;
        let redirect_to = url.query_pairs().find(|(k, _)| k == "redirect_to").ok_or("no redirect_to")?.1;
        let mut app_callback = reqwest::Url::parse(&redirect_to)?;
        app_callback.set_query(None);
        let callback = self.follow(&authorize, app_callback.as_str()).await?;
        let page = self.http.get(&callback).send().await?.text().await?;
        if !page.contains("You can close this tab") {
            return Err(format!("the callback page: {page}").into());
        }
        wait_until("the profile", 15, || async { Ok(app.text_of("[data-testid='account-name']").await.contains(name)) })
            .await
    }

    /// Follows redirects from `url`, as a browser does, until one leaves for `stop_at`; that Location.
    async fn follow(&self, url: &str, stop_at: &str) -> TestResult<String> {
        let mut url = reqwest::Url::parse(url)?;
        for _ in 0..5 {
            let res = self.http.get(url.clone()).send().await?;
            if !res.status().is_redirection() {
                let status = res.status();
                return Err(format!("{url} answered {status}: {}", res.text().await.unwrap_or_default()).into());
            }
            let location = url.join(res.headers()["location"].to_str()?)?;
            if location.as_str().starts_with(stop_at) {
                return Ok(location.to_string());
            }
            url = location;
        }
        Err(format!("too many redirects before {stop_at}").into())
    }

    /// Buys a pack of `credits` from the Account screen and pays on the checkout page (the
    /// platform fake's, or the Stripe fake's hosted page, whose payment makes Stripe send its
    /// signed webhook to the service); returns once the app shows `expected_balance`.
    pub async fn buy(&self, app: &App, pack: &str, credits: i64, expected_balance: i64) -> TestResult {
        let before = self.opened_count();
        app.click("nav button[data-screen='account']").await?;
        app.click(&format!("[data-testid='buy-{pack}']")).await?;
        app.find("[data-testid='checkout-waiting']").await?;
        let checkout = reqwest::Url::parse(&self.opened(before + 1).await?)?;
        let page = self.http.get(checkout.clone()).send().await?.text().await?;
        // "100 credits" on the fake's page, "1 × 100 Flux Krea credits" on Stripe's.
        if ![format!("{credits} credits"), format!("{credits} Flux Krea credits")].iter().any(|t| page.contains(t)) {
            return Err(format!("the checkout page does not name the pack: {page}").into());
        }
        // The Pay button: the page's one form, posted where its `action` says.
        let action = page.split("action=\"").nth(1).and_then(|a| a.split('"').next()).ok_or("no form to pay with")?;
        let pay = checkout.join(action)?;
        let paid = self.http.post(pay.clone()).send().await?;
        if !(paid.status().is_success() || paid.status().is_redirection()) {
            return Err(format!("paying at {pay}: {}", paid.status()).into());
        }
        // Stripe sends the browser on to the success page (the service's); it must be there.
        if let Some(next) = paid.headers().get("location") {
            let next = pay.join(next.to_str()?)?;
            let landed = self.http.get(next.clone()).send().await?;
            if !landed.status().is_success() {
                return Err(format!("after paying, {next} answered {}", landed.status()).into());
            }
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
