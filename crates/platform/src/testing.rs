//! A whole platform for tests of other crates (feature `testing`, never in the shipped binary):
//! a fresh Postgres database and S3 bucket on the servers `scripts/platform-services.sh` starts
//! (`PLATFORM_TEST_*`), the upstream fakes (Google, GitHub, Stripe, Replicate), and one or more
//! replicas of the service on loopback, behind a round-robin proxy when there are several.
//!
//! The building blocks ([`services`], [`fresh_database`], [`fresh_bucket`], [`Fakes`],
//! [`config`]) serve tests that run the service on their own runtime; [`Stack`] runs everything
//! on a thread of its own, so a test may block (run a CLI, wait for a child) without starving it,
//! and captures the service's log lines.

mod proxy;
mod stack;

/// For assertions on [`Stack::db`] without another copy of the driver.
pub use sqlx;
pub use stack::{LogBuffer, Stack, StackOptions};

use std::time::Duration;

use flux_krea_fakes::github::{GithubFake, RunningGithub};
use flux_krea_fakes::google::{GoogleFake, RunningGoogle};
use flux_krea_fakes::oauth::IdpConfig;
use flux_krea_fakes::replicate::RunningReplicate;
use flux_krea_fakes::stripe::{RunningStripe, StripeConfig, StripeFake};
use object_store::aws::AmazonS3Builder;
use object_store::signer::Signer;
use sqlx::PgPool;

use crate::config::Config;

pub const ANON_KEY: &str = "test-anon-key";
pub const JWT_SECRET: &str = "test-jwt-secret-of-at-least-32-bytes!!";
pub const STRIPE_KEY: &str = "sk_test_platform_tests";
pub const STRIPE_WHSEC: &str = "whsec_platform_tests_endpoint";
pub const REPLICATE_TOKEN: &str = "r8_platform_tests";
pub const REPLICATE_WHSEC: &str = "whsec_dGVzdC1yZXBsaWNhdGUtd2ViaG9vay1zZWNyZXQ=";
pub const GOOGLE_CLIENT: (&str, &str) = ("google-client", "google-secret");
pub const GITHUB_CLIENT: (&str, &str) = ("github-client", "github-secret");

/// The variables scripts/platform-services.sh exports.
#[derive(Clone, Debug)]
pub struct Services {
    pub database_url: String,
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_key: String,
    pub s3_secret: String,
}

/// Reads `PLATFORM_TEST_*`; panics naming every missing one (a test fails, never skips).
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
        "these tests need a real Postgres and S3 server; missing {}. Start them with \
         `env=\"$(scripts/platform-services.sh start)\" && eval \"$env\"`",
        missing.join(", ")
    );
    let v = |i: usize| values[i].clone().unwrap_or_default();
    Services { database_url: v(0), s3_endpoint: v(1), s3_region: v(2), s3_key: v(3), s3_secret: v(4) }
}

pub fn suffix() -> String {
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
    // reqwest's rustls needs a process-wide provider; ring, as the service's main.rs installs.
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

/// The upstreams the service talks to, as fakes on loopback (served on the calling runtime).
pub struct Fakes {
    pub google: RunningGoogle,
    pub github: RunningGithub,
    pub stripe: RunningStripe,
    pub replicate: RunningReplicate,
}

impl Fakes {
    pub async fn start() -> Fakes {
        let google = GoogleFake::start(IdpConfig::new(GOOGLE_CLIENT.0, GOOGLE_CLIENT.1)).await.expect("Google fake");
        let github = GithubFake::start(IdpConfig::new(GITHUB_CLIENT.0, GITHUB_CLIENT.1)).await.expect("GitHub fake");
        let stripe_config = StripeConfig {
            secret_key: STRIPE_KEY.into(),
            webhook_secret: STRIPE_WHSEC.into(),
            ..StripeConfig::default()
        };
        let stripe = StripeFake::start(stripe_config).await.expect("Stripe fake");
        let replicate = RunningReplicate::start(&[REPLICATE_TOKEN]).await.expect("Replicate fake");
        replicate.fake.set_webhook_secret(REPLICATE_WHSEC);
        Fakes { google, github, stripe, replicate }
    }

    /// Stripe delivers its events to the service at `public_url`.
    pub fn point_webhooks_at(&self, public_url: &str) {
        self.stripe.set_webhook(&format!("{public_url}/webhooks/stripe"), STRIPE_WHSEC);
    }
}

/// The service's configuration for this database, bucket and fakes, reached at `public_url`.
/// Background work is off (`sweep_interval` 0): tests run `jobs::run_once` when they mean to.
pub fn config(s: &Services, database_url: &str, bucket: &str, fakes: &Fakes, public_url: &str) -> Config {
    let env = |name: &str| -> Option<String> {
        Some(match name {
            "DATABASE_URL" => database_url.into(),
            "FLUX_KREA_PLATFORM_BIND" => "127.0.0.1:0".into(),
            "FLUX_KREA_PLATFORM_PUBLIC_URL" => public_url.into(),
            "FLUX_KREA_PLATFORM_JWT_SECRET" => JWT_SECRET.into(),
            "FLUX_KREA_PLATFORM_ANON_KEY" => ANON_KEY.into(),
            "S3_ENDPOINT" => s.s3_endpoint.clone(),
            "S3_BUCKET" => bucket.into(),
            "S3_REGION" => s.s3_region.clone(),
            "S3_ACCESS_KEY_ID" => s.s3_key.clone(),
            "S3_SECRET_ACCESS_KEY" => s.s3_secret.clone(),
            "GOOGLE_CLIENT_ID" => GOOGLE_CLIENT.0.into(),
            "GOOGLE_CLIENT_SECRET" => GOOGLE_CLIENT.1.into(),
            "GITHUB_CLIENT_ID" => GITHUB_CLIENT.0.into(),
            "GITHUB_CLIENT_SECRET" => GITHUB_CLIENT.1.into(),
            "GOOGLE_AUTH_URL" => fakes.google.auth_url(),
            "GOOGLE_TOKEN_URL" => fakes.google.token_url(),
            "GOOGLE_USERINFO_URL" => fakes.google.userinfo_url(),
            "GITHUB_URL" => fakes.github.url(),
            "GITHUB_API_URL" => fakes.github.api_url(),
            "STRIPE_SECRET_KEY" => STRIPE_KEY.into(),
            "STRIPE_WEBHOOK_SECRET" => STRIPE_WHSEC.into(),
            "STRIPE_API_URL" => fakes.stripe.api_url(),
            "REPLICATE_API_TOKEN" => REPLICATE_TOKEN.into(),
            "REPLICATE_WEBHOOK_SECRET" => REPLICATE_WHSEC.into(),
            "REPLICATE_API_URL" => fakes.replicate.base_url(),
            "FLUX_KREA_PLATFORM_SWEEP_INTERVAL_S" => "0".into(),
            _ => return None,
        })
    };
    Config::from_lookup(env).expect("the test configuration is complete")
}
