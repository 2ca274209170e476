//! Shared helpers: start the fake, create predictions, poll them.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use flux_krea_fakes::replicate::{Knobs, RunningReplicate};
use serde_json::{json, Value};

pub const TOKEN: &str = "r8_test_token";

pub struct Harness {
    pub fake: RunningReplicate,
    pub http: reqwest::Client,
}

/// The fake with small images so tests stay fast.
pub async fn start() -> Harness {
    let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
    fake.fake.set_knobs(Knobs { image_side: Some(32), ..Knobs::default() });
    Harness { fake, http: reqwest::Client::new() }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.fake.base_url())
    }

    pub fn knobs(&self, f: impl FnOnce(&mut Knobs)) {
        let mut knobs = self.fake.fake.knobs();
        f(&mut knobs);
        self.fake.fake.set_knobs(knobs);
    }

    /// `POST /models/black-forest-labs/{model}/predictions` with extra headers.
    pub async fn create(&self, model: &str, input: Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url(&format!("/models/black-forest-labs/{model}/predictions")))
            .bearer_auth(TOKEN)
            .json(&json!({ "input": input }));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    pub async fn get_json(&self, url: &str) -> Value {
        let res = self.http.get(url).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {url}");
        res.json().await.unwrap()
    }

    /// Polls `urls.get` until the prediction is terminal (or fails the test after `limit`).
    pub async fn poll(&self, prediction: &Value, limit: Duration) -> Value {
        let url = prediction["urls"]["get"].as_str().unwrap().to_string();
        let give_up = tokio::time::Instant::now() + limit;
        loop {
            let p = self.get_json(&url).await;
            let status = p["status"].as_str().unwrap();
            if !matches!(status, "starting" | "processing") {
                return p;
            }
            assert!(tokio::time::Instant::now() < give_up, "still {status} after {limit:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// GETs an output file from the delivery host (no auth, as a client should).
    pub async fn download(&self, url: &str) -> reqwest::Result<(reqwest::header::HeaderMap, bytes::Bytes)> {
        let res = self.http.get(url).send().await?.error_for_status()?;
        let headers = res.headers().clone();
        Ok((headers, res.bytes().await?))
    }
}

pub mod platform;
pub mod receiver;
