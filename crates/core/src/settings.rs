//! The user's preferences, typed. Stored as one JSON document in the `settings` table so new
//! fields get their defaults on old databases (`#[serde(default)]`).

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::error::{Error, Result};

const KEY: &str = "app";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ThemePreference {
    /// Follow the operating system's light/dark setting.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(default)]
pub struct Settings {
    pub theme: ThemePreference,
}

impl Settings {
    /// Sets one field by name from text (`theme` = `dark`), for the CLI; errors name the field.
    pub fn with_field(&self, key: &str, value: &str) -> Result<Settings> {
        let mut doc = serde_json::to_value(self).map_err(|e| Error::internal(e.to_string()))?;
        let fields = doc.as_object_mut().ok_or_else(|| Error::internal("settings are not an object"))?;
        if !fields.contains_key(key) {
            let known: Vec<&str> = fields.keys().map(String::as_str).collect();
            return Err(Error::invalid(key, format!("no such setting; known: {}", known.join(", "))));
        }
        // Accept JSON (`true`, `3`) and bare words (`dark`) alike.
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        fields.insert(key.to_string(), parsed);
        serde_json::from_value(doc).map_err(|e| Error::invalid(key, format!("{value:?} is not allowed ({e})")))
    }
}

pub async fn load(pool: &SqlitePool) -> Result<Settings> {
    match get_document(pool, KEY).await? {
        None => Ok(Settings::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            // A value we cannot read must not take the whole app down: fall back, but say so in the log.
            tracing::warn!(error = %e, "stored settings are unreadable; using defaults");
            Error::internal("stored settings are unreadable")
        }),
    }
}

pub async fn save(pool: &SqlitePool, settings: &Settings) -> Result<()> {
    put_document(pool, KEY, Some(settings)).await
}

/// One JSON document of the `settings` table (other modules keep small, non-secret state here).
pub(crate) async fn get_document(pool: &SqlitePool, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", key).fetch_optional(pool).await?)
}

/// Stores (or with `None`, removes) one JSON document of the `settings` table.
pub(crate) async fn put_document<T: Serialize>(pool: &SqlitePool, key: &str, value: Option<&T>) -> Result<()> {
    let Some(value) = value else {
        sqlx::query!("DELETE FROM settings WHERE key = ?", key).execute(pool).await?;
        return Ok(());
    };
    let json = serde_json::to_string(value).map_err(|e| Error::internal(e.to_string()))?;
    sqlx::query!(
        "INSERT INTO settings(key, value, updated_at) VALUES (?1, ?2, unixepoch())
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        key,
        json
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_field_sets_known_fields_and_names_bad_ones() {
        let s = Settings::default().with_field("theme", "dark").unwrap();
        assert_eq!(s.theme, ThemePreference::Dark);
        let Error::InvalidInput { field, reason } = Settings::default().with_field("theme", "pink").unwrap_err() else {
            panic!()
        };
        assert_eq!(field, "theme");
        assert!(reason.contains("pink"), "{reason}");
        let Error::InvalidInput { field, reason } = Settings::default().with_field("colour", "x").unwrap_err() else {
            panic!()
        };
        assert_eq!(field, "colour");
        assert!(reason.contains("known: theme"), "{reason}");
    }

    #[tokio::test]
    async fn defaults_then_round_trip_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), Settings { theme: ThemePreference::System });
        save(&pool, &Settings { theme: ThemePreference::Dark }).await.unwrap();
        pool.close().await;
        let pool = crate::database::open(dir.path()).await.unwrap();
        assert_eq!(load(&pool).await.unwrap().theme, ThemePreference::Dark);
    }

    #[tokio::test]
    async fn unknown_fields_from_a_newer_version_are_ignored_and_missing_ones_defaulted() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        sqlx::query!("INSERT INTO settings VALUES ('app', '{\"future\": 1}', 0)").execute(&pool).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), Settings::default());
    }
}
