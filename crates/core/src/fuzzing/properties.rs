//! What must hold for any input, whatever the server or the browser sends: the bodies of the
//! `cargo fuzz` targets, here so that the corpus replay in the core's tests (run by CI) checks the
//! very same properties the fuzzer does. A property that fails panics: that is how libFuzzer and
//! the test harness both learn of it.

use super::{
    callback_page, decode_data_uri, headers, next_stays_on, oauth_callback as callback, platform_answer,
    platform_answers, prediction, prediction_page, prediction_path_segment, provider_account, replicate_answer, status,
    token, Error, Prediction, Session,
};

/// Replicate's API root, for the pagination check.
const BASE: &str = "https://api.replicate.com/v1";
/// A "now" in the app's range (2026); the session's expiry is computed from it.
const NOW_S: i64 = 1_795_000_000;
/// A state as the app makes them (oauth2's CsrfToken: 16 random bytes, base64url).
pub const STATE: &str = "k3J9sQ0vX2bW7nYc5pLm1A";

/// A Replicate (or platform-proxied) prediction answer, as the job runner reads it: the body as
/// JSON, the prediction or a page of them, its status, outputs, error, progress and id; the same
/// body as an error answer.
pub fn replicate_prediction(body: &[u8]) {
    let ok = code(200);
    let plain = headers(None);
    if let Ok(value) = replicate_answer(ok, &plain, body) {
        if let Ok(p) = prediction(value.clone()) {
            read(&p);
        }
        if let Ok(page) = prediction_page(value.clone()) {
            page.results.iter().for_each(read);
            if let Some(next) = &page.next {
                let _ = next_stays_on(next, BASE);
            }
        }
        let _ = provider_account(value);
    }
    // A 429's Retry-After comes from the body's first bytes.
    let retry_after = headers(body.get(..body.len().min(8)));
    for c in [401, 402, 404, 422, 429, 500, 503] {
        let h = if c == 429 { &retry_after } else { &plain };
        match replicate_answer(code(c), h, body) {
            Ok(_) => panic!("a {c} read as an answer"),
            Err(e) => shown(&e),
        }
    }
}

/// An answer of the Flux Krea platform, read as every answer the app asks it for and as the
/// sign-in broker's token answer, under success and error statuses.
pub fn platform_response(body: &[u8]) {
    let plain = headers(None);
    for answer in platform_answers(code(200), &plain, body) {
        if let Err(e) = answer {
            shown(&e);
        }
    }
    for c in [200, 400, 401, 404, 422, 429, 500] {
        match token(code(c), body) {
            Ok(answer) => {
                assert!(c == 200, "a {c} read as a token answer");
                let session = Session::from_answer(answer, NOW_S);
                let _ = session.needs_refresh(NOW_S);
            }
            Err(e) => shown(&e),
        }
    }
    let retry_after = headers(body.get(..body.len().min(8)));
    for c in [400, 401, 402, 403, 404, 409, 422, 429, 500, 503] {
        let h = if c == 429 { &retry_after } else { &plain };
        match platform_answer(code(c), h, body) {
            Ok(_) => panic!("a {c} read as an answer"),
            Err(e) => shown(&e),
        }
    }
}

/// The sign-in redirect the loopback listener receives: the request head, the `/callback` query,
/// the state check, and the page the browser is shown (the URL must not add markup to it).
pub fn oauth_callback(head: &[u8]) {
    let Some((outcome, page)) = callback(head, STATE) else { return };
    let title = match &outcome {
        Ok(code) => {
            assert!(!code.is_empty(), "an empty code was accepted");
            "Signed in"
        }
        Err(e) => {
            shown(e);
            "Sign-in did not finish"
        }
    };
    let template = callback_page(title, "");
    for markup in ['<', '>', '"'] {
        assert_eq!(
            page.matches(markup).count(),
            template.matches(markup).count(),
            "the callback URL added {markup:?} to the page"
        );
    }
}

/// What the runner does with a prediction it polled.
fn read(p: &Prediction) {
    let _ = p.status.is_finished();
    match p.output_urls() {
        Ok(urls) => {
            for url in urls.iter().filter(|u| u.starts_with("data:")) {
                if let Err(e) = decode_data_uri(url) {
                    shown(&e);
                }
            }
        }
        Err(e) => shown(&e),
    }
    if let Some(text) = p.error_text() {
        assert!(!text.trim().is_empty(), "an error text that says nothing: {text:?}");
    }
    if let Some(progress) = p.progress() {
        assert!((0.0..=1.0).contains(&progress), "progress {progress} is outside 0..1");
    }
    if let Ok(id) = prediction_path_segment(&p.id) {
        assert!(!id.is_empty() && !id.contains(['/', '?', '#', '%', '.']), "{id:?} went into a path");
    }
}

/// Errors reach the window as JSON and the CLI as text; a wait is 1 s to 1 h, as documented.
fn shown(e: &Error) {
    let _ = e.to_string();
    assert!(serde_json::to_string(e).is_ok(), "an error did not serialize: {e}");
    if let Error::RateLimited { retry_after_s } = e {
        assert!((1..=3600).contains(retry_after_s), "retry after {retry_after_s} s");
    }
}

fn code(c: u16) -> reqwest::StatusCode {
    status(c).unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
}
