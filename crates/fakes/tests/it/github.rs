//! The GitHub fake: authorize → access_token (errors in a 200) → /user and /user/emails.

use flux_krea_fakes::github::{GithubFake, GithubUser, RunningGithub};
use flux_krea_fakes::oauth::{IdpConfig, IdpKnobs};
use reqwest::Client;
use serde_json::{json, Value};

use crate::common::platform::{challenge, VERIFIER};

const REDIRECT: &str = "http://127.0.0.1:4998/auth/v1/callback";

async fn start() -> (RunningGithub, Client) {
    let h = GithubFake::start(IdpConfig::new("Iv1.cid", "gh-secret")).await.unwrap();
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).user_agent("fakes-test").build().unwrap();
    (h, http)
}

/// Authorizes with PKCE and `scope`; answers the code.
async fn code(h: &RunningGithub, http: &Client, scope: &str) -> String {
    let ch = challenge(VERIFIER);
    let q = [
        ("client_id", "Iv1.cid"),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = http.get(h.authorize_url()).query(&q).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let to = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let pairs: Vec<(String, String)> = to.query_pairs().into_owned().collect();
    assert!(pairs.contains(&("state".into(), "st".into())), "{to}");
    pairs.into_iter().find(|(k, _)| k == "code").map(|(_, v)| v).expect("a code")
}

async fn token(h: &RunningGithub, http: &Client, body: Value) -> (u16, Value) {
    let res = http.post(h.token_url()).header("accept", "application/json").json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn exchange(code: &str) -> Value {
    json!({ "client_id": "Iv1.cid", "client_secret": "gh-secret", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER })
}

async fn api(h: &RunningGithub, http: &Client, path: &str, token: &str) -> (u16, Value) {
    let res = http.get(format!("{}{path}", h.api_url())).bearer_auth(token).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn github_signs_in_and_lists_the_primary_verified_email() {
    let (h, http) = start().await;
    let c = code(&h, &http, "read:user user:email").await;
    let (status, t) = token(&h, &http, exchange(&c)).await;
    assert_eq!(status, 200);
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["scope"], "read:user,user:email", "GitHub answers scopes comma-separated");
    let access = t["access_token"].as_str().unwrap();
    assert!(access.starts_with("gho_"));

    let (status, user) = api(&h, &http, "/user", access).await;
    let me = GithubUser::default();
    assert_eq!(status, 200);
    assert_eq!(user["id"], me.id);
    assert_eq!(user["login"], me.login.as_str());
    assert_eq!(user["email"], Value::Null, "a private address is not on /user");

    let (status, emails) = api(&h, &http, "/user/emails", access).await;
    assert_eq!(status, 200);
    let primary: Vec<&Value> = emails.as_array().unwrap().iter().filter(|e| e["primary"] == true).collect();
    assert_eq!(primary.len(), 1);
    assert_eq!(primary[0]["email"], me.email.as_str());
    assert_eq!(primary[0]["verified"], true);
    assert!(emails.as_array().unwrap().iter().any(|e| e["primary"] == false && e["verified"] == true));

    // Spent.
    let (status, again) = token(&h, &http, exchange(&c)).await;
    assert_eq!((status, again["error"].as_str()), (200, Some("bad_verification_code")));
}

#[tokio::test]
async fn github_reports_token_errors_in_a_200_and_answers_form_unless_asked_for_json() {
    let (h, http) = start().await;
    let c = code(&h, &http, "user:email").await;
    let mut wrong_secret = exchange(&c);
    wrong_secret["client_secret"] = json!("nope");
    let (status, body) = token(&h, &http, wrong_secret).await;
    assert_eq!((status, body["error"].as_str()), (200, Some("incorrect_client_credentials")));

    let mut wrong_redirect = exchange(&code(&h, &http, "user:email").await);
    wrong_redirect["redirect_uri"] = json!("http://127.0.0.1:4998/other");
    let (_, body) = token(&h, &http, wrong_redirect).await;
    assert_eq!(body["error"], "redirect_uri_mismatch");

    let mut wrong_verifier = exchange(&code(&h, &http, "user:email").await);
    wrong_verifier["code_verifier"] = json!("wrong-verifier-wrong-verifier-wrong-verifier-0");
    let (_, body) = token(&h, &http, wrong_verifier).await;
    assert_eq!(body["error"], "bad_verification_code");

    // No Accept: application/json → form-encoded, as GitHub answers.
    let c = code(&h, &http, "user:email").await;
    let form =
        [("client_id", "Iv1.cid"), ("client_secret", "gh-secret"), ("code", c.as_str()), ("code_verifier", VERIFIER)];
    let res = http.post(h.token_url()).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/x-www-form-urlencoded"));
    let text = res.text().await.unwrap();
    assert!(text.contains("access_token=gho_") && text.contains("token_type=bearer"), "{text}");
}

#[tokio::test]
async fn github_api_needs_a_user_agent_a_token_and_the_email_scope() {
    let (h, http) = start().await;
    let c = code(&h, &http, "read:user").await;
    let (_, t) = token(&h, &http, exchange(&c)).await;
    let access = t["access_token"].as_str().unwrap();

    let res = http.get(format!("{}/user/emails", h.api_url())).bearer_auth(access).send().await.unwrap();
    assert_eq!(res.status(), 404, "no user:email scope");
    assert_eq!(res.headers()["x-accepted-oauth-scopes"], "user, user:email");
    let (status, body) = api(&h, &http, "/user", "gho_forged").await;
    assert_eq!((status, body["message"].as_str()), (401, Some("Bad credentials")));
    let bare = Client::new().get(format!("{}/user", h.api_url())).bearer_auth(access).send().await.unwrap();
    assert_eq!(bare.status(), 403, "GitHub refuses requests without a User-Agent");
}

#[tokio::test]
async fn github_knobs_deny_and_unverify_and_set_user_changes_who_signs_in() {
    let (h, http) = start().await;
    let other = GithubUser {
        id: 77,
        login: "second".into(),
        email: "second@example.com".into(),
        public_email: true,
        ..GithubUser::default()
    };
    h.set_user(other);
    h.set_knobs(IdpKnobs { email_unverified: true, ..IdpKnobs::default() });
    let (_, t) = token(&h, &http, exchange(&code(&h, &http, "user:email").await)).await;
    let access = t["access_token"].as_str().unwrap();
    let (_, user) = api(&h, &http, "/user", access).await;
    assert_eq!((user["id"].as_u64(), user["email"].as_str()), (Some(77), Some("second@example.com")));
    let (_, emails) = api(&h, &http, "/user/emails", access).await;
    assert_eq!(emails[0]["primary"], true);
    assert_eq!(emails[0]["verified"], false);

    h.set_knobs(IdpKnobs { deny: true, ..IdpKnobs::default() });
    let q = [("client_id", "Iv1.cid"), ("redirect_uri", REDIRECT), ("state", "st")];
    let res = http.get(h.authorize_url()).query(&q).send().await.unwrap();
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("error=access_denied") && to.contains("state=st") && !to.contains("code="), "{to}");

    let q = [("client_id", "Iv1.other"), ("redirect_uri", REDIRECT), ("state", "st")];
    assert_eq!(http.get(h.authorize_url()).query(&q).send().await.unwrap().status(), 404);
}
