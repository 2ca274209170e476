//! A Replicate (or platform-proxied) prediction answer, as the job runner reads it: the body as
//! JSON, the prediction or a page of them, its status, outputs (one string, a list, data URIs),
//! error, progress and id; the same body as an error answer.
#![no_main]

use flux_krea_core::fuzzing::{self, Prediction};
use libfuzzer_sys::fuzz_target;

const BASE: &str = "https://api.replicate.com/v1";

fuzz_target!(|body: &[u8]| {
    let ok = fuzzing::status(200).unwrap();
    let headers = fuzzing::headers(None);
    if let Ok(value) = fuzzing::replicate_answer(ok, &headers, body) {
        if let Ok(prediction) = fuzzing::prediction(value.clone()) {
            read(&prediction);
        }
        if let Ok(page) = fuzzing::prediction_page(value.clone()) {
            page.results.iter().for_each(read);
            if let Some(next) = &page.next {
                let _ = fuzzing::next_stays_on(next, BASE);
            }
        }
        let _ = fuzzing::provider_account(value);
    }
    // The same body as an error answer (problem+json, or `{detail}` with a throttling hint); a
    // 429's Retry-After from its first bytes.
    let retry_after = fuzzing::headers(body.get(..body.len().min(8)));
    for code in [401, 402, 404, 422, 429, 500, 503] {
        let status = fuzzing::status(code).unwrap();
        let headers = if code == 429 { &retry_after } else { &headers };
        let err = fuzzing::replicate_answer(status, headers, body).expect_err("an error status read as an answer");
        shown(&err);
    }
});

/// What the runner does with a prediction it polled.
fn read(p: &Prediction) {
    let _ = p.status.is_finished();
    match p.output_urls() {
        Ok(urls) => {
            for url in urls.iter().filter(|u| u.starts_with("data:")) {
                if let Err(e) = fuzzing::decode_data_uri(url) {
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
    match fuzzing::prediction_path_segment(&p.id) {
        Ok(id) => assert!(!id.is_empty() && !id.contains(['/', '?', '#', '%', '.'])),
        Err(e) => shown(&e),
    }
}

/// Errors reach the window as JSON and the CLI as text; a wait is 1 s to 1 h, as documented.
fn shown(e: &fuzzing::Error) {
    let _ = e.to_string();
    serde_json::to_string(e).expect("an error always serializes");
    if let fuzzing::Error::RateLimited { retry_after_s } = e {
        assert!((1..=3600).contains(retry_after_s), "retry after {retry_after_s} s");
    }
}
