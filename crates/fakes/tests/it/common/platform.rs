//! Platform helpers: start it with fast inner Replicate knobs, sign in through PKCE, call the API.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flux_krea_fakes::platform::{RunningPlatform, ANON_KEY};
use flux_krea_fakes::replicate::Knobs;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-fake-verifier";
pub const STATE: &str = "st4te-xyz";

pub struct Platform {
    pub p: RunningPlatform,
    /// Does not follow redirects, so tests see the broker's 302.
    pub http: reqwest::Client,
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub async fn start() -> Platform {
    let p = RunningPlatform::start().await.unwrap();
    p.fake.replicate().set_knobs(Knobs { image_side: Some(64), run_ms: 60, ..Knobs::default() });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Platform { p, http }
}

impl Platform {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.p.url())
    }

    pub fn replicate_knobs(&self, f: impl FnOnce(&mut Knobs)) {
        let mut knobs = self.p.fake.replicate().knobs();
        f(&mut knobs);
        self.p.fake.replicate().set_knobs(knobs);
    }

    /// `GET /auth/v1/authorize` as the browser would, with the app's loopback callback.
    pub async fn authorize(&self, provider: &str, challenge: &str) -> Response {
        let redirect = format!("http://127.0.0.1:43123/callback?state={STATE}");
        self.http
            .get(self.url("/auth/v1/authorize"))
            .query(&[
                ("provider", provider),
                ("redirect_to", &redirect),
                ("code_challenge", challenge),
                ("code_challenge_method", "s256"),
            ])
            .send()
            .await
            .unwrap()
    }

    /// The `code` from a successful authorize redirect.
    pub async fn auth_code(&self, provider: &str) -> String {
        let res = self.authorize(provider, &challenge(VERIFIER)).await;
        assert_eq!(res.status(), 302);
        let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Response {
        self.http
            .post(self.url("/auth/v1/token?grant_type=pkce"))
            .header("apikey", ANON_KEY)
            .json(&json!({ "auth_code": code, "code_verifier": verifier }))
            .send()
            .await
            .unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.http
            .post(self.url("/auth/v1/token?grant_type=refresh_token"))
            .header("apikey", ANON_KEY)
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .unwrap()
    }

    /// The whole sign-in; the token response.
    pub async fn sign_in(&self, provider: &str) -> Value {
        let code = self.auth_code(provider).await;
        let res = self.exchange(&code, VERIFIER).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// A signed-in access token.
    pub async fn token(&self, provider: &str) -> String {
        self.sign_in(provider).await["access_token"].as_str().unwrap().to_string()
    }

    pub fn api(&self, method: Method, path: &str, access: &str) -> RequestBuilder {
        self.http.request(method, self.url(&format!("/api/v1{path}"))).bearer_auth(access)
    }

    pub async fn get(&self, path: &str, access: &str) -> Value {
        let res = self.api(Method::GET, path, access).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    pub async fn create(&self, access: &str, model: &str, input: Value, key: &str) -> Response {
        self.api(Method::POST, &format!("/models/black-forest-labs/{model}/predictions"), access)
            .header("Idempotency-Key", key)
            .json(&json!({ "input": input }))
            .send()
            .await
            .unwrap()
    }

    /// Polls the prediction through the platform until it is terminal.
    pub async fn finish(&self, access: &str, id: &str) -> Value {
        for _ in 0..200 {
            let p = self.get(&format!("/predictions/{id}"), access).await;
            if !matches!(p["status"].as_str(), Some("starting" | "processing")) {
                return p;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("prediction {id} never finished");
    }
}
