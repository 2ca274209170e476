//! Refunds: once a prediction is terminal, every image it did not deliver is refunded, exactly
//! once. A watcher settles each prediction as it ends; every read of a prediction, the balance or
//! the ledger settles first too, so no answer ever shows an unsettled finished prediction.

use serde_json::Value;

use super::PlatformFake;

impl PlatformFake {
    /// Settles every finished, unsettled prediction of the user.
    pub(super) fn settle(&self, user_id: &str) {
        let open: Vec<(String, i64)> = {
            let state = self.state();
            let mine = state.charges.iter().filter(|c| c.user_id == user_id && !c.settled);
            mine.map(|c| (c.id.clone(), c.requested)).collect()
        };
        if open.is_empty() {
            return;
        }
        // The inner fake's lock is taken with the platform's released (no lock-order cycles).
        let replicate = self.replicate();
        let outcomes: Vec<(String, i64)> = open
            .into_iter()
            .filter_map(|(id, requested)| {
                let delivered = delivered(&replicate.prediction_json(&id)?, requested)?;
                Some((id, (requested - delivered).max(0)))
            })
            .collect();
        let mut state = self.state();
        for (id, missing) in outcomes {
            let Some(c) = state.charges.iter_mut().find(|c| c.id == id && !c.settled) else { continue };
            c.settled = true;
            let refund = (c.credits_per_image * missing).min(c.reserved);
            c.refunded = refund;
            if refund > 0 {
                state.post(user_id, refund, "refund", Some(&id));
            }
        }
    }

    /// Settles the prediction as soon as it ends, without waiting for a read.
    pub(super) fn watch(&self, user_id: &str, id: &str) {
        let Some(mut done) = self.replicate().done_signal(id) else { return };
        let (fake, user_id) = (self.clone(), user_id.to_string());
        tokio::spawn(async move {
            if done.wait_for(|done| *done).await.is_ok() {
                fake.settle(&user_id);
            }
        });
    }
}

/// Images delivered by a terminal prediction; None while it runs.
fn delivered(p: &Value, requested: i64) -> Option<i64> {
    match p["status"].as_str()? {
        "succeeded" => Some(match &p["output"] {
            Value::Array(urls) => urls.len() as i64,
            Value::String(_) => 1,
            // Outputs already removed (retention) were delivered before they went.
            _ if p["data_removed"] == true => requested,
            _ => 0,
        }),
        "failed" | "canceled" | "aborted" => Some(0),
        _ => None,
    }
}
