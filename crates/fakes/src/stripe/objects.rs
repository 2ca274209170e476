//! Stripe's objects as the API and events show them (docs.stripe.com/api: the Checkout Session,
//! Charge, Dispute and Event objects), trimmed to the fields a fulfilment service reads plus the
//! ones that show their shape. Linking as in Stripe: the session names its `payment_intent` once
//! paid (null while open, API versions since 2022-08-01); a charge and a dispute name the
//! `payment_intent` and the charge; the session's `metadata` is not copied to them, the
//! `payment_intent_data[metadata]` is (onto the PaymentIntent and its charge).

use serde_json::{json, Map, Value};

use crate::replicate::ids::token;

/// The API version events are rendered in.
pub(super) const API_VERSION: &str = "2025-03-31.basil";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Open,
    Complete,
    Expired,
}

#[derive(Clone, Debug)]
pub(super) struct LineItem {
    pub name: String,
    pub unit_amount: i64,
    pub quantity: i64,
}

#[derive(Clone, Debug)]
pub(super) struct Charge {
    pub id: String,
    pub created: i64,
    pub amount_refunded: i64,
    pub dispute: Option<String>,
}

#[derive(Clone, Debug)]
pub(super) struct Session {
    pub id: String,
    pub created: i64,
    pub expires_at: i64,
    pub url_base: String,
    pub items: Vec<LineItem>,
    pub currency: String,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub client_reference_id: Option<String>,
    pub customer_email: Option<String>,
    pub metadata: Map<String, Value>,
    pub pi_metadata: Map<String, Value>,
    pub status: Status,
    pub paid: bool,
    pub payment_intent: Option<String>,
    pub charge: Option<Charge>,
    /// A delayed payment whose outcome is not known yet.
    pub awaiting_async: bool,
}

pub(super) fn id(prefix: &str, len: usize) -> String {
    format!("{prefix}{}", token(len))
}

impl Session {
    pub fn amount_total(&self) -> i64 {
        self.items.iter().map(|i| i.unit_amount * i.quantity).sum()
    }

    pub fn url(&self) -> String {
        format!("{}/c/pay/{}", self.url_base, self.id)
    }

    pub fn to_json(&self) -> Value {
        let open = self.status == Status::Open;
        json!({
            "id": self.id,
            "object": "checkout.session",
            "amount_subtotal": self.amount_total(),
            "amount_total": self.amount_total(),
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "created": self.created,
            "currency": self.currency,
            "customer": null,
            "customer_details": if self.status == Status::Complete {
                json!({ "email": self.customer_email.clone().unwrap_or_else(|| "buyer@example.com".into()) })
            } else { Value::Null },
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "livemode": false,
            "metadata": self.metadata,
            "mode": "payment",
            "payment_intent": self.payment_intent,
            "payment_method_types": ["card"],
            "payment_status": if self.paid { "paid" } else { "unpaid" },
            "status": match self.status { Status::Open => "open", Status::Complete => "complete", Status::Expired => "expired" },
            "success_url": self.success_url,
            "ui_mode": "hosted",
            // Stripe shows the hosted page's URL only while the session can still be paid.
            "url": if open { json!(self.url()) } else { Value::Null },
        })
    }

    pub fn charge_json(&self) -> Option<Value> {
        let c = self.charge.as_ref()?;
        let amount = self.amount_total();
        Some(json!({
            "id": c.id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": c.amount_refunded,
            "captured": true,
            "created": c.created,
            "currency": self.currency,
            "disputed": c.dispute.is_some(),
            "livemode": false,
            "metadata": self.pi_metadata,
            "paid": true,
            "payment_intent": self.payment_intent,
            "refunded": c.amount_refunded >= amount,
            "status": "succeeded",
        }))
    }

    pub fn dispute_json(&self) -> Option<Value> {
        let c = self.charge.as_ref()?;
        Some(json!({
            "id": c.dispute.clone()?,
            "object": "dispute",
            "amount": self.amount_total(),
            "charge": c.id,
            "created": chrono::Utc::now().timestamp(),
            "currency": self.currency,
            "is_charge_refundable": false,
            "livemode": false,
            "metadata": {},
            "payment_intent": self.payment_intent,
            "reason": "fraudulent",
            "status": "needs_response",
        }))
    }
}

/// An Event wrapping `object` (docs.stripe.com/api/events/object).
pub(super) fn event(kind: &str, object: Value) -> Value {
    json!({
        "id": id("evt_1", 23),
        "object": "event",
        "api_version": API_VERSION,
        "created": chrono::Utc::now().timestamp(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
    })
}
