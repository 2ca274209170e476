//! Outbound webhook delivery shared by the Stripe and Replicate fakes: POST a body, signed afresh on
//! each attempt (Stripe and Standard Webhooks both sign the attempt's own timestamp), retried with
//! exponential backoff on a non-2xx answer or a connection failure, every attempt recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

/// One attempt to deliver one webhook, as tests read it back.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// Stripe's `evt_…` or Replicate's `webhook-id` (`msg_…`); the same for every attempt and copy.
    pub id: String,
    /// Stripe's event `type`, or Replicate's event (`start`, `output`, `logs`, `completed`).
    pub kind: String,
    pub url: String,
    /// 1 for the first try of a copy; retries count up.
    pub attempt: u32,
    /// The receiver's status, None when the connection failed.
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The signed headers sent (`Stripe-Signature`, or `webhook-id`/`-timestamp`/`-signature`).
    pub headers: Vec<(String, String)>,
    /// The raw body, byte for byte as signed.
    pub body: String,
    /// Unix milliseconds when the attempt was sent.
    pub at_ms: i64,
}

impl Delivery {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The body parsed (always JSON for both fakes).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    /// A header sent with the attempt, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Retry {
    pub attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub base: Duration,
}

/// Where attempts are recorded (shared with the fake's state).
pub(crate) type Log = Arc<Mutex<Vec<Delivery>>>;

/// What to send: the id/kind for the record, the body, and a signer called per attempt with the
/// attempt's unix time, answering the headers to add.
pub(crate) struct Outgoing {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub body: String,
    pub sign: Box<dyn Fn(i64) -> Vec<(String, String)> + Send + Sync>,
    pub user_agent: &'static str,
}

fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    // No idle pool: the client outlives each test's runtime, and a pooled connection made on a
    // runtime that has ended fails when another test's receiver reuses the port.
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .build()
            .expect("a plain http client builds")
    })
}

/// Sends until a 2xx or the attempts run out; true when delivered.
pub(crate) async fn deliver(out: Outgoing, retry: Retry, log: Log) -> bool {
    let mut wait = retry.base;
    for attempt in 1..=retry.attempts.max(1) {
        let now = chrono::Utc::now();
        let headers = (out.sign)(now.timestamp());
        let mut req = client()
            .post(&out.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(reqwest::header::USER_AGENT, out.user_agent)
            .body(out.body.clone());
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        let (status, error) = match req.send().await {
            Ok(res) => (Some(res.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let record = Delivery {
            id: out.id.clone(),
            kind: out.kind.clone(),
            url: out.url.clone(),
            attempt,
            status,
            error,
            headers,
            body: out.body.clone(),
            at_ms: now.timestamp_millis(),
        };
        let delivered = record.ok();
        log.lock().unwrap_or_else(|e| e.into_inner()).push(record);
        if delivered {
            return true;
        }
        if attempt < retry.attempts {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    tracing::debug!(id = %out.id, kind = %out.kind, "webhook gave up after {} attempts", retry.attempts);
    false
}

/// Polls `log` until `pred` holds for it or `limit` passes; answers the log either way.
pub(crate) async fn wait_for(log: &Log, limit: Duration, pred: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
    let give_up = tokio::time::Instant::now() + limit;
    loop {
        let now = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if pred(&now) || tokio::time::Instant::now() >= give_up {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
