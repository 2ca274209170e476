//! Entry points for the `cargo fuzz` targets in `fuzz/`: the code that reads server answers and the
//! sign-in callback, as the app runs it, minus the network. Not an API (hidden from the docs); the
//! app itself calls the functions these wrap.

pub mod properties;

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;

use crate::auth::broker::{token_answer, TokenAnswer};
use crate::auth::loopback::{answer, page};
use crate::auth::platform::read_answer;
use crate::auth::profile::Me;
pub use crate::auth::session::Session;
use crate::credits::checkout::WireStatus;
use crate::credits::{Checkout, CreditPack, LedgerPage, WireBalance, WireModel};
pub use crate::error::{Error, Result};
pub use crate::generation::prediction::{decode_data_uri, Prediction, PredictionPage, PredictionStatus};
pub use crate::generation::provider::ProviderAccount;
use crate::generation::provider::{json_answer, parse_prediction, path_segment, same_origin};
use crate::privacy::platform::{Deleted, DeletionAnswer};

/// An answer's status; anything outside 100..=999 (which HTTP cannot carry) is None.
pub fn status(code: u16) -> Option<StatusCode> {
    StatusCode::from_u16(code).ok()
}

/// Answer headers as the app reads them: only `Retry-After` matters.
pub fn headers(retry_after: Option<&[u8]>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(RETRY_AFTER, value);
    }
    headers
}

/// `ProviderClient::send_json`: the body as JSON, or the error an error status means.
pub fn replicate_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<Value> {
    json_answer("Replicate", status, headers, body)
}

/// `ProviderClient::create`, `get` and `cancel`: the prediction in the answer.
pub fn prediction(value: Value) -> Result<Prediction> {
    parse_prediction(value)
}

/// `ProviderClient::find`: one page of `GET /predictions`.
pub fn prediction_page(value: Value) -> std::result::Result<PredictionPage, serde_json::Error> {
    serde_json::from_value(value)
}

/// `ProviderClient::account`: who a token belongs to.
pub fn provider_account(value: Value) -> std::result::Result<ProviderAccount, serde_json::Error> {
    serde_json::from_value(value)
}

/// `ProviderClient::get` and `cancel` put a prediction's id in the path only through this check.
pub fn prediction_path_segment(id: &str) -> Result<&str> {
    path_segment(id)
}

/// `ProviderClient::find` follows a page's `next` only while this holds.
pub fn next_stays_on(next: &str, base: &str) -> bool {
    same_origin(next, base)
}

/// `Core::platform_with` reading `bytes` as each answer the app asks the platform for.
pub fn platform_answers(status: StatusCode, headers: &HeaderMap, bytes: &[u8]) -> Vec<Result<()>> {
    let (s, h, b) = (status, headers, bytes);
    vec![
        read_answer::<WireBalance>("/credits", s, h, b).map(drop),
        read_answer::<LedgerPage>("/credits/ledger", s, h, b).map(drop),
        read_answer::<Vec<CreditPack>>("/credits/packs", s, h, b).map(drop),
        read_answer::<Vec<WireModel>>("/models", s, h, b).map(drop),
        read_answer::<Checkout>("/credits/checkout", s, h, b).map(|c| {
            // What `start_checkout` checks before the page is opened.
            let _ = crate::config::check_remote_url("checkout_url", c.checkout_url.split('?').next().unwrap_or(""));
        }),
        read_answer::<WireStatus>("/credits/checkout/cs_1", s, h, b).map(drop),
        read_answer::<Me>("/me", s, h, b).map(drop),
        read_answer::<Value>("/privacy/export", s, h, b).map(drop),
        read_answer::<Deleted>("/privacy/prompts", s, h, b).map(drop),
        read_answer::<DeletionAnswer>("/privacy/account-deletion", s, h, b).map(drop),
    ]
}

/// `Core::platform_with` reading `bytes` as an answer of any shape (what an error status means
/// does not depend on the shape asked for).
pub fn platform_answer(status: StatusCode, headers: &HeaderMap, bytes: &[u8]) -> Result<Value> {
    read_answer("/privacy/export", status, headers, bytes)
}

/// `Broker::token`: the broker's answer to a code exchange or a refresh.
pub fn token(status: StatusCode, bytes: &[u8]) -> Result<TokenAnswer> {
    token_answer(status, bytes)
}

/// The loopback listener's handling of one request head (`Loopback::wait`): None when the
/// request does not end the wait (garbage, not `/callback`, or not this sign-in's state); else the
/// code or why not, and the page the browser is shown.
pub fn oauth_callback(head: &[u8], expected_state: &str) -> Option<(Result<String>, String)> {
    let reply = answer(head, expected_state)?;
    let shown = page(reply.title, &reply.message);
    reply.outcome.map(|outcome| (outcome, shown))
}

/// The page around a message, for comparing what the URL could add to it.
pub fn callback_page(title: &str, message: &str) -> String {
    page(title, message)
}
