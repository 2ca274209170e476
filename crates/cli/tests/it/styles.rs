//! `styles list|add|remove|import` and `generate --style` through the real binary against the
//! Replicate fake (#23): the style's text reaches the fake around each expanded prompt, once per
//! job; its model and defaults apply where the command line says nothing; bad styles and unknown
//! names fail with the field or the name, sending nothing.

use flux_krea_fakes::replicate::Knobs;

use crate::generation::{text, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_style_wraps_every_variation_and_sets_its_defaults() {
    let w = world(Knobs::default()).await;
    let out = w.run(&[
        "styles",
        "add",
        "Noir",
        "--before",
        "film noir still of",
        "--after",
        "high contrast",
        "--model",
        "flux-dev",
        "--aspect-ratio",
        "16:9",
        "--guidance",
        "3",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains(r#"Noir: "film noir still of" … "high contrast" (flux-dev, 16:9, guidance 3)"#),
        "{stdout}"
    );

    // No --model: the style's; no --aspect-ratio: the style's.
    let out = w.run(&["generate", "--style", "noir", "--prompt", "a detective in the {rain|fog}"]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("2 of 2 jobs succeeded"), "{stderr}");
    let mut sent: Vec<(String, String, String, f64)> = w
        .fake
        .fake
        .predictions()
        .iter()
        .map(|p| {
            (
                p["model"].as_str().unwrap().to_string(),
                p["input"]["prompt"].as_str().unwrap().to_string(),
                p["input"]["aspect_ratio"].as_str().unwrap().to_string(),
                p["input"]["guidance"].as_f64().unwrap(),
            )
        })
        .collect();
    sent.sort_by(|a, b| a.1.cmp(&b.1));
    let expected = |weather: &str| {
        (
            "black-forest-labs/flux-dev".to_string(),
            format!("film noir still of a detective in the {weather} high contrast"),
            "16:9".to_string(),
            3.0,
        )
    };
    assert_eq!(sent, [expected("fog"), expected("rain")], "each styled prompt reached the fake once");

    // The command line wins over the style's defaults.
    let out = w.run(&[
        "generate",
        "--style",
        "Noir",
        "--model",
        "flux-schnell",
        "--aspect-ratio",
        "1:1",
        "--prompt",
        "a cat",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let last = w
        .fake
        .fake
        .predictions()
        .into_iter()
        .find(|p| p["input"]["prompt"] == "film noir still of a cat high contrast");
    let last = last.expect("the styled prompt was sent");
    assert_eq!(
        (last["model"].as_str(), last["input"]["aspect_ratio"].as_str()),
        (Some("black-forest-labs/flux-schnell"), Some("1:1"))
    );
    assert!(last["input"].get("guidance").is_none(), "flux-schnell has no guidance: the style's is not forced on it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn styles_are_listed_replaced_removed_and_refused_with_the_field_named() {
    let w = world(Knobs::default()).await;
    let out = w.run(&["styles", "list"]);
    assert!(out.status.success() && text(&out).0.contains("No styles yet"), "{:?}", text(&out));
    assert!(w.run(&["styles", "add", "Anime", "--after", "in anime style"]).status.success());
    assert!(w.run(&["styles", "add", "anime", "--after", "cel shaded"]).status.success());
    let out = w.run(&["styles", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "same name in another case replaces: {listed}");
    assert_eq!((listed[0]["name"].as_str(), listed[0]["suffix"].as_str()), (Some("anime"), Some("cel shaded")));

    for (args, words) in [
        (vec!["styles", "add", "Loud", "--before", "x", "--guidance", "99"], vec!["guidance", "between 0 and 10"]),
        (vec!["styles", "add", "Odd", "--aspect-ratio", "7:3"], vec!["aspect_ratio"]),
        (vec!["styles", "add", "Nothing"], vec!["prefix", "needs text"]),
        (vec!["styles", "remove", "Ghost"], vec!["\"Ghost\"", "not found"]),
        (vec!["generate", "--style", "Ghost", "--prompt", "a cat"], vec!["\"Ghost\"", "not found"]),
        (vec!["generate", "--style", "anime", "--prompt", "a cat"], vec!["--model"]),
    ] {
        let out = w.run(&args);
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{args:?} should fail");
        for word in words {
            assert!(stderr.contains(word), "{args:?}: {stderr} should say {word}");
        }
    }
    assert_eq!(w.fake.fake.creates(), 0, "nothing was sent");
    assert!(w.run(&["styles", "remove", "ANIME"]).status.success());
    assert!(text(&w.run(&["styles", "list"])).0.contains("No styles yet"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn styles_come_back_from_a_data_export() {
    let w = world(Knobs::default()).await;
    assert!(w.run(&["styles", "add", "Noir", "--before", "film noir still of"]).status.success());
    let archive = w.sandbox.path().join("export.zip");
    let out = w.run(&["privacy", "export", "--out", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(w.run(&["styles", "remove", "Noir"]).status.success());

    let out = w.run(&["styles", "import", archive.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("imported 1 new and 0 replaced styles"), "{stdout}");
    assert!(text(&w.run(&["styles", "list"])).0.contains(r#"Noir: "film noir still of" … —"#));

    let out = w.run(&["styles", "import", w.sandbox.path().join("nowhere.zip").to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).1.contains("nowhere.zip"), "{:?}", text(&out));
}
