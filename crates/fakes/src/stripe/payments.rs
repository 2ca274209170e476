//! What happens to a session after it is created, and the events each step sends
//! (docs.stripe.com/checkout/fulfillment, /payments/checkout/how-checkout-works#lifecycle):
//! - paid at once: `checkout.session.completed` with `payment_status: "paid"`;
//! - a delayed method (the `delayed_payment` knob, or [`StripeFake::fail`]): `completed` with
//!   `"unpaid"`, later `checkout.session.async_payment_succeeded` (now `"paid"`) or `…_failed`;
//! - `checkout.session.expired` for an open session that expires;
//! - `charge.refunded` and `charge.dispute.created` for a paid one.

use std::time::Duration;

use serde_json::Value;

use super::events::{self, DelayedOutcome};
use super::objects::{event, id, Charge, Session, Status};
use super::StripeFake;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Runs `f` on the session under the lock; Err when it does not exist.
fn with_session<R>(
    fake: &StripeFake,
    sid: &str,
    f: impl FnOnce(&mut Session) -> Result<R, String>,
) -> Result<R, String> {
    let mut state = fake.state();
    let session = state.sessions.iter_mut().find(|s| s.id == sid).ok_or_else(|| format!("no such session {sid}"))?;
    f(session)
}

/// The payment is made: `outcome` forces a delayed method; None follows the `delayed_payment` knob.
pub(super) fn pay(fake: &StripeFake, sid: &str, outcome: Option<DelayedOutcome>) -> Result<Value, String> {
    let knobs = fake.knobs();
    let delayed = outcome.or(knobs.delayed_payment);
    let session = with_session(fake, sid, |s| {
        if s.status == Status::Complete && s.awaiting_async && outcome.is_some() {
            return Ok(None); // the pending delayed payment settles below
        }
        if s.status != Status::Open || now() >= s.expires_at {
            return Err(format!("session {sid} is not open"));
        }
        s.status = Status::Complete;
        s.payment_intent = Some(id("pi_3", 21));
        s.awaiting_async = delayed.is_some();
        if delayed.is_none() {
            settle_paid(s);
        }
        Ok(Some(s.to_json()))
    })?;
    match (&session, delayed) {
        (None, Some(outcome)) => settle_async(fake, sid, outcome)?,
        (Some(json), _) => events::emit(fake, event("checkout.session.completed", json.clone())),
        (None, None) => {}
    }
    if let (Some(_), Some(outcome)) = (&session, delayed) {
        let fake = fake.clone();
        let sid = sid.to_string();
        let wait = Duration::from_millis(knobs.delayed_payment_ms);
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let _ = settle_async(&fake, &sid, outcome);
        });
    }
    fake.session(sid).ok_or_else(|| "vanished".into())
}

fn settle_paid(s: &mut Session) {
    s.paid = true;
    s.awaiting_async = false;
    s.charge = Some(Charge { id: id("ch_3", 21), created: now(), amount_refunded: 0, dispute: None });
}

/// The delayed payment's outcome arrives.
fn settle_async(fake: &StripeFake, sid: &str, outcome: DelayedOutcome) -> Result<(), String> {
    let json = with_session(fake, sid, |s| {
        if !s.awaiting_async {
            return Err("no delayed payment pending".into());
        }
        s.awaiting_async = false;
        if outcome == DelayedOutcome::Succeed {
            settle_paid(s);
        }
        Ok(s.to_json())
    })?;
    let kind = match outcome {
        DelayedOutcome::Succeed => "checkout.session.async_payment_succeeded",
        DelayedOutcome::Fail => "checkout.session.async_payment_failed",
    };
    events::emit(fake, event(kind, json));
    Ok(())
}

pub(super) fn expire(fake: &StripeFake, sid: &str) -> Result<Value, String> {
    let json = with_session(fake, sid, |s| {
        if s.status != Status::Open {
            return Err(format!("session {sid} is not open"));
        }
        s.status = Status::Expired;
        Ok(s.to_json())
    })?;
    events::emit(fake, event("checkout.session.expired", json.clone()));
    Ok(json)
}

/// Open sessions past `expires_at` expire (and say so) the next time anyone looks.
pub(super) fn expire_due(fake: &StripeFake) {
    let due: Vec<String> = {
        let state = fake.state();
        state
            .sessions
            .iter()
            .filter(|s| s.status == Status::Open && now() >= s.expires_at)
            .map(|s| s.id.clone())
            .collect()
    };
    for sid in due {
        let _ = expire(fake, &sid);
    }
}

pub(super) fn refund(fake: &StripeFake, sid: &str, amount: Option<i64>) -> Result<Value, String> {
    let charge = with_session(fake, sid, |s| {
        let total = s.amount_total();
        let c = s.charge.as_mut().ok_or_else(|| format!("session {sid} has no charge to refund"))?;
        let amount = amount.unwrap_or(total - c.amount_refunded);
        if amount <= 0 || c.amount_refunded + amount > total {
            return Err(format!("refund of {amount} exceeds what is left of {total}"));
        }
        c.amount_refunded += amount;
        Ok(s.charge_json())
    })?
    .ok_or("no charge")?;
    events::emit(fake, event("charge.refunded", charge.clone()));
    Ok(charge)
}

pub(super) fn dispute(fake: &StripeFake, sid: &str) -> Result<Value, String> {
    let dispute = with_session(fake, sid, |s| {
        let c = s.charge.as_mut().ok_or_else(|| format!("session {sid} has no charge to dispute"))?;
        if c.dispute.is_some() {
            return Err("already disputed".into());
        }
        c.dispute = Some(id("dp_1", 23));
        Ok(s.dispute_json())
    })?
    .ok_or("no dispute")?;
    events::emit(fake, event("charge.dispute.created", dispute.clone()));
    Ok(dispute)
}
