//! `/v1/models/{owner}/{name}/predictions` (create), `/v1/predictions` (list), get and cancel.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration as Span, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::lifecycle::{self, Plan};
use super::prediction::{Prediction, Status};
use super::{api_base, headers as prefs, ids, inputs, knobs, models, schema, webhooks, ReplicateFake};
use crate::problem::problem;

const PAGE: usize = 100;

pub(super) async fn create(
    State(fake): State<ReplicateFake>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(denied) = fake.authorize(&headers) {
        return denied;
    }
    if let Some(throttled) = knobs::throttled(&fake) {
        return throttled;
    }
    let Some(model) = models::find(&owner, &name) else {
        return problem(StatusCode::NOT_FOUND, "Not found", "The requested resource could not be found.");
    };
    let (wait, cancel_after) = match (prefs::prefer_wait(&headers), prefs::cancel_after(&headers)) {
        (Ok(wait), Ok(cancel_after)) => (wait, cancel_after),
        (Err(bad), _) | (_, Err(bad)) => return bad,
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "Bad request", &format!("Invalid JSON body: {e}")),
    };
    let mut errors = schema::check_body(&body);
    errors.extend(schema::check_input(model.props, &body["input"]));
    if !errors.is_empty() {
        return schema::rejected(errors);
    }

    let input = body["input"].clone();
    let (id, mut done, plan) = {
        let mut state = fake.state();
        let resolved = inputs::resolve(&state, model, &input);
        let plan = Plan::new(model, &input, resolved, &state.knobs, cancel_after);
        let mut p = Prediction::new(ids::prediction_id(), model.name, input.clone(), api_base(&headers));
        p.deadline = cancel_after.and_then(|d| Span::from_std(d).ok()).map(|d| p.created_at + d);
        let out = (p.id.clone(), p.done.subscribe(), plan);
        state.predictions.push(p);
        state.creates += 1;
        state.last_inputs = Some(input);
        out
    };
    tokio::spawn(lifecycle::drive(fake.clone(), id.clone(), plan));
    if let Some(url) = body["webhook"].as_str() {
        let filter = webhooks::Filter::from_body(&body["webhook_events_filter"]);
        tokio::spawn(webhooks::follow(fake.clone(), id.clone(), url.to_string(), filter));
    }
    if let Some(wait) = wait {
        let _ = tokio::time::timeout(wait, done.wait_for(|done| *done)).await;
    }

    let state = fake.state();
    let Some(p) = state.predictions.iter().rev().find(|p| p.id == id) else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "prediction vanished");
    };
    let status = if p.status.is_terminal() { StatusCode::CREATED } else { StatusCode::ACCEPTED };
    (status, [(header::LOCATION, p.get_url())], Json(p.to_json())).into_response()
}

pub(super) async fn get(State(fake): State<ReplicateFake>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    answer(&fake, &headers, &id, |p| Json(p.to_json()).into_response())
}

/// Cancel: a running prediction becomes `canceled`; a finished one is returned unchanged.
pub(super) async fn cancel(State(fake): State<ReplicateFake>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    answer(&fake, &headers, &id, |p| {
        p.end(Status::Canceled, None);
        Json(p.to_json()).into_response()
    })
}

fn answer(
    fake: &ReplicateFake,
    headers: &HeaderMap,
    id: &str,
    f: impl FnOnce(&mut Prediction) -> Response,
) -> Response {
    if let Err(denied) = fake.authorize(headers) {
        return denied;
    }
    match fake.state().prediction_mut(id) {
        Some(p) => f(p),
        None => problem(StatusCode::NOT_FOUND, "Not found", "The requested resource could not be found."),
    }
}

#[derive(Default, Deserialize)]
pub(super) struct ListQuery {
    cursor: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
    source: Option<String>,
}

/// The opaque `cursor`: a page boundary by sequence number, plus the filters, so `next` can be
/// followed as given.
#[derive(Default, Serialize, Deserialize)]
struct Cursor {
    before: Option<usize>,
    after: Option<usize>,
    created_after: Option<String>,
    created_before: Option<String>,
    source: Option<String>,
}

pub(super) async fn list(
    State(fake): State<ReplicateFake>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(denied) = fake.authorize(&headers) {
        return denied;
    }
    let cursor = match q.cursor.as_deref().map(decode_cursor) {
        None => Cursor {
            created_after: q.created_after,
            created_before: q.created_before,
            source: q.source,
            ..Cursor::default()
        },
        Some(Some(c)) => c,
        Some(None) => return problem(StatusCode::BAD_REQUEST, "Bad request", "Invalid cursor"),
    };
    let (after, before) = match (parse_time(&cursor.created_after), parse_time(&cursor.created_before)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return problem(StatusCode::BAD_REQUEST, "Bad request", "created_after/created_before must be RFC 3339"),
    };
    // Every prediction here was made through the API, so `source=web` lists nothing.
    let api_only = cursor.source.as_deref().is_none_or(|s| s == "api");
    let state = fake.state();
    let matching: Vec<(usize, &Prediction)> = state
        .predictions
        .iter()
        .enumerate()
        .filter(|_| api_only)
        .filter(|(_, p)| after.is_none_or(|t| p.created_at > t) && before.is_none_or(|t| p.created_at < t))
        .collect();
    // Newest first, 100 a page.
    let page: Vec<&(usize, &Prediction)> = match (cursor.before, cursor.after) {
        (_, Some(after)) => {
            let mut older_first: Vec<_> = matching.iter().filter(|(i, _)| *i > after).take(PAGE).collect();
            older_first.reverse();
            older_first
        }
        (before, None) => matching.iter().rev().filter(|(i, _)| before.is_none_or(|b| *i < b)).take(PAGE).collect(),
    };
    let base = format!("{}/v1/predictions", api_base(&headers));
    let link = |before: Option<usize>, after: Option<usize>| {
        let c = Cursor { before, after, ..cursor_filters(&cursor) };
        json!(format!("{base}?cursor={}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())))
    };
    let (newest, oldest) = (page.first().map(|(i, _)| *i), page.last().map(|(i, _)| *i));
    let next = match oldest {
        Some(o) if matching.iter().any(|(i, _)| *i < o) => link(Some(o), None),
        _ => Value::Null,
    };
    let previous = match newest {
        Some(n) if matching.iter().any(|(i, _)| *i > n) => link(None, Some(n)),
        _ => Value::Null,
    };
    let results: Vec<Value> = page.iter().map(|(_, p)| p.to_json()).collect();
    Json(json!({ "next": next, "previous": previous, "results": results })).into_response()
}

fn cursor_filters(c: &Cursor) -> Cursor {
    Cursor {
        created_after: c.created_after.clone(),
        created_before: c.created_before.clone(),
        source: c.source.clone(),
        ..Cursor::default()
    }
}

fn decode_cursor(s: &str) -> Option<Cursor> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()
}

fn parse_time(s: &Option<String>) -> Result<Option<DateTime<Utc>>, ()> {
    s.as_deref().map(|s| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| ())).transpose()
}
