//! Short leases kept alive while their holder runs. A create holds its Idempotency-Key and its
//! prediction's row, a settler holds the row; each renews its lease every third of it, so a
//! replica that dies (`kill -9`, a lost host) frees what it held within one lease, not after the
//! longest time a request could take.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::app::App;

/// Beyond a short database outage (a Postgres restart), so a live holder keeps its lease.
const SHORTEST: Duration = Duration::from_secs(3);

/// A lease: one sweep interval (what the poller waits anyway), at least [`SHORTEST`].
pub fn length(app: &App) -> Duration {
    app.config().sweep_interval.max(SHORTEST)
}

pub fn secs(app: &App) -> f64 {
    length(app).as_secs_f64()
}

/// Renews while alive; dropped (the work ended, or its request was cut off), it stops.
pub struct Heartbeat(JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Calls `renew` every third of a lease.
pub fn keep<F, Fut>(app: &App, what: &'static str, renew: F) -> Heartbeat
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), sqlx::Error>> + Send,
{
    let every = length(app) / 3;
    Heartbeat(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(e) = renew().await {
                tracing::warn!(error = %e, what, "lease not renewed; trying again");
            }
        }
    }))
}
