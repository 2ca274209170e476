//! Faithful local fakes of the remote services, built from the wire facts in
//! `docs/wire-facts.md` and `docs/platform-api.md`. Tests and the offline demo point the app at
//! them through `FLUX_KREA_REPLICATE_URL` / `FLUX_KREA_PLATFORM_URL`. The platform service's own
//! upstreams (issue #18) have fakes too: [`google`], [`github`] and [`stripe`], each with a
//! `start(config)` for tests, signing webhooks as [`signatures`] describes.

pub mod github;
pub mod google;
pub mod idp;
pub mod oauth;
pub mod platform;
pub mod problem;
pub mod replicate;
pub mod signatures;
pub mod stripe;
pub mod updates;
pub mod webhook;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A fake listening on `127.0.0.1:<random port>` until dropped.
pub struct RunningFake {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RunningFake {
    /// Serves `router` on a fresh loopback port.
    pub async fn serve(router: axum::Router) -> std::io::Result<RunningFake> {
        RunningFake::serve_on(0, router).await
    }

    /// Serves `router` on `127.0.0.1:port` (0 = any free port); fails if the port is taken, so a
    /// script never talks to a stale server.
    pub async fn serve_on(port: u16, router: axum::Router) -> std::io::Result<RunningFake> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "fake server stopped");
            }
        });
        Ok(RunningFake { addr, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`; append the service's prefix (e.g. `/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}
