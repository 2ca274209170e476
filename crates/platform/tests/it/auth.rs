//! The sign-in broker through the app's protocol: both providers, the PKCE errors, refresh
//! rotation and reuse detection, logout, and the redirect allow-list.

use flux_krea_fakes::github::GithubUser;
use flux_krea_fakes::oauth::IdpKnobs;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::signin::{challenge, param, verifier, REDIRECT};
use crate::common::{start, ANON_KEY};

async fn error_code(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    (status, body["error_code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn google_and_github_sign_in_through_the_apps_protocol() {
    let p = start().await;
    let t = p.sign_in("google").await;
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 3600);
    let now = chrono::Utc::now().timestamp();
    assert!((t["expires_at"].as_i64().unwrap() - (now + 3600)).abs() < 5);
    assert!(t["refresh_token"].as_str().unwrap().len() >= 40);
    let google = p.google.user();
    assert_eq!(t["user"]["email"], google.email.as_str());
    assert_eq!(t["user"]["app_metadata"]["provider"], "google");
    assert_eq!(t["user"]["user_metadata"]["full_name"], google.name.as_str());

    let me = p.get_json("/me", t["access_token"].as_str().unwrap()).await;
    assert_eq!(me["id"], t["user"]["id"]);
    assert_eq!((me["email"].as_str(), me["provider"].as_str()), (Some(google.email.as_str()), Some("google")));
    chrono::DateTime::parse_from_rfc3339(me["created_at"].as_str().unwrap()).unwrap();

    // GitHub: the primary verified address from /user/emails, the numeric id as subject.
    p.github.set_user(GithubUser { name: Some("Grace Fake".into()), ..GithubUser::default() });
    let g = p.sign_in("github").await;
    let me2 = p.get_json("/me", g["access_token"].as_str().unwrap()).await;
    assert_eq!((me2["name"].as_str(), me2["provider"].as_str()), (Some("Grace Fake"), Some("github")));
    assert_ne!(me2["id"], me["id"]);
    let subject: String =
        sqlx::query_scalar("SELECT subject FROM identities WHERE provider = 'github'").fetch_one(&p.db).await.unwrap();
    assert_eq!(subject, GithubUser::default().id.to_string());

    // Signing in again is the same user; only hashes of refresh tokens are stored.
    let again = p.sign_in("google").await;
    assert_eq!(again["user"]["id"], t["user"]["id"]);
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&p.db).await.unwrap();
    assert_eq!(users, 2);
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT token_hash FROM refresh_tokens").fetch_all(&p.db).await.unwrap();
    assert_eq!(stored.len(), 3);
    for token in [&t, &g, &again].map(|t| t["refresh_token"].as_str().unwrap().as_bytes().to_vec()) {
        assert!(!stored.contains(&token));
    }
}

#[tokio::test]
async fn pkce_codes_are_single_use_checked_and_expire() {
    let p = start().await;
    let landing = p.land("google").await;
    let code = param(&landing.location, "code").unwrap();
    let (status, code_name) = error_code(p.exchange(&code, &verifier()).await).await;
    assert_eq!((status, code_name.as_str()), (StatusCode::BAD_REQUEST, "bad_code_verifier"));
    let ok = p.exchange(&code, &landing.verifier).await;
    assert_eq!((ok.status(), ok.headers()["cache-control"].to_str().unwrap()), (StatusCode::OK, "no-store"));
    let (status, code_name) = error_code(p.exchange(&code, &landing.verifier).await).await;
    assert_eq!((status, code_name.as_str()), (StatusCode::NOT_FOUND, "flow_state_not_found"));

    let late = p.land("github").await;
    sqlx::query("UPDATE flow_states SET created_at = now() - interval '301 seconds'").execute(&p.db).await.unwrap();
    let (status, code_name) =
        error_code(p.exchange(&param(&late.location, "code").unwrap(), &late.verifier).await).await;
    assert_eq!((status, code_name.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "flow_state_expired"));

    // Too long at the provider: the browser is sent back to the app with the reason.
    let v = verifier();
    let start = p.authorize_url("google", &format!("{REDIRECT}?state=slow"), &challenge(&v));
    let to_google = p.http.get(&start).send().await.unwrap().headers()["location"].to_str().unwrap().to_string();
    sqlx::query("UPDATE flow_states SET created_at = now() - interval '301 seconds' WHERE auth_code_hash IS NULL")
        .execute(&p.db)
        .await
        .unwrap();
    let back = p.browse(&to_google, REDIRECT).await;
    assert_eq!(param(&back, "error").as_deref(), Some("flow_state_expired"), "{back}");

    // The token endpoint wants the anon key.
    let res = p
        .http
        .post(format!("{}/auth/v1/token?grant_type=pkce", p.url))
        .header("apikey", "wrong")
        .json(&serde_json::json!({"auth_code": "x", "code_verifier": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let _ = ANON_KEY;
}

#[tokio::test]
async fn non_loopback_http_redirect_to_is_refused_before_any_flow() {
    let p = start().await;
    let c = challenge(&verifier());
    for bad in ["http://evil.example:43123/callback", "http://192.168.0.5:43123/cb", "https://evil.example/cb"] {
        let res = p.http.get(p.authorize_url("google", bad, &c)).send().await.unwrap();
        let (status, code) = error_code(res).await;
        assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "validation_failed"), "{bad}");
    }
    let flows: i64 = sqlx::query_scalar("SELECT count(*) FROM flow_states").fetch_one(&p.db).await.unwrap();
    assert_eq!(flows, 0);
    // Any loopback port is fine.
    let res = p.http.get(p.authorize_url("google", "http://127.0.0.1:9/cb", &c)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn unverified_email_and_denied_consent_come_back_as_errors_without_a_user() {
    let p = start().await;
    p.google.set_knobs(IdpKnobs { email_unverified: true, ..IdpKnobs::default() });
    let landing = p.land("google").await;
    assert_eq!(param(&landing.location, "error").as_deref(), Some("email_not_verified"));
    assert_eq!(param(&landing.location, "state").as_deref(), Some(landing.state.as_str()), "{}", landing.location);
    assert!(param(&landing.location, "code").is_none());

    p.github.set_knobs(IdpKnobs { deny: true, ..IdpKnobs::default() });
    let landing = p.land("github").await;
    assert_eq!(param(&landing.location, "error").as_deref(), Some("access_denied"));
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&p.db).await.unwrap();
    assert_eq!(users, 0);
    assert!(landing.location.starts_with(REDIRECT));
}

#[tokio::test]
async fn refresh_rotates_and_a_spent_token_revokes_the_session() {
    let p = start().await;
    let first = p.sign_in("google").await;
    let old = first["refresh_token"].as_str().unwrap();
    let res = p.refresh(old).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    let access = second["access_token"].as_str().unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(p.get("/me", access).await.status(), StatusCode::OK);

    // The spent token again, past the reuse interval: the whole session ends.
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() - interval '1 minute' WHERE spent_at IS NOT NULL")
        .execute(&p.db)
        .await
        .unwrap();
    let res = p.refresh(old).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["error_code"].as_str()),
        (Some("invalid_grant"), Some("refresh_token_already_used"))
    );
    assert_eq!(p.get("/me", access).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(p.get("/me", first["access_token"].as_str().unwrap()).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(p.refresh(second["refresh_token"].as_str().unwrap()).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_leaves_others() {
    let p = start().await;
    let a = p.sign_in("google").await;
    let b = p.sign_in("google").await;
    let access = a["access_token"].as_str().unwrap();
    let res = p
        .http
        .post(format!("{}/auth/v1/logout", p.url))
        .header("apikey", ANON_KEY)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = p.get("/me", access).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_token");
    assert_eq!(p.refresh(a["refresh_token"].as_str().unwrap()).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(p.get("/me", b["access_token"].as_str().unwrap()).await.status(), StatusCode::OK);
}
