//! 6. Server answers: the platform (account mode) → sign-in and generation.

use super::*;

pub(super) const PLATFORM_CHECKS: &str =
    "sign-in: no session in the keychain, not signed in. generate: no generation row, \
    nothing sent to the platform's predictions, the session kept in the keychain";

pub(super) const PLATFORM_SESSION_CHECKS: &str =
    "group checks, and the session the code exchange made is ended on the platform (`POST /auth/v1/logout`)";

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Phase {
    /// The fault is in place during `Core::sign_in`.
    SignIn,
    /// Signed in; the fault is in place during `Core::generate`.
    Generate,
}

pub(super) struct PlatformCase {
    pub(super) meta: Meta,
    pub(super) phase: Phase,
    pub(super) fault: Route,
    /// The code was exchanged before the failure: the session it made must be ended (logout).
    pub(super) ends_session: bool,
}

pub(super) fn platform_answer_cases() -> Vec<PlatformCase> {
    use Phase::{Generate, SignIn};
    const BROKER: &str = "the Flux Krea sign-in service";
    vec![
        PlatformCase {
            meta: meta(
                "token answer not JSON",
                "`POST /auth/v1/token` → 200 `text/html`",
                refused("upstream", &[BROKER], &["answered 200: the token answer is not in the documented shape"]),
            ),
            phase: SignIn,
            fault: |r, _| r.is("POST", "/auth/v1/token").then(|| raw_resp(200, "text/html", "<html>login</html>")),
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "token answer of wrong types",
                "`POST /auth/v1/token` → `{\"access_token\": 7, \"expires_in\": \"soon\"}`",
                refused("upstream", &[BROKER], &["the token answer is not in the documented shape"]),
            ),
            phase: SignIn,
            fault: |r, _| {
                r.is("POST", "/auth/v1/token").then(|| json_resp(200, json!({"access_token": 7, "expires_in": "soon"})))
            },
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "token exchange 500",
                "`POST /auth/v1/token` → 500 `{\"msg\": \"database is down\"}`",
                refused("upstream", &[BROKER], &["answered 500: database is down"]),
            ),
            phase: SignIn,
            fault: |r, _| {
                r.is("POST", "/auth/v1/token").then(|| json_resp(500, json!({"code": 500, "msg": "database is down"})))
            },
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "profile of wrong types",
                "`GET /api/v1/me` → `{\"id\": 7, \"email\": false}`",
                refused(
                    "upstream",
                    &["Flux Krea"],
                    &["answered 200: the answer to /me is not in the documented shape"],
                ),
            ),
            phase: SignIn,
            fault: |r, _| r.is("GET", "/api/v1/me").then(|| json_resp(200, json!({"id": 7, "email": false}))),
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "profile 418",
                "`GET /api/v1/me` → 418",
                refused("upstream", &["Flux Krea"], &["Flux Krea answered 418: I'm a teapot"]),
            ),
            phase: SignIn,
            fault: |r, _| r.is("GET", "/api/v1/me").then(|| raw_resp(418, "text/plain", Vec::new())),
            ends_session: true,
        },
        PlatformCase {
            meta: meta(
                "profile fails after the code exchange",
                "`GET /api/v1/me` → 503 (after retries), once the code was exchanged for a session",
                refused("upstream", &["Flux Krea"], &["Flux Krea answered 503"]),
            ),
            phase: SignIn,
            fault: |r, _| r.is("GET", "/api/v1/me").then(|| raw_resp(503, "text/plain", Vec::new())),
            ends_session: true,
        },
        PlatformCase {
            meta: meta(
                "price list not JSON",
                "`GET /api/v1/models` → 200 `text/html`",
                refused(
                    "upstream",
                    &["Flux Krea"],
                    &["answered 200: the answer to /models is not in the documented shape"],
                ),
            ),
            phase: Generate,
            fault: |r, _| r.is("GET", "/api/v1/models").then(|| raw_resp(200, "text/html", "<html>maintenance</html>")),
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "price list of wrong types",
                "`GET /api/v1/models` → `[{\"id\": …, \"credits_per_image\": \"five\"}]`",
                refused("upstream", &["Flux Krea"], &["the answer to /models is not in the documented shape"]),
            ),
            phase: Generate,
            fault: |r, _| {
                r.is("GET", "/api/v1/models").then(|| {
                    json_resp(200, json!([{"id": "black-forest-labs/flux-schnell", "credits_per_image": "five"}]))
                })
            },
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "endless price list",
                "`GET /api/v1/models` → 200 with no length, streaming until the client hangs up",
                refused("upstream", &["Flux Krea"], &["the answer is larger than 16 MiB"]),
            ),
            phase: Generate,
            fault: |r, _| {
                r.is("GET", "/api/v1/models")
                    .then(|| Resp { body: Body::Endless, ..raw_resp(200, "application/json", Vec::new()) })
            },
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "price list 500",
                "`GET /api/v1/models` → 500",
                refused("upstream", &["Flux Krea"], &["Flux Krea answered 500: Internal Server Error"]),
            ),
            phase: Generate,
            fault: |r, _| r.is("GET", "/api/v1/models").then(|| raw_resp(500, "text/plain", Vec::new())),
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "balance of the wrong type",
                "`GET /api/v1/credits` → `{\"balance\": \"lots\"}`",
                refused("upstream", &["Flux Krea"], &["the answer to /credits is not in the documented shape"]),
            ),
            phase: Generate,
            fault: |r, _| r.is("GET", "/api/v1/credits").then(|| json_resp(200, json!({"balance": "lots"}))),
            ends_session: false,
        },
        PlatformCase {
            meta: meta(
                "balance 418",
                "`GET /api/v1/credits` → 418 `{\"detail\": \"short and stout\"}`",
                refused("upstream", &["Flux Krea"], &["Flux Krea answered 418: short and stout"]),
            ),
            phase: Generate,
            fault: |r, _| r.is("GET", "/api/v1/credits").then(|| json_resp(418, json!({"detail": "short and stout"}))),
            ends_session: false,
        },
    ]
}

/// Plays the browser against the scripted broker: straight to the app's callback with a code.
pub(super) async fn scripted_sign_in(core: &Core) -> Result<flux_krea_core::auth::AccountStatus, Error> {
    core.sign_in_within(IdentityProvider::Google, Duration::from_secs(60), |authorize| {
        let authorize = url::Url::parse(authorize).unwrap();
        let redirect = authorize.query_pairs().find(|(k, _)| k == "redirect_to").unwrap().1.into_owned();
        let mut callback = url::Url::parse(&redirect).unwrap();
        callback.query_pairs_mut().append_pair("code", "scripted-code");
        tokio::spawn(async move { send_raw(callback.port().unwrap(), &get_request(&callback)).await });
        Ok(())
    })
    .await
}

#[tokio::test]
pub(super) async fn bad_platform_answers_are_refused_clearly_and_keep_or_store_no_session() {
    let _turn = KEYCHAIN.lock().await;
    KeychainEntry::new("platform-session").delete().unwrap();
    let server = Scripted::start(platform_ok).await;
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path(), "http://127.0.0.1:9/v1", Some(server.base()));
    let core = Arc::new(Core::open(&config.data_dir.value.clone(), config).await.unwrap());
    core.confirm_age().await.unwrap();
    let mut tally = Tally::new("platform answers");
    let cases = platform_answer_cases();
    for case in cases.iter().filter(|c| c.phase == Phase::SignIn) {
        if !tally.should_run(&case.meta) {
            continue;
        }
        let log_start = server.log().len();
        server.set_fault(Some(case.fault));
        let outcome = timed(async {
            match scripted_sign_in(&core).await {
                Ok(status) => return Err(format!("signed in: {status:?}")),
                Err(e) => check_error(&case.meta, &e, &|s| s.to_string())?,
            }
            if platform_session().is_some() {
                return Err("a session is in the keychain".into());
            }
            let status = core.account_status().await.map_err(|e| e.to_string())?;
            if status.signed_in || status.profile.is_some() {
                return Err(format!("account status after: {status:?}"));
            }
            let logged_out = server.log()[log_start..].iter().any(|(m, t, _)| m == "POST" && t == "/auth/v1/logout");
            if case.ends_session && !logged_out {
                return Err("the session made by the code exchange was left open (no logout)".into());
            }
            Ok(())
        })
        .await;
        server.set_fault(None);
        tally.record(&case.meta, outcome);
    }

    let status = scripted_sign_in(&core).await.expect("a good sign-in against the scripted platform");
    assert!(status.signed_in, "{status:?}");
    let session = platform_session().expect("the session is in the keychain");
    for case in cases.iter().filter(|c| c.phase == Phase::Generate) {
        if !tally.should_run(&case.meta) {
            continue;
        }
        let before = snapshot(&core, String::new()).await;
        let log_start = server.log().len();
        server.set_fault(Some(case.fault));
        let outcome = timed(async {
            match core.generate(&request("flux-schnell", &[("prompt", text("a lighthouse at dusk"))])).await {
                Ok(job) => return Err(format!("accepted as job {}", job.id)),
                Err(e) => check_error(&case.meta, &e, &|s| s.to_string())?,
            }
            unchanged(&before, &snapshot(&core, String::new()).await)?;
            let sent: Vec<_> =
                server.log()[log_start..].iter().filter(|(_, t, _)| t.contains("/predictions")).cloned().collect();
            if !sent.is_empty() {
                return Err(format!("sent to the platform: {sent:?}"));
            }
            if platform_session().as_deref() != Some(session.as_str()) {
                return Err("the session was lost from the keychain".into());
            }
            Ok(())
        })
        .await;
        server.set_fault(None);
        tally.record(&case.meta, outcome);
    }
    core.sign_out().await.unwrap();
    assert_eq!(platform_session(), None);
    tally.finish();
}
