//! The search's word list (`search_terms`, migration 0012, where a trigger adds each prompt's words
//! as FTS5 tokenizes them): a search word becomes the few indexed words that start with it, so
//! FTS5 reads their postings lazily instead of merging all of a prefix's postings up front.

use std::collections::HashSet;

use sqlx::SqliteConnection;

use super::search;
use crate::error::Result;

/// More words than this start with what was typed: FTS5's own prefix query is as good.
const MAX_EXPANSION: i64 = 48;

/// The FTS5 MATCH expression for what the user typed, each word as the indexed words it starts;
/// `None` when it holds no searchable word.
pub async fn expression(conn: &mut SqliteConnection, text: &str) -> Result<Option<String>> {
    let words = search::words(text);
    if words.is_empty() {
        return Ok(None);
    }
    let mut groups = Vec::with_capacity(words.len());
    for word in words {
        let folded = search::fold(&word);
        // Every string that starts with `folded` sorts below `folded` + U+10FFFF.
        let upper = format!("{folded}\u{10FFFF}");
        let found: Vec<String> = sqlx::query_scalar!(
            "SELECT term FROM search_terms WHERE term >= ?1 AND term < ?2 ORDER BY term LIMIT ?3",
            folded,
            upper,
            MAX_EXPANSION + 1
        )
        .fetch_all(&mut *conn)
        .await?;
        // None at all (nothing can match, and FTS5 says so at once) or too many: FTS5's prefix.
        groups.push(if found.is_empty() || found.len() as i64 > MAX_EXPANSION {
            search::prefix_phrase(&word)
        } else {
            format!("({})", found.iter().map(|t| search::phrase(t)).collect::<Vec<_>>().join(" OR "))
        });
    }
    // FTS5 joins parenthesised groups only with an explicit AND.
    Ok(Some(groups.join(" AND ")))
}

/// Makes the list the index's vocabulary again, after a purge or an erasure removed prompts.
/// The vocabulary is read first, outside any write: reading it scans the whole index (seconds at a
/// million items), and a write transaction that long would keep every click's write waiting.
pub async fn rebuild(conn: &mut SqliteConnection) -> Result<()> {
    let listed: HashSet<String> =
        sqlx::query_scalar!("SELECT term FROM search_terms").fetch_all(&mut *conn).await?.into_iter().collect();
    // Dynamic: describing a query on an fts5vocab table crashes the query macros' SQLite.
    let indexed: HashSet<String> =
        sqlx::query_scalar("SELECT term FROM generations_vocab").fetch_all(&mut *conn).await?.into_iter().collect();
    let gone: Vec<&String> = listed.difference(&indexed).collect();
    let missing: Vec<&String> = indexed.difference(&listed).collect();
    for batch in gone.chunks(500) {
        // A prompt written since the read may have brought a word back: checked again as it goes.
        sqlx::query(
            "DELETE FROM search_terms WHERE term IN (SELECT value FROM json_each(?1))
               AND NOT EXISTS (SELECT 1 FROM generations_vocab v WHERE v.term = search_terms.term)",
        )
        .bind(serde_json::to_string(batch).map_err(|e| crate::error::Error::internal(e.to_string()))?)
        .execute(&mut *conn)
        .await?;
    }
    for batch in missing.chunks(500) {
        sqlx::query!(
            "INSERT OR IGNORE INTO search_terms (term) SELECT value FROM json_each(?1)",
            serde_json::to_string(batch).map_err(|e| crate::error::Error::internal(e.to_string()))?
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Merges the full-text index into one segment, as FTS5's 'optimize' does, but a few hundred pages
/// a step, each step its own short write: 'optimize' holds the write lock for seconds at a million
/// items. Merging is what scrubs deleted prompts' words from older segments.
pub async fn merge_index(conn: &mut SqliteConnection) -> Result<()> {
    loop {
        // Dynamic: total_changes() is untyped, and the merge is an FTS5 command, not a row.
        let before: i64 = sqlx::query_scalar("SELECT total_changes()").fetch_one(&mut *conn).await?;
        // A negative page count merges every segment, whatever its level (FTS5's 'merge' command).
        sqlx::query("INSERT INTO generations_fts(generations_fts, rank) VALUES ('merge', -500)")
            .execute(&mut *conn)
            .await?;
        let after: i64 = sqlx::query_scalar("SELECT total_changes()").fetch_one(&mut *conn).await?;
        // FTS5's documented end: a step that changed fewer than two rows found nothing to merge.
        if after - before < 2 {
            return Ok(());
        }
        crate::write_lock::step_aside().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    async fn listed(conn: &mut SqliteConnection) -> Vec<String> {
        sqlx::query_scalar!("SELECT term FROM search_terms ORDER BY term").fetch_all(&mut *conn).await.unwrap()
    }

    #[tokio::test]
    async fn the_list_holds_exactly_the_words_fts5_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        // Case, diacritics (composed and decomposed), digits, apostrophes, hyphens, scripts
        // without spaces, emoji and symbols between words.
        let prompts = [
            "A Lighthouse at Dusk, 35mm — F/1.8",
            "Café crème brûlée; naïve façade",
            "Cafe\u{301} de\u{301}cor, e\u{300}te\u{301}",
            "don't stop-motion l'été x2 4K",
            "Ελληνικά ΣΟΦΙΑ σοφία",
            "東京の夜景 ネオン",
            "🦊 fox+owl & the_end (über-STRASSE)",
        ];
        for (n, prompt) in prompts.iter().enumerate() {
            fixtures::generation(&pool, "m", prompt, n as i64).await;
        }
        let mut conn = pool.acquire().await.unwrap();
        // Dynamic: describing a query on an fts5vocab table crashes the query macros' SQLite.
        let fts5: Vec<String> =
            sqlx::query_scalar("SELECT term FROM generations_vocab ORDER BY term").fetch_all(&mut *conn).await.unwrap();
        assert_eq!(listed(&mut conn).await, fts5, "the list and FTS5's own vocabulary differ");
    }

    #[tokio::test]
    async fn a_word_becomes_the_indexed_words_it_starts_and_a_rebuild_drops_words_gone() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        let kept = fixtures::generation(&pool, "m", "lighthouse in fog", 1).await;
        let gone = fixtures::generation(&pool, "m", "Lights of Zürich", 2).await;
        let mut conn = pool.acquire().await.unwrap();
        let expr = expression(&mut conn, "LIGHT zur").await.unwrap().unwrap();
        assert_eq!(expr, r#"("lighthouse" OR "lights") AND ("zurich")"#);
        // Nothing starts with it: FTS5's prefix query, which answers at once.
        assert_eq!(expression(&mut conn, "quokka").await.unwrap().unwrap(), r#""quokka"*"#);
        assert_eq!(expression(&mut conn, " -- ").await.unwrap(), None);

        sqlx::query!("DELETE FROM generations WHERE id = ?", gone).execute(&mut *conn).await.unwrap();
        sqlx::query!("INSERT INTO generations_fts(generations_fts) VALUES ('optimize')")
            .execute(&mut *conn)
            .await
            .unwrap();
        rebuild(&mut conn).await.unwrap();
        assert_eq!(listed(&mut conn).await, ["fog", "in", "lighthouse"]);
        assert!(kept > 0);
    }

    /// The rebuild also lists an indexed word the list lacks, and merging the index in steps
    /// leaves the search answering as before.
    #[tokio::test]
    async fn a_rebuild_adds_indexed_words_the_list_lacks_and_the_stepwise_merge_keeps_search_whole() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::database::open(dir.path()).await.unwrap();
        // One transaction each: every insert is its own FTS5 segment to merge.
        for n in 0..40 {
            fixtures::generation(&pool, "m", &format!("harbour number{n}"), n).await;
        }
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("DELETE FROM search_terms WHERE term = 'harbour'").execute(&mut *conn).await.unwrap();
        merge_index(&mut conn).await.unwrap();
        rebuild(&mut conn).await.unwrap();
        let listed = listed(&mut conn).await;
        assert!(listed.contains(&"harbour".to_string()) && listed.len() == 41, "{listed:?}");
        let hits: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM generations_fts WHERE generations_fts MATCH 'harbour'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(hits, 40);
    }
}
