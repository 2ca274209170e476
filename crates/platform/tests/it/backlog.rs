//! Background work at scale (#18): 10,000 predictions whose webhooks were lost, so the pollers of
//! three replicas of the binary must settle every one (copy the delivered image to storage, refund
//! the filtered one). A third of the way through, one replica is killed (`kill -9`) and not brought
//! back. Each prediction is settled exactly once and none is lost: every hold is charged for what
//! was delivered, every filtered image refunded once, every delivered image stored.
//!
//! A few minutes of work, so ignored by default; `scripts/measure-platform-jobs.sh` runs it and
//! prints the figures for the README (`FLUX_KREA_BACKLOG_JOBS` sets the count).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use flux_krea_fakes::replicate::Knobs;
use futures_util::StreamExt;
use sqlx::PgPool;

use crate::common::{fresh_bucket, fresh_database};
use crate::faults::harness::{free_port, replica_env, sign_in, Fleet, OwnServices, Upstreams};
use crate::faults::{checks, count, create, eventually, AppSide};

const SWEEP: Duration = Duration::from_secs(1);
const GRANT: i64 = 1_000_000;
/// Creates in flight at once, as many users' apps would send them.
const IN_FLIGHT: usize = 32;

fn jobs() -> usize {
    std::env::var("FLUX_KREA_BACKLOG_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "minutes of work: run scripts/measure-platform-jobs.sh"]
async fn ten_thousand_lost_webhooks_are_settled_once_by_three_replicas_one_killed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let jobs = jobs();
    let services = OwnServices::start();
    let s = &services.s;
    let (database, bucket) = (fresh_database(s).await, fresh_bucket(s).await);
    let up = Upstreams::start().await;
    let replicate = &up.replicate;
    // No webhook ever arrives; each prediction's first image is filtered (a refund), the second
    // delivered (a copy to storage). Small images: the work timed is the settling, not encoding.
    replicate.fake.set_knobs(Knobs {
        run_ms: 200,
        image_side: Some(16),
        filter_images: 1,
        drop_webhooks: true,
        ..Knobs::default()
    });
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let public = format!("http://127.0.0.1:{}", ports[0]);
    let env = replica_env(&database, &bucket, &public, s, SWEEP, GRANT, &up);
    let mut fleet = Fleet::start(env, ports, services.dir.clone()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let app = AppSide { token: sign_in(&http, &fleet.url(0)).await, http };
    let db = PgPool::connect(&database).await.unwrap();

    // The creates go to replicas 0 and 2; replica 1 only does background work until it dies, so
    // its death loses no request, only the work it had claimed.
    let started = Instant::now();
    let urls = [fleet.url(0), fleet.url(2)];
    let answered: HashMap<String, String> = futures_util::stream::iter(0..jobs)
        .map(|i| {
            let (app, url) = (app.clone(), urls[i % 2].clone());
            async move {
                let key = format!("k{i}");
                let id = create(&app, &url, &key, false).await.unwrap_or_else(|e| panic!("{key}: {e}"));
                (key, id)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let created = started.elapsed();
    assert_eq!(answered.len(), jobs);

    let settled = "SELECT count(*) FROM predictions WHERE settled_at IS NOT NULL";
    let third = (jobs / 3) as i64;
    eventually("a third settled", Duration::from_secs(600), || async { count(&db, settled).await >= third }).await;
    let leased = "SELECT count(*) FROM predictions WHERE settled_at IS NULL AND lease_until > now()";
    let (open_at_kill, leased_at_kill) = (jobs as i64 - count(&db, settled).await, count(&db, leased).await);
    fleet.kill(1);
    let killed = started.elapsed();
    eventually("all settled", Duration::from_secs(900), || async { count(&db, settled).await == jobs as i64 }).await;
    let done = started.elapsed();

    checks::books(&db, &answered, GRANT).await;
    // Exactly once: one delivered image and one refund per prediction, no more, no fewer.
    let wrong = "SELECT count(*) FROM predictions p WHERE p.delivered IS DISTINCT FROM 1
                 OR (SELECT count(*) FROM ledger_entries l WHERE l.prediction_id = p.id AND l.reason = 'refund') <> 1";
    assert_eq!(count(&db, wrong).await, 0, "a prediction not delivered once and refunded once");
    assert_eq!(count(&db, "SELECT count(*) FROM outputs").await, jobs as i64, "one stored image per prediction");
    checks::objects(&db, s, &bucket).await;

    eprintln!(
        "backlog: {jobs} predictions created in {:.1} s ({IN_FLIGHT} in flight); replica 1 killed at {:.1} s \
         with {open_at_kill} still open ({leased_at_kill} leased); all settled at {:.1} s, {:.1} s after the kill; \
         each settled once, books and storage checked",
        created.as_secs_f64(),
        killed.as_secs_f64(),
        done.as_secs_f64(),
        (done - killed).as_secs_f64(),
    );
}
