//! Settlement: once Replicate says a prediction is terminal, its outputs are copied to our storage
//! and every image not delivered is refunded, exactly once (the ledger's unique index and
//! `settled_at`). Whoever learns first settles — the create, a read, the webhook or the poller on
//! any replica — under a short lease on the row (lease.rs, renewed while it works), so only one
//! of them works at a time and a settler that dies is replaced within one lease.

use bytes::Bytes;
use serde_json::Value;

use super::replicate;
use crate::app::App;
use crate::credits::ledger::{self, Reason, Refs};
use crate::problem::ApiResult;

/// Replicate deletes outputs after an hour: past this, settle with whatever was copied.
const COPY_DEADLINE_S: f64 = 50.0 * 60.0;

/// How long a create whose replica died before recording Replicate's answer waits for the
/// webhook that names it (webhook.rs) before it is failed and refunded: longer than a FLUX
/// prediction takes, even queued, so one that reached Replicate is delivered, not refunded while
/// Replicate runs it anyway; short enough that credits of one that never got there come back soon.
pub const UNANSWERED_CREATE_S: f64 = 5.0 * 60.0;

struct Claimed {
    id: String,
    user_id: uuid::Uuid,
    replicate_id: Option<String>,
    requested: i32,
    credits_per_image: i64,
    /// A create nobody will answer: given up by the create itself, or its replica died and no
    /// webhook named it within [`UNANSWERED_CREATE_S`].
    unanswered_create: bool,
    copy_overdue: bool,
}

/// Settles `id` if it is due and nobody else is at it. `known` is a fresh Replicate answer
/// (create, cancel, verified webhook) that saves asking again.
pub async fn settle(app: &App, id: &str, known: Option<&Value>) -> ApiResult<()> {
    claim_and_settle(app, id, known, false).await
}

/// Settles, and if another settler holds the prediction, waits (up to `limit`) for it to finish,
/// so an answer that knows the end shows it settled.
pub async fn settle_and_wait(app: &App, id: &str, known: Option<&Value>, limit: std::time::Duration) -> ApiResult<()> {
    let until = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < until {
        // Again each time: a holder that died leaves the row to us once its lease lapses.
        settle(app, id, known).await?;
        let busy = sqlx::query_scalar!(
            "SELECT settled_at IS NULL AND COALESCE(lease_until > now(), false) AS \"busy!\" FROM predictions WHERE id = $1",
            id
        )
        .fetch_one(app.db())
        .await?;
        if !busy {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}

/// A create Replicate refused or never answered: failed, its hold refunded (once).
pub async fn fail_unsent(app: &App, id: &str) -> ApiResult<()> {
    claim_and_settle(app, id, None, true).await
}

/// `give_up`: the create itself, which holds the row while it runs, failing it.
async fn claim_and_settle(app: &App, id: &str, known: Option<&Value>, give_up: bool) -> ApiResult<()> {
    // A `creating` row claimed by anyone but its create: that create's lease lapsed, so the
    // replica running it is gone (or cut off from the database longer than a lease). Replicate
    // may have accepted it: the webhook naming the row records its id, until the grace is over.
    let claimed = sqlx::query_as!(
        Claimed,
        "UPDATE predictions SET lease_until = now() + make_interval(secs => $2)
         WHERE id = $1 AND settled_at IS NULL AND (lease_until IS NULL OR lease_until < now() OR $4)
         RETURNING id, user_id, replicate_id, requested, credits_per_image,
                   status = 'creating' AND ($4 OR created_at < now() - make_interval(secs => $5))
                       AS \"unanswered_create!\",
                   COALESCE(completed_at < now() - make_interval(secs => $3), false) AS \"copy_overdue!\"",
        id,
        crate::lease::secs(app),
        COPY_DEADLINE_S,
        give_up,
        UNANSWERED_CREATE_S
    )
    .fetch_optional(app.db())
    .await?;
    let Some(c) = claimed else { return Ok(()) };
    let beat = keep(app, &c.id);
    let outcome = work(app, &c, known).await;
    drop(beat);
    if outcome.is_err() {
        release(app, &c.id).await?;
    }
    outcome
}

/// Renews the lease on a prediction being created or settled, until dropped.
pub fn keep(app: &App, id: &str) -> crate::lease::Heartbeat {
    let (db, id, secs) = (app.db().clone(), id.to_string(), crate::lease::secs(app));
    crate::lease::keep(app, "prediction", move || {
        let (db, id) = (db.clone(), id.clone());
        async move {
            sqlx::query!(
                "UPDATE predictions SET lease_until = now() + make_interval(secs => $2)
                 WHERE id = $1 AND settled_at IS NULL AND lease_until IS NOT NULL",
                id,
                secs
            )
            .execute(&db)
            .await
            .map(drop)
        }
    })
}

/// Frees the lease and looks again after a sweep interval.
async fn release(app: &App, id: &str) -> ApiResult<()> {
    let later = app.config().sweep_interval.as_secs_f64();
    sqlx::query!(
        "UPDATE predictions SET lease_until = NULL, next_check_at = now() + make_interval(secs => $2) WHERE id = $1",
        id,
        later
    )
    .execute(app.db())
    .await?;
    Ok(())
}

async fn work(app: &App, c: &Claimed, known: Option<&Value>) -> ApiResult<()> {
    let Some(replicate_id) = &c.replicate_id else {
        if c.unanswered_create {
            return finish(app, c, "failed", Some("The prediction could not be created."), None, 0).await;
        }
        return release(app, &c.id).await;
    };
    let fresh;
    let p = match known.filter(|p| p["status"].as_str().is_some_and(replicate::terminal)) {
        Some(p) => p,
        None => {
            let answer = replicate::get(app, replicate_id).await.map_err(crate::problem::ApiError::Unavailable)?;
            if !answer.status.is_success() {
                return release(app, &c.id).await;
            }
            fresh = answer.body;
            &fresh
        }
    };
    let status = p["status"].as_str().unwrap_or("processing").to_string();
    if !replicate::terminal(&status) {
        sqlx::query!(
            "UPDATE predictions SET status = $2, upstream = $3::jsonb - '{input,logs}'::text[], started_at = COALESCE(started_at, now()) WHERE id = $1",
            c.id,
            status,
            p
        )
        .execute(app.db())
        .await?;
        return release(app, &c.id).await;
    }
    let urls: Vec<&str> = match &p["output"] {
        Value::String(u) if status == "succeeded" => vec![u.as_str()],
        Value::Array(list) if status == "succeeded" => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut copied = 0;
    for (idx, url) in urls.iter().enumerate() {
        match copy(app, c, idx, url).await {
            Ok(()) => copied += 1,
            Err(why) if !c.copy_overdue => {
                tracing::warn!(prediction = %c.id, reason = %why, "output copy failed; retrying later");
                sqlx::query!("UPDATE predictions SET status = $2, upstream = $3::jsonb - '{input,logs}'::text[], completed_at = COALESCE(completed_at, now()) WHERE id = $1", c.id, status, p)
                    .execute(app.db())
                    .await?;
                return release(app, &c.id).await;
            }
            Err(why) => tracing::warn!(prediction = %c.id, reason = %why, "output lost before it could be copied"),
        }
    }
    let error = p["error"].as_str().map(str::to_string);
    finish(app, c, &status, error.as_deref(), Some(p), copied).await
}

/// Copies one output into storage (idempotent: a copy done before a crash is kept).
async fn copy(app: &App, c: &Claimed, idx: usize, url: &str) -> Result<(), String> {
    let done = sqlx::query_scalar!(
        "SELECT true AS \"x!\" FROM outputs WHERE prediction_id = $1 AND idx = $2",
        c.id,
        idx as i32
    )
    .fetch_optional(app.db())
    .await
    .map_err(|e| e.to_string())?;
    if done.is_some() {
        return Ok(());
    }
    let bytes: Bytes;
    let content_type: String;
    if let Some(data) = url.strip_prefix("data:") {
        let (meta, payload) = data.split_once(',').ok_or("malformed data URI")?;
        content_type = meta.trim_end_matches(";base64").to_string();
        bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, payload)
            .map_err(|e| e.to_string())?
            .into();
    } else {
        // The delivery host needs no token (docs/wire-facts.md §Replicate).
        let res = app.http().get(url).send().await.map_err(|e| format!("download: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("download answered {}", res.status()));
        }
        content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_string();
        bytes = res.bytes().await.map_err(|e| format!("download: {e}"))?;
    }
    let ext = match content_type.as_str() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "bin",
    };
    let key = format!("outputs/{}/{}/{idx}.{ext}", c.user_id, c.id);
    app.storage().put(&key, bytes.clone(), &content_type).await.map_err(|e| format!("storage: {e}"))?;
    let ttl = app.config().output_ttl.as_secs_f64();
    sqlx::query!(
        "INSERT INTO outputs (prediction_id, idx, object_key, content_type, size, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) ON CONFLICT DO NOTHING",
        c.id,
        idx as i32,
        key,
        content_type,
        bytes.len() as i64,
        ttl
    )
    .execute(app.db())
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Records the end and refunds what was not delivered, in one transaction.
async fn finish(
    app: &App,
    c: &Claimed,
    status: &str,
    error: Option<&str>,
    p: Option<&Value>,
    delivered: i32,
) -> ApiResult<()> {
    let mut tx = app.db().begin().await?;
    let first = sqlx::query!(
        "UPDATE predictions SET status = $2, error = $3, upstream = COALESCE($4::jsonb - '{input,logs}'::text[], upstream), delivered = $5,
                completed_at = COALESCE(completed_at, now()), settled_at = now(), lease_until = NULL
         WHERE id = $1 AND settled_at IS NULL",
        c.id,
        status,
        error,
        p,
        delivered
    )
    .execute(&mut *tx)
    .await?;
    if first.rows_affected() == 0 {
        // Another settler finished it while our lease had lapsed (a database outage): theirs stands.
        return Ok(());
    }
    let missing = (c.requested - delivered).max(0) as i64;
    if missing > 0 {
        let refs = Refs { prediction_id: Some(&c.id), ..Refs::default() };
        ledger::post(&mut tx, c.user_id, c.credits_per_image * missing, Reason::Refund, refs).await?;
    }
    tx.commit().await?;
    Ok(())
}
