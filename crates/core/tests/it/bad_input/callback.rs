//! 4. Sign-in callback URLs → the loopback listener of `Core::sign_in`.

use super::*;

pub(super) const CALLBACK_ENTRY: &str = "`Core::sign_in` → loopback `/callback`";
pub(super) const CALLBACK_CHECKS: &str =
    "the browser's page (status, wording, HTML escaped); no code exchanged with the broker; \
    no session on the platform; keychain entry absent; not signed in";

pub(super) struct CallbackCase {
    pub(super) meta: Meta,
    /// The raw request the "browser" sends, from the callback URL the broker redirected to.
    pub(super) visit: fn(&url::Url) -> Vec<u8>,
    /// The page's status and a phrase of it; None when the connection may be cut.
    pub(super) page: Option<(u16, &'static str)>,
    /// The visit does not end the wait: the sign-in is canceled afterwards.
    pub(super) keeps_waiting: bool,
}

/// The callback URL with these query pairs instead of the broker's.
pub(super) fn callback_with(url: &url::Url, pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut u = url.clone();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    get_request(&u)
}

pub(super) fn state_of(url: &url::Url) -> String {
    url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).unwrap_or_default()
}

pub(super) fn callback_cases() -> Vec<CallbackCase> {
    let refused_page = |s| Some((400, s));
    vec![
        // Not this sign-in's state: a 400 page, and the wait goes on for the real redirect (#20).
        CallbackCase {
            meta: meta(
                "wrong state",
                "`/callback?state=<other>&code=<code>`, then nothing (400 “state mismatch”, still waiting)",
                refused("canceled", &["sign-in"], &["sign-in was canceled"]),
            ),
            visit: |u| {
                let code = u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap_or_default();
                callback_with(u, &[("state", "forged-state"), ("code", &code)])
            },
            page: refused_page("state mismatch"),
            keeps_waiting: true,
        },
        CallbackCase {
            meta: meta(
                "missing state",
                "`/callback?code=<code>`, then nothing (400 “state mismatch”, still waiting)",
                refused("canceled", &["sign-in"], &["sign-in was canceled"]),
            ),
            visit: |u| {
                let code = u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap_or_default();
                callback_with(u, &[("code", &code)])
            },
            page: refused_page("state mismatch"),
            keeps_waiting: true,
        },
        CallbackCase {
            meta: meta(
                "a refusal under a forged state",
                "`/callback?state=<other>&error=access_denied&error_description=Call 555-0100`, then nothing \
                 (400 “state mismatch” without the description, still waiting)",
                refused("canceled", &["sign-in"], &["sign-in was canceled"]),
            )
            .unsaid(&["555-0100"]),
            visit: |u| {
                callback_with(
                    u,
                    &[("state", "forged-state"), ("error", "access_denied"), ("error_description", "Call 555-0100")],
                )
            },
            page: refused_page("state mismatch"),
            keeps_waiting: true,
        },
        CallbackCase {
            meta: meta(
                "missing code",
                "`/callback?state=<state>`",
                invalid(&["sign_in"], &["the broker sent no authorization code"]),
            ),
            visit: |u| callback_with(u, &[("state", &state_of(u))]),
            page: refused_page("no authorization code"),
            keeps_waiting: false,
        },
        CallbackCase {
            meta: meta(
                "empty code",
                "`/callback?state=<state>&code=`",
                invalid(&["sign_in"], &["the broker sent no authorization code"]),
            ),
            visit: |u| callback_with(u, &[("state", &state_of(u)), ("code", "")]),
            page: refused_page("no authorization code"),
            keeps_waiting: false,
        },
        CallbackCase {
            meta: meta(
                "access denied",
                "`/callback?state=<state>&error=access_denied&error_description=The user denied access`",
                invalid(&["sign_in"], &["the sign-in was refused: The user denied access"]),
            ),
            visit: |u| {
                callback_with(
                    u,
                    &[
                        ("state", &state_of(u)),
                        ("error", "access_denied"),
                        ("error_description", "The user denied access"),
                    ],
                )
            },
            page: refused_page("The user denied access"),
            keeps_waiting: false,
        },
        CallbackCase {
            meta: meta(
                "access denied without a description",
                "`/callback?state=<state>&error=access_denied`",
                invalid(&["sign_in"], &["the sign-in was refused: access_denied"]),
            ),
            visit: |u| callback_with(u, &[("state", &state_of(u)), ("error", "access_denied")]),
            page: refused_page("access_denied"),
            keeps_waiting: false,
        },
        CallbackCase {
            meta: meta(
                "script in the error description",
                "`error_description=<script>alert(1)</script>` (and a control character)",
                invalid(&["sign_in"], &["the sign-in was refused: <script>alert(1)</script>"]),
            )
            .unsaid(&["\u{7}"]),
            visit: |u| {
                callback_with(
                    u,
                    &[
                        ("state", &state_of(u)),
                        ("error", "server_error"),
                        ("error_description", "<script>alert(1)</script>\u{7}"),
                    ],
                )
            },
            page: refused_page("&lt;script&gt;alert(1)&lt;/script&gt;"),
            keeps_waiting: false,
        },
        CallbackCase {
            meta: meta(
                "another path",
                "`/favicon.ico`, then nothing",
                refused("canceled", &["sign-in"], &["sign-in was canceled"]),
            ),
            visit: |u| {
                let mut other = u.clone();
                other.set_path("/favicon.ico");
                other.set_query(None);
                get_request(&other)
            },
            page: Some((404, "Nothing here")),
            keeps_waiting: true,
        },
        CallbackCase {
            meta: meta(
                "POST instead of GET",
                "`POST /callback?state=<state>&code=<code>`, then nothing",
                refused("canceled", &["sign-in"], &["sign-in was canceled"]),
            ),
            visit: |u| {
                let mut req = get_request(u);
                req.splice(0..3, b"POST".iter().copied());
                req
            },
            page: Some((0, "")),
            keeps_waiting: true,
        },
        CallbackCase {
            meta: meta(
                "over-long request",
                "`/callback?pad=<20 000 × A>&state=<state>&code=<code>` (head > 16 KiB: the state is cut off), \
                 then nothing",
                refused("canceled", &["sign-in"], &["sign-in was canceled"]),
            ),
            visit: |u| {
                let code = u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap_or_default();
                callback_with(u, &[("pad", &"A".repeat(20_000)), ("state", &state_of(u)), ("code", &code)])
            },
            page: None,
            keeps_waiting: true,
        },
    ]
}

pub(super) fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub(super) fn platform_session() -> Option<String> {
    KeychainEntry::new("platform-session").get().unwrap().map(|s| s.expose().clone())
}

#[tokio::test]
pub(super) async fn bad_sign_in_callbacks_are_refused_and_nothing_is_kept() {
    let _turn = KEYCHAIN.lock().await;
    KeychainEntry::new("platform-session").delete().unwrap();
    let platform = RunningPlatform::start().await.unwrap();
    platform.fake.set_knobs(PlatformKnobs::default());
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path(), "http://127.0.0.1:9/v1", Some(&platform.url()));
    let core = Arc::new(Core::open(&config.data_dir.value.clone(), config).await.unwrap());
    core.confirm_age().await.unwrap();
    let mut tally = Tally::new("sign-in callbacks");
    for case in callback_cases() {
        if !tally.should_run(&case.meta) {
            continue;
        }
        let outcome = timed(async {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let canceller = core.clone();
            let (visit, keeps_waiting) = (case.visit, case.keeps_waiting);
            let result = core
                .sign_in_within(IdentityProvider::Google, Duration::from_secs(60), move |authorize| {
                    let authorize = authorize.to_string();
                    tokio::spawn(async move {
                        // The broker signs the user in and redirects to the app's callback.
                        let answer = browser().get(&authorize).send().await.unwrap();
                        let location = answer.headers()["location"].to_str().unwrap().to_string();
                        let callback = url::Url::parse(&location).unwrap();
                        let page = send_raw(callback.port().unwrap(), &visit(&callback)).await;
                        if keeps_waiting {
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            assert!(canceller.cancel_sign_in(), "the sign-in must still be waiting");
                        }
                        let _ = tx.send(page);
                    });
                    Ok(())
                })
                .await;
            let page = rx.await.map_err(|_| "the browser task failed".to_string())?;
            match result {
                Ok(status) => return Err(format!("signed in: {status:?}")),
                Err(e) => check_error(&case.meta, &e, &|s| s.to_string())?,
            }
            if let Some((status, phrase)) = case.page {
                if page.0 != status || !page.1.contains(phrase) {
                    return Err(format!("the page was {} {:.300}; expected {status} with {phrase:?}", page.0, page.1));
                }
                if page.1.contains("<script>") {
                    return Err("the page carries the script unescaped".into());
                }
                if let Some(said) = case.meta.unsaid.iter().find(|p| page.1.contains(*p)) {
                    return Err(format!("the page says {said:?}"));
                }
            }
            let exchanged = platform.fake.requests().iter().filter(|r| r.starts_with("POST /auth/v1/token")).count();
            if exchanged > 0 {
                return Err(format!("{exchanged} code exchange(s) reached the broker"));
            }
            if platform.fake.live_sessions() != 0 {
                return Err("a session is live on the platform".into());
            }
            if platform_session().is_some() {
                return Err("a session is in the keychain".into());
            }
            let status = core.account_status().await.map_err(|e| e.to_string())?;
            if status.signed_in || status.profile.is_some() || status.sign_in_pending {
                return Err(format!("account status after: {status:?}"));
            }
            Ok(())
        })
        .await;
        tally.record(&case.meta, outcome);
    }
    tally.finish();
}
