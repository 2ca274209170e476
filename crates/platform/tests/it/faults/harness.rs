//! What the fault test runs on: a Postgres and an S3 server of its own (so it may restart and stop
//! them without disturbing the other tests), replicas as real processes of the binary (so a kill
//! is a real `kill -9`), and sign-in over HTTP as the app does it.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::signin::{challenge, param, verifier, REDIRECT};
use flux_krea_fakes::google::{GoogleFake, RunningGoogle};
use flux_krea_fakes::oauth::IdpConfig;
use flux_krea_fakes::replicate::RunningReplicate;
use flux_krea_fakes::stripe::{RunningStripe, StripeConfig, StripeFake};

use crate::common::{Services, ANON_KEY, JWT_SECRET, REPLICATE_TOKEN, REPLICATE_WHSEC, STRIPE_KEY, STRIPE_WHSEC};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/platform-services.sh");
const BIN: &str = env!("CARGO_BIN_EXE_flux-krea-platform");

/// The fakes of what the service calls: Google, Stripe, Replicate (signing its webhooks).
pub struct Upstreams {
    pub google: RunningGoogle,
    pub stripe: RunningStripe,
    pub replicate: RunningReplicate,
}

impl Upstreams {
    pub async fn start() -> Upstreams {
        let google = GoogleFake::start(IdpConfig::new("google-client", "google-secret")).await.unwrap();
        let stripe_config = StripeConfig {
            secret_key: STRIPE_KEY.into(),
            webhook_secret: STRIPE_WHSEC.into(),
            ..StripeConfig::default()
        };
        let stripe = StripeFake::start(stripe_config).await.unwrap();
        let replicate = RunningReplicate::start(&[REPLICATE_TOKEN]).await.unwrap();
        replicate.fake.set_webhook_secret(REPLICATE_WHSEC);
        Upstreams { google, stripe, replicate }
    }
}

/// What a replica is started with: the test's Postgres database and bucket and upstream fakes, a
/// short sweep interval and `signup_credits` for each new user.
pub fn replica_env(
    database: &str,
    bucket: &str,
    public: &str,
    s: &Services,
    sweep: Duration,
    signup_credits: i64,
    up: &Upstreams,
) -> Vec<(String, String)> {
    let Upstreams { google, stripe, replicate } = up;
    [
        ("DATABASE_URL", database.to_string()),
        ("FLUX_KREA_PLATFORM_PUBLIC_URL", public.to_string()),
        ("FLUX_KREA_PLATFORM_JWT_SECRET", JWT_SECRET.into()),
        ("FLUX_KREA_PLATFORM_ANON_KEY", ANON_KEY.into()),
        ("FLUX_KREA_PLATFORM_SWEEP_INTERVAL_S", sweep.as_secs().to_string()),
        ("FLUX_KREA_PLATFORM_SIGNUP_CREDITS", signup_credits.to_string()),
        ("RUST_LOG", "warn,flux_krea_platform=info".into()),
        ("S3_ENDPOINT", s.s3_endpoint.clone()),
        ("S3_BUCKET", bucket.to_string()),
        ("S3_REGION", s.s3_region.clone()),
        ("S3_ACCESS_KEY_ID", s.s3_key.clone()),
        ("S3_SECRET_ACCESS_KEY", s.s3_secret.clone()),
        ("GOOGLE_CLIENT_ID", "google-client".into()),
        ("GOOGLE_CLIENT_SECRET", "google-secret".into()),
        ("GOOGLE_AUTH_URL", google.auth_url()),
        ("GOOGLE_TOKEN_URL", google.token_url()),
        ("GOOGLE_USERINFO_URL", google.userinfo_url()),
        // Required, never reached here.
        ("GITHUB_CLIENT_ID", "github-client".into()),
        ("GITHUB_CLIENT_SECRET", "github-secret".into()),
        ("STRIPE_SECRET_KEY", STRIPE_KEY.into()),
        ("STRIPE_WEBHOOK_SECRET", STRIPE_WHSEC.into()),
        ("STRIPE_API_URL", stripe.api_url()),
        ("REPLICATE_API_TOKEN", REPLICATE_TOKEN.into()),
        ("REPLICATE_WEBHOOK_SECRET", REPLICATE_WHSEC.into()),
        ("REPLICATE_API_URL", replicate.base_url()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// scripts/platform-services.sh's services in a folder of their own; stopped on drop, panic or not.
pub struct OwnServices {
    pub dir: PathBuf,
    pub s: Services,
}

impl OwnServices {
    pub fn start() -> OwnServices {
        let tag: u64 = rand::random();
        // Under /tmp itself: Postgres runs as its own user and must reach the folder.
        let dir = std::env::temp_dir().join(format!("flux-krea-faults-{tag:x}"));
        let out = Command::new(SCRIPT).arg("start").arg(&dir).output().expect("run platform-services.sh");
        assert!(out.status.success(), "platform-services.sh start: {}", String::from_utf8_lossy(&out.stderr));
        // `export NAME='value'` lines.
        let exports: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
            .collect();
        let var = |name: &str| {
            exports
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{name} not exported"))
        };
        let s = Services {
            database_url: var("PLATFORM_TEST_DATABASE_URL"),
            s3_endpoint: var("PLATFORM_TEST_S3_ENDPOINT"),
            s3_region: var("PLATFORM_TEST_S3_REGION"),
            s3_key: var("PLATFORM_TEST_S3_ACCESS_KEY_ID"),
            s3_secret: var("PLATFORM_TEST_S3_SECRET_ACCESS_KEY"),
        };
        OwnServices { dir, s }
    }

    /// `restart-postgres`, `stop-s3`, `start-s3`.
    pub async fn verb(&self, verb: &str) {
        let out = tokio::process::Command::new(SCRIPT).arg(verb).arg(&self.dir).output().await.unwrap();
        assert!(out.status.success(), "platform-services.sh {verb}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for OwnServices {
    fn drop(&mut self) {
        let _ = Command::new(SCRIPT).arg("stop").arg(&self.dir).status();
    }
}

/// Replicas of the service as child processes on fixed ports, so a killed one can come back on
/// its port as a restarted pod would.
pub struct Fleet {
    env: Vec<(String, String)>,
    logs: PathBuf,
    pub ports: Vec<u16>,
    children: Vec<Option<Child>>,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Fleet {
    pub async fn start(env: Vec<(String, String)>, ports: Vec<u16>, logs: PathBuf) -> Fleet {
        let children = ports.iter().map(|_| None).collect();
        let mut fleet = Fleet { env, logs, ports, children };
        for i in 0..fleet.ports.len() {
            fleet.spawn(i).await;
        }
        fleet
    }

    pub fn url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[i])
    }

    pub fn alive(&self) -> Vec<usize> {
        (0..self.ports.len()).filter(|&i| self.children[i].is_some()).collect()
    }

    /// Starts replica `i` and waits until it answers.
    pub async fn spawn(&mut self, i: usize) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("replica-{i}.log")))
            .unwrap();
        let child = Command::new(BIN)
            .arg("serve")
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("FLUX_KREA_PLATFORM_BIND", format!("127.0.0.1:{}", self.ports[i]))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn flux-krea-platform serve");
        self.children[i] = Some(child);
        let url = format!("{}/healthz", self.url(i));
        let until = tokio::time::Instant::now() + Duration::from_secs(20);
        while !reqwest::get(&url).await.is_ok_and(|r| r.status().is_success()) {
            assert!(tokio::time::Instant::now() < until, "replica {i} did not start: see its log");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no graceful shutdown, nothing released.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.children[i].take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
        if std::thread::panicking() {
            // The service keeps tokens, prompts and secrets out of its logs (logs.rs), so its
            // last lines are safe to show.
            for i in 0..self.ports.len() {
                let text = std::fs::read_to_string(self.logs.join(format!("replica-{i}.log"))).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                eprintln!("--- replica {i}, last lines:\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
        }
    }
}

/// A Google sign-in through the broker at `url`; the access token.
pub async fn sign_in(http: &reqwest::Client, url: &str) -> String {
    let verifier = verifier();
    let mut next = url::Url::parse(&format!("{url}/auth/v1/authorize")).unwrap();
    next.query_pairs_mut()
        .append_pair("provider", "google")
        .append_pair("redirect_to", &format!("{REDIRECT}?state=faults"))
        .append_pair("code_challenge", &challenge(&verifier))
        .append_pair("code_challenge_method", "s256");
    let mut location = next.to_string();
    for _ in 0..5 {
        let res = http.get(&location).send().await.unwrap();
        assert!(res.status().is_redirection(), "{location}: {}", res.status());
        location = res.headers()["location"].to_str().unwrap().to_string();
        if location.starts_with(REDIRECT) {
            break;
        }
    }
    let code = param(&location, "code").unwrap_or_else(|| panic!("no code in {location}"));
    let res = http
        .post(format!("{url}/auth/v1/token?grant_type=pkce"))
        .header("apikey", ANON_KEY)
        .json(&json!({ "auth_code": code, "code_verifier": verifier }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
}
