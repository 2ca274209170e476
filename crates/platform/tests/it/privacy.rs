//! The privacy rights on the server: export, erasing prompts and images, consents with history,
//! account deletion (carried out by the background job unless cancelled), the 12-month sweep.

use flux_krea_platform::jobs;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{start_with, Platform};

impl Platform {
    async fn send(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> reqwest::Response {
        let mut req = self.http.request(method, format!("{}/api/v1{path}", self.url)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }
}

#[tokio::test]
async fn export_erasure_and_consents_touch_only_the_callers_data() {
    let p = start_with(|c| c.signup_credits = 10).await;
    let ada = p.token("google").await;
    let octo = p.token("github").await;
    let done: Value = p
        .create(&ada, "black-forest-labs/flux-schnell", "x", json!({"prompt": "a secret garden"}), true)
        .await
        .json()
        .await
        .unwrap();
    let id = done["id"].as_str().unwrap();
    p.create(&octo, "black-forest-labs/flux-schnell", "x", json!({"prompt": "octo's own"}), true).await;

    for granted in [true, false, true] {
        let res = p.send(reqwest::Method::PUT, "/privacy/consents", &ada, Some(json!({"training_use": granted}))).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let consents = p.get_json("/privacy/consents", &ada).await;
    assert_eq!(
        (consents["training_use"]["granted"].as_bool(), consents["marketing_emails"]["granted"].as_bool()),
        (Some(true), Some(false))
    );
    let history: i64 = sqlx::query_scalar("SELECT count(*) FROM consent_history").fetch_one(&p.db).await.unwrap();
    assert_eq!(history, 3);
    let res = p.send(reqwest::Method::PUT, "/privacy/consents", &ada, Some(json!({"selling_data": true}))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let export = p.get_json("/privacy/export", &ada).await;
    assert_eq!(export["profile"]["email"], p.google.user().email.as_str());
    assert_eq!(export["identities"][0]["provider"], "google");
    assert_eq!(export["prompts"].as_array().map(Vec::len), Some(1));
    assert_eq!(export["prompts"][0]["prompt"], "a secret garden");
    assert_eq!(export["images"].as_array().map(Vec::len), Some(1));
    assert_eq!(export["ledger"].as_array().map(Vec::len), Some(2), "grant and generation");
    assert_eq!(export["consents"]["training_use"]["granted"], true);
    let theirs = p.get_json("/privacy/export", &octo).await.to_string();
    assert!(
        !theirs.contains("a secret garden") && !theirs.contains(id),
        "another user's export holds nothing of Ada's"
    );

    let res = p.send(reqwest::Method::DELETE, "/privacy/prompts", &ada, None).await;
    assert_eq!(res.json::<Value>().await.unwrap()["deleted"], 1);
    assert_eq!(p.get_json(&format!("/predictions/{id}"), &ada).await["input"], json!({}));
    // Nowhere in the database any more, nor in a replayed answer.
    let holding: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM predictions p WHERE p::text LIKE '%secret garden%')
              + (SELECT count(*) FROM idempotency_keys k WHERE k::text LIKE '%secret garden%')",
    )
    .fetch_one(&p.db)
    .await
    .unwrap();
    assert_eq!(holding, 0, "the prompt is still stored somewhere");
    let replay =
        p.create(&ada, "black-forest-labs/flux-schnell", "x", json!({"prompt": "a secret garden"}), true).await;
    let replay: Value = replay.json().await.unwrap();
    assert_eq!((replay["id"].as_str(), replay["input"].clone()), (Some(id), json!({})));
    let key: String = sqlx::query_scalar(
        "SELECT o.object_key FROM outputs o JOIN predictions p ON p.id = o.prediction_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(&p.db)
    .await
    .unwrap();
    let res = p.send(reqwest::Method::DELETE, "/privacy/images", &ada, None).await;
    assert_eq!(res.json::<Value>().await.unwrap()["deleted"], 1);
    assert!(!p.app.storage().exists(&key).await.unwrap(), "the object itself is gone");
    let export = p.get_json("/privacy/export", &ada).await;
    assert_eq!(
        (export["prompts"].as_array().map(Vec::len), export["images"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
    // Octo's prompt and image are untouched.
    let octo_export = p.get_json("/privacy/export", &octo).await;
    assert_eq!(
        (octo_export["prompts"].as_array().map(Vec::len), octo_export["images"].as_array().map(Vec::len)),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn account_deletion_runs_after_its_grace_period_unless_cancelled() {
    let p = start_with(|c| c.signup_credits = 10).await;
    let ada = p.token("google").await;
    let user = p.get_json("/me", &ada).await["id"].as_str().unwrap().to_string();
    p.create(&ada, "black-forest-labs/flux-schnell", "x", json!({"prompt": "p"}), true).await;

    let res = p.send(reqwest::Method::POST, "/privacy/account-deletion", &ada, None).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let first: Value = res.json().await.unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(first["due_by"].as_str().unwrap()).unwrap();
    assert!((due.timestamp() - (chrono::Utc::now() + chrono::Duration::days(30)).timestamp()).abs() < 60);
    let again: Value =
        p.send(reqwest::Method::POST, "/privacy/account-deletion", &ada, None).await.json().await.unwrap();
    assert_eq!(again["request_id"], first["request_id"]);
    assert_eq!(p.send(reqwest::Method::DELETE, "/privacy/account-deletion", &ada, None).await.status(), StatusCode::OK);
    assert_eq!(
        p.send(reqwest::Method::DELETE, "/privacy/account-deletion", &ada, None).await.status(),
        StatusCode::NOT_FOUND
    );
    // A cancelled request never runs, even when its time comes.
    sqlx::query("UPDATE deletion_requests SET run_at = now() - interval '1 second'").execute(&p.db).await.unwrap();
    assert_eq!(jobs::run_once(&p.app).await.unwrap().deletions, 0);
    assert_eq!(p.get("/me", &ada).await.status(), StatusCode::OK);

    let second: Value =
        p.send(reqwest::Method::POST, "/privacy/account-deletion", &ada, None).await.json().await.unwrap();
    assert_ne!(second["request_id"], first["request_id"]);
    assert_eq!(jobs::run_once(&p.app).await.unwrap().deletions, 0, "not due for 7 days");
    sqlx::query("UPDATE deletion_requests SET run_at = now() - interval '1 second' WHERE cancelled_at IS NULL")
        .execute(&p.db)
        .await
        .unwrap();
    assert_eq!(jobs::run_once(&p.app).await.unwrap().deletions, 1);

    for path in ["/me", "/credits", "/credits/ledger"] {
        assert_eq!(p.get(path, &ada).await.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let count = |sql: &str| {
        let (db, user, sql) = (p.db.clone(), uuid::Uuid::parse_str(&user).unwrap(), sql.to_string());
        async move {
            let query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
            query.bind(user).fetch_one(&db).await.unwrap()
        }
    };
    assert_eq!(
        count("SELECT count(*) FROM users WHERE id = $1 AND email IS NULL AND name = '' AND deleted_at IS NOT NULL")
            .await,
        1
    );
    for table in ["identities", "sessions", "consents"] {
        assert_eq!(count(&format!("SELECT count(*) FROM {table} WHERE user_id = $1")).await, 0, "{table}");
    }
    assert_eq!(count("SELECT count(*) FROM predictions WHERE user_id = $1 AND input IS NOT NULL").await, 0);
    assert_eq!(
        count("SELECT count(*) FROM outputs o JOIN predictions p ON p.id = o.prediction_id WHERE p.user_id = $1").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM ledger_entries WHERE user_id = $1").await,
        2,
        "the ledger is kept, pseudonymous"
    );
    // Signing in again makes a new account.
    let fresh = p.sign_in("google").await;
    assert_ne!(fresh["user"]["id"].as_str(), Some(user.as_str()));
}

#[tokio::test]
async fn platform_history_is_swept_after_twelve_months() {
    let p = start_with(|c| c.signup_credits = 10).await;
    let ada = p.token("google").await;
    p.create(&ada, "black-forest-labs/flux-schnell", "old", json!({"prompt": "last year"}), true).await;
    p.create(&ada, "black-forest-labs/flux-schnell", "new", json!({"prompt": "this year"}), true).await;
    sqlx::query(
        "UPDATE predictions SET created_at = now() - interval '13 months' WHERE input->>'prompt' = 'last year'",
    )
    .execute(&p.db)
    .await
    .unwrap();
    jobs::run_once(&p.app).await.unwrap();
    let left: Vec<String> =
        sqlx::query_scalar("SELECT input->>'prompt' FROM predictions").fetch_all(&p.db).await.unwrap();
    assert_eq!(left, ["this year"]);
    assert_eq!(p.ledger(&ada).await.len(), 3, "grant and both charges stay in the ledger");
}
