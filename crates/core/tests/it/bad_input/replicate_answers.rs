//! 5. Server answers: Replicate (own key) → the job runner.

use super::*;

pub(super) const REPLICATE_ENTRY: &str = "job runner (own key) ← scripted Replicate";
pub(super) const REPLICATE_CHECKS: &str =
    "job ends `failed` with the error; spend ledger settled at $0 (`final`); no image row; \
    no new or partial (`*.tmp`) file in the cache; the earlier generation intact; at most \
    one create accepted (never paid twice)";

pub(super) struct AnswerCase {
    pub(super) meta: Meta,
    pub(super) fault: Route,
}

pub(super) fn answer(meta: Meta, fault: Route) -> AnswerCase {
    AnswerCase { meta, fault }
}

pub(super) fn replicate_answer_cases() -> Vec<AnswerCase> {
    vec![
        answer(
            meta(
                "HTML instead of JSON",
                "create → 200 `text/html` error page",
                job_fails(&["Replicate answered 200", "the answer is not JSON"]),
            ),
            |r, _| {
                r.is_create().then(|| raw_resp(200, "text/html", "<html><body>Bad gateway, try later</body></html>"))
            },
        ),
        answer(meta("empty answer", "create → 201 with no body", job_fails(&["the answer is not JSON"])), |r, _| {
            r.is_create().then(|| raw_resp(201, "application/json", Vec::new()))
        }),
        answer(
            meta(
                "wrong types",
                "create → `{\"id\": 42, \"status\": 1, \"urls\": \"none\"}`",
                job_fails(&["the prediction is not in the documented shape"]),
            ),
            |r, _| r.is_create().then(|| json_resp(201, json!({"id": 42, "status": 1, "urls": "none"}))),
        ),
        answer(
            meta(
                "unknown status",
                "create → status `\"exploded\"`",
                job_fails(&["the prediction is not in the documented shape"]),
            ),
            |r, b| r.is_create().then(|| json_resp(201, prediction(b, "pbad", "exploded", Value::Null, Value::Null))),
        ),
        answer(
            meta(
                "huge body",
                "create → 200 declaring 48 MiB (refused by its length, before reading)",
                job_fails(&["the answer is larger than 16 MiB"]),
            ),
            |r, _| r.is_create().then(|| raw_resp(200, "application/json", vec![b'['; 48 << 20])),
        ),
        answer(
            meta(
                "418",
                "create → 418 `{\"detail\": \"short and stout\"}`",
                job_fails(&["Replicate answered 418: short and stout"]),
            ),
            |r, _| r.is_create().then(|| json_resp(418, json!({"title": "I'm a teapot", "detail": "short and stout"}))),
        ),
        answer(
            meta(
                "500 on create",
                "create → 500 with no body; the list finds nothing",
                job_fails(&["Replicate answered 500: Internal Server Error"]),
            ),
            |r, _| r.is_create().then(|| raw_resp(500, "text/plain", Vec::new())),
        ),
        answer(
            meta(
                "401",
                "create → 401 (token revoked)",
                job_fails(&["replicate_token: Replicate refused the token; check it on the Account screen"]),
            ),
            |r, _| {
                r.is_create().then(|| {
                    json_resp(
                        401,
                        json!({"title": "Unauthenticated", "detail": "You did not pass a valid authentication token"}),
                    )
                })
            },
        ),
        answer(
            meta(
                "422 invalid fields",
                "create → 422 `invalid_fields` for num_outputs",
                job_fails(&["num_outputs: num_outputs must be less than or equal to 4"]),
            ),
            |r, _| {
                r.is_create().then(|| {
                    json_resp(422, json!({"title": "Input validation failed", "status": 422, "invalid_fields": [
                        {"type": "less_than_equal", "field": "input.num_outputs", "description": "num_outputs must be less than or equal to 4"}
                    ]}))
                })
            },
        ),
        answer(
            meta(
                "429 every time",
                "create → 429 with `Retry-After: 1`, always",
                job_fails(&["rate limited; retry in 1 s"]),
            ),
            |r, _| {
                r.is_create().then(|| Resp {
                    extra: vec![("Retry-After", "1".into())],
                    ..json_resp(429, json!({"detail": "Request was throttled. Expected available in 1 second."}))
                })
            },
        ),
        answer(
            meta(
                "no answer at all",
                "create → connection held open, nothing sent (read timeout 35 s)",
                job_fails(&["the connection to Replicate failed: it took too long to answer"]),
            ),
            |r, _| r.is_create().then(|| Resp { body: Body::Hang, ..json_resp(200, Value::Null) }),
        ),
        answer(
            meta("502 on every poll", "poll → 502, always (4 retries)", job_fails(&["Replicate answered 502"])),
            |r, b| {
                if r.is_create() {
                    Some(starting(b, "p502"))
                } else {
                    r.is_poll().then(|| raw_resp(502, "text/html", "<html>502 Bad Gateway</html>"))
                }
            },
        ),
        answer(
            meta(
                "output of the wrong type",
                "poll → succeeded, `output: {\"url\": …}`",
                job_fails(&["output is neither a string nor a list"]),
            ),
            |r, b| {
                if r.is_create() {
                    Some(starting(b, "pobj"))
                } else {
                    r.is_poll()
                        .then(|| json_resp(200, prediction(b, "pobj", "succeeded", json!({"url": "x"}), Value::Null)))
                }
            },
        ),
        answer(
            meta(
                "output list of numbers",
                "create → succeeded, `output: [1, 2]`",
                job_fails(&["an output item is not a string"]),
            ),
            |r, b| {
                r.is_create().then(|| json_resp(201, prediction(b, "pnum", "succeeded", json!([1, 2]), Value::Null)))
            },
        ),
        answer(
            meta(
                "never started before the deadline",
                "poll → `aborted` (Cancel-After passed while queued)",
                job_fails(&["did not start before its deadline", "not billed"]),
            ),
            |r, b| {
                if r.is_create() {
                    Some(starting(b, "pabort"))
                } else {
                    r.is_poll().then(|| json_resp(200, prediction(b, "pabort", "aborted", Value::Null, Value::Null)))
                }
            },
        ),
        answer(
            meta(
                "stopped at the deadline while running",
                "poll → `canceled` without the user asking (Cancel-After: 15m passed)",
                job_fails(&["deadline"]),
            ),
            |r, b| {
                if r.is_create() {
                    Some(starting(b, "pdead"))
                } else {
                    r.is_poll().then(|| json_resp(200, prediction(b, "pdead", "canceled", Value::Null, Value::Null)))
                }
            },
        ),
        answer(
            meta(
                "failed without a reason",
                "create → `failed`, `error: \"\"`",
                job_fails(&["the model failed without saying why"]),
            ),
            |r, b| r.is_create().then(|| json_resp(201, prediction(b, "pfail", "failed", Value::Null, json!("")))),
        ),
        answer(
            meta(
                "failed with an error object",
                "create → `failed`, `error: {\"message\": \"CUDA out of memory\"}`",
                job_fails(&["CUDA out of memory"]),
            ),
            |r, b| {
                r.is_create().then(|| {
                    json_resp(
                        201,
                        prediction(b, "perr", "failed", Value::Null, json!({"message": "CUDA out of memory"})),
                    )
                })
            },
        ),
        answer(
            meta(
                "delivery 404",
                "output URL → 404",
                job_fails(&["Replicate answered 410: some outputs expired before they could be downloaded"]),
            ),
            |r, _| r.is_delivery().then(|| raw_resp(404, "text/plain", "no such file")),
        ),
        answer(
            meta(
                "delivery is not an image",
                "output URL → 200 `text/html` page",
                job_fails(&["image: image 0 of generation", "not a PNG, JPEG or WebP image"]),
            ),
            |r, _| r.is_delivery().then(|| raw_resp(200, "text/html", "<html>Access denied</html>")),
        ),
        answer(
            meta(
                "delivery cut short",
                "output URL → `Content-Length: 10000`, 100 bytes, close (every time)",
                job_fails(&["the connection to Replicate failed"]),
            ),
            |r, _| {
                r.is_delivery().then(|| Resp {
                    body: Body::Short { declared: 10_000, sent: tiny_png()[..100].to_vec() },
                    ..raw_resp(200, "image/png", Vec::new())
                })
            },
        ),
        answer(
            meta(
                "delivery declares 300 MB",
                "output URL → `Content-Length: 300000000`",
                job_fails(&["an output file larger than 200 MB"]),
            ),
            |r, _| {
                r.is_delivery().then(|| Resp {
                    body: Body::Short { declared: 300_000_000, sent: tiny_png() },
                    ..raw_resp(200, "image/png", Vec::new())
                })
            },
        ),
        answer(
            meta(
                "delivery streams past 200 MB",
                "output URL → no length, 1 MiB chunks until the client stops",
                job_fails(&["an output file larger than 200 MB"]),
            ),
            |r, _| r.is_delivery().then(|| Resp { body: Body::Endless, ..raw_resp(200, "image/png", Vec::new()) }),
        ),
        answer(
            meta(
                "delivery is a decompression bomb",
                "output URL → 75-byte PNG declaring 100 000² px",
                job_fails(&["too large to open safely"]),
            ),
            |r, _| r.is_delivery().then(|| raw_resp(200, "image/png", bomb_png())),
        ),
        answer(
            meta(
                "delivery is a truncated PNG",
                "output URL → the first half of a PNG, complete HTTP body",
                job_fails(&["damaged or truncated png image"]),
            ),
            |r, _| r.is_delivery().then(|| raw_resp(200, "image/png", truncated_png())),
        ),
        answer(
            meta(
                "output URL not https",
                "create → succeeded, `output: [\"http://cdn.example/a.png\"]`",
                job_fails(&["an output URL on cdn.example that is not https"]),
            ),
            |r, b| {
                r.is_create().then(|| {
                    json_resp(
                        201,
                        prediction(b, "phttp", "succeeded", json!(["http://cdn.example/a.png"]), Value::Null),
                    )
                })
            },
        ),
        // #20: a prefix check let these through to plain http; only loopback IP literals may be http.
        answer(
            meta(
                "output URL on a look-alike of 127.0.0.1",
                "create → succeeded, `output: [\"http://127.0.0.1.evil.example/a.png\"]`",
                job_fails(&["an output URL on 127.0.0.1.evil.example that is not https"]),
            ),
            |r, b| {
                r.is_create().then(|| {
                    let out = json!(["http://127.0.0.1.evil.example/a.png"]);
                    json_resp(201, prediction(b, "plook", "succeeded", out, Value::Null))
                })
            },
        ),
        // #20: the token is never sent to a delivery host, not even when it asks (origins.rs checks
        // the requests); the job says which host wanted it.
        answer(
            meta(
                "delivery answers 401",
                "output URL → 401 `{\"detail\":\"Unauthenticated\"}`",
                job_fails(&[
                    "answered 401: the file host asked for credentials",
                    "the Replicate token is only sent to 127.0.0.1:",
                ]),
            ),
            |r, _| r.is_delivery().then(|| raw_resp(401, "application/json", r#"{"detail":"Unauthenticated"}"#)),
        ),
        answer(
            meta(
                "data URI with bad base64",
                "create → succeeded, `output: [\"data:image/png;base64,***\"]`",
                job_fails(&["a data URI with bad base64"]),
            ),
            |r, b| {
                r.is_create().then(|| {
                    json_resp(
                        201,
                        prediction(b, "pdata", "succeeded", json!(["data:image/png;base64,***"]), Value::Null),
                    )
                })
            },
        ),
    ]
}

#[tokio::test]
pub(super) async fn bad_replicate_answers_fail_the_job_clearly_charge_nothing_and_leave_no_partial_file() {
    let server = Scripted::start(replicate_ok).await;
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path(), &format!("{}/v1", server.base()), None);
    let core = Arc::new(Core::open(&config.data_dir.value.clone(), config).await.unwrap());
    core.use_replicate_token_from_environment(TOKEN).unwrap();
    assert!(core.start_jobs().unwrap());
    let good = core.generate(&request("flux-schnell", &[("prompt", text("a lighthouse at dusk"))])).await.unwrap();
    assert_eq!(finished(&core, good.id).await.status, Status::Done, "the scripted server works");
    let mut tally = Tally::new("Replicate answers");
    for case in replicate_answer_cases() {
        if !tally.should_run(&case.meta) {
            continue;
        }
        let before = snapshot(&core, String::new()).await;
        let log_start = server.log().len();
        server.set_fault(Some(case.fault));
        let outcome = timed(async {
            let job = core
                .generate(&request("flux-schnell", &[("prompt", text(case.meta.name))]))
                .await
                .map_err(|e| format!("refused at once: {e}"))?;
            let job = finished(&core, job.id).await;
            let Expect::JobFails { says } = case.meta.expect else { unreachable!("server cases fail jobs") };
            if job.status != Status::Failed {
                return Err(format!("the job ended {:?} (error {:?})", job.status, job.error));
            }
            check_text(&case.meta, job.error.as_deref().unwrap_or(""), says, &|s| s.to_string())?;
            let ledger: (f64, String) =
                sqlx::query!("SELECT amount_usd, state FROM spend_ledger WHERE generation_id = ?", job.id)
                    .fetch_one(core.pool())
                    .await
                    .map(|r| (r.amount_usd, r.state))
                    .map_err(|e| e.to_string())?;
            if ledger != (0.0, "final".to_string()) || job.cost_usd != Some(0.0) {
                return Err(format!("charged: ledger {ledger:?}, job cost {:?}", job.cost_usd));
            }
            no_partial_files(core.data_dir())?;
            let after = snapshot(&core, String::new()).await;
            let expected = Snapshot {
                generations: [before.generations.clone(), vec![(i64::from(job.id), "failed".to_string())]].concat(),
                ledger: [before.ledger.clone(), vec![(Some(i64::from(job.id)), 0.0, "final".to_string())]].concat(),
                ..before.clone()
            };
            unchanged(&expected, &after)?;
            let accepted_creates = server.log()[log_start..]
                .iter()
                .filter(|(m, t, s)| m == "POST" && t.starts_with("/v1/models/") && (200..300).contains(s))
                .count();
            if accepted_creates > 1 {
                return Err(format!("{accepted_creates} creates accepted: paid twice"));
            }
            Ok(())
        })
        .await;
        server.set_fault(None);
        tally.record(&case.meta, outcome);
    }
    tally.finish();
}
