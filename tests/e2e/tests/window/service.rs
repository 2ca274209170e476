//! The real platform service for the account tests: `flux_krea_platform::testing::Stack` (a fresh
//! Postgres database and S3 bucket from `scripts/platform-services.sh`, the upstream fakes, the
//! service in-process) with Ada as the Google account, and what the tests read from its database.

use std::time::Duration;

use flux_krea_e2e::{wait_until, TestResult};
use flux_krea_fakes::google::GoogleUser;
use flux_krea_fakes::oauth::s256;
use flux_krea_platform::testing::{sqlx, Stack, StackOptions};
use serde_json::{json, Value};

/// The Google account the browser signs in with, and what the app shows for it.
pub const EMAIL: &str = "ada@example.com";
pub const NAME: &str = "Ada Lovelace";
/// Credits granted at the first sign-in (as the platform fake's default).
pub const SIGNUP_CREDITS: i64 = 20;
/// Another user, the GitHub fake's own account.
pub const OTHER_EMAIL: &str = "octo.fake@example.com";

/// Starts the service with its background work on, as deployed: the poller settles whatever a
/// webhook left open.
pub async fn start() -> Stack {
    let options = StackOptions {
        signup_credits: SIGNUP_CREDITS,
        sweep_interval: Duration::from_secs(2),
        ..StackOptions::default()
    };
    let stack = Stack::start(options).await;
    stack.google().set_user(GoogleUser {
        sub: "104359270119541269999".into(),
        email: EMAIL.into(),
        email_verified: true,
        name: NAME.into(),
        picture: "https://lh3.googleusercontent.com/a/ada".into(),
    });
    stack
}

/// The S3 server's address, as `scripts/platform-services.sh` exported it.
pub fn s3_endpoint() -> String {
    std::env::var(S3_ENDPOINT).unwrap_or_else(|_| panic!("{S3_ENDPOINT} is not set: run scripts/platform-services.sh"))
}

const S3_ENDPOINT: &str = "PLATFORM_TEST_S3_ENDPOINT";

/// As [`start`], with the service reaching its storage at `endpoint` (a proxy in front of the S3
/// server), so the presigned URLs the app downloads from point there too.
pub async fn start_with_storage_at(endpoint: &str) -> Stack {
    // The Stack reads the endpoint from the environment as it starts and has no option for it;
    // the tests run one at a time (--test-threads=1), so nothing else reads it meanwhile.
    let real = s3_endpoint();
    std::env::set_var(S3_ENDPOINT, endpoint);
    let stack = start().await;
    std::env::set_var(S3_ENDPOINT, real);
    stack
}

/// Another user signs in with GitHub (through the broker, with PKCE, as the app does), opens a
/// checkout for `pack` and pays on Stripe's page.
pub async fn another_user_buys(stack: &Stack, pack: &str) -> TestResult {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let verifier = "octo-verifier-".repeat(4);
    let callback = "http://127.0.0.1:9/callback";
    let mut next = reqwest::Url::parse(&format!("{}/auth/v1/authorize", stack.url()))?;
    next.query_pairs_mut()
        .append_pair("provider", "github")
        .append_pair("redirect_to", callback)
        .append_pair("code_challenge", &s256(&verifier))
        .append_pair("code_challenge_method", "s256");
    let mut code = None;
    for _ in 0..5 {
        let res = http.get(next.clone()).send().await?;
        let location = res.headers().get("location").ok_or(format!("{next} answered {}", res.status()))?;
        next = next.join(location.to_str()?)?;
        if next.as_str().starts_with(callback) {
            code = next.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
            break;
        }
    }
    let code = code.ok_or("the broker did not send the browser back with a code")?;
    let token: Value = http
        .post(format!("{}/auth/v1/token?grant_type=pkce", stack.url()))
        .header("apikey", stack.anon_key())
        .json(&json!({ "auth_code": code, "code_verifier": verifier }))
        .send()
        .await?
        .json()
        .await?;
    let access = token["access_token"].as_str().ok_or(format!("no token: {token}"))?;
    let checkout: Value = http
        .post(format!("{}/api/v1/credits/checkout", stack.url()))
        .bearer_auth(access)
        .header("idempotency-key", "octo-buys-a-pack")
        .json(&json!({ "pack_id": pack }))
        .send()
        .await?
        .json()
        .await?;
    // Stripe's page pays on a POST to itself.
    let page = checkout["checkout_url"].as_str().ok_or(format!("no checkout: {checkout}"))?;
    let paid = http.post(page).send().await?;
    if !paid.status().is_redirection() {
        return Err(format!("paying at {page}: {}", paid.status()).into());
    }
    Ok(())
}

/// A user's balance at the service.
pub async fn balance(stack: &Stack, email: &str) -> TestResult<i64> {
    Ok(sqlx::query_scalar("SELECT balance FROM users WHERE email = $1").bind(email).fetch_one(stack.db()).await?)
}

/// The user's balance and ledger (oldest first, each `{delta, reason, prediction_id}`), read from
/// the service's database.
pub async fn ledger(stack: &Stack) -> TestResult<(i64, Vec<Value>)> {
    let balance = balance(stack, EMAIL).await?;
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT l.delta, l.reason, l.prediction_id FROM ledger_entries l JOIN users u ON u.id = l.user_id
         WHERE u.email = $1 ORDER BY l.id",
    )
    .bind(EMAIL)
    .fetch_all(stack.db())
    .await?;
    let entries = rows.into_iter().map(|(d, r, p)| json!({ "delta": d, "reason": r, "prediction_id": p })).collect();
    Ok((balance, entries))
}

/// Waits until the service has settled every prediction (outputs copied, undelivered images
/// refunded), running a round of background work between looks.
pub async fn wait_settled(stack: &Stack) -> TestResult {
    let result = wait_until("every prediction settled at the service", 30, || async {
        stack.run_jobs().await;
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM predictions WHERE settled_at IS NULL")
            .fetch_one(stack.db())
            .await?;
        Ok(open == 0)
    })
    .await;
    if result.is_err() {
        let open: Vec<(String, String)> =
            sqlx::query_as("SELECT id, status FROM predictions WHERE settled_at IS NULL").fetch_all(stack.db()).await?;
        return Err(format!("predictions left unsettled: {open:?}").into());
    }
    Ok(())
}
