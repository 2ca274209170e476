//! `Idempotency-Key` (docs/platform-api.md §4.1), across replicas: a row per (user, scope, key) holds
//! the request's hash and, once answered, the answer. Same key and body → the answer replayed;
//! another body → 422; still running → 409. A request that died mid-way leaves a lease that
//! expires, after which the key may be used again — or, if it recorded progress (the prediction it
//! created), picked up where it stopped. Keys live 24 h (the sweeper removes them).

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::problem::{ApiError, ApiResult};

/// Stripe's limit, which the platform copies.
const MAX_KEY_LEN: usize = 255;
/// How long a request that does not renew its lease (checkout) may hold its key before another
/// may take it over: beyond the request timeout (app.rs), so a request still running keeps it.
pub const LEASE_S: f64 = 180.0;

#[derive(Clone, Copy)]
pub enum Scope {
    Checkout,
    Prediction,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Checkout => "checkout",
            Scope::Prediction => "prediction",
        }
    }
}

#[derive(Clone)]
pub struct Key {
    pub user: Uuid,
    pub scope: Scope,
    pub key: String,
}

pub enum Begun {
    /// Ours to carry out; call [`finish`] or [`abandon`].
    Fresh(Key),
    /// The stored answer.
    Replay(StatusCode, Value),
    /// Ours now: a request that died after recording this progress ([`progress`]); carry on.
    Resume(Key, Value),
}

/// The required header (creates of predictions and checkout sessions).
pub fn header(headers: &HeaderMap) -> ApiResult<String> {
    match headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some(key) if !key.is_empty() && key.len() <= MAX_KEY_LEN => Ok(key.to_string()),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            "Idempotency-Key required",
            "Send an Idempotency-Key header (1 to 255 characters) so a retried request is not charged twice.",
        )),
    }
}

/// `lease_s`: how long the key is ours unless [`renew`]ed.
pub async fn begin(db: &PgPool, user: Uuid, scope: Scope, key: String, body: &[u8], lease_s: f64) -> ApiResult<Begun> {
    let hash = sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(body)).to_vec();
    // The row that conflicted may be abandoned (deleted) before we read it: then try again.
    for _ in 0..5 {
        if let Some(begun) = try_begin(db, user, scope, &key, &hash, lease_s).await? {
            return Ok(begun);
        }
    }
    Err(ApiError::internal("idempotency key kept vanishing"))
}

async fn try_begin(
    db: &PgPool,
    user: Uuid,
    scope: Scope,
    key: &str,
    hash: &[u8],
    lease_s: f64,
) -> ApiResult<Option<Begun>> {
    let mut tx = db.begin().await?;
    let inserted = sqlx::query_scalar!(
        "INSERT INTO idempotency_keys (user_id, scope, key, request_hash, locked_until)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT DO NOTHING RETURNING true AS \"ok!\"",
        user,
        scope.as_str(),
        key,
        hash,
        lease_s
    )
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_some() {
        tx.commit().await?;
        return Ok(Some(Begun::Fresh(Key { user, scope, key: key.to_string() })));
    }
    let row = sqlx::query!(
        "SELECT request_hash, status_code, response,
                COALESCE(locked_until > now(), false) AS \"locked!\",
                created_at < now() - interval '24 hours' AS \"stale!\"
         FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3 FOR UPDATE",
        user,
        scope.as_str(),
        key
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let take_over = row.stale || (row.response.is_none() && !row.locked);
    if !take_over {
        if row.request_hash != hash {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency-Key reused",
                "This Idempotency-Key was used with a different request.",
            ));
        }
        return match (row.status_code, row.response) {
            (Some(status), Some(body)) => {
                Ok(Some(Begun::Replay(StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK), body)))
            }
            (None, Some(progress)) if !row.locked => {
                let k = Key { user, scope, key: key.to_string() };
                lock(&mut tx, &k, lease_s).await?;
                tx.commit().await?;
                Ok(Some(Begun::Resume(k, progress)))
            }
            _ => Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_flight",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
            )),
        };
    }
    // Expired (24 h) or abandoned by a request that died: start over under this key.
    sqlx::query!(
        "UPDATE idempotency_keys SET request_hash = $4, status_code = NULL, response = NULL, created_at = now(),
                locked_until = now() + make_interval(secs => $5)
         WHERE user_id = $1 AND scope = $2 AND key = $3",
        user,
        scope.as_str(),
        key,
        hash,
        lease_s
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(Begun::Fresh(Key { user, scope, key: key.to_string() })))
}

/// Stores the answer for replays.
pub async fn finish(db: &PgPool, k: &Key, status: StatusCode, body: &Value) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys SET status_code = $4, response = $5, locked_until = NULL
         WHERE user_id = $1 AND scope = $2 AND key = $3",
        k.user,
        k.scope.as_str(),
        k.key,
        status.as_u16() as i32,
        body
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Renews the key's lease while the request runs, until dropped.
pub fn keep(app: &crate::app::App, k: &Key) -> crate::lease::Heartbeat {
    let (db, k, secs) = (app.db().clone(), k.clone(), crate::lease::secs(app));
    crate::lease::keep(app, "idempotency key", move || {
        let (db, k) = (db.clone(), k.clone());
        async move { renew(&db, &k, secs).await }
    })
}

/// Extends the key's lease (a request still running renews it; see lease.rs).
pub async fn renew(db: &PgPool, k: &Key, lease_s: f64) -> Result<(), sqlx::Error> {
    let mut conn = db.acquire().await?;
    lock(&mut conn, k, lease_s).await
}

async fn lock(conn: &mut sqlx::PgConnection, k: &Key, lease_s: f64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $4)
         WHERE user_id = $1 AND scope = $2 AND key = $3 AND status_code IS NULL",
        k.user,
        k.scope.as_str(),
        k.key,
        lease_s
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records what the request has done so far (in the transaction that did it), for a retry to
/// resume from if this request dies; `None` when it was undone.
pub async fn progress(conn: &mut sqlx::PgConnection, k: &Key, progress: Option<&Value>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys SET response = $4 WHERE user_id = $1 AND scope = $2 AND key = $3 AND status_code IS NULL",
        k.user,
        k.scope.as_str(),
        k.key,
        progress
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// After a failure: a key with nothing done is freed ([`abandon`]); one with progress is unlocked,
/// so a retry resumes at once instead of doing it again.
pub async fn release(db: &PgPool, k: &Key) -> Result<(), sqlx::Error> {
    let freed = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3 AND response IS NULL",
        k.user,
        k.scope.as_str(),
        k.key
    )
    .execute(db)
    .await?;
    if freed.rows_affected() == 0 {
        sqlx::query!(
            "UPDATE idempotency_keys SET locked_until = NULL WHERE user_id = $1 AND scope = $2 AND key = $3 AND status_code IS NULL",
            k.user,
            k.scope.as_str(),
            k.key
        )
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Frees the key after a failure worth retrying (an upstream outage): nothing was done.
pub async fn abandon(db: &PgPool, k: &Key) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3",
        k.user,
        k.scope.as_str(),
        k.key
    )
    .execute(db)
    .await?;
    Ok(())
}
