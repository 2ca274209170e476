//! The real `flux-krea-cli` against a real platform [`Stack`]: running verbs, playing the
//! browser, and reading the service's database.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use flux_krea_core::testing::Sandbox;
use flux_krea_platform::testing::{sqlx, Stack};
use serde_json::Value;

pub struct World {
    /// Account mode only: Replicate points nowhere, so an own-key call would fail.
    pub sandbox: Sandbox,
    pub stack: Stack,
    /// Every OAuth `code` and `state` the browser carried, which no log line may hold.
    pub credentials: std::sync::Mutex<Vec<String>>,
}

pub fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

impl World {
    pub fn new(stack: Stack) -> World {
        let sandbox = Sandbox::new()
            .with("FLUX_KREA_PLATFORM_URL", stack.url())
            .with("FLUX_KREA_PLATFORM_ANON_KEY", stack.anon_key());
        World { sandbox, stack, credentials: Default::default() }
    }

    pub fn cli(&self) -> Command {
        self.sandbox.command(env!("CARGO_BIN_EXE_flux-krea-cli"))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.sandbox.path().join(name)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cli().args(args).output().unwrap()
    }

    /// Runs a verb that must succeed; its stdout and stderr.
    pub fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{args:?} failed ({}): {stdout}{stderr}", out.status);
        (stdout, stderr)
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let (stdout, stderr) = self.ok(args);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}{stderr}"))
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.cli().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    pub fn jobs(&self) -> Vec<Value> {
        self.json(&["jobs", "list", "--json"]).as_array().unwrap().clone()
    }

    /// Runs a waiting verb, hands the first URL it prints on stderr to `browse`, then waits for it.
    pub async fn with_printed_url<F, Fut>(&self, args: &[&str], browse: F) -> (Output, String)
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        crate::with_printed_url(self.spawn(args), args, browse).await
    }

    /// `account sign-in` with the test as the browser: every redirect followed by hand, from the
    /// broker through the provider's fake back to the CLI's loopback listener. Its stdout.
    pub async fn sign_in(&self, provider: &str, provider_url: String) -> String {
        let args = ["account", "sign-in", "--provider", provider, "--no-browser", "--confirm-age"];
        let credentials = &self.credentials;
        let (out, stderr) = self
            .with_printed_url(&args, |url| async move {
                let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
                let mut url = url;
                let mut visited = Vec::new();
                let landed = loop {
                    assert!(visited.len() < 8, "too many redirects: {visited:?}");
                    let res = http.get(&url).send().await.unwrap();
                    visited.push(url.clone());
                    match res.headers().get("location") {
                        Some(next) if res.status().is_redirection() => url = next.to_str().unwrap().to_string(),
                        _ => break res,
                    }
                };
                assert!(landed.status().is_success(), "the sign-in ended on {}: {visited:?}", landed.status());
                assert!(visited.iter().any(|u| u.starts_with(&provider_url)), "{provider} was not asked: {visited:?}");
                for visit in &visited {
                    let url = reqwest::Url::parse(visit).unwrap();
                    let mut found = credentials.lock().unwrap();
                    found.extend(
                        url.query_pairs().filter(|(k, _)| k == "code" || k == "state").map(|(_, v)| v.into_owned()),
                    );
                }
            })
            .await;
        assert!(out.status.success(), "sign-in with {provider}: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(self.stack.db())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Waits until `sql` (a count) answers `want`, the way the app would see it settle.
    pub async fn until(&self, what: &str, sql: &str, want: i64) {
        let start = Instant::now();
        loop {
            let got = self.scalar(sql).await;
            if got == want {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{what}: {sql} is {got}, not {want}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Rows of any table of the service's database whose text holds `needle`, as `table: n`.
    pub async fn rows_holding(&self, needle: &str) -> Vec<String> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(self.stack.db())
        .await
        .unwrap();
        let mut found = Vec::new();
        for table in tables {
            let sql = format!("SELECT count(*) FROM \"{table}\" t WHERE t::text ILIKE '%' || $1 || '%'");
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(needle).fetch_one(self.stack.db()).await.unwrap();
            if n > 0 {
                found.push(format!("{table}: {n}"));
            }
        }
        found
    }
}
