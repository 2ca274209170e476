//! Fulfilment from what Stripe says about a Checkout Session (a webhook or a retrieve): a paid
//! session completes its checkout and grants its credits once (the ledger's unique index on the
//! checkout); a failed or expired one closes it. Refunds and disputes post `reversal` entries.

use serde_json::Value;
use sqlx::{Postgres, Transaction};

use super::ledger::{self, Reason, Refs};

/// What the event or retrieve says happened to the session.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    Paid,
    /// Completed with a delayed method: still open until it succeeds or fails (§4.2).
    Pending,
    Failed,
    Expired,
}

pub fn outcome(session: &Value, event_type: Option<&str>) -> Outcome {
    let paid = matches!(session["payment_status"].as_str(), Some("paid" | "no_payment_required"));
    match (event_type, session["status"].as_str()) {
        (Some("checkout.session.async_payment_failed"), _) => Outcome::Failed,
        (_, Some("expired")) => Outcome::Expired,
        (_, Some("complete")) if paid => Outcome::Paid,
        _ => Outcome::Pending,
    }
}

/// Applies a session's state to its checkout; false if the checkout is unknown here.
pub async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    session: &Value,
    event_type: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let Some(id) = session["id"].as_str() else { return Ok(false) };
    adopt(tx, id, session).await?;
    let row = sqlx::query!("SELECT user_id, credits, status FROM checkouts WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(false) };
    let payment_intent = session["payment_intent"].as_str();
    match outcome(session, event_type) {
        Outcome::Paid if row.status != "complete" => {
            sqlx::query!(
                "UPDATE checkouts SET status = 'complete', payment_intent = COALESCE($2, payment_intent), updated_at = now() WHERE id = $1",
                id,
                payment_intent
            )
            .execute(&mut **tx)
            .await?;
            let refs = Refs { checkout_id: Some(id), ..Refs::default() };
            ledger::post(tx, row.user_id, row.credits, Reason::Purchase, refs).await?;
        }
        Outcome::Failed | Outcome::Expired if row.status == "open" => {
            sqlx::query!("UPDATE checkouts SET status = 'expired', updated_at = now() WHERE id = $1", id)
                .execute(&mut **tx)
                .await?;
        }
        Outcome::Pending if payment_intent.is_some() => {
            sqlx::query!(
                "UPDATE checkouts SET payment_intent = $2 WHERE id = $1 AND payment_intent IS NULL",
                id,
                payment_intent
            )
            .execute(&mut **tx)
            .await?;
        }
        _ => {}
    }
    Ok(true)
}

/// A session Stripe made for us whose row we never wrote (the replica died between Stripe's answer
/// and our insert) is recorded from its metadata, so a payment for it is still granted.
async fn adopt(tx: &mut Transaction<'_, Postgres>, id: &str, session: &Value) -> Result<(), sqlx::Error> {
    let meta = &session["metadata"];
    let (Some(user), Some(pack)) =
        (meta["user_id"].as_str().and_then(|u| u.parse::<uuid::Uuid>().ok()), meta["pack_id"].as_str())
    else {
        return Ok(());
    };
    let expires_at = chrono::DateTime::<chrono::Utc>::from_timestamp(session["expires_at"].as_i64().unwrap_or(0), 0)
        .unwrap_or_else(chrono::Utc::now);
    sqlx::query!(
        "INSERT INTO checkouts (id, user_id, pack_id, credits, status, checkout_url, expires_at)
         SELECT $1, u.id, p.id, p.credits, 'open', COALESCE($4, ''), $5
         FROM users u, credit_packs p WHERE u.id = $2 AND p.id = $3
         ON CONFLICT (id) DO NOTHING",
        id,
        user,
        pack,
        session["url"].as_str(),
        expires_at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A refund (`charge.refunded`, cumulative `amount_refunded`) or a dispute
/// (`charge.dispute.created`) takes back the credits of the money returned, once each; false if
/// the purchase is not known (yet).
pub async fn reverse(tx: &mut Transaction<'_, Postgres>, object: &Value, dispute: bool) -> Result<bool, sqlx::Error> {
    let Some(intent) = object["payment_intent"].as_str() else { return Ok(false) };
    let row = sqlx::query!(
        "SELECT c.id, c.user_id, c.credits, p.price_cents FROM checkouts c JOIN credit_packs p ON p.id = c.pack_id
         WHERE c.payment_intent = $1 AND c.status = 'complete' FOR UPDATE OF c",
        intent
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let reversed: i64 = sqlx::query_scalar!(
        "SELECT COALESCE(SUM(-delta), 0)::bigint AS \"sum!\" FROM ledger_entries WHERE checkout_id = $1 AND reason = 'reversal'",
        row.id
    )
    .fetch_one(&mut **tx)
    .await?;
    let (target, stripe_ref) = if dispute {
        (row.credits, object["id"].as_str().unwrap_or_default().to_string())
    } else {
        let refunded = object["amount_refunded"].as_i64().unwrap_or(0);
        let amount = object["amount"].as_i64().unwrap_or(row.price_cents).max(1);
        let charge = object["id"].as_str().unwrap_or_default();
        (row.credits * refunded.min(amount) / amount, format!("{charge}:{refunded}"))
    };
    let delta = target.min(row.credits) - reversed;
    if delta > 0 {
        let refs = Refs { checkout_id: Some(&row.id), stripe_ref: Some(&stripe_ref), ..Refs::default() };
        ledger::post(tx, row.user_id, -delta, Reason::Reversal, refs).await?;
    }
    Ok(true)
}
