//! Gallery pages: newest first, keyset-paginated on `(created_at, id)` (never OFFSET, so page 500
//! costs what page 1 does), with filters and full-text search.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::error::{Error, Result};
use crate::history::{id_list, search, terms, to_ui_id, Provider, Status};

pub const DEFAULT_PAGE: i32 = 100;
pub const MAX_PAGE: i32 = 500;

/// What to show. Every field is optional; filters combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(default)]
pub struct GalleryQuery {
    /// `next_cursor` of the previous page; none for the first page.
    pub cursor: Option<String>,
    /// Items per page, 1–500 (default 100).
    pub limit: Option<i32>,
    pub model: Option<String>,
    /// Created at or after (unix ms).
    #[specta(type = Option<crate::JsInt>)]
    pub from: Option<i64>,
    /// Created before (unix ms).
    #[specta(type = Option<crate::JsInt>)]
    pub until: Option<i64>,
    pub favourite: Option<bool>,
    pub collection_id: Option<i32>,
    pub status: Option<Status>,
    /// Words to find in prompts (prefix match; see [`search`]).
    pub text: Option<String>,
}

/// One tile of the gallery, with its first image.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct GalleryItem {
    pub id: i32,
    pub provider: Provider,
    pub model: String,
    pub prompt: String,
    /// The prompt with matched words between `\u{2}` and `\u{3}`, when searching.
    pub highlighted_prompt: Option<String>,
    pub status: Status,
    pub favourite: bool,
    #[specta(type = crate::JsInt)]
    pub created_at: i64,
    pub images_returned: i32,
    /// The first image and its thumbnail, relative to the data folder.
    pub cover_file: Option<String>,
    pub cover_thumb: Option<String>,
    pub cover_width: Option<i32>,
    pub cover_height: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct GalleryPage {
    pub items: Vec<GalleryItem>,
    /// Pass back as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

/// The position after an item, opaque to the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        format!("k1.{}.{}", self.created_at, self.id)
    }

    pub fn decode(text: &str) -> Result<Cursor> {
        let bad = || Error::invalid("cursor", "not a cursor from a previous page");
        let rest = text.strip_prefix("k1.").ok_or_else(bad)?;
        let (time, id) = rest.split_once('.').ok_or_else(bad)?;
        let created_at = time.parse::<i64>().map_err(|_| bad())?;
        let id = id.parse::<i64>().map_err(|_| bad())?;
        Ok(Cursor { created_at, id })
    }
}

pub async fn page(pool: &SqlitePool, query: &GalleryQuery) -> Result<GalleryPage> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let text = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let matcher = match text {
        None => None,
        Some(text) => match terms::expression(&mut *pool.acquire().await?, text).await? {
            Some(expr) => Some(expr),
            // Only punctuation: nothing can match, and that is not an error.
            None => return Ok(GalleryPage { items: Vec::new(), next_cursor: None }),
        },
    };

    // Step 1: the page's positions only, so a sort carries two integers per candidate row.
    let mut positions = match matcher {
        None => positions(pool, query, Plan::All, cursor, limit).await?,
        // First among the next WINDOW rows by time: their ids span a range that FTS5 reads in a
        // few milliseconds, where listing every match of a common word (half the history) to test
        // each row against took 20. Exact whatever the order of ids; a page the window cannot fill
        // (a rare word, other filters) takes one of the full plans.
        Some(expr) => match window(pool, cursor).await? {
            None => Vec::new(), // nothing after the cursor
            Some(w) => {
                let found = positions(pool, query, Plan::Many(expr.clone(), Some(w)), cursor, limit).await?;
                if found.len() > limit as usize || w.end.is_none() {
                    found
                } else if few_matches(pool, &expr).await? {
                    positions(pool, query, Plan::Few(expr), cursor, limit).await?
                } else {
                    positions(pool, query, Plan::Many(expr, None), cursor, limit).await?
                }
            }
        },
    };
    let more = positions.len() > limit as usize;
    positions.truncate(limit as usize);
    let next_cursor = match positions.last() {
        Some(&(id, created_at)) if more => Some(Cursor { created_at, id }.encode()),
        _ => None,
    };

    // Step 2: the tiles for just those rows, with their first image.
    let ids: Vec<i64> = positions.iter().map(|p| p.0).collect();
    let rows = sqlx::query!(
        r#"SELECT g.id, g.provider, g.model, g.prompt, g.status, g.favourite AS "favourite: bool", g.created_at,
                g.images_returned AS "images_returned: i32",
                i.file, i.thumb, i.width AS "width: i32", i.height AS "height: i32"
         FROM generations g
         LEFT JOIN images i ON i.id = (SELECT id FROM images WHERE generation_id = g.id ORDER BY idx LIMIT 1)
         WHERE g.id IN (SELECT value FROM json_each(?))"#,
        id_list(&ids)
    )
    .fetch_all(pool)
    .await?;
    let mut by_id = HashMap::with_capacity(rows.len());
    for row in rows {
        let mut item = GalleryItem {
            id: to_ui_id(row.id)?,
            provider: Provider::parse(&row.provider)?,
            model: row.model,
            prompt: row.prompt,
            highlighted_prompt: None,
            status: Status::parse(&row.status)?,
            favourite: row.favourite,
            created_at: row.created_at,
            images_returned: row.images_returned,
            cover_file: row.file,
            cover_thumb: row.thumb,
            cover_width: row.width,
            cover_height: row.height,
        };
        if let Some(text) = text {
            item.highlighted_prompt = Some(search::highlight(&item.prompt, text));
        }
        by_id.insert(item.id, item);
    }
    // A row deleted between the two steps is simply left out.
    let items = ids.iter().filter_map(|id| by_id.remove(&(*id as i32))).collect();
    Ok(GalleryPage { items, next_cursor })
}

/// The Gallery positioned at a date: the first page of the items created before `before` (the end
/// of the chosen day or month), newest first, with the query's filters and search; `next_cursor`
/// continues older. A keyset position, so it costs what any page costs, whatever the date.
pub async fn jump(pool: &SqlitePool, query: &GalleryQuery, before: i64) -> Result<GalleryPage> {
    // Ids are positive: (before, 0) sorts after every row created before `before`, before the rest.
    let cursor = Cursor { created_at: millis("before", before)?, id: 0 };
    page(pool, &GalleryQuery { cursor: Some(cursor.encode()), ..query.clone() }).await
}

/// How step 1 finds its rows.
enum Plan {
    All,
    /// Few matches: FTS5 yields them, and they are sorted by time.
    Few(String),
    /// Walk newest first and stop at a page of matches; within a window when one is given.
    Many(String, Option<Window>),
}

/// The next [`WINDOW`] rows by time after the cursor: the lowest and highest ids among them, and
/// the last one's position (none when the window reaches the oldest row). Both id bounds matter
/// deep in the history (a jump to a date): with only the lower one FTS5 lists every newer match.
#[derive(Debug, Clone, Copy)]
struct Window {
    min_id: i64,
    max_id: i64,
    end: Option<Cursor>,
}

const WINDOW: i64 = 1_000;

async fn window(pool: &SqlitePool, cursor: Option<Cursor>) -> Result<Option<Window>> {
    let after = cursor.unwrap_or(Cursor { created_at: i64::MAX, id: i64::MAX });
    // Two walks of the time index: cheaper than one statement that visits the window four times.
    let (min_id, max_id, count): (Option<i64>, Option<i64>, i64) = sqlx::query_as(
        "SELECT MIN(id), MAX(id), COUNT(*) FROM (SELECT id FROM generations INDEXED BY generations_by_time
           WHERE (created_at, id) < (?1, ?2) ORDER BY created_at DESC, id DESC LIMIT ?3)",
    )
    .bind(after.created_at)
    .bind(after.id)
    .bind(WINDOW)
    .fetch_one(pool)
    .await?;
    let (Some(min_id), Some(max_id)) = (min_id, max_id) else { return Ok(None) };
    if count < WINDOW {
        return Ok(Some(Window { min_id, max_id, end: None }));
    }
    // None if rows were deleted in between: then the window reaches the oldest row.
    let end: Option<(i64, i64)> = sqlx::query_as(
        "SELECT created_at, id FROM generations INDEXED BY generations_by_time
         WHERE (created_at, id) < (?1, ?2) ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?3",
    )
    .bind(after.created_at)
    .bind(after.id)
    .bind(WINDOW - 1)
    .fetch_optional(pool)
    .await?;
    Ok(Some(Window { min_id, max_id, end: end.map(|(created_at, id)| Cursor { created_at, id }) }))
}

/// Step 1: the ids and times of the page's rows (one more than `limit`, to know if more follow).
async fn positions(
    pool: &SqlitePool,
    query: &GalleryQuery,
    plan: Plan,
    cursor: Option<Cursor>,
    limit: i32,
) -> Result<Vec<(i64, i64)>> {
    // Dynamic: the FROM clause (search plan) and the WHERE clause are assembled from the filters.
    let mut sql = QueryBuilder::<Sqlite>::new("SELECT g.id, g.created_at FROM ");
    match plan {
        // CROSS JOIN keeps FTS5 outside.
        Plan::Few(expr) => sql
            .push("generations_fts CROSS JOIN generations g ON g.id = generations_fts.rowid")
            .push(" WHERE generations_fts MATCH ")
            .push_bind(expr),
        Plan::Many(expr, window) => {
            sql.push("generations g INDEXED BY generations_by_time WHERE g.id IN ")
                .push("(SELECT rowid FROM generations_fts WHERE generations_fts MATCH ")
                .push_bind(expr);
            if let Some(w) = window {
                sql.push(" AND rowid BETWEEN ").push_bind(w.min_id).push(" AND ").push_bind(w.max_id);
            }
            sql.push(")");
            if let Some(end) = window.and_then(|w| w.end) {
                sql.push(" AND (g.created_at, g.id) >= (")
                    .push_bind(end.created_at)
                    .push(", ")
                    .push_bind(end.id)
                    .push(")");
            }
            &mut sql
        }
        Plan::All => sql.push("generations g WHERE 1"),
    };
    push_filters(&mut sql, query)?;
    if let Some(c) = cursor {
        sql.push(" AND (g.created_at, g.id) < (").push_bind(c.created_at).push(", ").push_bind(c.id).push(")");
    }
    sql.push(" ORDER BY g.created_at DESC, g.id DESC LIMIT ").push_bind(limit + 1);
    Ok(sql.build_query_as().fetch_all(pool).await?)
}

/// The query's filters (not search) as ` AND …` terms on `g`: shared with the date list
/// ([`crate::history::timeline`]) so a jump offers exactly the dates the grid can show.
pub(crate) fn push_filters(sql: &mut QueryBuilder<Sqlite>, query: &GalleryQuery) -> Result<()> {
    if let Some(model) = &query.model {
        sql.push(" AND g.model = ").push_bind(model.clone());
    }
    if let Some(from) = query.from {
        sql.push(" AND g.created_at >= ").push_bind(millis("from", from)?);
    }
    if let Some(until) = query.until {
        sql.push(" AND g.created_at < ").push_bind(millis("until", until)?);
    }
    match query.favourite {
        // Literal values so the planner can use the partial favourites index.
        Some(true) => sql.push(" AND g.favourite = 1"),
        Some(false) => sql.push(" AND g.favourite = 0"),
        None => sql,
    };
    if let Some(collection) = query.collection_id {
        sql.push(" AND g.id IN (SELECT generation_id FROM collection_items WHERE collection_id = ")
            .push_bind(collection)
            .push(")");
    }
    if let Some(status) = query.status {
        sql.push(" AND g.status = ").push_bind(status.as_str());
    }
    Ok(())
}

/// Whether a search matches few enough rows to sort them all (a probe that stops counting early).
async fn few_matches(pool: &SqlitePool, expr: &str) -> Result<bool> {
    const FEW: i64 = 2_000;
    let probed: i64 = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM generations_fts WHERE generations_fts MATCH ?1 LIMIT ?2)",
        expr,
        FEW
    )
    .fetch_one(pool)
    .await?;
    Ok(probed < FEW)
}

fn millis(field: &str, value: i64) -> Result<i64> {
    if value.abs() > 9_007_199_254_740_991 {
        return Err(Error::invalid(field, "must be a time in unix milliseconds"));
    }
    Ok(value)
}

#[cfg(test)]
#[path = "gallery_tests.rs"]
mod tests;
