//! The one append-only ledger: every balance change is an entry written in the same transaction
//! as the balance, so the sum of a user's entries always equals their balance.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reason {
    Purchase,
    Generation,
    Refund,
    Grant,
    Reversal,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Purchase => "purchase",
            Reason::Generation => "generation",
            Reason::Refund => "refund",
            Reason::Grant => "grant",
            Reason::Reversal => "reversal",
        }
    }
}

/// What an entry is about; the unique indexes make each effect happen once.
#[derive(Default)]
pub struct Refs<'a> {
    pub prediction_id: Option<&'a str>,
    pub checkout_id: Option<&'a str>,
    pub stripe_ref: Option<&'a str>,
}

pub enum Posted {
    Done,
    /// A charge the balance cannot cover (or a balance ≤ 0, §4.3): nothing written.
    Insufficient {
        balance: i64,
    },
    /// The same effect was already posted (a unique index said so): nothing written.
    Duplicate,
}

/// Posts an entry. A charge (negative generation delta) only goes through while the balance covers
/// it; other entries always do. Runs in the caller's transaction.
pub async fn post(
    tx: &mut Transaction<'_, Postgres>,
    user: Uuid,
    delta: i64,
    reason: Reason,
    refs: Refs<'_>,
) -> Result<Posted, sqlx::Error> {
    let charge = reason == Reason::Generation;
    // A savepoint, so a duplicate (unique violation) leaves the caller's transaction usable.
    let mut sp = sqlx::Acquire::begin(&mut **tx).await?;
    let balance = if charge {
        sqlx::query_scalar!(
            "UPDATE users SET balance = balance + $2, balance_updated_at = now()
             WHERE id = $1 AND balance > 0 AND balance + $2 >= 0 RETURNING balance",
            user,
            delta
        )
        .fetch_optional(&mut *sp)
        .await?
    } else {
        sqlx::query_scalar!(
            "UPDATE users SET balance = balance + $2, balance_updated_at = now() WHERE id = $1 RETURNING balance",
            user,
            delta
        )
        .fetch_optional(&mut *sp)
        .await?
    };
    let Some(balance) = balance else {
        let balance = current(&mut sp, user).await?;
        return Ok(Posted::Insufficient { balance });
    };
    let inserted = sqlx::query!(
        "INSERT INTO ledger_entries (user_id, delta, reason, balance_after, prediction_id, checkout_id, stripe_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        user,
        delta,
        reason.as_str(),
        balance,
        refs.prediction_id,
        refs.checkout_id,
        refs.stripe_ref
    )
    .execute(&mut *sp)
    .await;
    match inserted {
        Ok(_) => {
            sp.commit().await?;
            Ok(Posted::Done)
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            sp.rollback().await?;
            Ok(Posted::Duplicate)
        }
        Err(e) => Err(e),
    }
}

pub async fn current(conn: &mut PgConnection, user: Uuid) -> Result<i64, sqlx::Error> {
    let balance = sqlx::query_scalar!("SELECT balance FROM users WHERE id = $1", user).fetch_optional(conn).await?;
    Ok(balance.unwrap_or(0))
}

pub struct Entry {
    pub id: i64,
    pub delta: i64,
    pub reason: String,
    pub prediction_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Entry {
    pub fn to_json(&self) -> serde_json::Value {
        let mut e = serde_json::json!({
            "id": format!("le_{:08}", self.id),
            "delta": self.delta,
            "reason": self.reason,
            "created_at": crate::time::rfc3339(self.created_at),
        });
        if let Some(id) = &self.prediction_id {
            e["prediction_id"] = serde_json::json!(id);
        }
        e
    }
}

/// Newest first, entries with an id below `before`.
pub async fn page(conn: &mut PgConnection, user: Uuid, before: i64, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as!(
        Entry,
        "SELECT id, delta, reason, prediction_id, created_at FROM ledger_entries
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        user,
        before,
        limit
    )
    .fetch_all(conn)
    .await
}
