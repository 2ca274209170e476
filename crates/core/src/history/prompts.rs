//! Recall (#23): the prompts used before, newest use first, from the local history. With words, only
//! prompts the full-text index matches, with the Gallery search's semantics ([`search`]). Erased
//! prompts are empty strings in the history, and an empty prompt is never listed.

use serde::Serialize;
use sqlx::SqlitePool;

use crate::error::{Error, Result};
use crate::history::terms;

/// The most prompts one call lists.
pub const MAX_RECENT: i32 = 500;

/// One distinct prompt of the history.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct RecentPrompt {
    pub prompt: String,
    /// How many generations used it (still in the history).
    pub uses: i32,
    /// When it was last used (unix ms).
    #[specta(type = crate::JsInt)]
    pub last_used_at: i64,
}

/// Distinct non-empty prompts, most recently used first (1–[`MAX_RECENT`] of them). `search`, when
/// it holds words, keeps only the prompts that match all of them (prefix match, as the Gallery's
/// search); a search of punctuation alone finds nothing.
pub async fn recent(pool: &SqlitePool, search: Option<&str>, limit: i32) -> Result<Vec<RecentPrompt>> {
    if !(1..=MAX_RECENT).contains(&limit) {
        return Err(Error::invalid("limit", format!("must be between 1 and {MAX_RECENT}")));
    }
    let text = search.map(str::trim).filter(|t| !t.is_empty());
    let expr = match text {
        Some(text) => Some(terms::expression(&mut *pool.acquire().await?, text).await?),
        None => None,
    };
    let rows = match expr {
        None => {
            sqlx::query_as!(
                RecentPrompt,
                r#"SELECT prompt AS "prompt!", COUNT(*) AS "uses!: i32", MAX(created_at) AS "last_used_at!: i64"
                   FROM generations WHERE prompt != ''
                   GROUP BY prompt ORDER BY MAX(created_at) DESC, MAX(id) DESC LIMIT ?"#,
                limit
            )
            .fetch_all(pool)
            .await?
        }
        Some(Some(expr)) => {
            sqlx::query_as!(
                RecentPrompt,
                r#"SELECT prompt AS "prompt!", COUNT(*) AS "uses!: i32", MAX(created_at) AS "last_used_at!: i64"
                   FROM generations
                   WHERE prompt != '' AND id IN (SELECT rowid FROM generations_fts WHERE generations_fts MATCH ?1)
                   GROUP BY prompt ORDER BY MAX(created_at) DESC, MAX(id) DESC LIMIT ?2"#,
                expr,
                limit
            )
            .fetch_all(pool)
            .await?
        }
        // Only punctuation: nothing can match, and that is not an error.
        Some(None) => Vec::new(),
    };
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::history::fixtures::{generation, open as pool};

    async fn add(pool: &SqlitePool, prompt: &str, at: i64) {
        generation(pool, "flux-schnell", prompt, at).await;
    }

    fn listed(found: &[RecentPrompt]) -> Vec<(&str, i32, i64)> {
        found.iter().map(|p| (p.prompt.as_str(), p.uses, p.last_used_at)).collect()
    }

    #[tokio::test]
    async fn distinct_prompts_newest_use_first_with_their_count() {
        let (_dir, pool) = pool().await;
        add(&pool, "a red fox", 1_000).await;
        add(&pool, "a blue whale", 2_000).await;
        add(&pool, "a red fox", 3_000).await;
        add(&pool, "", 4_000).await;
        add(&pool, "Café au lait", 2_500).await;
        let all = recent(&pool, None, 10).await.unwrap();
        assert_eq!(listed(&all), [("a red fox", 2, 3_000), ("Café au lait", 1, 2_500), ("a blue whale", 1, 2_000)]);
        assert_eq!(listed(&recent(&pool, None, 1).await.unwrap()), [("a red fox", 2, 3_000)]);
        // Blank words are no search.
        assert_eq!(recent(&pool, Some("   "), 10).await.unwrap(), all);
    }

    #[tokio::test]
    async fn a_search_matches_as_the_gallery_does() {
        let (_dir, pool) = pool().await;
        add(&pool, "a red fox", 1_000).await;
        add(&pool, "two foxes in the snow", 2_000).await;
        add(&pool, "Café au lait", 3_000).await;
        add(&pool, "a red NEAR fox", 4_000).await;
        let found = |text: &'static str| {
            let pool = pool.clone();
            async move { recent(&pool, Some(text), 10).await.unwrap().into_iter().map(|p| p.prompt).collect::<Vec<_>>() }
        };
        assert_eq!(found("fox").await, ["a red NEAR fox", "two foxes in the snow", "a red fox"], "prefixes");
        assert_eq!(found("red fox").await, ["a red NEAR fox", "a red fox"], "every word");
        assert_eq!(found("cafe").await, ["Café au lait"], "diacritics folded");
        assert_eq!(found("NEAR").await, ["a red NEAR fox"], "operators are words");
        assert_eq!(found("\"fox*").await, ["a red NEAR fox", "two foxes in the snow", "a red fox"]);
        assert!(found("* - ^").await.is_empty(), "punctuation alone finds nothing");
        assert!(found("whale").await.is_empty());
    }

    #[tokio::test]
    async fn erased_prompts_never_come_back() {
        let (dir, pool) = pool().await;
        add(&pool, "a secret garden", 1_000).await;
        add(&pool, "a secret garden", 2_000).await;
        crate::privacy::erasure::erase_prompts(&pool, dir.path()).await.unwrap();
        add(&pool, "after the erasure", 3_000).await;
        assert_eq!(listed(&recent(&pool, None, 10).await.unwrap()), [("after the erasure", 1, 3_000)]);
        assert!(recent(&pool, Some("secret"), 10).await.unwrap().is_empty());
        assert!(recent(&pool, Some("garden"), 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_limit_is_bounded() {
        let (_dir, pool) = pool().await;
        for limit in [0, -1, MAX_RECENT + 1] {
            let err = recent(&pool, None, limit).await.unwrap_err();
            assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "limit"), "{err:?}");
        }
    }
}
