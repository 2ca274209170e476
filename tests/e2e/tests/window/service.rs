//! The real platform service for the account tests: `flux_krea_platform::testing::Stack` (a fresh
//! Postgres database and S3 bucket from `scripts/platform-services.sh`, the upstream fakes, the
//! service in-process) with Ada as the Google account, and what the tests read from its database.

use std::time::Duration;

use flux_krea_e2e::{wait_until, TestResult};
use flux_krea_fakes::google::GoogleUser;
use flux_krea_platform::testing::{sqlx, Stack, StackOptions};
use serde_json::{json, Value};

/// The Google account the browser signs in with, and what the app shows for it.
pub const EMAIL: &str = "ada@example.com";
pub const NAME: &str = "Ada Lovelace";
/// Credits granted at the first sign-in (as the platform fake's default).
pub const SIGNUP_CREDITS: i64 = 20;

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

/// The user's balance and ledger (oldest first, each `{delta, reason, prediction_id}`), read from
/// the service's database.
pub async fn ledger(stack: &Stack) -> TestResult<(i64, Vec<Value>)> {
    let balance: i64 =
        sqlx::query_scalar("SELECT balance FROM users WHERE email = $1").bind(EMAIL).fetch_one(stack.db()).await?;
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
