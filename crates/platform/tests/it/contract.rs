//! One contract, two servers: the same calls, as the app makes them, against the platform fake
//! (which the core's fast tests use) and the real service; every shape the app reads must match,
//! so the two cannot drift.

use std::time::Duration;

use flux_krea_fakes::platform::{RunningPlatform, ANON_KEY as FAKE_ANON_KEY};
use flux_krea_fakes::replicate::Knobs;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::signin::{challenge, param, verifier, REDIRECT};
use crate::common::{start_with, Platform, ANON_KEY};

enum Server {
    Real(Platform),
    Fake(RunningPlatform),
}

struct Target {
    server: Server,
    url: String,
    anon_key: &'static str,
    http: reqwest::Client,
}

impl Target {
    async fn real() -> Target {
        // The fake grants 20 credits at the first sign-in; the real service is configured alike.
        let p = start_with(|c| c.signup_credits = 20).await;
        Target { url: p.url.clone(), http: p.http.clone(), server: Server::Real(p), anon_key: ANON_KEY }
    }

    async fn fake() -> Target {
        let f = RunningPlatform::start().await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Target { url: f.url(), http, server: Server::Fake(f), anon_key: FAKE_ANON_KEY }
    }

    fn name(&self) -> &'static str {
        match self.server {
            Server::Real(_) => "real",
            Server::Fake(_) => "fake",
        }
    }

    /// The app's sign-in: authorize, the browser's redirects, the PKCE exchange.
    async fn sign_in(&self, provider: &str) -> Value {
        let v = verifier();
        let mut url = url::Url::parse(&format!("{}/auth/v1/authorize", self.url)).unwrap();
        url.query_pairs_mut()
            .append_pair("provider", provider)
            .append_pair("redirect_to", &format!("{REDIRECT}?state=s1"))
            .append_pair("code_challenge", &challenge(&v))
            .append_pair("code_challenge_method", "s256");
        let mut next = url.to_string();
        let landing = loop {
            let res = self.http.get(&next).send().await.unwrap();
            let location = res.headers()["location"].to_str().unwrap().to_string();
            if location.starts_with(REDIRECT) {
                break location;
            }
            next = location;
        };
        assert_eq!(param(&landing, "state").as_deref(), Some("s1"), "{}", self.name());
        let code = param(&landing, "code").unwrap();
        let (status, t) = self.token("pkce", json!({"auth_code": code, "code_verifier": v})).await;
        assert_eq!(status, StatusCode::OK, "{}", self.name());
        t
    }

    async fn token(&self, grant: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .http
            .post(format!("{}/auth/v1/token?grant_type={grant}", self.url))
            .header("apikey", self.anon_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap_or_default())
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}/api/v1{path}", self.url)).bearer_auth(token);
        if let Some(key) = key {
            req = req.header("idempotency-key", key).header("prefer", "wait=30");
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        (res.status(), res.json().await.unwrap_or_default())
    }

    async fn upload(&self, token: &str, content_type: &str, body: &[u8]) -> (StatusCode, Value) {
        let res = self
            .http
            .post(format!("{}/api/v1/files", self.url))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap_or_default())
    }

    async fn pay(&self, session_id: &str) {
        match &self.server {
            Server::Real(p) => {
                p.stripe.pay(session_id).unwrap();
                p.stripe.wait_for_delivered(1, Duration::from_secs(10)).await;
            }
            Server::Fake(f) => assert!(f.fake.complete_checkout(session_id)),
        }
    }

    fn filter_one_image(&self) {
        let knobs = Knobs { filter_images: 1, ..Knobs::default() };
        match &self.server {
            Server::Real(p) => p.replicate.fake.set_knobs(knobs),
            Server::Fake(f) => f.fake.replicate().set_knobs(knobs),
        }
    }
}

/// The app's upload form (crates/core/src/generation/provider.rs `upload`): a `content` part.
fn multipart(bytes: &[u8]) -> Vec<u8> {
    let head = "--b0undary\r\nContent-Disposition: form-data; name=\"content\"; filename=\"input.png\"\r\n\
                Content-Type: image/png\r\n\r\n";
    [head.as_bytes(), bytes, b"\r\n--b0undary--\r\n"].concat()
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    k.sort();
    k
}

/// Everything the app reads, as (what, value) pairs: identical for both servers.
async fn observe(t: &Target) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    let mut note = |what: &str, v: Value| seen.push((what.to_string(), v));
    let s = t.sign_in("google").await;
    note("token keys", json!(keys(&s)));
    note("token type", s["token_type"].clone());
    note("user.app_metadata.provider", s["user"]["app_metadata"]["provider"].clone());
    note("user has full_name", json!(s["user"]["user_metadata"]["full_name"].is_string()));
    let access = s["access_token"].as_str().unwrap().to_string();

    let (_, me) = t.call(Method::GET, "/me", &access, None, None).await;
    note("me keys", json!(keys(&me)));
    let (_, models) = t.call(Method::GET, "/models", &access, None, None).await;
    note("models", models);
    let (_, packs) = t.call(Method::GET, "/credits/packs", &access, None, None).await;
    note("packs", packs);
    let (_, credits) = t.call(Method::GET, "/credits", &access, None, None).await;
    note("credits keys", json!(keys(&credits)));
    note("welcome balance", credits["balance"].clone());
    let (_, ledger) = t.call(Method::GET, "/credits/ledger", &access, None, None).await;
    note("ledger keys", json!(keys(&ledger)));
    note("ledger entry keys", json!(keys(&ledger["entries"][0])));
    note("ledger first reason", ledger["entries"][0]["reason"].clone());

    let (status, checkout) =
        t.call(Method::POST, "/credits/checkout", &access, Some("c1"), Some(json!({"pack_id": "pack_100"}))).await;
    note("checkout status", json!(status.as_u16()));
    note("checkout keys", json!(keys(&checkout)));
    let id = checkout["session_id"].as_str().unwrap().to_string();
    let (_, open) = t.call(Method::GET, &format!("/credits/checkout/{id}"), &access, None, None).await;
    note("checkout open", open);
    t.pay(&id).await;
    let (_, paid) = t.call(Method::GET, &format!("/credits/checkout/{id}"), &access, None, None).await;
    note("checkout paid", paid);
    let (status, unknown) =
        t.call(Method::POST, "/credits/checkout", &access, Some("c2"), Some(json!({"pack_id": "nope"}))).await;
    note("unknown pack", json!([status.as_u16(), unknown["code"]]));

    t.filter_one_image();
    let input = json!({"input": {"prompt": "contract", "num_outputs": 2}});
    let (status, p) = t
        .call(
            Method::POST,
            "/models/black-forest-labs/flux-schnell/predictions",
            &access,
            Some("p1"),
            Some(input.clone()),
        )
        .await;
    note("create status", json!(status.as_u16()));
    note(
        "prediction keys ⊇",
        json!([
            "id",
            "model",
            "version",
            "input",
            "output",
            "error",
            "status",
            "created_at",
            "urls",
            "credits_charged"
        ]
        .iter()
        .all(|k| p.get(*k).is_some())),
    );
    note("prediction status", p["status"].clone());
    note("outputs delivered", json!(p["output"].as_array().map(Vec::len)));
    note("credits charged", p["credits_charged"].clone());
    note("urls", json!(keys(&p["urls"])));
    let (status, _) = t
        .call(
            Method::POST,
            "/models/black-forest-labs/flux-schnell/predictions",
            &access,
            Some("p1"),
            Some(json!({"input": {"prompt": "other"}})),
        )
        .await;
    note("key reused", json!(status.as_u16()));
    let (_, after) = t.call(Method::GET, "/credits", &access, None, None).await;
    note("balance after", after["balance"].clone());
    let (status, poor) = t
        .call(
            Method::POST,
            "/models/black-forest-labs/flux-1.1-pro/predictions",
            &access,
            Some("p2"),
            Some(json!({"input": {"prompt": "x"}})),
        )
        .await;
    note("affordable", json!(status.as_u16()));
    let _ = poor;
    let (status, missing) = t.call(Method::GET, "/predictions/doesnotexist", &access, None, None).await;
    note("unknown prediction", json!([status.as_u16(), missing["code"]]));

    // An input picture too big to inline goes through the platform to Replicate's files.
    let picture = vec![7u8; 300 * 1024];
    let (status, file) = t.upload(&access, "multipart/form-data; boundary=b0undary", &multipart(&picture)).await;
    note("upload", json!([status.as_u16(), file["size"], file["urls"]["get"].is_string()]));
    let (status, refused) = t.upload(&access, "image/png", &picture).await;
    note("upload not multipart", json!([status.as_u16(), refused["code"]]));

    let (_, consents) =
        t.call(Method::PUT, "/privacy/consents", &access, None, Some(json!({"training_use": true}))).await;
    note("consents keys", json!(keys(&consents)));
    note("consent", consents["training_use"]["granted"].clone());
    let (_, export) = t.call(Method::GET, "/privacy/export", &access, None, None).await;
    note("export has", json!(["profile", "ledger", "consents", "prompts"].iter().all(|k| export.get(*k).is_some())));
    note("export prompt", export["prompts"][0]["prompt"].clone());
    let (_, erased) = t.call(Method::DELETE, "/privacy/prompts", &access, None, None).await;
    note("prompts erased", erased);
    let (status, deletion) = t.call(Method::POST, "/privacy/account-deletion", &access, None, None).await;
    note("deletion", json!([status.as_u16(), deletion.get("request_id").is_some(), deletion.get("due_by").is_some()]));
    let (status, cancelled) = t.call(Method::DELETE, "/privacy/account-deletion", &access, None, None).await;
    let same = cancelled.get("request_id") == deletion.get("request_id");
    note("deletion cancelled", json!([status.as_u16(), same, cancelled["status"]]));
    let (status, none) = t.call(Method::DELETE, "/privacy/account-deletion", &access, None, None).await;
    note("nothing to cancel", json!([status.as_u16(), none["code"]]));

    let (status, bad) = t.token("refresh_token", json!({"refresh_token": "not-a-token"})).await;
    note("bad refresh", json!([status.as_u16(), bad["error"].as_str().or(bad["error_code"].as_str()).is_some()]));
    let logout = t
        .http
        .post(format!("{}/auth/v1/logout", t.url))
        .header("apikey", t.anon_key)
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    note("logout", json!(logout.status().as_u16()));
    let (status, gone) = t.call(Method::GET, "/me", &access, None, None).await;
    note("after logout", json!([status.as_u16(), gone["code"]]));
    seen
}

#[tokio::test]
async fn the_real_service_answers_the_app_as_the_platform_fake_does() {
    let real = observe(&Target::real().await).await;
    let fake = observe(&Target::fake().await).await;
    let diffs: Vec<String> = real
        .iter()
        .zip(&fake)
        .filter(|(r, f)| r != f)
        .map(|(r, f)| format!("{}: real {} / fake {}", r.0, r.1, f.1))
        .collect();
    assert!(diffs.is_empty(), "the real service and the fake differ:\n{}", diffs.join("\n"));
    assert_eq!(real.len(), fake.len());
    let reused = real.iter().find(|(what, _)| what == "key reused").map(|(_, v)| v.clone());
    assert_eq!(reused, Some(json!(422)), "both follow §4.1");
}
