//! The Checkout Sessions API: create, retrieve, expire (docs.stripe.com/api/checkout/sessions), with
//! Stripe's API-key auth, error objects (docs.stripe.com/api/errors) and idempotent requests
//! (docs.stripe.com/api/idempotent_requests: the first answer is replayed for the same key; other
//! parameters with that key are a 400 `idempotency_error`; a request that failed validation is not
//! saved).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use super::objects::{id, Session, Status};
use super::{form, payments, StripeFake};

/// The first answer to an Idempotency-Key, and the parameters it was for.
pub(super) struct Replay {
    params: Vec<(String, String)>,
    status: StatusCode,
    body: String,
}

/// Stripe's error object: `{"error": {type, message, code?, param?}}`.
pub(super) fn error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> Response {
    let mut e = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        e["code"] = json!(code);
        e["doc_url"] = json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")));
    }
    if let Some(param) = param {
        e["param"] = json!(param);
    }
    json_response(status, &json!({ "error": e }).to_string())
}

fn json_response(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

pub(super) fn invalid(message: &str, code: &str, param: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request_error", Some(code), message, Some(param))
}

/// `sk_test_****…1234`, as Stripe echoes a wrong key (never the whole key).
fn mask(key: &str) -> String {
    let n = key.chars().count();
    if n <= 12 {
        return "*".repeat(n);
    }
    let head: String = key.chars().take(8).collect();
    let tail: String = key.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 12))
}

/// `Authorization: Bearer sk_…`, or Basic with the key as the user name (both documented).
#[allow(clippy::result_large_err)] // the Err is the early-return answer itself
fn authorize(fake: &StripeFake, headers: &HeaderMap) -> Result<(), Response> {
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let key = if let Some(k) = value.strip_prefix("Bearer ") {
        Some(k.to_string())
    } else if let Some(b) = value.strip_prefix("Basic ") {
        STANDARD
            .decode(b)
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .map(|s| s.split(':').next().unwrap_or("").into())
    } else {
        None
    };
    match key {
        Some(k) if k == fake.inner.secret_key => Ok(()),
        Some(k) => Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            &format!("Invalid API Key provided: {}", mask(&k)),
            None,
        )),
        None => Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using \
             Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            None,
        )),
    }
}

/// `http://<Host>`: the hosted page's URL is built from the address the client used.
fn base(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

pub(super) async fn create(State(fake): State<StripeFake>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(denied) = authorize(&fake, &headers) {
        return denied;
    }
    let key = headers.get("idempotency-key").map(|v| v.to_str().unwrap_or("").to_string());
    if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 255) {
        let m = "Idempotency-Key must be between 1 and 255 characters long.";
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", None, m, None);
    }
    let mut params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    params.sort();
    let mut state = fake.state();
    if let Some(first) = key.as_ref().and_then(|k| state.idempotent.get(k)) {
        if first.params != params {
            let m = format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. \
                 Try using a key other than '{}' if you meant to execute a different request.",
                key.as_deref().unwrap_or("")
            );
            return error(StatusCode::BAD_REQUEST, "idempotency_error", None, &m, None);
        }
        let mut res = json_response(first.status, &first.body);
        res.headers_mut().insert("idempotent-replayed", "true".parse().expect("valid header"));
        return res;
    }
    let tree = match form::parse(&body) {
        Ok(tree) => tree,
        Err(m) => return error(StatusCode::BAD_REQUEST, "invalid_request_error", None, &m, None),
    };
    let session = match super::params::session(&fake, &tree, &base(&headers)) {
        Ok(s) => s,
        Err(rejected) => return rejected,
    };
    let answer = session.to_json().to_string();
    state.sessions.push(session);
    if let Some(key) = key {
        state.idempotent.insert(key, Replay { params, status: StatusCode::OK, body: answer.clone() });
    }
    json_response(StatusCode::OK, &answer)
}

fn missing_session(sid: &str) -> Response {
    let m = format!("No such checkout.session: '{sid}'");
    error(StatusCode::NOT_FOUND, "invalid_request_error", Some("resource_missing"), &m, Some("session"))
}

pub(super) async fn get(State(fake): State<StripeFake>, headers: HeaderMap, Path(sid): Path<String>) -> Response {
    if let Err(denied) = authorize(&fake, &headers) {
        return denied;
    }
    payments::expire_due(&fake);
    match fake.session(&sid) {
        Some(s) => json_response(StatusCode::OK, &s.to_string()),
        None => missing_session(&sid),
    }
}

pub(super) async fn expire(State(fake): State<StripeFake>, headers: HeaderMap, Path(sid): Path<String>) -> Response {
    if let Err(denied) = authorize(&fake, &headers) {
        return denied;
    }
    payments::expire_due(&fake);
    let Some(current) = fake.session(&sid) else { return missing_session(&sid) };
    match payments::expire(&fake, &sid) {
        Ok(s) => json_response(StatusCode::OK, &s.to_string()),
        Err(_) => {
            let m = format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a \
                 status of \"{}\".",
                current["status"].as_str().unwrap_or("")
            );
            error(StatusCode::BAD_REQUEST, "invalid_request_error", None, &m, None)
        }
    }
}

pub(super) async fn not_found(method: Method, uri: Uri) -> Response {
    let m = format!("Unrecognized request URL ({method}: {}).", uri.path());
    error(StatusCode::NOT_FOUND, "invalid_request_error", None, &m, None)
}

/// A new open session (used by the parameter checks once they pass).
pub(super) fn new_session(base: &str) -> Session {
    let created = chrono::Utc::now().timestamp();
    Session {
        id: id("cs_test_a1", 48),
        created,
        expires_at: created + 24 * 3600,
        url_base: base.to_string(),
        items: Vec::new(),
        currency: String::new(),
        success_url: String::new(),
        cancel_url: None,
        client_reference_id: None,
        customer_email: None,
        metadata: Default::default(),
        pi_metadata: Default::default(),
        status: Status::Open,
        paid: false,
        payment_intent: None,
        charge: None,
        awaiting_async: false,
    }
}
