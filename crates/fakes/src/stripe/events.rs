//! Webhook delivery of events (docs.stripe.com/webhooks): at least once, in no guaranteed order,
//! each attempt signed afresh (`Stripe-Signature: t=…,v1=…`, one `v1` per active secret while a
//! secret is rolled), retried with exponential backoff on a non-2xx or a failed connection.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StripeFake;
use crate::replicate::ids::random_u64;
use crate::signatures::stripe_header;
use crate::webhook::{deliver, Outgoing, Retry};

/// How a delayed payment method (a bank debit, say) ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelayedOutcome {
    Succeed,
    Fail,
}

/// Delivery and payment knobs (`POST /_fake/knobs` takes the whole object; missing fields default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StripeKnobs {
    /// Each event is delivered this many times (Stripe delivers at least once).
    pub times: u32,
    /// Each copy waits a random 0..`shuffle_window_ms` before its first attempt, so events and copies
    /// arrive out of order; [`StripeFake::release`] also shuffles what it sends.
    pub shuffle: bool,
    pub shuffle_window_ms: u64,
    /// Events are kept back until [`StripeFake::release`] (`POST /_fake/release`).
    pub hold: bool,
    /// Every copy waits this long before its first attempt (late delivery).
    pub delay_ms: u64,
    /// Payments use a delayed method: `completed` comes unpaid, then after `delayed_payment_ms`
    /// `async_payment_succeeded` or `async_payment_failed`.
    pub delayed_payment: Option<DelayedOutcome>,
    pub delayed_payment_ms: u64,
    /// A second secret to sign with too (rotation: two `v1=` entries, the configured one first).
    pub second_secret: Option<String>,
    /// Added to the signed `t` (negative: a stale signature the receiver must refuse).
    pub timestamp_offset_s: i64,
    /// Attempts per copy, and the wait before the second (doubling after).
    pub max_attempts: u32,
    pub retry_base_ms: u64,
}

impl Default for StripeKnobs {
    fn default() -> Self {
        StripeKnobs {
            times: 1,
            shuffle: false,
            shuffle_window_ms: 200,
            hold: false,
            delay_ms: 0,
            delayed_payment: None,
            delayed_payment_ms: 100,
            second_secret: None,
            timestamp_offset_s: 0,
            max_attempts: 5,
            retry_base_ms: 100,
        }
    }
}

/// Records the event and sends it (or holds it, with the `hold` knob).
pub(super) fn emit(fake: &StripeFake, event: Value) {
    let hold = {
        let mut state = fake.state();
        state.events.push(event.clone());
        if state.knobs.hold {
            state.held.push(event.clone());
        }
        state.knobs.hold
    };
    if !hold {
        dispatch(fake, vec![event], false);
    }
}

pub(super) fn release(fake: &StripeFake) -> usize {
    let held = std::mem::take(&mut fake.state().held);
    let n = held.len();
    dispatch(fake, held, true);
    n
}

fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, (random_u64() % (i as u64 + 1)) as usize);
    }
}

/// Sends `times` copies of each event. `in_order`: one task sends them one after another (after a
/// shuffle when the knob says so), so a released batch arrives in exactly that order.
fn dispatch(fake: &StripeFake, events: Vec<Value>, in_order: bool) {
    let (knobs, url, secret) = {
        let state = fake.state();
        (state.knobs.clone(), state.webhook_url.clone(), state.webhook_secret.clone())
    };
    let Some(url) = url else { return };
    let mut copies: Vec<Value> =
        events.into_iter().flat_map(|e| std::iter::repeat_n(e, knobs.times.max(1) as usize)).collect();
    if knobs.shuffle {
        shuffle(&mut copies);
    }
    let mut secrets = vec![secret];
    secrets.extend(knobs.second_secret.clone());
    let retry = Retry { attempts: knobs.max_attempts.max(1), base: Duration::from_millis(knobs.retry_base_ms) };
    let log = fake.inner.deliveries.clone();
    let outgoing: Vec<Outgoing> = copies
        .into_iter()
        .map(|event| {
            let body = event.to_string();
            let signed_body = body.clone();
            let secrets = secrets.clone();
            let offset = knobs.timestamp_offset_s;
            Outgoing {
                id: event["id"].as_str().unwrap_or_default().into(),
                kind: event["type"].as_str().unwrap_or_default().into(),
                url: url.clone(),
                body,
                sign: Box::new(move |t| {
                    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    vec![("Stripe-Signature".into(), stripe_header(&refs, t + offset, signed_body.as_bytes()))]
                }),
                user_agent: "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            }
        })
        .collect();
    let delay = Duration::from_millis(knobs.delay_ms);
    if in_order {
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            for out in outgoing {
                deliver(out, retry, log.clone()).await;
            }
        });
        return;
    }
    for out in outgoing {
        let jitter = if knobs.shuffle { random_u64() % knobs.shuffle_window_ms.max(1) } else { 0 };
        let log = log.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay + Duration::from_millis(jitter)).await;
            deliver(out, retry, log).await;
        });
    }
}
