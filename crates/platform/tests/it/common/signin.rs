//! The app's side of sign-in (docs/platform-api.md §1), as the core does it: a PKCE verifier, a random
//! state, a loopback `redirect_to`; the test plays the browser, following each redirect.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Platform, ANON_KEY};

pub const REDIRECT: &str = "http://127.0.0.1:43123/callback";

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn verifier() -> String {
    format!("v{}", super::suffix().repeat(5))
}

pub fn query(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub fn param(location: &str, name: &str) -> Option<String> {
    query(location).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// What the browser ended on: the `redirect_to` the broker sent it back to.
pub struct Landing {
    pub location: String,
    pub state: String,
    pub verifier: String,
}

impl Platform {
    pub fn authorize_url(&self, provider: &str, redirect_to: &str, challenge: &str) -> String {
        let mut url = url::Url::parse(&format!("{}/auth/v1/authorize", self.url)).unwrap();
        url.query_pairs_mut()
            .append_pair("provider", provider)
            .append_pair("redirect_to", redirect_to)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "s256");
        url.to_string()
    }

    /// Follows redirects from `url` until one leaves for `stop_at`; that Location.
    pub async fn browse(&self, url: &str, stop_at: &str) -> String {
        let mut url = url.to_string();
        for _ in 0..5 {
            let res = self.http.get(&url).send().await.unwrap();
            assert!(res.status().is_redirection(), "{url} answered {} instead of a redirect", res.status());
            let location = res.headers()["location"].to_str().unwrap().to_string();
            if location.starts_with(stop_at) {
                return location;
            }
            url = location;
        }
        panic!("too many redirects from {url}");
    }

    /// Through the provider's fake to the app's loopback redirect.
    pub async fn land(&self, provider: &str) -> Landing {
        let verifier = verifier();
        let state = super::suffix();
        let redirect_to = format!("{REDIRECT}?state={state}");
        let start = self.authorize_url(provider, &redirect_to, &challenge(&verifier));
        let location = self.browse(&start, REDIRECT).await;
        Landing { location, state, verifier }
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/auth/v1/token?grant_type=pkce", self.url))
            .header("apikey", ANON_KEY)
            .json(&json!({ "auth_code": code, "code_verifier": verifier }))
            .send()
            .await
            .unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/auth/v1/token?grant_type=refresh_token", self.url))
            .header("apikey", ANON_KEY)
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .unwrap()
    }

    /// A full sign-in; GoTrue's token answer.
    pub async fn sign_in(&self, provider: &str) -> Value {
        let landing = self.land(provider).await;
        assert_eq!(param(&landing.location, "state").as_deref(), Some(landing.state.as_str()));
        let code = param(&landing.location, "code").unwrap_or_else(|| panic!("no code in {}", landing.location));
        let res = self.exchange(&code, &landing.verifier).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// The access token of a fresh sign-in.
    pub async fn token(&self, provider: &str) -> String {
        self.sign_in(provider).await["access_token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(format!("{}/api/v1{path}", self.url)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let res = self.get(path, token).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.unwrap()
    }
}
