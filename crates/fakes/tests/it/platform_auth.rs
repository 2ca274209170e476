//! The platform's auth broker: PKCE sign-in, token errors, refresh rotation, revocation, logout.

use crate::common::platform::{challenge, start, STATE, VERIFIER};
use flux_krea_fakes::platform::{PlatformKnobs, ANON_KEY};
use reqwest::Method;
use serde_json::{json, Value};

fn query(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn part(jwt: &str, i: usize) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwt.split('.').nth(i).unwrap()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn pkce_round_trip_signs_in_and_me_answers() {
    let h = start().await;
    let res = h.authorize("google", &challenge(VERIFIER)).await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:43123/callback?state="), "{location}");
    let pairs = query(&location);
    assert_eq!(pairs[0], ("state".into(), STATE.into()), "state preserved, first");
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();

    let res = h.exchange(&code, VERIFIER).await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 3600);
    let now = chrono::Utc::now().timestamp();
    assert!((t["expires_at"].as_i64().unwrap() - (now + 3600)).abs() < 5);
    assert!(t["refresh_token"].as_str().unwrap().len() >= 22);
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3);
    assert_eq!(part(access, 0)["typ"], "JWT");
    let claims = part(access, 1);
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["exp"], t["expires_at"]);
    let user = &t["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["app_metadata"]["provider"], "google");
    assert_eq!(user["user_metadata"]["full_name"], "Ada Lovelace");
    assert_eq!(claims["sub"], user["id"]);

    let me = h.get("/me", access).await;
    assert_eq!(me["id"], user["id"]);
    assert_eq!((me["name"].as_str(), me["provider"].as_str()), (Some("Ada Lovelace"), Some("google")));
    chrono::DateTime::parse_from_rfc3339(me["created_at"].as_str().unwrap()).unwrap();
    let avatar = me["avatar_url"].as_str().unwrap();
    assert_eq!(avatar, format!("{}/avatars/{}.png", h.p.url(), me["id"].as_str().unwrap()));
    assert_eq!(avatar, user["user_metadata"]["avatar_url"]);
    let png = h.http.get(avatar).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let img = image::load_from_memory(&png.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (64, 64));

    // First sign-in granted the initial credits; the code was single-use.
    assert_eq!(h.p.fake.balance("ada@example.com"), Some(20));
    assert_eq!(h.p.fake.ledger("ada@example.com")[0]["reason"], "grant");
    assert_eq!(h.exchange(&code, VERIFIER).await.status(), 404);
    assert_eq!(h.p.fake.consents("ada@example.com").unwrap()["training_use"]["granted"], false);

    // GitHub signs in Grace; a second Google sign-in is Ada again, with no second grant.
    assert_eq!(h.sign_in("github").await["user"]["user_metadata"]["full_name"], "Grace Hopper");
    h.sign_in("google").await;
    assert_eq!(h.p.fake.balance("ada@example.com"), Some(20));
    assert_eq!(h.p.fake.live_sessions(), 3);
}

/// Exchanges and checks a GoTrue error body `{code, error_code, msg}`.
async fn refused(h: &crate::common::platform::Platform, code: &str, verifier: &str, status: u16, error_code: &str) {
    let res = h.exchange(code, verifier).await;
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!((body["code"].as_u64(), body["error_code"].as_str()), (Some(status as u64), Some(error_code)));
    assert!(body["msg"].is_string());
}

#[tokio::test]
async fn token_errors_are_gotrue_shaped() {
    let h = start().await;
    refused(&h, "no-such-code", VERIFIER, 404, "flow_state_not_found").await;

    let code = h.auth_code("google").await;
    refused(&h, &code, &"x".repeat(50), 400, "bad_code_verifier").await;
    refused(&h, &code, "short", 400, "bad_code_verifier").await;
    refused(&h, &code, "spaces are not allowed in a PKCE code verifier, ever!", 400, "bad_code_verifier").await;
    // A wrong verifier does not burn the flow.
    assert_eq!(h.exchange(&code, VERIFIER).await.status(), 200);

    let code = h.auth_code("google").await;
    h.p.fake.expire_flows();
    refused(&h, &code, VERIFIER, 422, "flow_state_expired").await;
}

#[tokio::test]
async fn token_and_logout_need_the_anon_key() {
    let h = start().await;
    let code = h.auth_code("github").await;
    for key in [None, Some("wrong-key")] {
        let mut req = h.http.post(h.url("/auth/v1/token?grant_type=pkce"));
        if let Some(key) = key {
            req = req.header("apikey", key);
        }
        let res = req.json(&json!({ "auth_code": code, "code_verifier": VERIFIER })).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({ "message": "Invalid API key" }));
    }
    let access = h.token("github").await;
    let res = h.http.post(h.url("/auth/v1/logout")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(h.p.fake.logouts(), 0);
}

#[tokio::test]
async fn authorize_validates_and_can_redirect_with_an_error() {
    let h = start().await;
    let good = challenge(VERIFIER);
    let bad = |provider: &str, redirect: &str, challenge: &str, method: &str| {
        let req = h.http.get(h.url("/auth/v1/authorize")).query(&[
            ("provider", provider),
            ("redirect_to", redirect),
            ("code_challenge", challenge),
            ("code_challenge_method", method),
        ]);
        async move { req.send().await.unwrap().status() }
    };
    let cb = "http://127.0.0.1:5000/callback?state=a";
    assert_eq!(bad("facebook", cb, &good, "s256").await, 400);
    assert_eq!(bad("google", "https://evil.example/callback", &good, "s256").await, 400);
    assert_eq!(bad("google", "http://127.0.0.1/callback", &good, "s256").await, 400, "no port");
    assert_eq!(bad("google", cb, "too-short", "s256").await, 400);
    assert_eq!(bad("google", cb, &good, "plain").await, 400);
    assert_eq!(bad("google", "http://localhost:5000/cb", &good, "S256").await, 302);

    h.p.fake.set_knobs(PlatformKnobs { authorize_error: Some("access_denied".into()), ..PlatformKnobs::default() });
    let res = h.authorize("google", &good).await;
    assert_eq!(res.status(), 302);
    let pairs = query(res.headers()["location"].to_str().unwrap());
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("state").as_deref(), Some(STATE));
    assert_eq!(get("error").as_deref(), Some("access_denied"));
    assert_eq!(get("error_code").as_deref(), Some("access_denied"));
    assert!(get("error_description").unwrap().contains(' '), "a decoded sentence");
    assert_eq!(get("code"), None);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_dies() {
    let h = start().await;
    let first = h.sign_in("google").await;
    let old = first["refresh_token"].as_str().unwrap();
    let res = h.refresh(old).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["user"]["email"], "ada@example.com");
    h.get("/me", second["access_token"].as_str().unwrap()).await;
    assert_eq!(h.p.fake.refreshes(), 1);

    let res = h.refresh(old).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "Invalid Refresh Token: Already Used");
    let unknown: Value = h.refresh("nope").await.json().await.unwrap();
    assert_eq!(unknown["error_description"], "Invalid Refresh Token: Refresh Token Not Found");
    assert_eq!(h.p.fake.refreshes(), 1);
}

#[tokio::test]
async fn expired_access_tokens_get_401_and_refresh_still_works_until_revoked() {
    let h = start().await;
    let t = h.sign_in("google").await;
    let access = t["access_token"].as_str().unwrap();
    h.p.fake.expire_access_tokens();
    let res = h.api(Method::GET, "/me", access).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "invalid_token");
    for bad in ["", "garbage"] {
        assert_eq!(h.api(Method::GET, "/credits", bad).send().await.unwrap().status(), 401);
    }

    let fresh: Value = h.refresh(t["refresh_token"].as_str().unwrap()).await.json().await.unwrap();
    h.get("/me", fresh["access_token"].as_str().unwrap()).await;

    assert_eq!(h.p.fake.live_sessions(), 1);
    h.p.fake.revoke_sessions();
    assert_eq!(h.p.fake.live_sessions(), 0);
    let res = h.refresh(fresh["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn logout_ends_the_session_for_both_tokens() {
    let h = start().await;
    let t = h.sign_in("github").await;
    let access = t["access_token"].as_str().unwrap();
    let other = h.token("google").await;
    let res =
        h.http.post(h.url("/auth/v1/logout")).header("apikey", ANON_KEY).bearer_auth(access).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!((h.p.fake.logouts(), h.p.fake.live_sessions()), (1, 1));
    assert_eq!(h.api(Method::GET, "/me", access).send().await.unwrap().status(), 401);
    assert_eq!(h.refresh(t["refresh_token"].as_str().unwrap()).await.status(), 400);
    h.get("/me", &other).await;
    let again = h.http.post(h.url("/auth/v1/logout")).header("apikey", ANON_KEY).bearer_auth(access).send().await;
    assert_eq!(again.unwrap().status(), 401);
}

#[tokio::test]
async fn server_error_countdowns_answer_503_then_recover() {
    let h = start().await;
    let access = h.token("google").await;
    h.p.fake.set_knobs(PlatformKnobs { token_server_errors: 1, api_server_errors: 2, ..PlatformKnobs::default() });
    let code = h.auth_code("google").await;
    assert_eq!(h.exchange(&code, VERIFIER).await.status(), 503);
    assert_eq!(h.exchange(&code, VERIFIER).await.status(), 200);
    for _ in 0..2 {
        let res = h.api(Method::GET, "/credits", &access).send().await.unwrap();
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    h.get("/credits", &access).await;
}
