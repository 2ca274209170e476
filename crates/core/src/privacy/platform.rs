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

async fn platform_signed_in(core: &Core) -> bool {
    core.platform_api_base().is_ok() && core.signed_in().await.unwrap_or(false)
}

/// The work of [`Core::sync_consents`].
pub(super) async fn sync_consents(core: &Core) -> Result<bool> {
    if !platform_signed_in(core).await {
        return Ok(false);
    }
    let body: Map<String, Value> =
        core.consents().await?.into_iter().map(|c| (c.name, json!({ "granted": c.granted }))).collect();
    let body = Value::Object(body);
    let call =
        Call { method: reqwest::Method::PUT, path: "/privacy/consents", body: Some(&body), idempotency_key: None };
    let _: Value = core.platform(call).await?;
    sqlx::query!("UPDATE consent_changes SET synced_at = ? WHERE synced_at IS NULL", now_ms())
        .execute(core.pool())
        .await?;
    tracing::info!("consents synced to the platform");
    Ok(true)
}

/// The platform's copy of the account's data, for the export (None when not signed in).
pub(super) async fn export(core: &Core) -> Result<Option<Value>> {
    if !platform_signed_in(core).await {
        return Ok(None);
    }
    Ok(Some(core.platform(Call::get("/privacy/export")).await?))
}

/// Erases the prompts and parameters the platform stored; None when not signed in.
pub(super) async fn erase(core: &Core, what: &str) -> Result<Option<i64>> {
    if !platform_signed_in(core).await {
        return Ok(None);
    }
    let path = format!("/privacy/{what}");
    let call = Call { method: reqwest::Method::DELETE, path: &path, body: None, idempotency_key: None };
    let answer: Deleted = core.platform(call).await?;
    Ok(Some(answer.deleted))
}

/// The work of [`Core::delete_platform_images`].
pub(super) async fn delete_images(core: &Core) -> Result<super::PrivacyRequest> {
    let deleted = erase(core, "images").await?.ok_or(Error::AuthRequired)?;
    let images = if deleted == 1 { "image" } else { "images" };
    let outcome = format!("Flux Krea removed {deleted} {images} from its temporary storage");
    super::record_request(core, "delete_images", &outcome).await?;
    tracing::info!("platform images deleted");
    super::requests(core).await?.into_iter().next().ok_or_else(|| Error::internal("the request was not recorded"))
}

/// The work of [`Core::remove_platform_copies`].
pub(super) async fn remove_copies(core: &Core) -> Option<String> {
    if !platform_signed_in(core).await {
        return None;
    }
    let running: i64 = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM generations WHERE provider = 'platform'
             AND status NOT IN ('done', 'failed', 'canceled')",
    )
    .fetch_one(core.pool())
    .await
    .unwrap_or(1);
    if running > 0 {
        return Some("Flux Krea keeps its temporary copies until your running jobs finish (at most 48 h)".into());
    }
    match delete_images(core).await {
        Ok(request) => Some(request.outcome),
        Err(e) => Some(format!("Flux Krea could not be asked to remove its copies ({e}); it deletes them within 48 h")),
    }
}

/// The work of [`Core::request_account_deletion`].
pub(super) async fn request_account_deletion(core: &Core) -> Result<super::PrivacyRequest> {
    if !platform_signed_in(core).await {
        return Err(Error::AuthRequired);
    }
    let call = Call {
        method: reqwest::Method::POST,
        path: "/privacy/account-deletion",
        body: None,
        idempotency_key: Some("account-deletion"),
    };
    let answer: DeletionAnswer = core.platform(call).await?;
    let due = time::OffsetDateTime::parse(&answer.due_by, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| Error::Upstream {
            service: "Flux Krea".into(),
            status: 200,
            detail: "due_by is not a date".into(),
        })?;
    // The platform answers a repeated request with the pending one: keep one row for it.
    if let Some(known) =
        super::requests(core).await?.into_iter().find(|r| r.platform_request_id.as_deref() == Some(&answer.request_id))
    {
        return Ok(known);
    }
    let outcome = "account deletion requested; the platform answers by the due date".to_string();
    let id: i64 = sqlx::query_scalar!(
        "INSERT INTO privacy_requests (kind, status, requested_at, outcome, platform_request_id, due_at)
             VALUES ('account_deletion', 'pending', ?, ?, ?, ?) RETURNING id",
        now_ms(),
        outcome,
        answer.request_id,
        due
    )
    .fetch_one(core.pool())
    .await?;
    tracing::info!("account deletion requested");
    super::requests(core)
        .await?
        .into_iter()
        .find(|r| i64::from(r.id) == id)
        .ok_or_else(|| Error::internal("the request was not recorded"))
}

/// The work of [`Core::cancel_account_deletion`].
pub(super) async fn cancel_account_deletion(core: &Core) -> Result<super::PrivacyRequest> {
    if !platform_signed_in(core).await {
        return Err(Error::AuthRequired);
    }
    let call =
        Call { method: reqwest::Method::DELETE, path: "/privacy/account-deletion", body: None, idempotency_key: None };
    let answer: CancelAnswer = core.platform(call).await.map_err(|e| match e {
        Error::Upstream { status: 404, .. } => Error::NotFound { what: "pending account deletion request".into() },
        e => e,
    })?;
    let outcome = "account deletion requested, then cancelled: the account stays".to_string();
    let updated = sqlx::query!(
        "UPDATE privacy_requests SET outcome = ?, status = 'cancelled'
         WHERE kind = 'account_deletion' AND platform_request_id = ?",
        outcome,
        answer.request_id
    )
    .execute(core.pool())
    .await?
    .rows_affected();
    // Asked from another computer: recorded here as what happened.
    if updated == 0 {
        sqlx::query!(
            "INSERT INTO privacy_requests (kind, status, requested_at, outcome, platform_request_id)
                 VALUES ('account_deletion', 'cancelled', ?, ?, ?)",
            now_ms(),
            outcome,
            answer.request_id
        )
        .execute(core.pool())
        .await?;
    }
    tracing::info!("account deletion cancelled");
    super::requests(core)
        .await?
        .into_iter()
        .find(|r| r.platform_request_id.as_deref() == Some(&answer.request_id))
        .ok_or_else(|| Error::internal("the request was not recorded"))
}

/// The work of [`Core::confirm_age`].
pub(super) async fn confirm_age(core: &Core) -> Result<()> {
    put_document(core.pool(), AGE_KEY, Some(&json!({ "minimum_age": MINIMUM_AGE, "confirmed_at": now_ms() }))).await
}

/// The work of [`Core::age_confirmed`].
pub(super) async fn age_confirmed(core: &Core) -> Result<bool> {
    Ok(get_document(core.pool(), AGE_KEY).await?.is_some())
}
