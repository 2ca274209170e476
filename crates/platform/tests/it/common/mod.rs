//! One platform per test: its own database (created and migrated here), its own bucket, its own
//! upstream fakes, served in-process on a loopback port. The pieces are the crate's `testing`
//! module (feature `testing`), shared with the CLI's and the window's tests.

pub mod signin;

use flux_krea_fakes::github::RunningGithub;
use flux_krea_fakes::google::RunningGoogle;
use flux_krea_fakes::replicate::RunningReplicate;
use flux_krea_fakes::stripe::RunningStripe;
use flux_krea_platform::config::Config;
use flux_krea_platform::testing::{self, Fakes};
use flux_krea_platform::{app::App, serve};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use flux_krea_platform::testing::{
    fresh_bucket, fresh_database, services, suffix, Services, ANON_KEY, JWT_SECRET, REPLICATE_TOKEN, REPLICATE_WHSEC,
    STRIPE_KEY, STRIPE_WHSEC,
};

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
    let fakes = Fakes::start().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    fakes.point_webhooks_at(&url);
    let mut config = testing::config(&s, &database_url, &bucket, &fakes, &url);
    config.bind = listener.local_addr().unwrap();
    let Fakes { google, github, stripe, replicate } = fakes;
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
