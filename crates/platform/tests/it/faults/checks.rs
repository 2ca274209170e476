//! The end state the fault test checks: nothing held, the books right, every image stored.

use std::collections::HashMap;

use object_store::ObjectStoreExt;
use sqlx::PgPool;

use super::count;

/// No hold left: each prediction costs its price × what was delivered; at most one charged
/// prediction per key, and that is the one the key answers with; the ledger adds up.
pub async fn books(db: &PgPool, answered: &HashMap<String, String>, grant: i64) {
    let wrong: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT p.input->>'prompt', p.status, COALESCE(-(SELECT sum(delta) FROM ledger_entries l WHERE l.prediction_id = p.id), 0)::bigint,
                (p.credits_per_image * COALESCE(p.delivered, 0))::bigint
         FROM predictions p WHERE p.status = 'creating' OR p.settled_at IS NULL
            OR COALESCE(-(SELECT sum(delta) FROM ledger_entries l WHERE l.prediction_id = p.id), 0) <> p.credits_per_image * COALESCE(p.delivered, 0)",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert!(wrong.is_empty(), "(key, status, net charge, price × delivered) wrong: {wrong:?}");
    let charged: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.input->>'prompt', p.id FROM predictions p
         WHERE (SELECT sum(delta) FROM ledger_entries l WHERE l.prediction_id = p.id) < 0",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut per_key: HashMap<&str, Vec<&str>> = HashMap::new();
    for (key, id) in &charged {
        per_key.entry(key).or_default().push(id);
    }
    for (key, ids) in &per_key {
        assert_eq!(ids.len(), 1, "{key} charged by several predictions");
        assert_eq!(answered.get(*key).map(String::as_str), Some(ids[0]), "{key}: charged, but answered otherwise");
    }
    assert!(charged.len() >= 20, "only {} predictions delivered anything", charged.len());
    let books: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT balance, (SELECT COALESCE(sum(delta), 0) FROM ledger_entries l WHERE l.user_id = u.id)::bigint FROM users u",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(books.len(), 1);
    assert_eq!(books[0].0, books[0].1, "ledger sum ≠ balance");
    let delivered: i64 =
        count(db, "SELECT COALESCE(sum(credits_per_image * delivered), 0)::bigint FROM predictions").await;
    assert_eq!(books[0].0, grant - delivered, "the balance is the grant less what was delivered");
}

/// Every delivered image is a row and an object in the bucket.
pub async fn objects(db: &PgPool, s: &crate::common::Services, bucket: &str) {
    let mismatched = count(
        db,
        "SELECT count(*) FROM predictions p WHERE COALESCE(delivered, 0) <> (SELECT count(*) FROM outputs o WHERE o.prediction_id = p.id)",
    )
    .await;
    assert_eq!(mismatched, 0, "delivered ≠ stored outputs");
    let keys: Vec<String> = sqlx::query_scalar("SELECT object_key FROM outputs").fetch_all(db).await.unwrap();
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&s.s3_endpoint)
        .with_bucket_name(bucket)
        .with_region(&s.s3_region)
        .with_access_key_id(&s.s3_key)
        .with_secret_access_key(&s.s3_secret)
        .with_allow_http(true)
        .build()
        .unwrap();
    for key in &keys {
        store.head(&object_store::path::Path::from(key.as_str())).await.unwrap_or_else(|e| panic!("{key}: {e}"));
    }
}
