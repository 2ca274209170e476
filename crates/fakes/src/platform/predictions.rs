//! Predictions through the platform: `POST /models/{owner}/{name}/predictions` reserves credits
//! and creates on Replicate (idempotent on `Idempotency-Key`), `GET /predictions/{id}` and
//! `POST /predictions/{id}/cancel` show only the caller's own, with `credits_charged`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use super::privacy::StoredPrompt;
use super::tokens::Caller;
use super::upstream::{created, present, upstream_error};
use super::{base_url, catalog, now, problem, PlatformFake};
use crate::problem::coded;
use crate::replicate::headers::prefer_wait;

/// Stripe's limit, which the platform copies.
const MAX_KEY_LEN: usize = 255;

/// What the platform knows about a prediction it proxied.
pub(super) struct Charge {
    pub id: String,
    pub user_id: String,
    pub key: String,
    /// SHA-256 of the model and body the key was first used with (§4.1: another body → 422).
    pub fingerprint: [u8; 32],
    pub credits_per_image: i64,
    pub requested: i64,
    pub reserved: i64,
    pub refunded: i64,
    /// The refund (if any) is done; never settled twice.
    pub settled: bool,
    pub input_erased: bool,
}

pub(super) fn routes() -> Router<PlatformFake> {
    Router::new()
        .route("/models/{owner}/{name}/predictions", post(create))
        .route("/predictions/{id}", get(read))
        .route("/predictions/{id}/cancel", post(cancel))
}

/// The required `Idempotency-Key` header (creates of predictions and checkout sessions).
#[allow(clippy::result_large_err)] // the Err is the early-return answer itself; boxing buys nothing
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, Response> {
    match headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some(key) if !key.is_empty() && key.len() <= MAX_KEY_LEN => Ok(key.to_string()),
        _ => Err(problem(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            "Idempotency-Key required",
            "Send an Idempotency-Key header (1 to 255 characters) so a retried request is not charged twice.",
        )),
    }
}

/// What an Idempotency-Key is bound to: the model and the exact body.
fn fingerprint(owner: &str, name: &str, body: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(format!("{owner}/{name}\n").as_bytes());
    hash.update(body);
    hash.finalize().into()
}

async fn create(
    State(fake): State<PlatformFake>,
    Extension(caller): Extension<Caller>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(missing) => return missing,
    };
    let Some(model) = catalog::model(&owner, &name) else {
        let detail = format!("{owner}/{name} is not offered on the platform.");
        return problem(StatusCode::NOT_FOUND, "unknown_model", "Unknown model", &detail);
    };
    let Ok(wait) = prefer_wait(&headers) else {
        let detail = "Prefer: wait=N needs N between 1 and 60 seconds";
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "Invalid Prefer header", detail);
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "invalid_input", "Bad request", "The body is not JSON.");
    };
    // A malformed num_outputs is charged as 1 here and rejected by Replicate's validation below.
    let requested = request["input"]["num_outputs"].as_u64().unwrap_or(1).max(1);
    if requested > model.max_outputs {
        let detail = format!("num_outputs must be at most {} for {}", model.max_outputs, model.id);
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "Invalid input", &detail);
    }
    let needed = model.credits_per_image * requested as i64;
    let user = caller.user_id;
    let base = base_url(&headers);

    let fingerprint = fingerprint(&owner, &name, &body);
    let serial = fake.inner.creates.lock().await;
    let replayed = fake
        .state()
        .charges
        .iter()
        .find(|c| c.user_id == user && c.key == key)
        .map(|c| (c.id.clone(), c.fingerprint == fingerprint));
    match replayed {
        Some((id, true)) => {
            drop(serial);
            return fake.answer(&user, &id, &base, wait).await;
        }
        Some((_, false)) => {
            let detail = "This Idempotency-Key was used with another request; use a new key for a new request.";
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency-Key reused",
                detail,
            );
        }
        None => {}
    }
    fake.settle(&user);
    {
        let mut state = fake.state();
        let Some(u) = state.user_mut(&user) else { return super::missing() };
        if u.balance < needed {
            let detail = format!("This needs {needed} credits; the balance is {}.", u.balance);
            let extra = json!({ "balance": u.balance, "needed": needed });
            return coded(StatusCode::PAYMENT_REQUIRED, "insufficient_credits", "Insufficient credits", &detail, extra);
        }
        // Held while Replicate is asked, so concurrent spending cannot overdraw.
        u.balance -= needed;
    }
    let path = format!("/models/{owner}/{name}/predictions");
    let answer = fake.upstream(Method::POST, &path, headers.get("cancel-after"), body).await;
    let id = answer.json().filter(|_| answer.status.is_success()).and_then(|p| p["id"].as_str().map(str::to_string));
    let id = fake.record(&user, (&key, fingerprint), model, requested as i64, &request["input"], id);
    drop(serial);
    let Some(id) = id else { return upstream_error(&answer) };
    fake.watch(&user, &id);
    fake.answer(&user, &id, &base, wait).await
}

impl PlatformFake {
    /// Releases the hold and, if Replicate created the prediction, charges for it and stores its
    /// prompt; the prediction's id then.
    fn record(
        &self,
        user: &str,
        (key, fingerprint): (&str, [u8; 32]),
        model: &catalog::ModelPrice,
        requested: i64,
        input: &Value,
        id: Option<String>,
    ) -> Option<String> {
        let needed = model.credits_per_image * requested;
        let mut state = self.state();
        if let Some(u) = state.user_mut(user) {
            u.balance += needed;
        }
        let id = id?;
        state.post(user, -needed, "generation", Some(&id));
        state.charges.push(Charge {
            id: id.clone(),
            user_id: user.to_string(),
            key: key.to_string(),
            fingerprint,
            credits_per_image: model.credits_per_image,
            requested,
            reserved: needed,
            refunded: 0,
            settled: false,
            input_erased: false,
        });
        if let Some(u) = state.user_mut(user) {
            let prompt = input["prompt"].as_str().unwrap_or_default().to_string();
            u.prompts.push(StoredPrompt {
                prediction_id: id.clone(),
                prompt,
                params: input.clone(),
                created_at: now(),
            });
            u.prompts_erased = false;
            u.images_erased = false;
        }
        Some(id)
    }

    /// The create answer (first or replayed): the prediction's current state, after `Prefer: wait`.
    async fn answer(&self, user: &str, id: &str, base: &str, wait: Option<std::time::Duration>) -> Response {
        if let (Some(wait), Some(mut done)) = (wait, self.replicate().done_signal(id)) {
            let _ = tokio::time::timeout(wait, done.wait_for(|done| *done)).await;
        }
        self.settle(user);
        match (self.replicate().prediction_json(id), self.charge_of(user, id)) {
            (Some(p), Some((charged, erased))) => created(present(p, base, charged, erased)),
            _ => problem(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "prediction vanished"),
        }
    }

    /// (net credits charged, input erased) for the user's own prediction.
    fn charge_of(&self, user: &str, id: &str) -> Option<(i64, bool)> {
        let state = self.state();
        let c = state.charges.iter().find(|c| c.id == id && c.user_id == user)?;
        Some((c.reserved - c.refunded, c.input_erased))
    }

    /// `GET` or cancel, forwarded for the owner only.
    async fn forward(&self, user: &str, id: &str, method: Method, suffix: &str, base: &str) -> Response {
        if self.charge_of(user, id).is_none() {
            return super::missing();
        }
        let answer = self.upstream(method, &format!("/predictions/{id}{suffix}"), None, Bytes::new()).await;
        let Some(p) = answer.json().filter(|_| answer.status.is_success()) else { return upstream_error(&answer) };
        // A cancel makes it terminal: its refund shows in this very answer.
        self.settle(user);
        let (charged, erased) = self.charge_of(user, id).unwrap_or_default();
        Json(present(p, base, charged, erased)).into_response()
    }
}

async fn read(
    State(fake): State<PlatformFake>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    fake.forward(&caller.user_id, &id, Method::GET, "", &base_url(&headers)).await
}

async fn cancel(
    State(fake): State<PlatformFake>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    fake.forward(&caller.user_id, &id, Method::POST, "/cancel", &base_url(&headers)).await
}
