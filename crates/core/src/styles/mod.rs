//! Styles (#23): named text the user puts before and after a prompt, with optional form defaults
//! (model, aspect ratio, guidance). A style is applied by the window or the CLI (`--style`), which
//! send its text with the request ([`AppliedStyle`]); the generation records it, so Re-run brings
//! back the same words even after the style changed or was removed. Styles travel in the data
//! export (`styles.json`) and come back from such an export ([`import`]).

mod api;
pub mod import;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::generation::catalogue::catalogue;
use crate::generation::request::{check_field, InputValue};

/// Longest style name, in characters.
pub const MAX_NAME: usize = 40;
/// Longest text before or after the prompt, in characters (the prompt's own limit still applies
/// to the whole).
pub const MAX_TEXT: usize = 1_000;

/// A saved style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Style {
    pub name: String,
    /// Put before the prompt, with a space.
    pub prefix: String,
    /// Put after the prompt, with a space.
    pub suffix: String,
    /// Defaults the style sets in the form; none is required.
    pub model: Option<String>,
    pub aspect_ratio: Option<String>,
    pub guidance: Option<f64>,
    #[specta(type = crate::JsInt)]
    pub updated_at: i64,
}

/// What the user saves as a style (a style of the same name, in any case, is replaced).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct StyleDraft {
    pub name: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub aspect_ratio: Option<String>,
    #[serde(default)]
    pub guidance: Option<f64>,
}

/// The text of a style as a request carries it and a generation records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AppliedStyle {
    pub name: String,
    pub prefix: String,
    pub suffix: String,
}

impl Style {
    pub fn applied(&self) -> AppliedStyle {
        AppliedStyle { name: self.name.clone(), prefix: self.prefix.clone(), suffix: self.suffix.clone() }
    }
}

impl AppliedStyle {
    /// The prompt as sent: the style's text around the user's, one space between non-empty parts.
    pub fn compose(&self, prompt: &str) -> String {
        [self.prefix.trim(), prompt.trim(), self.suffix.trim()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The user's own words back from a prompt [`compose`](Self::compose) made; `None` when the
    /// prompt was not made from this style's text.
    pub fn strip<'a>(&self, sent: &'a str) -> Option<&'a str> {
        let mut rest = sent.trim();
        let (prefix, suffix) = (self.prefix.trim(), self.suffix.trim());
        if !prefix.is_empty() {
            rest = rest.strip_prefix(prefix)?.strip_prefix(' ')?;
        }
        if !suffix.is_empty() {
            rest = rest.strip_suffix(suffix)?.strip_suffix(' ')?;
        }
        Some(rest)
    }
}

/// Checks a draft: every problem names its field. Returns it trimmed.
pub fn validate(draft: &StyleDraft) -> Result<StyleDraft> {
    let name = draft.name.trim();
    let count = name.chars().count();
    if count == 0 {
        return Err(Error::invalid("name", "a style needs a name"));
    }
    if count > MAX_NAME {
        return Err(Error::invalid("name", format!("is {count} characters; at most {MAX_NAME}")));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid("name", "must be one line of text"));
    }
    for (field, text) in [("prefix", &draft.prefix), ("suffix", &draft.suffix)] {
        let count = text.trim().chars().count();
        if count > MAX_TEXT {
            return Err(Error::invalid(field, format!("is {count} characters; at most {MAX_TEXT}")));
        }
    }
    let model = match draft.model.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(id) => Some(catalogue().model(id)?.id.clone()),
        None => None,
    };
    let aspect_ratio = draft.aspect_ratio.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if let Some(ratio) = aspect_ratio {
        check_default(model.as_deref(), "aspect_ratio", &InputValue::Text(ratio.to_string()))?;
    }
    if let Some(guidance) = draft.guidance {
        check_default(model.as_deref(), "guidance", &InputValue::Number(guidance))?;
    }
    let trimmed = StyleDraft {
        name: name.to_string(),
        prefix: draft.prefix.trim().to_string(),
        suffix: draft.suffix.trim().to_string(),
        model,
        aspect_ratio: aspect_ratio.map(str::to_string),
        guidance: draft.guidance,
    };
    let sets_something = !trimmed.prefix.is_empty()
        || !trimmed.suffix.is_empty()
        || trimmed.model.is_some()
        || trimmed.aspect_ratio.is_some()
        || trimmed.guidance.is_some();
    if !sets_something {
        return Err(Error::invalid("prefix", "a style needs text before or after the prompt, or a default"));
    }
    Ok(trimmed)
}

/// A default must be valid for the style's model, or (with no model) for at least one model that
/// has the field.
fn check_default(model: Option<&str>, field: &str, value: &InputValue) -> Result<()> {
    let models: Vec<_> = catalogue().models.iter().filter(|m| model.is_none_or(|id| m.id == id)).collect();
    let mut reasons = Vec::new();
    for m in &models {
        if let Some(f) = m.field(field) {
            match check_field(f, value) {
                Ok(_) => return Ok(()),
                Err(reason) => reasons.push(reason),
            }
        }
    }
    Err(match (model, reasons.into_iter().next()) {
        (Some(id), None) => Error::invalid(field, format!("{id} has no {field} input")),
        (_, Some(reason)) => Error::invalid(field, reason),
        (None, None) => Error::invalid(field, format!("no model has a {field} input")),
    })
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<Style>> {
    let styles = sqlx::query_as!(
        Style,
        r#"SELECT name, prefix, suffix, model, aspect_ratio, guidance, updated_at
           FROM styles ORDER BY name COLLATE NOCASE"#
    )
    .fetch_all(pool)
    .await?;
    Ok(styles)
}

pub async fn find(pool: &SqlitePool, name: &str) -> Result<Style> {
    let name = name.trim();
    sqlx::query_as!(
        Style,
        r#"SELECT name, prefix, suffix, model, aspect_ratio, guidance, updated_at
           FROM styles WHERE name = ?1 COLLATE NOCASE"#,
        name
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound { what: format!("style {name:?}") })
}

/// Saves a checked draft, replacing a style of the same name (in any case). True when it replaced one.
pub(crate) async fn upsert(conn: &mut sqlx::SqliteConnection, style: &StyleDraft, now: i64) -> Result<bool> {
    let existed =
        sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n: i64" FROM styles WHERE name = ?1 COLLATE NOCASE"#, style.name)
            .fetch_one(&mut *conn)
            .await?
            > 0;
    // A replace keeps created_at and takes the new spelling of the name.
    sqlx::query!(
        r#"INSERT INTO styles (name, prefix, suffix, model, aspect_ratio, guidance, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
           ON CONFLICT (name) DO UPDATE SET name = excluded.name, prefix = excluded.prefix,
               suffix = excluded.suffix, model = excluded.model, aspect_ratio = excluded.aspect_ratio,
               guidance = excluded.guidance, updated_at = excluded.updated_at"#,
        style.name,
        style.prefix,
        style.suffix,
        style.model,
        style.aspect_ratio,
        style.guidance,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(existed)
}

pub async fn save(pool: &SqlitePool, draft: &StyleDraft) -> Result<Style> {
    let style = validate(draft)?;
    upsert(&mut *pool.acquire().await?, &style, now_ms()).await?;
    find(pool, &style.name).await
}

pub async fn delete(pool: &SqlitePool, name: &str) -> Result<()> {
    let name = name.trim();
    let gone = sqlx::query!("DELETE FROM styles WHERE name = ?1 COLLATE NOCASE", name).execute(pool).await?;
    if gone.rows_affected() == 0 {
        return Err(Error::NotFound { what: format!("style {name:?}") });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
