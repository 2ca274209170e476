//! What the platform fake reaches into, in-process, besides the HTTP API it proxies: waiting for a
//! prediction to end, reading it without an HTTP round trip, and erasing its output files (the
//! platform's "delete my images"). None of this is reachable over HTTP.

use std::collections::HashSet;

use serde_json::Value;
use tokio::sync::watch;

use super::ReplicateFake;

impl ReplicateFake {
    /// Flips to true once the prediction is terminal; None for an unknown id.
    pub(crate) fn done_signal(&self, id: &str) -> Option<watch::Receiver<bool>> {
        self.state().prediction_mut(id).map(|p| p.done.subscribe())
    }

    /// The prediction as `GET /v1/predictions/{id}` would show it now.
    pub(crate) fn prediction_json(&self, id: &str) -> Option<Value> {
        self.state().prediction_mut(id).map(|p| p.to_json())
    }

    /// Removes these predictions' output files from the delivery host and marks their outputs
    /// removed, as retention does; returns how many files went.
    pub(crate) fn erase_outputs(&self, ids: &HashSet<String>) -> usize {
        let mut state = self.state();
        let before = state.outputs.len();
        state.outputs.retain(|_, file| !ids.contains(&file.prediction));
        let erased = before - state.outputs.len();
        for p in state.predictions.iter_mut().filter(|p| ids.contains(&p.id) && p.status.is_terminal()) {
            p.output = Value::Null;
            p.data_removed = true;
        }
        erased
    }
}
