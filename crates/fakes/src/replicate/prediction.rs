//! A prediction record and its JSON form (the object every endpoint returns).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::watch;

use super::ids::rfc3339;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Starting,
    Processing,
    Succeeded,
    Failed,
    Canceled,
    Aborted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Processing => "processing",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
            Status::Aborted => "aborted",
        }
    }

    pub fn is_terminal(self) -> bool {
        !matches!(self, Status::Starting | Status::Processing)
    }
}

pub(super) struct Prediction {
    pub id: String,
    pub model: &'static str,
    pub input: Value,
    /// `http://<host>` the create came in on; `urls` are built from it.
    pub api_base: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    pub status: Status,
    pub output: Value,
    pub error: Option<String>,
    pub logs: String,
    pub data_removed: bool,
    /// Flips to true once the prediction is terminal (what `Prefer: wait` waits for).
    pub done: watch::Sender<bool>,
}

impl Prediction {
    pub fn new(id: String, model: &'static str, input: Value, api_base: String) -> Prediction {
        Prediction {
            id,
            model,
            input,
            api_base,
            created_at: Utc::now(),
            started_at: None,
            completed_at: None,
            deadline: None,
            status: Status::Starting,
            output: Value::Null,
            error: None,
            logs: String::new(),
            data_removed: false,
            done: watch::channel(false).0,
        }
    }

    pub fn get_url(&self) -> String {
        format!("{}/v1/predictions/{}", self.api_base, self.id)
    }

    /// starting → processing; false if the prediction already ended (canceled meanwhile).
    pub fn begin(&mut self, seed: u64) -> bool {
        if self.status != Status::Starting {
            return false;
        }
        self.status = Status::Processing;
        self.started_at = Some(Utc::now());
        self.logs.push_str(&format!("Using seed: {seed}\n"));
        true
    }

    /// Moves to a terminal status; a no-op (false) when already terminal.
    pub fn end(&mut self, status: Status, error: Option<String>) -> bool {
        if self.status.is_terminal() {
            return false;
        }
        self.status = status;
        self.completed_at = Some(Utc::now());
        if let Some(e) = &error {
            self.logs.push_str(e);
            self.logs.push('\n');
        }
        self.error = error;
        self.done.send_replace(true);
        true
    }

    pub fn to_json(&self) -> Value {
        let mut p = json!({
            "id": self.id,
            "model": self.model,
            "version": "hidden",
            "input": self.input,
            "output": self.output,
            "data_removed": self.data_removed,
            "error": self.error,
            "status": self.status.as_str(),
            "source": "api",
            "created_at": rfc3339(self.created_at),
            "started_at": self.started_at.map(rfc3339),
            "completed_at": self.completed_at.map(rfc3339),
            "logs": self.logs,
            "urls": {
                "get": self.get_url(),
                "cancel": format!("{}/cancel", self.get_url()),
                "web": format!("https://replicate.com/p/{}", self.id),
            },
        });
        if let Some(deadline) = self.deadline {
            p["deadline"] = json!(rfc3339(deadline));
        }
        if let Some(done) = self.completed_at {
            let seconds = |from: DateTime<Utc>| (done - from).num_microseconds().unwrap_or(0) as f64 / 1e6;
            p["metrics"] = json!({
                "predict_time": self.started_at.map(seconds).unwrap_or(0.0),
                "total_time": seconds(self.created_at),
            });
        }
        p
    }
}
