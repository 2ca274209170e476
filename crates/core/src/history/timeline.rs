//! The Gallery's dates: which months (or days) hold items for a query, with how many, so a date
//! picker offers only dates that land somewhere. Calendar periods are local time (the caller's
//! time zone, daylight saving included); counting is one walk of a time index per period.

use chrono::{Datelike, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::error::{Error, Result};
use crate::history::gallery::{push_filters, GalleryQuery};
use crate::history::terms;

/// What one entry of the list spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Day,
}

/// A month or a day that holds items, in local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct DateCount {
    pub year: i32,
    /// 1–12.
    pub month: i32,
    /// 1–31 for a day; none for a month.
    pub day: Option<i32>,
    /// Its first millisecond (unix ms).
    #[specta(type = crate::JsInt)]
    pub starts_at: i64,
    /// The first millisecond after it: what [`crate::history::gallery::jump`] takes to show it.
    #[specta(type = crate::JsInt)]
    pub ends_at: i64,
    /// Items in it that the query shows.
    pub count: i32,
}

/// More periods than this in one answer is a mistake (days over years): narrow with from/until.
pub const MAX_PERIODS: usize = 1_200;

/// The periods holding items for `query` (filters and search; its cursor and limit are ignored),
/// newest first.
pub async fn dates<Tz: TimeZone>(
    pool: &SqlitePool,
    query: &GalleryQuery,
    period: Period,
    tz: &Tz,
) -> Result<Vec<DateCount>> {
    let from = query.from.unwrap_or(i64::MIN);
    let until = query.until.unwrap_or(i64::MAX);
    // The whole history's span (two index seeks); the filters are applied by the counts.
    let oldest: Option<i64> = sqlx::query_scalar!(
        "SELECT MIN(created_at) FROM generations WHERE created_at >= ?1 AND created_at < ?2",
        from,
        until
    )
    .fetch_one(pool)
    .await?;
    let newest: Option<i64> = sqlx::query_scalar!(
        "SELECT MAX(created_at) FROM generations WHERE created_at >= ?1 AND created_at < ?2",
        from,
        until
    )
    .fetch_one(pool)
    .await?;
    let (Some(oldest), Some(newest)) = (oldest, newest) else { return Ok(Vec::new()) };
    let spans = periods(tz, oldest, newest, period)?;

    let text = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let matcher = match text {
        None => None,
        Some(text) => match terms::expression(&mut *pool.acquire().await?, text).await? {
            Some(expr) => Some(expr),
            None => return Ok(Vec::new()),
        },
    };
    // Dynamic: the filters are assembled at run time. One statement: the search's matches are
    // listed once and probed by each period's walk of the time index.
    let bounds = serde_json::to_string(&spans.iter().map(|s| [s.starts_at, s.ends_at]).collect::<Vec<_>>())
        .map_err(|e| Error::internal(e.to_string()))?;
    let mut sql = QueryBuilder::<Sqlite>::new(
        "WITH b(s, e) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(",
    );
    sql.push_bind(bounds).push(")) SELECT (SELECT COUNT(*) FROM generations g");
    if matcher.is_some() {
        // Otherwise SQLite looks up every match by id for every period.
        sql.push(" INDEXED BY generations_by_time");
    }
    sql.push(" WHERE g.created_at >= b.s AND g.created_at < b.e");
    if let Some(expr) = matcher {
        sql.push(" AND g.id IN (SELECT rowid FROM generations_fts WHERE generations_fts MATCH ")
            .push_bind(expr)
            .push(")");
    }
    push_filters(&mut sql, query)?;
    sql.push(") FROM b");
    let counts: Vec<i64> = sql.build_query_scalar().fetch_all(pool).await?;
    Ok(spans
        .into_iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(span, n)| DateCount { count: i32::try_from(n).unwrap_or(i32::MAX), ..span })
        .collect())
}

/// The calendar periods from the one holding `newest` back to the one holding `oldest`.
fn periods<Tz: TimeZone>(tz: &Tz, oldest: i64, newest: i64, period: Period) -> Result<Vec<DateCount>> {
    let local = |ms: i64| tz.timestamp_millis_opt(ms).single().map(|t| t.date_naive());
    let (Some(first), Some(last)) = (local(oldest), local(newest)) else {
        return Err(Error::invalid("from", "times must be valid dates"));
    };
    let start_of = |date: NaiveDate| match period {
        Period::Month => date.with_day(1),
        Period::Day => Some(date),
    };
    let next = |date: NaiveDate| match period {
        Period::Month => date.checked_add_months(chrono::Months::new(1)),
        Period::Day => date.succ_opt(),
    };
    let mut out = Vec::new();
    let mut date = start_of(last).ok_or_else(|| Error::invalid("until", "out of range"))?;
    let mut end = next(date).map(|d| midnight(tz, d)).ok_or_else(|| Error::invalid("until", "out of range"))?;
    loop {
        if out.len() == MAX_PERIODS {
            return Err(Error::invalid("from", format!("more than {MAX_PERIODS} periods: narrow the dates")));
        }
        let starts_at = midnight(tz, date);
        out.push(DateCount {
            year: date.year(),
            month: date.month() as i32,
            day: (period == Period::Day).then_some(date.day() as i32),
            starts_at,
            ends_at: end,
            count: 0,
        });
        if date <= first {
            return Ok(out);
        }
        end = starts_at;
        date = match period {
            Period::Month => date.checked_sub_months(chrono::Months::new(1)),
            Period::Day => date.pred_opt(),
        }
        .ok_or_else(|| Error::invalid("from", "out of range"))?;
    }
}

/// The first millisecond of a local date; where a clock change skips midnight, the first that exists.
fn midnight<Tz: TimeZone>(tz: &Tz, date: NaiveDate) -> i64 {
    let mut time = date.and_time(chrono::NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&time).earliest() {
            return t.timestamp_millis();
        }
        time += chrono::Duration::minutes(30);
    }
    // No zone skips two hours; UTC is a safe answer for one that would.
    date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_millis()
}

/// `YYYY-MM` or `YYYY-MM-DD` as the local period it names: its start and the first millisecond after.
pub fn parse_date<Tz: TimeZone>(field: &str, text: &str, tz: &Tz) -> Result<(i64, i64)> {
    let bad = || Error::invalid(field, format!("{text:?} is not a date (YYYY-MM or YYYY-MM-DD)"));
    let text = text.trim();
    let (start, next) = if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        (day, day.succ_opt().ok_or_else(bad)?)
    } else {
        let month = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        (month, month.checked_add_months(chrono::Months::new(1)).ok_or_else(bad)?)
    };
    Ok((midnight(tz, start), midnight(tz, next)))
}

/// [`parse_date`] in the local time zone, as the CLI reads dates.
pub fn parse_local_date(field: &str, text: &str) -> Result<(i64, i64)> {
    parse_date(field, text, &chrono::Local)
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
