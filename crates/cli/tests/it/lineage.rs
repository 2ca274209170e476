//! `history show` (#19): an image-to-image run names the picture it kept (never the user's path),
//! and a generation lists what was made from it.

use flux_krea_fakes::replicate::Knobs;
use serde_json::Value;

use crate::generation::{text, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_show_names_the_kept_picture_and_the_children() {
    let w = world(Knobs::default()).await;
    // A picture of the user's: one the fake made, copied out of the cache.
    let out = w.run(&["generate", "--model", "flux-schnell", "--prompt", "a sketch"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let made = text(&out).0;
    let own = w.sandbox.path().join("my-sketch.png");
    std::fs::copy(made.lines().next().unwrap(), &own).unwrap();
    let out = w.run(&[
        "generate",
        "--model",
        "flux-dev",
        "--prompt",
        "ink drawing",
        "--image",
        own.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = made["job"]["id"].as_i64().unwrap();
    std::fs::remove_file(&own).unwrap();

    let out = w.run(&["history", "show", &id.to_string()]);
    assert!(out.status.success(), "{}", text(&out).1);
    let shown = text(&out).0;
    assert!(!shown.contains(w.sandbox.path().to_str().unwrap()), "no path of the user's: {shown}");
    let shown: Value = serde_json::from_str(&shown).unwrap();
    let kept = &shown["input_pictures"][0];
    assert_eq!((kept["field"].as_str(), kept["name"].as_str()), (Some("image"), Some("my-sketch.png")));
    let file = w.sandbox.data_dir().join(kept["file"].as_str().unwrap());
    assert!(file.is_file(), "the kept copy outlives the user's file");
    assert_eq!(shown["children"], serde_json::json!([]));
    assert_eq!(shown["generation"]["parent_id"], Value::Null);
}
