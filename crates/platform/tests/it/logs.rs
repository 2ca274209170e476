//! What the service logs: never a token, a secret, a prompt or an e-mail, across a whole journey.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

use crate::common::{start_with, ANON_KEY, JWT_SECRET, REPLICATE_TOKEN, STRIPE_KEY, STRIPE_WHSEC};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

/// A current-thread runtime: the service's tasks run on this thread, under this subscriber.
#[tokio::test]
async fn a_whole_journey_logs_no_token_secret_prompt_or_email() {
    let logs = Buffer::default();
    let subscriber =
        tracing_subscriber::fmt().with_writer(logs.clone()).with_env_filter("debug").with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let p = start_with(|c| c.signup_credits = 10).await;
    let signed = p.sign_in("google").await;
    let refreshed: serde_json::Value = p.refresh(signed["refresh_token"].as_str().unwrap()).await.json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap().to_string();
    let prompt = "a lighthouse only I know about";
    let res = p.create(&access, "black-forest-labs/flux-schnell", "log-1", json!({"prompt": prompt}), true).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    p.buy(&access, "log-2", "pack_100").await;
    p.get_json("/privacy/export", &access).await;
    // Refusals log too: a bad Stripe signature and a reused refresh token.
    p.http
        .post(format!("{}/webhooks/stripe", p.url))
        .header("stripe-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .unwrap();
    let res = p
        .http
        .post(format!("{}/auth/v1/logout", p.url))
        .header("apikey", ANON_KEY)
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("/api/v1/models/black-forest-labs/flux-schnell/predictions"), "requests are logged at all");
    let email = p.google.user().email;
    let secrets = [
        ("access token", access.as_str()),
        ("first access token", signed["access_token"].as_str().unwrap()),
        ("refresh token", signed["refresh_token"].as_str().unwrap()),
        ("new refresh token", refreshed["refresh_token"].as_str().unwrap()),
        ("prompt", prompt),
        ("e-mail", email.as_str()),
        ("anon key", ANON_KEY),
        ("JWT secret", JWT_SECRET),
        ("Stripe key", STRIPE_KEY),
        ("Stripe webhook secret", STRIPE_WHSEC),
        ("Replicate token", REPLICATE_TOKEN),
        ("Google client secret", "google-secret"),
    ];
    for (what, secret) in secrets {
        assert!(!text.contains(secret), "the {what} appears in the logs");
    }
}
