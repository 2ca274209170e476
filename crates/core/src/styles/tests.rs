use super::*;
use crate::history::fixtures::open;

fn draft(name: &str, prefix: &str, suffix: &str) -> StyleDraft {
    StyleDraft {
        name: name.into(),
        prefix: prefix.into(),
        suffix: suffix.into(),
        model: None,
        aspect_ratio: None,
        guidance: None,
    }
}

fn field_of(err: &Error) -> &str {
    match err {
        Error::InvalidInput { field, .. } => field,
        other => panic!("not an input error: {other:?}"),
    }
}

#[test]
fn composing_puts_one_space_between_the_parts_there_are() {
    let style =
        AppliedStyle { name: "Noir".into(), prefix: " film noir still of".into(), suffix: "high contrast ".into() };
    assert_eq!(style.compose("  a detective  "), "film noir still of a detective high contrast");
    let only_after = AppliedStyle { prefix: String::new(), ..style.clone() };
    assert_eq!(only_after.compose("a cat"), "a cat high contrast");
    let only_before = AppliedStyle { suffix: String::new(), ..style.clone() };
    assert_eq!(only_before.compose("a cat"), "film noir still of a cat");
    assert_eq!(style.compose(""), "film noir still of high contrast", "a style alone is a prompt");
}

#[test]
fn stripping_gives_back_the_users_words_only_from_this_styles_composition() {
    let style =
        AppliedStyle { name: "Noir".into(), prefix: "film noir still of".into(), suffix: "high contrast".into() };
    for own in ["a detective", "a {red|blue} car", "x"] {
        assert_eq!(style.strip(&style.compose(own)), Some(own));
    }
    assert_eq!(style.strip("a detective high contrast"), None, "prefix missing");
    assert_eq!(style.strip("film noir still of a detective"), None, "suffix missing");
    assert_eq!(style.strip("film noir still ofa detective high contrast"), None, "no space after the prefix");
    assert_eq!(style.strip(""), None, "an erased prompt");
}

#[test]
fn a_draft_is_checked_field_by_field() {
    let long = "x".repeat(MAX_NAME + 1);
    let cases = [
        (draft("  ", "a", ""), "name"),
        (draft(&long, "a", ""), "name"),
        (draft("two\nlines", "a", ""), "name"),
        (draft("Big", &"x".repeat(MAX_TEXT + 1), ""), "prefix"),
        (draft("Big", "", &"x".repeat(MAX_TEXT + 1)), "suffix"),
        (draft("Empty", " ", " "), "prefix"),
        (StyleDraft { model: Some("flux-9000".into()), ..draft("M", "a", "") }, "model"),
        (StyleDraft { aspect_ratio: Some("7:3".into()), ..draft("A", "a", "") }, "aspect_ratio"),
        (StyleDraft { guidance: Some(11.0), ..draft("G", "a", "") }, "guidance"),
        // flux-schnell takes no guidance at all.
        (StyleDraft { model: Some("flux-schnell".into()), guidance: Some(3.0), ..draft("G", "a", "") }, "guidance"),
    ];
    for (bad, field) in cases {
        let err = validate(&bad).unwrap_err();
        assert_eq!(field_of(&err), field, "{bad:?} → {err}");
    }
    let good = StyleDraft {
        model: Some("flux-dev".into()),
        aspect_ratio: Some("16:9".into()),
        guidance: Some(3.5),
        ..draft(" Cinema ", " wide shot of ", "")
    };
    let checked = validate(&good).unwrap();
    assert_eq!((checked.name.as_str(), checked.prefix.as_str()), ("Cinema", "wide shot of"));
    // Defaults alone make a style too.
    assert!(validate(&StyleDraft { aspect_ratio: Some("1:1".into()), ..draft("Square", "", "") }).is_ok());
}

#[tokio::test]
async fn styles_are_saved_replaced_by_name_in_any_case_and_deleted() {
    let (_dir, pool) = open().await;
    assert!(list(&pool).await.unwrap().is_empty());
    save(&pool, &draft("noir", "film noir still of", "")).await.unwrap();
    save(&pool, &draft("Anime", "", "in anime style")).await.unwrap();
    let replaced = save(&pool, &draft("Noir", "black and white photo of", "")).await.unwrap();
    assert_eq!((replaced.name.as_str(), replaced.prefix.as_str()), ("Noir", "black and white photo of"));
    let names: Vec<String> = list(&pool).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["Anime", "Noir"]);
    assert_eq!(find(&pool, "NOIR").await.unwrap().prefix, "black and white photo of");

    let err = save(&pool, &draft("", "x", "")).await.unwrap_err();
    assert_eq!(field_of(&err), "name");
    assert_eq!(list(&pool).await.unwrap().len(), 2, "a refused style writes nothing");

    delete(&pool, "anime").await.unwrap();
    assert!(matches!(delete(&pool, "anime").await, Err(Error::NotFound { .. })));
    assert!(matches!(find(&pool, "anime").await, Err(Error::NotFound { .. })));
    assert_eq!(list(&pool).await.unwrap().len(), 1);
}
