//! The privacy façade on [`Core`]: consents, the "what is stored" report, the export, erasure, the
//! record of the rights exercised, and the same rights on the platform when signed in (consents
//! synced, its images removed, account deletion, the age confirmation). The work is in `mod.rs`
//! and this folder's other modules.

use std::path::Path;

use crate::error::Result;
use crate::privacy::{self, consents, platform};
use crate::privacy::{
    Consent, ConsentChange, ConsentSource, ErasureReport, ExportProgress, ExportReport, PrivacyReport, PrivacyRequest,
};
use crate::Core;

impl Core {
    pub async fn consents(&self) -> Result<Vec<Consent>> {
        consents::current(self.pool()).await
    }

    /// Records the change here, then sends it to the platform when signed in. A failed send is
    /// kept as "not yet synced" and retried with the next change or sign-in.
    pub async fn set_consent(&self, name: &str, granted: bool, source: ConsentSource) -> Result<Vec<Consent>> {
        privacy::set_consent(self, name, granted, source).await
    }

    pub async fn consent_history(&self) -> Result<Vec<ConsentChange>> {
        consents::history(self.pool()).await
    }

    pub async fn privacy_report(&self) -> Result<PrivacyReport> {
        privacy::privacy_report(self).await
    }

    /// Where "Export my data" writes by default: the Downloads folder (else home), a dated name
    /// that does not exist yet.
    pub fn suggested_export_path(&self) -> Result<String> {
        privacy::suggested_export_path()
    }

    /// Writes the archive to `out`; `progress` counts the generations written, then the files copied.
    pub async fn export_data(&self, out: &Path, progress: &(dyn Fn(ExportProgress) + Sync)) -> Result<ExportReport> {
        privacy::export_data(self, out, progress).await
    }

    pub async fn erase_prompts(&self) -> Result<ErasureReport> {
        privacy::erase_prompts(self).await
    }

    pub async fn erase_everything(&self) -> Result<ErasureReport> {
        privacy::erase_everything(self).await
    }

    pub async fn privacy_requests(&self) -> Result<Vec<PrivacyRequest>> {
        privacy::requests(self).await
    }

    /// Sends the consents as they stand on this computer (the app is where they are changed);
    /// every change not yet confirmed is marked synced. Returns false when not signed in.
    pub async fn sync_consents(&self) -> Result<bool> {
        platform::sync_consents(self).await
    }

    /// Asks the platform to remove the account's generated images from its temporary storage now
    /// (they are already in the local cache; it would delete them within 48 h anyway).
    pub async fn delete_platform_images(&self) -> Result<PrivacyRequest> {
        platform::delete_images(self).await
    }

    /// Asks the platform to delete the account; it answers within 30 days. The request's id and
    /// due date are kept so the Privacy screen shows what was asked and when.
    pub async fn request_account_deletion(&self) -> Result<PrivacyRequest> {
        platform::request_account_deletion(self).await
    }

    /// Withdraws the pending account deletion request (the platform keeps the account). Its
    /// record here keeps its id and dates and says it was cancelled.
    pub async fn cancel_account_deletion(&self) -> Result<PrivacyRequest> {
        platform::cancel_account_deletion(self).await
    }

    /// Remembers that the user confirmed being old enough (asked once, at the first sign-in).
    pub async fn confirm_age(&self) -> Result<()> {
        platform::confirm_age(self).await
    }

    pub async fn age_confirmed(&self) -> Result<bool> {
        platform::age_confirmed(self).await
    }
}

/// Within the crate: what the history calls after deleting account-mode images.
impl Core {
    /// After deleting account-mode images here: the platform's copies too, unless an account job
    /// is still running (its outputs are still needed). What happened, in words; None when not
    /// signed in.
    pub(crate) async fn remove_platform_copies(&self) -> Option<String> {
        platform::remove_copies(self).await
    }
}
