//! Consents: marketing e-mails, product analytics, training use. All off until the user turns
//! them on; every change is kept (time and source), and the current state is the latest change.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::error::{Error, Result};

pub const NAMES: [&str; 3] = ["marketing_emails", "product_analytics", "training_use"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ConsentSource {
    App,
    Cli,
    Platform,
}

impl ConsentSource {
    fn as_str(self) -> &'static str {
        match self {
            ConsentSource::App => "app",
            ConsentSource::Cli => "cli",
            ConsentSource::Platform => "platform",
        }
    }
}

/// One consent as it stands: never changed means off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Consent {
    pub name: String,
    pub granted: bool,
    /// Unix ms of the last change; `None` = never changed (off by default).
    #[specta(type = Option<crate::JsInt>)]
    pub changed_at: Option<i64>,
    pub source: Option<ConsentSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct ConsentChange {
    pub name: String,
    pub granted: bool,
    #[specta(type = crate::JsInt)]
    pub changed_at: i64,
    pub source: String,
    #[specta(type = Option<crate::JsInt>)]
    pub synced_at: Option<i64>,
}

fn check_name(name: &str) -> Result<()> {
    if NAMES.contains(&name) {
        Ok(())
    } else {
        Err(Error::invalid("consent", format!("unknown consent {name:?}; known: {}", NAMES.join(", "))))
    }
}

pub async fn current(pool: &SqlitePool) -> Result<Vec<Consent>> {
    let mut out = Vec::new();
    for name in NAMES {
        let row = sqlx::query!(
            "SELECT granted, changed_at, source FROM consent_changes WHERE name = ? ORDER BY id DESC LIMIT 1",
            name
        )
        .fetch_optional(pool)
        .await?;
        out.push(match row {
            None => Consent { name: name.into(), granted: false, changed_at: None, source: None },
            Some(r) => Consent {
                name: name.into(),
                granted: r.granted != 0,
                changed_at: Some(r.changed_at),
                source: serde_json::from_value(serde_json::Value::String(r.source)).ok(),
            },
        });
    }
    Ok(out)
}

/// Records a change (even to the same value: the user's act is what is kept).
pub async fn set(
    pool: &SqlitePool,
    name: &str,
    granted: bool,
    source: ConsentSource,
    now_ms: i64,
) -> Result<Vec<Consent>> {
    check_name(name)?;
    sqlx::query!(
        "INSERT INTO consent_changes (name, granted, changed_at, source) VALUES (?, ?, ?, ?)",
        name,
        granted,
        now_ms,
        source.as_str()
    )
    .execute(pool)
    .await?;
    tracing::info!(consent = name, granted, "consent changed");
    current(pool).await
}

pub async fn history(pool: &SqlitePool) -> Result<Vec<ConsentChange>> {
    let rows = sqlx::query!("SELECT name, granted, changed_at, source, synced_at FROM consent_changes ORDER BY id")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ConsentChange {
            name: r.name,
            granted: r.granted != 0,
            changed_at: r.changed_at,
            source: r.source,
            synced_at: r.synced_at,
        })
        .collect())
}

/// Whether statistics may leave the machine (nothing in the app sends any yet; this is the gate).
pub async fn analytics_allowed(pool: &SqlitePool) -> Result<bool> {
    Ok(current(pool).await?.iter().any(|c| c.name == "product_analytics" && c.granted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    #[tokio::test]
    async fn consents_are_off_until_turned_on_and_every_change_is_kept() {
        let (_dir, pool) = fixtures::open().await;
        let start = current(&pool).await.unwrap();
        assert_eq!(start.len(), 3);
        assert!(start.iter().all(|c| !c.granted && c.changed_at.is_none()));
        assert!(!analytics_allowed(&pool).await.unwrap());
        set(&pool, "product_analytics", true, ConsentSource::App, 1_000).await.unwrap();
        let now = set(&pool, "product_analytics", false, ConsentSource::Cli, 2_000).await.unwrap();
        let analytics = now.iter().find(|c| c.name == "product_analytics").unwrap();
        assert_eq!(
            (analytics.granted, analytics.changed_at, analytics.source),
            (false, Some(2_000), Some(ConsentSource::Cli))
        );
        let h = history(&pool).await.unwrap();
        assert_eq!(h.iter().map(|c| (c.granted, c.changed_at)).collect::<Vec<_>>(), [(true, 1_000), (false, 2_000)]);
        let err = set(&pool, "tracking", true, ConsentSource::App, 3).await.unwrap_err();
        assert!(err.to_string().starts_with("consent: unknown consent"), "{err}");
    }
}
