//! The Google identity provider fake: authorize → token → userinfo, and each refusal.

use flux_krea_fakes::google::{GoogleFake, GoogleUser, RunningGoogle};
use flux_krea_fakes::oauth::{IdpConfig, IdpKnobs};
use reqwest::{Client, Response};
use serde_json::Value;

use crate::common::platform::{challenge, VERIFIER};

const REDIRECT: &str = "http://127.0.0.1:4999/auth/v1/callback";

async fn start() -> (RunningGoogle, Client) {
    let g = GoogleFake::start(IdpConfig::new("cid.apps.googleusercontent.com", "g-secret")).await.unwrap();
    (g, Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap())
}

async fn authorize(g: &RunningGoogle, http: &Client, extra: &[(&str, &str)]) -> Response {
    let mut q = vec![
        ("client_id", "cid.apps.googleusercontent.com"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email profile"),
        ("state", "s-1"),
    ];
    for (k, v) in extra {
        q.retain(|(qk, _)| qk != k);
        if !v.is_empty() {
            q.push((k, v));
        }
    }
    http.get(g.auth_url()).query(&q).send().await.unwrap()
}

/// The redirect's query as pairs.
fn location(res: &Response) -> Vec<(String, String)> {
    assert_eq!(res.status(), 302, "authorize redirects");
    let to = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    assert!(to.as_str().starts_with(REDIRECT), "{to}");
    to.query_pairs().into_owned().collect()
}

fn get<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.as_str())
}

async fn exchange(g: &RunningGoogle, http: &Client, form: &[(&str, &str)]) -> (u16, Value) {
    let res = http.post(g.token_url()).form(form).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn token_form<'a>(code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", "cid.apps.googleusercontent.com"),
        ("client_secret", "g-secret"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ]
}

#[tokio::test]
async fn google_signs_in_the_configured_user_with_pkce() {
    let (g, http) = start().await;
    let ch = challenge(VERIFIER);
    let pairs = location(&authorize(&g, &http, &[("code_challenge", &ch), ("code_challenge_method", "S256")]).await);
    assert_eq!(get(&pairs, "state"), Some("s-1"));
    let code = get(&pairs, "code").unwrap().to_string();

    let (status, token) = exchange(&g, &http, &token_form(&code, VERIFIER)).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    let granted =
        "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile";
    assert_eq!(token["scope"], granted);
    let access = token["access_token"].as_str().unwrap();
    assert!(access.starts_with("ya29."));

    let info: Value = http.get(g.userinfo_url()).bearer_auth(access).send().await.unwrap().json().await.unwrap();
    let user = GoogleUser::default();
    assert_eq!(info["sub"], user.sub.as_str());
    assert_eq!(info["email"], user.email.as_str());
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["name"], user.name.as_str());
    assert_eq!(info["picture"], user.picture.as_str());

    // The code is single-use.
    let (status, again) = exchange(&g, &http, &token_form(&code, VERIFIER)).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn google_signs_in_whoever_set_user_names_and_knobs_shape_the_answer() {
    let (g, http) = start().await;
    let second = GoogleUser {
        sub: "2".into(),
        email: "grace@example.com".into(),
        name: "Grace H".into(),
        ..GoogleUser::default()
    };
    g.set_user(second.clone());
    g.set_knobs(IdpKnobs { email_unverified: true, ..IdpKnobs::default() });
    let pairs = location(&authorize(&g, &http, &[("scope", "openid email")]).await);
    let (_, token) = exchange(&g, &http, &token_form(get(&pairs, "code").unwrap(), "")).await;
    let info: Value = http
        .get(g.userinfo_url())
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], "2");
    assert_eq!(info["email"], "grace@example.com");
    assert_eq!(info["email_verified"], false);
    assert!(info.get("name").is_none(), "no profile scope, no name: {info}");

    g.set_knobs(IdpKnobs { deny: true, ..IdpKnobs::default() });
    let pairs = location(&authorize(&g, &http, &[]).await);
    assert_eq!(get(&pairs, "error"), Some("access_denied"));
    assert_eq!(get(&pairs, "state"), Some("s-1"));
    assert_eq!(get(&pairs, "code"), None);
}

#[tokio::test]
async fn google_refuses_bad_authorize_requests_with_an_error_page() {
    let (g, http) = start().await;
    for (extra, status) in [
        (vec![("client_id", "someone-else")], 401),
        (vec![("redirect_uri", "ftp://127.0.0.1/cb")], 400),
        (vec![("response_type", "token")], 400),
        (vec![("scope", "")], 400),
        (vec![("scope", "openid drive")], 400),
        (vec![("state", "")], 400),
        (vec![("code_challenge", "short"), ("code_challenge_method", "S256")], 400),
        (
            vec![("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), ("code_challenge_method", "plain")],
            400,
        ),
    ] {
        let res = authorize(&g, &http, &extra).await;
        assert_eq!(res.status(), status, "{extra:?}");
        assert!(res.headers().get("location").is_none(), "{extra:?} must not redirect");
    }
}

#[tokio::test]
async fn google_token_errors_are_json_with_400_or_401() {
    let (g, http) = start().await;
    let ch = challenge(VERIFIER);
    let mut codes = Vec::new();
    for _ in 0..4 {
        let res = authorize(&g, &http, &[("code_challenge", &ch), ("code_challenge_method", "S256")]).await;
        codes.push(get(&location(&res), "code").unwrap().to_string());
    }
    let mut wrong_secret = token_form(&codes[0], VERIFIER);
    wrong_secret[3] = ("client_secret", "nope");
    let mut wrong_client = token_form(&codes[0], VERIFIER);
    wrong_client[2] = ("client_id", "other");
    let mut wrong_redirect = token_form(&codes[1], VERIFIER);
    wrong_redirect[4] = ("redirect_uri", "http://127.0.0.1:4999/elsewhere");
    let wrong_verifier = token_form(&codes[2], "x-verifier-that-is-long-enough-but-wrong-0123456789");
    let mut wrong_grant = token_form(&codes[3], VERIFIER);
    wrong_grant[0] = ("grant_type", "password");
    for (form, status, error) in [
        (wrong_secret, 401, "invalid_client"),
        (wrong_client, 401, "invalid_client"),
        (wrong_redirect, 400, "redirect_uri_mismatch"),
        (wrong_verifier, 400, "invalid_grant"),
        (wrong_grant, 400, "unsupported_grant_type"),
        (token_form("never-issued", VERIFIER), 400, "invalid_grant"),
    ] {
        let (got, body) = exchange(&g, &http, &form).await;
        assert_eq!((got, body["error"].as_str()), (status, Some(error)), "{form:?}: {body}");
    }
    // client_secret_basic works as well as the form fields.
    let pairs = location(&authorize(&g, &http, &[]).await);
    let form =
        [("grant_type", "authorization_code"), ("code", get(&pairs, "code").unwrap()), ("redirect_uri", REDIRECT)];
    let res = http
        .post(g.token_url())
        .basic_auth("cid.apps.googleusercontent.com", Some("g-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let res = http.get(g.userinfo_url()).bearer_auth("ya29.forged").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
}

#[tokio::test]
async fn google_token_outage_knob_answers_503_then_recovers() {
    let (g, http) = start().await;
    g.set_knobs(IdpKnobs { token_server_errors: 1, ..IdpKnobs::default() });
    let pairs = location(&authorize(&g, &http, &[]).await);
    let code = get(&pairs, "code").unwrap().to_string();
    let (status, body) = exchange(&g, &http, &token_form(&code, "")).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("temporarily_unavailable")));
    let (status, _) = exchange(&g, &http, &token_form(&code, "")).await;
    assert_eq!(status, 200, "the outage did not spend the code");
}
