//! A webhook receiver for the Stripe and Replicate fakes' deliveries: records every request and
//! answers 500 to the first `fail_first` of them, then 200.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use flux_krea_fakes::RunningFake;

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<Mutex<u32>>,
}

pub struct Receiver {
    shared: Shared,
    pub server: RunningFake,
}

impl Receiver {
    pub async fn start(fail_first: u32) -> Receiver {
        let shared = Shared { fail_first: Arc::new(Mutex::new(fail_first)), ..Shared::default() };
        let router = Router::new().route("/hook", post(receive)).with_state(shared.clone());
        Receiver { shared, server: RunningFake::serve(router).await.unwrap() }
    }

    pub fn url(&self) -> String {
        format!("{}/hook", self.server.url())
    }

    pub fn got(&self) -> Vec<Received> {
        self.shared.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived; fails the test after `limit`.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let give_up = tokio::time::Instant::now() + limit;
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(tokio::time::Instant::now() < give_up, "only {} of {n} webhooks after {limit:?}", got.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    shared.got.lock().unwrap().push(Received { headers, body });
    let mut fail = shared.fail_first.lock().unwrap();
    if *fail > 0 {
        *fail -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::OK
}
