//! [`Stack`]: the service, its upstream fakes and (with several replicas) a round-robin proxy, on
//! a thread and a current-thread runtime of their own, whose log lines go to a [`LogBuffer`].

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flux_krea_fakes::github::GithubFake;
use flux_krea_fakes::google::GoogleFake;
use flux_krea_fakes::replicate::ReplicateFake;
use flux_krea_fakes::stripe::StripeFake;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tracing_subscriber::fmt::MakeWriter;

use super::{config, fresh_bucket, fresh_database, proxy, services, Fakes, ANON_KEY};
use crate::app::App;
use crate::{jobs, serve};

#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Replicas of the service on one database and bucket; more than one are reached through a
    /// round-robin proxy (each new connection goes to the next one).
    pub replicas: usize,
    /// Credits granted at a user's first sign-in.
    pub signup_credits: i64,
    /// How often each replica runs its background work; zero runs none ([`Stack::run_jobs`]).
    pub sweep_interval: Duration,
    /// What the service logs into [`Stack::logs`] (`EnvFilter` syntax).
    pub log_filter: String,
    /// How long access tokens last; None keeps the service's default (an hour).
    pub access_ttl: Option<Duration>,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            replicas: 1,
            signup_credits: 0,
            sweep_interval: Duration::ZERO,
            log_filter: "debug,hyper=info,h2=info,rustls=info,sqlx=info".into(),
            access_ttl: None,
        }
    }
}

/// Every log line the stack's thread wrote (no colours).
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

/// What the stack's thread hands back once everything listens.
struct Started {
    url: String,
    replica_urls: Vec<String>,
    database_url: String,
    apps: Vec<App>,
    google: GoogleFake,
    github: GithubFake,
    stripe: StripeFake,
    replicate: ReplicateFake,
    replicate_url: String,
    google_url: String,
    github_url: String,
    handle: tokio::runtime::Handle,
}

/// A running platform; dropping it stops every server and the thread.
pub struct Stack {
    started: Started,
    db: PgPool,
    logs: LogBuffer,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stack {
    /// Starts it; panics saying what is missing or failed (the thread's panic is printed above).
    pub async fn start(options: StackOptions) -> Stack {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let s = services();
        let logs = LogBuffer::default();
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let writer = logs.clone();
        let thread = std::thread::Builder::new()
            .name("platform-stack".into())
            .spawn(move || {
                let subscriber = tracing_subscriber::fmt()
                    .with_writer(writer)
                    .with_env_filter(options.log_filter.as_str())
                    .with_ansi(false)
                    .finish();
                // Every task of a current-thread runtime runs here, under this subscriber.
                let _guard = tracing::subscriber::set_default(subscriber);
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
                runtime.block_on(async move {
                    let (started, servers) = run(s, options).await;
                    let _ = ready_tx.send(started);
                    let _ = stop_rx.await;
                    drop(servers);
                });
            })
            .expect("spawn the stack's thread");
        let started = ready_rx.await.expect("the platform stack did not start (its panic is printed above)");
        let db = PgPool::connect(&started.database_url).await.expect("connect to the stack's database");
        Stack { started, db, logs, stop: Some(stop_tx), thread: Some(thread) }
    }

    /// Where the app reaches the service (the proxy with several replicas).
    pub fn url(&self) -> &str {
        &self.started.url
    }

    /// Each replica's own address.
    pub fn replica_urls(&self) -> &[String] {
        &self.started.replica_urls
    }

    pub fn anon_key(&self) -> &'static str {
        ANON_KEY
    }

    /// A pool on the stack's database, for assertions.
    pub fn db(&self) -> &PgPool {
        &self.db
    }

    pub fn google(&self) -> &GoogleFake {
        &self.started.google
    }

    pub fn github(&self) -> &GithubFake {
        &self.started.github
    }

    /// The Stripe fake; `pay` and friends send their events from tasks of the calling runtime.
    pub fn stripe(&self) -> &StripeFake {
        &self.started.stripe
    }

    pub fn replicate(&self) -> &ReplicateFake {
        &self.started.replicate
    }

    /// `http://127.0.0.1:<port>/v1` of the Replicate fake (the platform's upstream).
    pub fn replicate_url(&self) -> &str {
        &self.started.replicate_url
    }

    /// Where the Google fake's sign-in pages are (the browser passes through them).
    pub fn google_url(&self) -> &str {
        &self.started.google_url
    }

    pub fn github_url(&self) -> &str {
        &self.started.github_url
    }

    /// The service's log lines so far.
    pub fn logs(&self) -> String {
        self.logs.text()
    }

    /// One round of background work (settle, sweep, deletions) on every replica, on the stack's
    /// runtime.
    pub async fn run_jobs(&self) {
        for app in &self.started.apps {
            let app = app.clone();
            let round = self.started.handle.spawn(async move { jobs::run_once(&app).await.map(|_| ()) });
            round.await.expect("the background round ran").expect("the background round succeeded");
        }
    }

    /// Users whose balance is not the sum of their ledger entries (none, always).
    pub async fn ledger_mismatches(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM users u
             WHERE u.balance <> COALESCE((SELECT sum(delta) FROM ledger_entries l WHERE l.user_id = u.id), 0)",
        )
        .fetch_one(&self.db)
        .await
        .expect("the ledger query")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Everything that serves; dropped (and so stopped) when the stack stops.
struct Servers {
    _fakes: Fakes,
    _tasks: Vec<AbortOnDrop>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run(s: super::Services, options: StackOptions) -> (Started, Servers) {
    let database_url = fresh_database(&s).await;
    let bucket = fresh_bucket(&s).await;
    let fakes = Fakes::start().await;
    let replicas = options.replicas.max(1);
    let mut listeners = Vec::new();
    for _ in 0..replicas {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.expect("a loopback port"));
    }
    let replica_urls: Vec<String> =
        listeners.iter().map(|l| format!("http://{}", l.local_addr().expect("bound"))).collect();
    let mut tasks = Vec::new();
    let url = if replicas == 1 {
        replica_urls[0].clone()
    } else {
        let front = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("http://{}", front.local_addr().expect("bound"));
        let backends = listeners.iter().map(|l| l.local_addr().expect("bound")).collect();
        tasks.push(AbortOnDrop(tokio::spawn(proxy::round_robin(front, backends))));
        url
    };
    fakes.point_webhooks_at(&url);
    let mut config = config(&s, &database_url, &bucket, &fakes, &url);
    config.signup_credits = options.signup_credits;
    config.sweep_interval = options.sweep_interval;
    if let Some(ttl) = options.access_ttl {
        config.access_ttl = ttl;
    }
    let mut apps = Vec::new();
    for listener in listeners {
        let app = serve::prepare(config.clone()).await.expect("the platform starts");
        apps.push(app.clone());
        tasks.push(AbortOnDrop(tokio::spawn(async move {
            serve::run(app, listener, std::future::pending()).await.expect("the platform serves");
        })));
    }
    let started = Started {
        url,
        replica_urls,
        database_url,
        apps,
        google: fakes.google.fake.clone(),
        github: fakes.github.fake.clone(),
        stripe: fakes.stripe.fake.clone(),
        replicate: fakes.replicate.fake.clone(),
        replicate_url: fakes.replicate.base_url(),
        google_url: fakes.google.url(),
        github_url: fakes.github.url(),
        handle: tokio::runtime::Handle::current(),
    };
    (started, Servers { _fakes: fakes, _tasks: tasks })
}
