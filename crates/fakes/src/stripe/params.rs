//! The create parameters, checked as Stripe checks them (docs.stripe.com/api/checkout/sessions/create):
//! unknown parameters are refused, `mode`, `line_items[N][quantity]` and `success_url` are required,
//! each line item has `price` or `price_data`, metadata has Stripe's limits (50 keys, key ≤ 40,
//! value ≤ 500 characters), `expires_at` is 30 min – 24 h ahead.

// Every check answers Stripe's error response itself; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

use axum::response::Response;
use serde_json::{Map, Value};

use super::api::{invalid, new_session};
use super::objects::{LineItem, Session};
use super::StripeFake;

const KNOWN: &[&str] = &[
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "metadata",
    "customer_email",
    "expires_at",
    "payment_method_types",
    "payment_intent_data",
    "locale",
    "expand",
    "submit_type",
    "allow_promotion_codes",
];

fn missing(param: &str) -> Response {
    invalid(&format!("Missing required param: {param}."), "parameter_missing", param)
}

fn bad(param: &str, why: &str) -> Response {
    invalid(&format!("Invalid {param}: {why}"), "parameter_invalid", param)
}

fn string<'a>(tree: &'a Value, key: &str) -> Option<&'a str> {
    tree.get(key).and_then(Value::as_str)
}

fn integer(v: Option<&Value>, param: &str) -> Result<Option<i64>, Response> {
    match v {
        None => Ok(None),
        Some(v) => v.as_str().and_then(|s| s.parse().ok()).map(Some).ok_or_else(|| bad(param, "must be an integer")),
    }
}

fn url_param(tree: &Value, key: &str) -> Result<Option<String>, Response> {
    match string(tree, key) {
        None => Ok(None),
        Some(u) if url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https")) => Ok(Some(u.into())),
        Some(_) => Err(bad(key, "Not a valid URL")),
    }
}

fn metadata(v: Option<&Value>, param: &str) -> Result<Map<String, Value>, Response> {
    let Some(v) = v else { return Ok(Map::new()) };
    let map = v.as_object().ok_or_else(|| bad(param, "must be a hash"))?;
    if map.len() > 50 {
        return Err(bad(param, "You can specify up to 50 keys."));
    }
    if let Some((k, _)) =
        map.iter().find(|(k, v)| k.chars().count() > 40 || v.as_str().is_none_or(|v| v.chars().count() > 500))
    {
        return Err(bad(&format!("{param}[{k}]"), "keys are at most 40 and values at most 500 characters"));
    }
    Ok(map.clone())
}

pub(super) fn session(fake: &StripeFake, tree: &Value, base: &str) -> Result<Session, Response> {
    if let Some(unknown) = tree.as_object().into_iter().flatten().map(|(k, _)| k).find(|k| !KNOWN.contains(&k.as_str()))
    {
        return Err(invalid(&format!("Received unknown parameter: {unknown}"), "parameter_unknown", unknown));
    }
    match string(tree, "mode") {
        None => return Err(missing("mode")),
        Some("payment") => {}
        Some(other) => return Err(bad("mode", &format!("{other} (this fake models mode=payment only)"))),
    }
    let mut s = new_session(base);
    let items = tree.get("line_items").and_then(Value::as_array).filter(|a| !a.is_empty());
    let Some(items) = items else { return Err(missing("line_items")) };
    for (i, item) in items.iter().enumerate() {
        let p = |k: &str| format!("line_items[{i}][{k}]");
        let quantity = integer(item.get("quantity"), &p("quantity"))?.ok_or_else(|| missing(&p("quantity")))?;
        if quantity < 1 {
            return Err(bad(&p("quantity"), "must be at least 1"));
        }
        let (unit_amount, currency, name) = match (string(item, "price"), item.get("price_data")) {
            (Some(price), None) => {
                let found =
                    fake.inner.prices.iter().find(|x| x.id == price).ok_or_else(|| {
                        invalid(&format!("No such price: '{price}'"), "resource_missing", &p("price"))
                    })?;
                (found.unit_amount, found.currency.clone(), found.product_name.clone())
            }
            (None, Some(data)) => {
                let pd = |k: &str| format!("line_items[{i}][price_data][{k}]");
                let currency = string(data, "currency").ok_or_else(|| missing(&pd("currency")))?;
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
                    return Err(bad(&pd("currency"), "must be a three-letter ISO currency code, in lowercase"));
                }
                let amount =
                    integer(data.get("unit_amount"), &pd("unit_amount"))?.ok_or_else(|| missing(&pd("unit_amount")))?;
                if amount < 0 {
                    return Err(bad(&pd("unit_amount"), "must be at least 0"));
                }
                let name = data.get("product_data").and_then(|d| string(d, "name"));
                let name = name.ok_or_else(|| missing(&format!("line_items[{i}][price_data][product_data][name]")))?;
                (amount, currency.to_string(), name.to_string())
            }
            _ => return Err(bad(&format!("line_items[{i}]"), "exactly one of price or price_data is required")),
        };
        if !s.currency.is_empty() && s.currency != currency {
            return Err(bad(&p("price_data][currency"), "all line items must use the same currency"));
        }
        s.currency = currency;
        s.items.push(LineItem { name, unit_amount, quantity });
    }
    // Stripe's minimum charge in USD is $0.50 (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
    if s.currency == "usd" && s.amount_total() < 50 {
        return Err(bad("line_items", "The Checkout Session's total amount due must add up to at least $0.50 usd"));
    }
    s.success_url = url_param(tree, "success_url")?.ok_or_else(|| missing("success_url"))?;
    s.cancel_url = url_param(tree, "cancel_url")?;
    s.client_reference_id = string(tree, "client_reference_id").map(Into::into);
    if s.client_reference_id.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return Err(bad("client_reference_id", "must be at most 200 characters"));
    }
    s.customer_email = string(tree, "customer_email").map(Into::into);
    s.metadata = metadata(tree.get("metadata"), "metadata")?;
    let pi = tree.get("payment_intent_data");
    s.pi_metadata = metadata(pi.and_then(|p| p.get("metadata")), "payment_intent_data[metadata]")?;
    if let Some(at) = integer(tree.get("expires_at"), "expires_at")? {
        if !(s.created + 30 * 60..=s.created + 24 * 3600).contains(&at) {
            return Err(bad("expires_at", "must be between 30 minutes and 24 hours from now"));
        }
        s.expires_at = at;
    }
    Ok(s)
}
