//! User collections: named sets of generations. Deleting a collection keeps its generations.

use serde::Serialize;
use sqlx::SqlitePool;

use crate::error::{Error, Result};
use crate::history::{check_ids, id_list};

const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Collection {
    pub id: i32,
    pub name: String,
    #[specta(type = crate::JsInt)]
    pub created_at: i64,
    /// How many generations it holds.
    pub items: i32,
}

/// All collections, by name.
pub async fn list(pool: &SqlitePool) -> Result<Vec<Collection>> {
    let rows = sqlx::query!(
        r#"SELECT c.id AS "id: i32", c.name, c.created_at,
                  (SELECT COUNT(*) FROM collection_items WHERE collection_id = c.id) AS "items!: i32"
         FROM collections c ORDER BY c.name COLLATE NOCASE, c.id"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Collection { id: r.id, name: r.name, created_at: r.created_at, items: r.items })
        .collect())
}

pub async fn create(pool: &SqlitePool, name: &str, now: i64) -> Result<Collection> {
    let name = valid_name(name)?;
    let id: i32 = sqlx::query_scalar!(
        r#"INSERT INTO collections (name, created_at) VALUES (?, ?) RETURNING id AS "id: i32""#,
        name,
        now
    )
    .fetch_one(pool)
    .await
    .map_err(|e| name_taken(e, &name))?;
    Ok(Collection { id, name, created_at: now, items: 0 })
}

pub async fn rename(pool: &SqlitePool, id: i32, name: &str) -> Result<Collection> {
    let name = valid_name(name)?;
    let updated = sqlx::query!("UPDATE collections SET name = ? WHERE id = ?", name, id)
        .execute(pool)
        .await
        .map_err(|e| name_taken(e, &name))?;
    if updated.rows_affected() == 0 {
        return Err(not_found(id));
    }
    get(pool, id).await
}

/// Deletes the collection, not the generations in it.
pub async fn delete(pool: &SqlitePool, id: i32) -> Result<()> {
    let deleted = sqlx::query!("DELETE FROM collections WHERE id = ?", id).execute(pool).await?;
    if deleted.rows_affected() == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// Adds generations (ids that no longer exist are skipped); returns how many were newly added.
pub async fn add(pool: &SqlitePool, collection_id: i32, generation_ids: &[i32], now: i64) -> Result<i32> {
    check_ids("generation_ids", generation_ids)?;
    let mut tx = pool.begin().await?;
    ensure_exists(&mut tx, collection_id).await?;
    let added = sqlx::query!(
        "INSERT OR IGNORE INTO collection_items (collection_id, generation_id, added_at)
         SELECT ?1, g.id, ?2 FROM generations g WHERE g.id IN (SELECT value FROM json_each(?3))",
        collection_id,
        now,
        id_list(generation_ids)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(added.rows_affected() as i32)
}

/// Removes generations from the collection (they stay in history); returns how many were in it.
pub async fn remove(pool: &SqlitePool, collection_id: i32, generation_ids: &[i32]) -> Result<i32> {
    check_ids("generation_ids", generation_ids)?;
    let mut tx = pool.begin().await?;
    ensure_exists(&mut tx, collection_id).await?;
    let removed = sqlx::query!(
        "DELETE FROM collection_items WHERE collection_id = ?1 AND generation_id IN (SELECT value FROM json_each(?2))",
        collection_id,
        id_list(generation_ids)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(removed.rows_affected() as i32)
}

async fn get(pool: &SqlitePool, id: i32) -> Result<Collection> {
    list(pool).await?.into_iter().find(|c| c.id == id).ok_or_else(|| not_found(id))
}

async fn ensure_exists(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, id: i32) -> Result<()> {
    let found: Option<i64> =
        sqlx::query_scalar!("SELECT id FROM collections WHERE id = ?", id).fetch_optional(&mut **tx).await?;
    found.map(|_| ()).ok_or_else(|| not_found(id))
}

fn valid_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid("name", format!("must be at most {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid("name", "must not contain control characters"));
    }
    Ok(name.to_string())
}

fn name_taken(err: sqlx::Error, name: &str) -> Error {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => Error::invalid("name", format!("a collection named {name:?} exists")),
        _ => err.into(),
    }
}

fn not_found(id: i32) -> Error {
    Error::NotFound { what: format!("collection {id}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    #[tokio::test]
    async fn create_rename_fill_empty_and_delete() {
        let (_dir, pool) = fixtures::open().await;
        let a = fixtures::generation(&pool, "m", "one", 1).await;
        let b = fixtures::generation(&pool, "m", "two", 2).await;
        let trips = create(&pool, "  Trips ", 10).await.unwrap();
        assert_eq!(trips.name, "Trips");
        let dup = create(&pool, "Trips", 11).await.unwrap_err();
        assert_eq!(dup, Error::invalid("name", "a collection named \"Trips\" exists"));
        assert!(matches!(create(&pool, " ", 1).await, Err(Error::InvalidInput { field, .. }) if field == "name"));
        assert!(matches!(create(&pool, "a\u{2}b", 1).await, Err(Error::InvalidInput { .. })));

        assert_eq!(add(&pool, trips.id, &[a, b, 9999], 12).await.unwrap(), 2, "unknown ids are skipped");
        assert_eq!(add(&pool, trips.id, &[a], 13).await.unwrap(), 0, "already in");
        assert_eq!(remove(&pool, trips.id, &[a]).await.unwrap(), 1);
        let renamed = rename(&pool, trips.id, "Holidays").await.unwrap();
        assert_eq!((renamed.name.as_str(), renamed.items), ("Holidays", 1));
        let other = create(&pool, "Other", 14).await.unwrap();
        assert!(matches!(rename(&pool, other.id, "Holidays").await, Err(Error::InvalidInput { .. })));
        assert_eq!(
            list(&pool).await.unwrap().iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["Holidays", "Other"]
        );

        delete(&pool, trips.id).await.unwrap();
        let left: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations").fetch_one(&pool).await.unwrap();
        assert_eq!(left, 2, "generations stay");
        let items: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM collection_items").fetch_one(&pool).await.unwrap();
        assert_eq!(items, 0, "membership goes with the collection");
        assert_eq!(
            delete(&pool, trips.id).await.unwrap_err(),
            Error::NotFound { what: format!("collection {}", trips.id) }
        );
        assert!(matches!(add(&pool, trips.id, &[a], 1).await, Err(Error::NotFound { .. })));
        assert!(matches!(add(&pool, other.id, &[], 1).await, Err(Error::InvalidInput { .. })));
    }
}
