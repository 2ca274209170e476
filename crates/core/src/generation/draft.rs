//! The Create screen's draft (#23): what was typed survives a restart. It is prompt text, so it
//! lives in the history database (never in the webview's storage) and both erasures remove it.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::error::{Error, Result};

/// The longest draft prompt kept, in characters: far over every model's limit, bounded anyway.
const MAX_PROMPT: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct PromptDraft {
    /// The main model (its fields make the form).
    pub model: String,
    pub prompt: String,
    /// The other models the prompt also runs on.
    #[serde(default)]
    pub models: Vec<String>,
    /// The applied style's name.
    #[serde(default)]
    pub style: Option<String>,
}

pub async fn load(pool: &SqlitePool) -> Result<Option<PromptDraft>> {
    let stored = sqlx::query_scalar!("SELECT draft FROM prompt_draft WHERE id = 1").fetch_optional(pool).await?;
    // A draft this version cannot read is no draft: the form starts empty.
    Ok(stored.and_then(|text| serde_json::from_str(&text).ok()))
}

/// Keeps the draft; an empty one (no prompt, no other model, no style) removes it.
pub async fn save(pool: &SqlitePool, draft: &PromptDraft, now: i64) -> Result<()> {
    let chars = draft.prompt.chars().count();
    if chars > MAX_PROMPT {
        return Err(Error::invalid("prompt", format!("is {chars} characters; a draft keeps at most {MAX_PROMPT}")));
    }
    if draft.prompt.trim().is_empty() && draft.models.is_empty() && draft.style.is_none() {
        sqlx::query!("DELETE FROM prompt_draft").execute(pool).await?;
        return Ok(());
    }
    let text = serde_json::json!(draft).to_string();
    sqlx::query!(
        "INSERT INTO prompt_draft (id, draft, updated_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET draft = excluded.draft, updated_at = excluded.updated_at",
        text,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures::open;

    fn draft(prompt: &str) -> PromptDraft {
        PromptDraft {
            model: "flux-dev".into(),
            prompt: prompt.into(),
            models: vec!["flux-schnell".into()],
            style: None,
        }
    }

    #[tokio::test]
    async fn a_draft_is_kept_replaced_and_cleared() {
        let (_dir, pool) = open().await;
        assert_eq!(load(&pool).await.unwrap(), None);
        save(&pool, &draft("a {red|blue} fox"), 1).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), Some(draft("a {red|blue} fox")));
        save(&pool, &draft("a heron"), 2).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), Some(draft("a heron")));
        let empty = PromptDraft { models: vec![], ..draft("  ") };
        save(&pool, &empty, 3).await.unwrap();
        assert_eq!(load(&pool).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_oversized_draft_is_refused_and_the_old_one_kept() {
        let (_dir, pool) = open().await;
        save(&pool, &draft("kept"), 1).await.unwrap();
        let err = save(&pool, &draft(&"x".repeat(MAX_PROMPT + 1)), 2).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "prompt"), "{err:?}");
        assert_eq!(load(&pool).await.unwrap(), Some(draft("kept")));
    }
}
