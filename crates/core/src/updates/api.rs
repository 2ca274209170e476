//! The updates façade on [`Core`]: the channel, a skipped version, the last check, and how many
//! generations an update would interrupt. The work is in `mod.rs`.

use crate::clock::now_ms;
use crate::error::Result;
use crate::updates::{self, LastCheck, UpdateChannel, UpdatePrefs};
use crate::Core;

impl Core {
    pub async fn update_prefs(&self) -> Result<UpdatePrefs> {
        updates::load(self).await
    }

    pub async fn set_update_channel(&self, channel: UpdateChannel) -> Result<UpdatePrefs> {
        updates::edit(self, |p| p.channel = channel).await
    }

    /// `None` offers every version again.
    pub async fn skip_update_version(&self, version: Option<String>) -> Result<UpdatePrefs> {
        updates::skip_version(self, version).await
    }

    pub async fn record_update_check(&self, outcome: impl Into<String>) -> Result<UpdatePrefs> {
        let outcome = outcome.into();
        updates::edit(self, |p| p.last_check = Some(LastCheck { at_ms: now_ms(), outcome })).await
    }

    /// How many generations an update would interrupt right now. Counts as "in flight": submitted,
    /// running or downloading, and queued ones unless the queue is paused (they would start any moment).
    pub async fn generations_in_flight(&self) -> Result<u32> {
        updates::in_flight(self).await
    }
}
