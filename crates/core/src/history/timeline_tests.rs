use chrono::{FixedOffset, TimeZone, Utc};

use super::*;
use crate::history::gallery::{jump, page};
use crate::history::{favourites, fixtures};

fn utc(y: i32, m: u32, d: u32, h: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().timestamp_millis()
}

fn summary(list: &[DateCount]) -> Vec<(i32, i32, Option<i32>, i32)> {
    list.iter().map(|d| (d.year, d.month, d.day, d.count)).collect()
}

#[tokio::test]
async fn months_with_items_newest_first_with_counts_and_empty_months_left_out() {
    let (_dir, pool) = fixtures::open().await;
    for (n, t) in
        [utc(2025, 11, 3, 9), utc(2025, 11, 30, 23), utc(2026, 1, 1, 0), utc(2026, 3, 12, 8)].iter().enumerate()
    {
        fixtures::generation(&pool, "m", &format!("p{n}"), *t).await;
    }
    let months = dates(&pool, &GalleryQuery::default(), Period::Month, &Utc).await.unwrap();
    assert_eq!(summary(&months), vec![(2026, 3, None, 1), (2026, 1, None, 1), (2025, 11, None, 2)]);
    assert_eq!((months[1].starts_at, months[1].ends_at), (utc(2026, 1, 1, 0), utc(2026, 2, 1, 0)));
    // The same rows an hour east of UTC: 30 November 23:00 UTC is already December there.
    let east = FixedOffset::east_opt(3600).unwrap();
    let months = dates(&pool, &GalleryQuery::default(), Period::Month, &east).await.unwrap();
    assert_eq!(
        summary(&months),
        vec![(2026, 3, None, 1), (2026, 1, None, 1), (2025, 12, None, 1), (2025, 11, None, 1)]
    );
    assert_eq!(months[2].starts_at, utc(2025, 11, 30, 23), "local midnight");
    assert!(dates(&fixtures::open().await.1, &GalleryQuery::default(), Period::Month, &Utc).await.unwrap().is_empty());
}

#[tokio::test]
async fn filters_and_search_count_only_what_the_grid_shows() {
    let (_dir, pool) = fixtures::open().await;
    let fox = fixtures::generation(&pool, "flux-dev", "a red fox", utc(2026, 2, 10, 12)).await;
    fixtures::generation(&pool, "flux-dev", "a cat", utc(2026, 2, 11, 12)).await;
    fixtures::generation(&pool, "flux-pro", "two foxes", utc(2026, 4, 1, 12)).await;
    fixtures::generation(&pool, "flux-pro", "an owl", utc(2026, 4, 2, 12)).await;
    favourites::set_favourite(&pool, &[fox], true).await.unwrap();
    let run = |q: GalleryQuery| {
        let pool = pool.clone();
        async move { summary(&dates(&pool, &q, Period::Month, &Utc).await.unwrap()) }
    };
    assert_eq!(run(GalleryQuery::default()).await, vec![(2026, 4, None, 2), (2026, 2, None, 2)]);
    assert_eq!(
        run(GalleryQuery { text: Some("fox".into()), ..Default::default() }).await,
        vec![(2026, 4, None, 1), (2026, 2, None, 1)]
    );
    let q = GalleryQuery { text: Some("fox".into()), model: Some("flux-pro".into()), ..Default::default() };
    assert_eq!(run(q).await, vec![(2026, 4, None, 1)]);
    assert_eq!(run(GalleryQuery { favourite: Some(true), ..Default::default() }).await, vec![(2026, 2, None, 1)]);
    assert_eq!(run(GalleryQuery { text: Some("zebra".into()), ..Default::default() }).await, vec![]);
    assert_eq!(run(GalleryQuery { text: Some("***".into()), ..Default::default() }).await, vec![]);
}

#[tokio::test]
async fn days_of_one_month() {
    let (_dir, pool) = fixtures::open().await;
    for t in [utc(2026, 1, 31, 22), utc(2026, 2, 1, 1), utc(2026, 2, 1, 2), utc(2026, 2, 27, 5), utc(2026, 3, 1, 0)] {
        fixtures::generation(&pool, "m", "x", t).await;
    }
    let (from, until) = parse_date("month", "2026-02", &Utc).unwrap();
    let q = GalleryQuery { from: Some(from), until: Some(until), ..Default::default() };
    let days = dates(&pool, &q, Period::Day, &Utc).await.unwrap();
    assert_eq!(summary(&days), vec![(2026, 2, Some(27), 1), (2026, 2, Some(1), 2)]);
    assert_eq!((days[1].starts_at, days[1].ends_at), (utc(2026, 2, 1, 0), utc(2026, 2, 2, 0)));
}

#[tokio::test]
async fn a_jump_starts_at_the_newest_item_of_the_date_and_pages_on_into_the_past() {
    let (_dir, pool) = fixtures::open().await;
    let mut ids = Vec::new();
    for day in 1..=28 {
        for hour in [8, 20] {
            let prompt = if hour == 8 { "morning light" } else { "evening" };
            ids.push((
                utc(2026, 2, day, hour),
                fixtures::generation(&pool, "m", prompt, utc(2026, 2, day, hour)).await,
            ));
        }
    }
    fixtures::generation(&pool, "m", "later", utc(2026, 5, 1, 0)).await;
    let (_, end) = parse_date("at", "2026-02-10", &Utc).unwrap();
    let first = jump(&pool, &GalleryQuery { limit: Some(5), ..Default::default() }, end).await.unwrap();
    let times: Vec<i64> = first.items.iter().map(|i| i.created_at).collect();
    assert_eq!(
        times,
        vec![utc(2026, 2, 10, 20), utc(2026, 2, 10, 8), utc(2026, 2, 9, 20), utc(2026, 2, 9, 8), utc(2026, 2, 8, 20)]
    );
    let next = GalleryQuery { limit: Some(5), cursor: first.next_cursor, ..Default::default() };
    assert_eq!(page(&pool, &next).await.unwrap().items[0].created_at, utc(2026, 2, 8, 8), "continues older");
    // Search is kept: only the mornings, from that date down.
    let q = GalleryQuery { limit: Some(3), text: Some("light".into()), ..Default::default() };
    let found = jump(&pool, &q, end).await.unwrap();
    let times: Vec<i64> = found.items.iter().map(|i| i.created_at).collect();
    assert_eq!(times, vec![utc(2026, 2, 10, 8), utc(2026, 2, 9, 8), utc(2026, 2, 8, 8)]);
    // Before everything: an empty page, not an error.
    let none = jump(&pool, &GalleryQuery::default(), utc(2020, 1, 1, 0)).await.unwrap();
    assert!(none.items.is_empty() && none.next_cursor.is_none());
}

#[tokio::test]
async fn bad_dates_name_their_field() {
    let (_dir, pool) = fixtures::open().await;
    for bad in ["", "2026", "2026-13", "2026-02-30", "march", "2026-1-1x"] {
        match parse_date("at", bad, &Utc) {
            Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "at", "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert_eq!(parse_date("at", "2026-02", &Utc).unwrap(), (utc(2026, 2, 1, 0), utc(2026, 3, 1, 0)));
    match jump(&pool, &GalleryQuery::default(), i64::MAX).await {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "before"),
        other => panic!("{other:?}"),
    }
    // Days over more than MAX_PERIODS: a clear error rather than a huge answer.
    fixtures::generation(&pool, "m", "old", utc(2020, 1, 1, 0)).await;
    fixtures::generation(&pool, "m", "new", utc(2026, 1, 1, 0)).await;
    match dates(&pool, &GalleryQuery::default(), Period::Day, &Utc).await {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "from"),
        other => panic!("{other:?}"),
    }
}
