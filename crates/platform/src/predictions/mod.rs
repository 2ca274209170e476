//! Generation through the platform: `POST /models/{owner}/{name}/predictions` holds the credits,
//! then creates the prediction on Replicate (split in phases around that call, each recoverable:
//! the row exists before Replicate is asked, so a hold is always found and released; the key and
//! the row are leased while the create runs, so a retry after its replica died resumes it);
//! `GET /predictions/{id}` and `POST /predictions/{id}/cancel` show only the caller's own.

mod files;
mod present;
mod replicate;
pub mod settle;
pub mod webhook;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::app::App;
use crate::auth::Caller;
use crate::credits::ledger::{self, Posted, Reason, Refs};
use crate::idempotency::{self, Begun, Scope};
use crate::problem::{problem_body, problem_response, ApiError, ApiResult};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/models/{owner}/{name}/predictions", post(create))
        .route("/predictions/{id}", get(read))
        .route("/predictions/{id}/cancel", post(cancel))
        .route("/files", post(files::upload).layer(axum::extract::DefaultBodyLimit::max(files::MAX_UPLOAD)))
}

/// How long an answer waits for another replica's settlement of the same prediction (the
/// webhook may arrive while the create is still answering).
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// An answer worth storing for replays: status and body.
type Stored = (StatusCode, Value);

fn problem(status: StatusCode, code: &'static str, title: &str, detail: &str, extra: Value) -> Stored {
    let mut body = problem_body(status, code, title, detail);
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    (status, body)
}

fn respond((status, body): Stored) -> Response {
    if status.is_success() {
        let mut res = (status, Json(&body)).into_response();
        if let Some(Ok(get)) = body["urls"]["get"].as_str().map(axum::http::HeaderValue::from_str) {
            res.headers_mut().insert(axum::http::header::LOCATION, get);
        }
        res
    } else {
        problem_response(status, body)
    }
}

async fn create(
    State(app): State<App>,
    caller: Caller,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let key = idempotency::header(&headers)?;
    // The model is part of what was asked: the same key on another model is another request.
    let fingerprint = [format!("{owner}/{name}\n").as_bytes(), &body].concat();
    let lease = crate::lease::secs(&app);
    let (k, outcome) =
        match idempotency::begin(app.db(), caller.user_id, Scope::Prediction, key, &fingerprint, lease).await? {
            Begun::Replay(status, body) => return Ok(respond((status, body))),
            Begun::Fresh(k) => {
                let _beat = idempotency::keep(&app, &k);
                let outcome = run(&app, &k, caller, &owner, &name, &headers, &body).await;
                (k, outcome)
            }
            Begun::Resume(k, progress) => {
                let _beat = idempotency::keep(&app, &k);
                let outcome = resume(&app, caller, progress["id"].as_str().unwrap_or_default()).await;
                (k, outcome)
            }
        };
    match outcome {
        // The balance may change: a 402 is not kept, so the same key may succeed after a purchase.
        Ok(answer) if answer.0 == StatusCode::PAYMENT_REQUIRED => {
            idempotency::abandon(app.db(), &k).await?;
            Ok(respond(answer))
        }
        Ok(answer) => {
            idempotency::finish(app.db(), &k, answer.0, &answer.1).await?;
            Ok(respond(answer))
        }
        Err(e) => {
            // Nothing was charged or it was refunded: the key may be retried. A prediction it
            // recorded is not done again: the retry resumes it.
            idempotency::release(app.db(), &k).await?;
            Err(e)
        }
    }
}

/// A create cut off after it recorded its prediction (its replica died): the prediction as it
/// stands, settled first if it can be (a hold whose create never reached Replicate is released).
async fn resume(app: &App, caller: Caller, id: &str) -> ApiResult<Stored> {
    settle::settle_and_wait(app, id, None, SETTLE_WAIT).await?;
    reply(app, id, caller).await
}

/// 201 once terminal, 202 before.
async fn reply(app: &App, id: &str, caller: Caller) -> ApiResult<Stored> {
    let answer = current(app, id, caller).await?;
    let terminal = answer["status"].as_str().is_some_and(replicate::terminal);
    Ok((if terminal { StatusCode::CREATED } else { StatusCode::ACCEPTED }, answer))
}

async fn run(
    app: &App,
    k: &idempotency::Key,
    caller: Caller,
    owner: &str,
    name: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Stored> {
    let model_id = format!("{owner}/{name}");
    let Some(model) =
        sqlx::query!("SELECT credits_per_image, max_outputs FROM models WHERE id = $1 AND enabled", model_id)
            .fetch_optional(app.db())
            .await?
    else {
        let detail = format!("{model_id} is not offered on the platform.");
        return Ok(problem(StatusCode::NOT_FOUND, "unknown_model", "Unknown model", &detail, Value::Null));
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let prefer = header("prefer").map(str::trim).filter(|p| p.starts_with("wait"));
    // Replicate's range: `wait` or `wait=N`, N in 1..=60 seconds.
    let wait_ok = prefer.is_none_or(|p| {
        p == "wait"
            || p.strip_prefix("wait=").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| (1..=60).contains(&n))
    });
    if !wait_ok {
        let detail = "Prefer: wait=N needs N between 1 and 60 seconds";
        return Ok(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "Invalid Prefer header",
            detail,
            Value::Null,
        ));
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Ok(problem(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "Bad request",
            "The body is not JSON.",
            Value::Null,
        ));
    };
    let input = request["input"].clone();
    if !input.is_object() {
        return Ok(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "Invalid input",
            "input must be an object.",
            Value::Null,
        ));
    }
    // A malformed num_outputs is charged as 1 here and refused by Replicate's validation.
    let requested = input["num_outputs"].as_u64().unwrap_or(1).max(1);
    if requested > model.max_outputs as u64 {
        let detail = format!("num_outputs must be at most {} for {model_id}", model.max_outputs);
        return Ok(problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "Invalid input", &detail, Value::Null));
    }
    let needed = model.credits_per_image * requested as i64;
    let id = crate::ids::alnum(26);

    // Phase 1: the row (leased to this create), the hold and the key's progress, together.
    let mut tx = app.db().begin().await?;
    sqlx::query!(
        "INSERT INTO predictions (id, user_id, model, status, credits_per_image, requested, input, lease_until)
         VALUES ($1, $2, $3, 'creating', $4, $5, $6, now() + make_interval(secs => $7))",
        id,
        caller.user_id,
        model_id,
        model.credits_per_image,
        requested as i32,
        input,
        crate::lease::secs(app)
    )
    .execute(&mut *tx)
    .await?;
    let refs = Refs { prediction_id: Some(&id), ..Refs::default() };
    if let Posted::Insufficient { balance } =
        ledger::post(&mut tx, caller.user_id, -needed, Reason::Generation, refs).await?
    {
        drop(tx);
        let detail = format!("This needs {needed} credits; the balance is {balance}.");
        let extra = json!({ "balance": balance, "needed": needed });
        return Ok(problem(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            "Insufficient credits",
            &detail,
            extra,
        ));
    }
    idempotency::progress(&mut tx, k, Some(&json!({ "id": id }))).await?;
    tx.commit().await?;

    // Phase 2: Replicate.
    let beat = settle::keep(app, &id);
    let answer = replicate::create(app, &id, &model_id, &input, prefer, header("cancel-after")).await;
    drop(beat);
    let created = match &answer {
        Ok(a) if a.status.is_success() => a.body["id"].as_str().map(str::to_string),
        _ => None,
    };
    // Phase 3: record what Replicate said.
    let Some(replicate_id) = created else {
        // Not created: the hold goes back now, and the key is as if nothing was done.
        settle::fail_unsent(app, &id).await?;
        idempotency::progress(&mut *app.db().acquire().await?, k, None).await?;
        return match answer {
            // Throttled: the app may retry the create (docs/wire-facts.md §Replicate), after Retry-After.
            Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => {
                let retry = a.retry_after.as_deref().and_then(|r| r.parse::<u64>().ok()).unwrap_or(1);
                let busy = "Generation is busy; retry shortly.";
                Err(ApiError::new(a.status, "rate_limited", "Too many requests", busy).retry_after(retry))
            }
            Ok(a) if a.status.is_client_error() => Ok(present::upstream_problem(&a)),
            Ok(a) => Err(ApiError::Unavailable(format!("Replicate create answered {}", a.status))),
            Err(why) => Err(ApiError::Unavailable(why)),
        };
    };
    let p = answer.map(|a| a.body).unwrap_or_default();
    let status = p["status"].as_str().unwrap_or("starting");
    let upstream_status = if replicate::terminal(status) { "processing" } else { status };
    let recorded = sqlx::query!(
        // The prompt is kept once, in `input`, where erasure finds it (model logs may echo it too).
        "UPDATE predictions SET replicate_id = $2, status = $3, upstream = $4::jsonb - '{input,logs}'::text[], lease_until = NULL
         WHERE id = $1 AND settled_at IS NULL",
        id,
        replicate_id,
        upstream_status,
        p
    )
    .execute(app.db())
    .await?;
    if recorded.rows_affected() == 0 {
        // Given up on while Replicate answered slowly (this create's lease lapsed): the hold went
        // back, so the prediction must not run on at the platform's cost.
        let _ = replicate::cancel(app, &replicate_id).await;
    } else if replicate::terminal(status) {
        settle::settle_and_wait(app, &id, Some(&p), SETTLE_WAIT).await?;
    }
    reply(app, &id, caller).await
}

async fn current(app: &App, id: &str, caller: Caller) -> ApiResult<Value> {
    let mut conn = app.db().acquire().await?;
    let row = present::load(&mut conn, id, caller.user_id).await?.ok_or_else(ApiError::not_found)?;
    present::present(app, &mut conn, &row).await
}

async fn read(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let open = sqlx::query_scalar!(
        "SELECT settled_at IS NULL AS \"open!\" FROM predictions WHERE id = $1 AND user_id = $2",
        id,
        caller.user_id
    )
    .fetch_optional(app.db())
    .await?
    .ok_or_else(ApiError::not_found)?;
    if open {
        if let Err(e) = settle::settle(&app, &id, None).await {
            // The answer is still the last known state; the poller tries again.
            tracing::warn!(prediction = %id, error = ?e, "read could not settle");
        }
    }
    Ok(Json(current(&app, &id, caller).await?))
}

async fn cancel(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let row = sqlx::query!(
        "SELECT replicate_id, settled_at IS NOT NULL AS \"settled!\" FROM predictions WHERE id = $1 AND user_id = $2",
        id,
        caller.user_id
    )
    .fetch_optional(app.db())
    .await?
    .ok_or_else(ApiError::not_found)?;
    if let (Some(replicate_id), false) = (row.replicate_id, row.settled) {
        let answer = replicate::cancel(&app, &replicate_id).await.map_err(ApiError::Unavailable)?;
        if !answer.status.is_success() {
            return Err(ApiError::Unavailable(format!("Replicate cancel answered {}", answer.status)));
        }
        settle::settle_and_wait(&app, &id, Some(&answer.body), SETTLE_WAIT).await?;
    }
    Ok(Json(current(&app, &id, caller).await?))
}
