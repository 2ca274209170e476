use std::collections::HashSet;

use super::*;
use crate::history::journal::{self, StatusChange};
use crate::history::search::{MATCH_END, MATCH_START};
use crate::history::{collections, favourites, fixtures};

async fn all_pages(pool: &SqlitePool, query: &GalleryQuery) -> Vec<GalleryItem> {
    let mut out = Vec::new();
    let mut q = query.clone();
    loop {
        let page = page(pool, &q).await.unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

fn ids(items: &[GalleryItem]) -> Vec<i32> {
    items.iter().map(|i| i.id).collect()
}

#[tokio::test]
async fn pages_cover_every_row_once_newest_first_with_ties_broken_by_id() {
    let (_dir, pool) = fixtures::open().await;
    let mut expected = Vec::new();
    for n in 0..253 {
        // Many rows share a created_at, and insertion order is not time order.
        let t = ((n * 7) % 40) as i64;
        let id = fixtures::generation(&pool, "m", &format!("p{n}"), t).await;
        expected.push((t, id));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let q = GalleryQuery { limit: Some(10), ..Default::default() };
    let items = all_pages(&pool, &q).await;
    assert_eq!(ids(&items), expected.iter().map(|e| e.1).collect::<Vec<_>>());
    assert_eq!(items.iter().map(|i| i.id).collect::<HashSet<_>>().len(), 253);
    // An exact multiple of the page size ends without an empty page.
    let exact = page(&pool, &GalleryQuery { limit: Some(253), ..Default::default() }).await.unwrap();
    assert_eq!((exact.items.len(), exact.next_cursor), (253, None));
}

#[tokio::test]
async fn a_row_added_while_paging_does_not_shift_later_pages() {
    let (_dir, pool) = fixtures::open().await;
    for n in 0..30 {
        fixtures::generation(&pool, "m", "x", n).await;
    }
    let first = page(&pool, &GalleryQuery { limit: Some(10), ..Default::default() }).await.unwrap();
    fixtures::generation(&pool, "m", "new", 1_000).await;
    let second =
        page(&pool, &GalleryQuery { limit: Some(10), cursor: first.next_cursor, ..Default::default() }).await.unwrap();
    assert_eq!(second.items[0].created_at, 19, "continues right after the first page");
}

#[tokio::test]
async fn each_filter_narrows_the_gallery() {
    let (dir, pool) = fixtures::open().await;
    let a = fixtures::generation(&pool, "flux-dev", "a", 100).await;
    let b = fixtures::generation(&pool, "flux-schnell", "b", 200).await;
    let c = fixtures::generation(&pool, "flux-dev", "c", 300).await;
    let d = fixtures::generation(&pool, "flux-dev", "d", 400).await;
    favourites::set_favourite(&pool, &[b, d], true).await.unwrap();
    let coll = collections::create(&pool, "picks", 1).await.unwrap();
    collections::add(&pool, coll.id, &[a, d], 1).await.unwrap();
    let failed =
        StatusChange { status: Status::Failed, error: Some("nsfw".into()), prediction_id: None, completed_at: None };
    journal::set_status(&pool, c, &failed).await.unwrap();
    journal::add_image(&pool, dir.path(), d, 0, fixtures::png(20, 10, 1), None, 1).await.unwrap();

    let run = |q: GalleryQuery| {
        let pool = pool.clone();
        async move { ids(&all_pages(&pool, &q).await) }
    };
    assert_eq!(run(GalleryQuery::default()).await, vec![d, c, b, a]);
    assert_eq!(run(GalleryQuery { model: Some("flux-dev".into()), ..Default::default() }).await, vec![d, c, a]);
    assert_eq!(run(GalleryQuery { from: Some(200), until: Some(400), ..Default::default() }).await, vec![c, b]);
    assert_eq!(run(GalleryQuery { favourite: Some(true), ..Default::default() }).await, vec![d, b]);
    assert_eq!(run(GalleryQuery { favourite: Some(false), ..Default::default() }).await, vec![c, a]);
    assert_eq!(run(GalleryQuery { collection_id: Some(coll.id), ..Default::default() }).await, vec![d, a]);
    assert_eq!(run(GalleryQuery { status: Some(Status::Failed), ..Default::default() }).await, vec![c]);
    let combined = GalleryQuery { model: Some("flux-dev".into()), favourite: Some(true), ..Default::default() };
    assert_eq!(run(combined).await, vec![d]);

    let first = page(&pool, &GalleryQuery::default()).await.unwrap();
    let tile = &first.items[0];
    assert_eq!((tile.cover_width, tile.cover_height, tile.favourite), (Some(20), Some(10), true));
    assert!(tile.cover_thumb.as_deref().unwrap().starts_with("thumbs/"));
    assert_eq!(first.items[1].cover_file, None);
}

#[tokio::test]
async fn search_finds_prefixes_ignores_accents_and_marks_matches() {
    let (_dir, pool) = fixtures::open().await;
    let fox = fixtures::generation(&pool, "m", "A red fox in the snow", 1).await;
    let foxes = fixtures::generation(&pool, "m", "Two foxes at the café", 2).await;
    let _cat = fixtures::generation(&pool, "m", "a cat near a window", 3).await;
    let search = |text: &str| GalleryQuery { text: Some(text.into()), ..Default::default() };

    let found = all_pages(&pool, &search("fox")).await;
    assert_eq!(ids(&found), vec![foxes, fox]);
    let marked = found[1].highlighted_prompt.as_deref().unwrap();
    assert_eq!(marked, format!("A red {MATCH_START}fox{MATCH_END} in the snow"));
    assert_eq!(found[1].prompt, "A red fox in the snow");
    assert_eq!(ids(&all_pages(&pool, &search("FOX snow")).await), vec![fox], "words combine with AND");
    assert_eq!(ids(&all_pages(&pool, &search("cafe")).await), vec![foxes], "diacritics are ignored");
    let hl = all_pages(&pool, &search("CAFÉ")).await[0].highlighted_prompt.clone().unwrap();
    assert!(hl.ends_with(&format!("{MATCH_START}café{MATCH_END}")), "{hl}");
}

#[tokio::test]
async fn search_syntax_in_user_text_is_plain_text_and_never_an_error() {
    let (_dir, pool) = fixtures::open().await;
    let cat = fixtures::generation(&pool, "m", "a cat near a window", 1).await;
    for text in [
        "\"",
        "\"cat",
        "cat\"",
        "*",
        "cat*",
        "-",
        "-cat",
        "cat -window",
        "NEAR",
        "NEAR(cat window)",
        "cat NEAR window",
        "cat AND",
        "OR",
        "NOT cat",
        "(",
        ")",
        "{cat}",
        "prompt:cat",
        "^cat",
        "'",
        "\\",
        "%",
        "_",
        "\u{0}",
        "cat\"*\"",
    ] {
        let q = GalleryQuery { text: Some(text.into()), ..Default::default() };
        let result = page(&pool, &q).await;
        assert!(result.is_ok(), "{text:?}: {result:?}");
    }
    let found = page(&pool, &GalleryQuery { text: Some("near".into()), ..Default::default() }).await.unwrap();
    assert_eq!(ids(&found.items), vec![cat], "NEAR is a word like any other");
    let found = page(&pool, &GalleryQuery { text: Some("-cat".into()), ..Default::default() }).await.unwrap();
    assert_eq!(ids(&found.items), vec![cat], "a minus is not NOT");
    let none = page(&pool, &GalleryQuery { text: Some("***".into()), ..Default::default() }).await.unwrap();
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn search_pages_like_the_gallery() {
    let (_dir, pool) = fixtures::open().await;
    let mut expected = Vec::new();
    for n in 0..45 {
        let prompt = if n % 3 == 0 { format!("lighthouse {n}") } else { format!("meadow {n}") };
        let id = fixtures::generation(&pool, "m", &prompt, n % 5).await;
        if n % 3 == 0 {
            expected.push((n % 5, id));
        }
    }
    expected.sort_by(|a, b| b.cmp(a));
    let q = GalleryQuery { text: Some("light".into()), limit: Some(4), ..Default::default() };
    let found = all_pages(&pool, &q).await;
    assert_eq!(ids(&found), expected.iter().map(|e| e.1).collect::<Vec<_>>());
    assert!(found.iter().all(|i| i.highlighted_prompt.as_deref().unwrap().starts_with("\u{2}lighthouse\u{3}")));
}

#[tokio::test]
async fn bad_cursors_and_limits_name_their_field() {
    let (_dir, pool) = fixtures::open().await;
    let field = |r: Result<GalleryPage>| match r {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    for bad in ["", "k1.", "k1.zz.1", "k2.1.1", "k1.1", "k1.1.2.3", "k1.99999999999999999999.1", "garbage"] {
        let q = GalleryQuery { cursor: Some(bad.into()), ..Default::default() };
        assert_eq!(field(page(&pool, &q).await), "cursor", "{bad:?}");
    }
    for bad in [0, -1, MAX_PAGE + 1] {
        assert_eq!(field(page(&pool, &GalleryQuery { limit: Some(bad), ..Default::default() }).await), "limit");
    }
    let q = GalleryQuery { from: Some(i64::MAX), ..Default::default() };
    assert_eq!(field(page(&pool, &q).await), "from");
    for c in [Cursor { created_at: 1_764_000_000_000, id: 99 }, Cursor { created_at: -5, id: 1 }] {
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
    }
}

#[tokio::test]
async fn the_first_page_walks_the_time_index() {
    let (_dir, pool) = fixtures::open().await;
    // Dynamic: EXPLAIN QUERY PLAN's columns are untyped, which the query macros cannot describe.
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT g.id FROM generations g ORDER BY g.created_at DESC, g.id DESC LIMIT 101",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let text: Vec<String> = plan.into_iter().map(|p| p.3).collect();
    assert!(text.iter().any(|d| d.contains("generations_by_time")), "{text:?}");
    assert!(!text.iter().any(|d| d.contains("TEMP B-TREE")), "no sort: {text:?}");
}

#[tokio::test]
async fn a_common_word_takes_the_newest_first_walk_and_still_pages_exactly() {
    let (dir, pool) = fixtures::open().await;
    let plan = crate::history::seed::SeedPlan { count: 5_000, distinct_images: 2, now: 1_800_000_000_000 };
    crate::history::seed::synthetic_with(&pool, dir.path(), plan).await.unwrap();
    let expr = search::match_expression("light").unwrap();
    assert!(!few_matches(&pool, &expr).await.unwrap(), "enough matches for the other plan");
    // Pages are found within windows of 1,000 rows by time first, from their id range: exact
    // with ids in time order (as seeded) and with ids in no order at all (times scrambled).
    for (scrambled, favourite) in [(false, None), (false, Some(true)), (true, None), (true, Some(true))] {
        if scrambled {
            sqlx::query("UPDATE generations SET created_at = 1000 * ((id * 7919) % 4999)")
                .execute(&pool)
                .await
                .unwrap();
        }
        let expected: Vec<i32> = sqlx::query_scalar!(
            r#"SELECT g.id AS "id: i32" FROM generations_fts JOIN generations g ON g.id = generations_fts.rowid
             WHERE generations_fts MATCH ?1 AND (?2 IS NULL OR g.favourite = ?2)
             ORDER BY g.created_at DESC, g.id DESC"#,
            expr,
            favourite
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let q = GalleryQuery { text: Some("light".into()), favourite, limit: Some(300), ..Default::default() };
        let found = all_pages(&pool, &q).await;
        assert_eq!(ids(&found), expected, "favourite filter {favourite:?}, scrambled {scrambled}");
        assert!(found.iter().all(|i| i.highlighted_prompt.as_deref().unwrap().contains("\u{2}light")));
        // A jump deep into the history pages exactly too (the window bounded on both sides by id).
        let at = found[found.len() / 2].created_at;
        let q = GalleryQuery { cursor: None, limit: Some(50), ..q };
        let mut from_jump = Vec::new();
        let mut next = jump(&pool, &q, at).await.unwrap();
        loop {
            from_jump.extend(ids(&next.items));
            let Some(c) = next.next_cursor else { break };
            next = page(&pool, &GalleryQuery { cursor: Some(c), ..q.clone() }).await.unwrap();
        }
        let older: Vec<i32> = found.iter().filter(|i| i.created_at < at).map(|i| i.id).collect();
        assert_eq!(from_jump, older, "from a jump, favourite filter {favourite:?}, scrambled {scrambled}");
    }
}
