//! One platform per test: its own database (created and migrated here), its own bucket, its own
//! upstream fakes, served in-process on a loopback port.

pub mod signin;

use std::time::Duration;

use flux_krea_fakes::github::{GithubFake, RunningGithub};
use flux_krea_fakes::google::{GoogleFake, RunningGoogle};
use flux_krea_fakes::oauth::IdpConfig;
use flux_krea_fakes::replicate::RunningReplicate;
use flux_krea_fakes::stripe::{RunningStripe, StripeConfig, StripeFake};
use flux_krea_platform::config::Config;
use flux_krea_platform::{app::App, serve};
use object_store::aws::AmazonS3Builder;
use object_store::signer::Signer;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const ANON_KEY: &str = "test-anon-key";
pub const JWT_SECRET: &str = "test-jwt-secret-of-at-least-32-bytes!!";
pub const STRIPE_KEY: &str = "sk_test_platform_tests";
pub const STRIPE_WHSEC: &str = "whsec_platform_tests_endpoint";
pub const REPLICATE_TOKEN: &str = "r8_platform_tests";
pub const REPLICATE_WHSEC: &str = "whsec_dGVzdC1yZXBsaWNhdGUtd2ViaG9vay1zZWNyZXQ=";

/// The variables scripts/platform-services.sh exports; a test fails (never skips) without them.
pub struct Services {
    pub database_url: String,
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_key: String,
    pub s3_secret: String,
}

pub fn services() -> Services {
    let names = [
        "PLATFORM_TEST_DATABASE_URL",
        "PLATFORM_TEST_S3_ENDPOINT",
        "PLATFORM_TEST_S3_REGION",
        "PLATFORM_TEST_S3_ACCESS_KEY_ID",
        "PLATFORM_TEST_S3_SECRET_ACCESS_KEY",
    ];
    let values: Vec<Option<String>> = names.iter().map(|n| std::env::var(n).ok().filter(|v| !v.is_empty())).collect();
    let missing: Vec<&str> = names.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
    assert!(
        missing.is_empty(),
        "the platform tests need a real Postgres and S3 server; missing {}. Start them with \
         `eval \"$(scripts/platform-services.sh start)\"`",
        missing.join(", ")
    );
    let v = |i: usize| values[i].clone().unwrap_or_default();
    Services { database_url: v(0), s3_endpoint: v(1), s3_region: v(2), s3_key: v(3), s3_secret: v(4) }
}

fn suffix() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..12).map(|_| (b'a' + rng.gen_range(0..26)) as char).collect()
}

/// A fresh database on the test server; its URL.
pub async fn fresh_database(s: &Services) -> String {
    let name = format!("t_{}", suffix());
    let admin = PgPool::connect(&s.database_url).await.expect("connect to PLATFORM_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create the test database");
    admin.close().await;
    let (base, _) = s.database_url.rsplit_once('/').expect("a database URL ends in /<database>");
    format!("{base}/{name}")
}

/// A fresh bucket (CreateBucket through a presigned PUT, SigV4 like every other call).
pub async fn fresh_bucket(s: &Services) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let bucket = format!("b-{}", suffix());
    let s3 = AmazonS3Builder::new()
        .with_endpoint(&s.s3_endpoint)
        .with_bucket_name(&bucket)
        .with_region(&s.s3_region)
        .with_access_key_id(&s.s3_key)
        .with_secret_access_key(&s.s3_secret)
        .with_allow_http(true)
        .build()
        .expect("S3 client");
    let url = s3
        .signed_url(object_store::signer::Method::PUT, &object_store::path::Path::from(""), Duration::from_secs(60))
        .await
        .expect("presign CreateBucket");
    let res = reqwest::Client::new().put(url).send().await.expect("CreateBucket reaches the S3 server");
    assert!(res.status().is_success(), "CreateBucket {bucket}: {}", res.status());
    bucket
}

pub struct Platform {
    pub url: String,
    pub app: App,
    pub db: PgPool,
    pub google: RunningGoogle,
    pub github: RunningGithub,
    pub stripe: RunningStripe,
    pub replicate: RunningReplicate,
    pub http: reqwest::Client,
    task: JoinHandle<()>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The configuration a test platform runs with; `tweak` may change it before start.
pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Platform {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let _ = tracing_subscriber::fmt().with_env_filter("warn,flux_krea_platform=info").with_test_writer().try_init();
    let s = services();
    let database_url = fresh_database(&s).await;
    let bucket = fresh_bucket(&s).await;
    let google = GoogleFake::start(IdpConfig::new("google-client", "google-secret")).await.unwrap();
    let github = GithubFake::start(IdpConfig::new("github-client", "github-secret")).await.unwrap();
    let stripe_config =
        StripeConfig { secret_key: STRIPE_KEY.into(), webhook_secret: STRIPE_WHSEC.into(), ..StripeConfig::default() };
    let stripe = StripeFake::start(stripe_config).await.unwrap();
    let replicate = RunningReplicate::start(&[REPLICATE_TOKEN]).await.unwrap();
    replicate.fake.set_webhook_secret(REPLICATE_WHSEC);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    stripe.set_webhook(&format!("{url}/webhooks/stripe"), STRIPE_WHSEC);
    let env = |name: &str| -> Option<String> {
        Some(match name {
            "DATABASE_URL" => database_url.clone(),
            "FLUX_KREA_PLATFORM_BIND" => listener.local_addr().unwrap().to_string(),
            "FLUX_KREA_PLATFORM_PUBLIC_URL" => url.clone(),
            "FLUX_KREA_PLATFORM_JWT_SECRET" => JWT_SECRET.into(),
            "FLUX_KREA_PLATFORM_ANON_KEY" => ANON_KEY.into(),
            "S3_ENDPOINT" => s.s3_endpoint.clone(),
            "S3_BUCKET" => bucket.clone(),
            "S3_REGION" => s.s3_region.clone(),
            "S3_ACCESS_KEY_ID" => s.s3_key.clone(),
            "S3_SECRET_ACCESS_KEY" => s.s3_secret.clone(),
            "GOOGLE_CLIENT_ID" => "google-client".into(),
            "GOOGLE_CLIENT_SECRET" => "google-secret".into(),
            "GITHUB_CLIENT_ID" => "github-client".into(),
            "GITHUB_CLIENT_SECRET" => "github-secret".into(),
            "GOOGLE_AUTH_URL" => google.auth_url(),
            "GOOGLE_TOKEN_URL" => google.token_url(),
            "GOOGLE_USERINFO_URL" => google.userinfo_url(),
            "GITHUB_URL" => github.url(),
            "GITHUB_API_URL" => github.api_url(),
            "STRIPE_SECRET_KEY" => STRIPE_KEY.into(),
            "STRIPE_WEBHOOK_SECRET" => STRIPE_WHSEC.into(),
            "STRIPE_API_URL" => stripe.api_url(),
            "REPLICATE_API_TOKEN" => REPLICATE_TOKEN.into(),
            "REPLICATE_WEBHOOK_SECRET" => REPLICATE_WHSEC.into(),
            "REPLICATE_API_URL" => replicate.base_url(),
            // Tests run the background work themselves (jobs::run_once), unless they set one.
            "FLUX_KREA_PLATFORM_SWEEP_INTERVAL_S" => "0".into(),
            _ => return None,
        })
    };
    let mut config = Config::from_lookup(env).expect("test configuration is complete");
    tweak(&mut config);
    let app = serve::prepare(config).await.expect("the platform starts");
    let db = app.db().clone();
    let task = tokio::spawn({
        let app = app.clone();
        async move {
            serve::run(app, listener, std::future::pending()).await.expect("the platform serves");
        }
    });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Platform { url, app, db, google, github, stripe, replicate, http, task }
}

/// Another replica of the same service: same database, bucket and upstreams, its own pool and
/// port (as behind a load balancer, PUBLIC_URL stays the first one's).
pub struct Replica {
    pub url: String,
    pub app: App,
    task: JoinHandle<()>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Platform {
    pub async fn replica(&self) -> Replica {
        self.replica_with(|_| {}).await
    }

    /// A replica whose configuration differs (e.g. an unreachable storage endpoint).
    pub async fn replica_with(&self, tweak: impl FnOnce(&mut Config)) -> Replica {
        let mut config = self.app.config().clone();
        tweak(&mut config);
        let app = serve::prepare(config).await.expect("a second replica starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn({
            let app = app.clone();
            async move {
                serve::run(app, listener, std::future::pending()).await.expect("the replica serves");
            }
        });
        Replica { url, app, task }
    }
}

pub async fn start() -> Platform {
    start_with(|_| {}).await
}
