//! The promises the platform keeps for a signed-in user (docs/platform-api.md §2, privacy calls):
//! consents synced, its copy of the account's data in the export, erasure of its copies, the
//! account deletion request, and the age confirmation asked at the first sign-in.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::Call;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::settings::{get_document, put_document};
use crate::Core;

const AGE_KEY: &str = "age_confirmed";
pub const MINIMUM_AGE: u32 = 13;

#[derive(Deserialize)]
pub(crate) struct Deleted {
    #[serde(default)]
    deleted: i64,
}

#[derive(Deserialize)]
pub(crate) struct CancelAnswer {
    request_id: String,
}

#[derive(Deserialize)]
pub(crate) struct DeletionAnswer {
    request_id: String,
    due_by: String,
}

impl Core {
    async fn platform_signed_in(&self) -> bool {
        self.platform_api_base().is_ok() && self.signed_in().await.unwrap_or(false)
    }

    /// Sends the consents as they stand on this computer (the app is where they are changed);
    /// every change not yet confirmed is marked synced. Returns false when not signed in.
    pub async fn sync_consents(&self) -> Result<bool> {
        if !self.platform_signed_in().await {
            return Ok(false);
        }
        let body: Map<String, Value> =
            self.consents().await?.into_iter().map(|c| (c.name, json!({ "granted": c.granted }))).collect();
        let body = Value::Object(body);
        let call =
            Call { method: reqwest::Method::PUT, path: "/privacy/consents", body: Some(&body), idempotency_key: None };
        let _: Value = self.platform(call).await?;
        sqlx::query!("UPDATE consent_changes SET synced_at = ? WHERE synced_at IS NULL", now_ms())
            .execute(self.pool())
            .await?;
        tracing::info!("consents synced to the platform");
        Ok(true)
    }

    /// The platform's copy of the account's data, for the export (None when not signed in).
    pub(crate) async fn platform_export(&self) -> Result<Option<Value>> {
        if !self.platform_signed_in().await {
            return Ok(None);
        }
        Ok(Some(self.platform(Call::get("/privacy/export")).await?))
    }

    /// Erases the prompts and parameters the platform stored; None when not signed in.
    pub(crate) async fn platform_erase(&self, what: &str) -> Result<Option<i64>> {
        if !self.platform_signed_in().await {
            return Ok(None);
        }
        let path = format!("/privacy/{what}");
        let call = Call { method: reqwest::Method::DELETE, path: &path, body: None, idempotency_key: None };
        let answer: Deleted = self.platform(call).await?;
        Ok(Some(answer.deleted))
    }

    /// Asks the platform to remove the account's generated images from its temporary storage now
    /// (they are already in the local cache; it would delete them within 48 h anyway).
    pub async fn delete_platform_images(&self) -> Result<super::PrivacyRequest> {
        let deleted = self.platform_erase("images").await?.ok_or(Error::AuthRequired)?;
        let images = if deleted == 1 { "image" } else { "images" };
        let outcome = format!("Flux Krea removed {deleted} {images} from its temporary storage");
        self.record_request("delete_images", &outcome).await?;
        tracing::info!("platform images deleted");
        self.privacy_requests().await?.into_iter().next().ok_or_else(|| Error::internal("the request was not recorded"))
    }

    /// After deleting account-mode images here: the platform's copies too, unless an account job
    /// is still running (its outputs are still needed). What happened, in words; None when not
    /// signed in.
    pub(crate) async fn remove_platform_copies(&self) -> Option<String> {
        if !self.platform_signed_in().await {
            return None;
        }
        let running: i64 = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM generations WHERE provider = 'platform'
             AND status NOT IN ('done', 'failed', 'canceled')",
        )
        .fetch_one(self.pool())
        .await
        .unwrap_or(1);
        if running > 0 {
            return Some("Flux Krea keeps its temporary copies until your running jobs finish (at most 48 h)".into());
        }
        match self.delete_platform_images().await {
            Ok(request) => Some(request.outcome),
            Err(e) => {
                Some(format!("Flux Krea could not be asked to remove its copies ({e}); it deletes them within 48 h"))
            }
        }
    }

    /// Asks the platform to delete the account; it answers within 30 days. The request's id and
    /// due date are kept so the Privacy screen shows what was asked and when.
    pub async fn request_account_deletion(&self) -> Result<super::PrivacyRequest> {
        if !self.platform_signed_in().await {
            return Err(Error::AuthRequired);
        }
        let call = Call {
            method: reqwest::Method::POST,
            path: "/privacy/account-deletion",
            body: None,
            idempotency_key: Some("account-deletion"),
        };
        let answer: DeletionAnswer = self.platform(call).await?;
        let due = time::OffsetDateTime::parse(&answer.due_by, &time::format_description::well_known::Rfc3339)
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|_| Error::Upstream {
                service: "Flux Krea".into(),
                status: 200,
                detail: "due_by is not a date".into(),
            })?;
        // The platform answers a repeated request with the pending one: keep one row for it.
        if let Some(known) = self
            .privacy_requests()
            .await?
            .into_iter()
            .find(|r| r.platform_request_id.as_deref() == Some(&answer.request_id))
        {
            return Ok(known);
        }
        let outcome = "account deletion requested; the platform answers by the due date".to_string();
        let id: i64 = sqlx::query_scalar!(
            "INSERT INTO privacy_requests (kind, requested_at, outcome, platform_request_id, due_at)
             VALUES ('account_deletion', ?, ?, ?, ?) RETURNING id",
            now_ms(),
            outcome,
            answer.request_id,
            due
        )
        .fetch_one(self.pool())
        .await?;
        tracing::info!("account deletion requested");
        self.privacy_requests()
            .await?
            .into_iter()
            .find(|r| i64::from(r.id) == id)
            .ok_or_else(|| Error::internal("the request was not recorded"))
    }

    /// Withdraws the pending account deletion request (the platform keeps the account). Its
    /// record here keeps its id and dates and says it was cancelled.
    pub async fn cancel_account_deletion(&self) -> Result<super::PrivacyRequest> {
        if !self.platform_signed_in().await {
            return Err(Error::AuthRequired);
        }
        let call = Call {
            method: reqwest::Method::DELETE,
            path: "/privacy/account-deletion",
            body: None,
            idempotency_key: None,
        };
        let answer: CancelAnswer = self.platform(call).await?;
        let outcome = "account deletion requested, then cancelled: the account stays".to_string();
        let updated = sqlx::query!(
            "UPDATE privacy_requests SET outcome = ? WHERE kind = 'account_deletion' AND platform_request_id = ?",
            outcome,
            answer.request_id
        )
        .execute(self.pool())
        .await?
        .rows_affected();
        // Asked from another computer: recorded here as what happened.
        if updated == 0 {
            sqlx::query!(
                "INSERT INTO privacy_requests (kind, requested_at, outcome, platform_request_id)
                 VALUES ('account_deletion', ?, ?, ?)",
                now_ms(),
                outcome,
                answer.request_id
            )
            .execute(self.pool())
            .await?;
        }
        tracing::info!("account deletion cancelled");
        self.privacy_requests()
            .await?
            .into_iter()
            .find(|r| r.platform_request_id.as_deref() == Some(&answer.request_id))
            .ok_or_else(|| Error::internal("the request was not recorded"))
    }

    /// Remembers that the user confirmed being old enough (asked once, at the first sign-in).
    pub async fn confirm_age(&self) -> Result<()> {
        put_document(self.pool(), AGE_KEY, Some(&json!({ "minimum_age": MINIMUM_AGE, "confirmed_at": now_ms() }))).await
    }

    pub async fn age_confirmed(&self) -> Result<bool> {
        Ok(get_document(self.pool(), AGE_KEY).await?.is_some())
    }
}
