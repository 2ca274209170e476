//! Creating predictions: sync and async modes, output shapes, images, input validation.

use std::time::{Duration, Instant};

use crate::common::{start, TOKEN};
use serde_json::{json, Value};

#[tokio::test]
async fn sync_create_answers_201_with_an_array_of_decodable_images_at_the_real_size() {
    let h = start().await;
    h.knobs(|k| k.image_side = None);
    let input =
        json!({ "prompt": "a lighthouse", "num_outputs": 2, "aspect_ratio": "16:9", "megapixels": "0.25", "seed": 7 });
    let res = h.create("flux-schnell", input.clone(), &[("Prefer", "wait")]).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let p: Value = res.json().await.unwrap();

    assert_eq!(p["status"], "succeeded");
    assert_eq!(p["urls"]["get"], location);
    assert_eq!(p["model"], "black-forest-labs/flux-schnell");
    assert_eq!(p["version"], "hidden");
    assert_eq!(p["source"], "api");
    assert_eq!(p["input"], input);
    assert_eq!(p["data_removed"], false);
    assert!(p["error"].is_null());
    let id = p["id"].as_str().unwrap();
    assert!(id.len() == 26 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{id}");
    for key in ["created_at", "started_at", "completed_at"] {
        chrono::DateTime::parse_from_rfc3339(p[key].as_str().unwrap()).unwrap();
    }
    assert!(p["metrics"]["predict_time"].is_f64() && p["metrics"]["total_time"].is_f64());
    assert!(p["logs"].as_str().unwrap().contains("Using seed: 7"));
    assert_eq!(h.fake.fake.creates(), 1);
    assert_eq!(h.fake.fake.last_inputs(), Some(input));

    let outputs = p["output"].as_array().unwrap();
    assert_eq!(outputs.len(), 2);
    for (i, url) in outputs.iter().enumerate() {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&format!("{}/xezq/", h.fake.delivery.url())), "{url}");
        assert!(url.ends_with(&format!("/out-{i}.webp")), "{url}");
        let (headers, bytes) = h.download(url).await.unwrap();
        assert_eq!(headers["content-type"], "image/webp");
        assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP).unwrap();
        // cog-flux's 16:9 is 1344×768; 0.25 MP halves each side.
        assert_eq!((img.width(), img.height()), (672, 384));
    }
    assert_eq!(h.fake.fake.downloads(), 2);
}

#[tokio::test]
async fn images_are_deterministic_per_seed_and_honour_format_and_image_side() {
    let h = start().await;
    h.knobs(|k| k.image_side = Some(64));
    let input = json!({ "prompt": "x", "aspect_ratio": "16:9", "output_format": "png", "seed": 42 });
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let p: Value = h.create("flux-dev", input.clone(), &[("Prefer", "wait=10")]).await.json().await.unwrap();
        let url = p["output"][0].as_str().unwrap().to_string();
        assert!(url.ends_with(".png"));
        let (headers, bytes) = h.download(&url).await.unwrap();
        assert_eq!(headers["content-type"], "image/png");
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (64, 37)); // 1344×768 scaled to a 64 px long side
        assert!(bytes.windows(12).any(|w| w == b"tEXtComment\0"), "PNG says it is fake");
        bodies.push(bytes);
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn async_create_answers_202_then_polling_walks_starting_processing_succeeded() {
    let h = start().await;
    h.knobs(|k| k.run_ms = 600);
    let res = h.create("flux-krea-dev", json!({ "prompt": "x" }), &[]).await;
    assert_eq!(res.status(), 202);
    assert!(res.headers().contains_key("location"));
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["status"], "starting");
    assert!(p["output"].is_null() && p["started_at"].is_null() && p["metrics"].is_null());

    let url = p["urls"]["get"].as_str().unwrap().to_string();
    let mut seen = vec!["starting".to_string()];
    let give_up = Instant::now() + Duration::from_secs(10);
    while seen.last().unwrap() != "succeeded" {
        assert!(Instant::now() < give_up, "stuck at {seen:?}");
        tokio::time::sleep(Duration::from_millis(40)).await;
        let status = h.get_json(&url).await["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&status) {
            seen.push(status);
        }
    }
    assert_eq!(seen, ["starting", "processing", "succeeded"]);
    let done = h.get_json(&url).await;
    assert_eq!(done["output"].as_array().unwrap().len(), 1);
    assert!(done["started_at"].is_string() && done["completed_at"].is_string());
}

#[tokio::test]
async fn prefer_wait_shorter_than_the_run_answers_202_with_the_unfinished_prediction() {
    let h = start().await;
    h.knobs(|k| k.run_ms = 4000);
    let began = Instant::now();
    let res = h.create("flux-schnell", json!({ "prompt": "x" }), &[("Prefer", "wait=1")]).await;
    let waited = began.elapsed();
    assert_eq!(res.status(), 202);
    assert!(waited >= Duration::from_millis(950) && waited < Duration::from_secs(3), "{waited:?}");
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["status"], "processing");

    for bad in ["wait=0", "wait=61", "wait=soon"] {
        let res = h.create("flux-schnell", json!({ "prompt": "x" }), &[("Prefer", bad)]).await;
        assert_eq!(res.status(), 422, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(body["title"].as_str().unwrap().contains("Prefer"), "{body}");
    }
}

#[tokio::test]
async fn pro_models_answer_one_uri_string_with_their_own_default_format() {
    let h = start().await;
    h.knobs(|k| k.image_side = None);
    let input = json!({ "prompt": "x", "aspect_ratio": "custom", "width": 256, "height": 384 });
    let p: Value = h.create("flux-1.1-pro", input, &[("Prefer", "wait")]).await.json().await.unwrap();
    let url = p["output"].as_str().expect("1.1-pro output is a string");
    let (headers, bytes) = h.download(url).await.unwrap();
    assert_eq!(headers["content-type"], "image/webp");
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (256, 384));

    h.knobs(|k| k.image_side = Some(32));
    let p: Value =
        h.create("flux-kontext-pro", json!({ "prompt": "x" }), &[("Prefer", "wait")]).await.json().await.unwrap();
    let url = p["output"].as_str().expect("kontext output is a string");
    assert!(url.ends_with(".png"), "kontext defaults to png: {url}");
    let (headers, _) = h.download(url).await.unwrap();
    assert_eq!(headers["content-type"], "image/png");

    // Custom size without width/height: the model fails it, the schema cannot.
    let p: Value = h
        .create("flux-1.1-pro", json!({ "prompt": "x", "aspect_ratio": "custom" }), &[("Prefer", "wait")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "failed");
    assert!(p["error"].as_str().unwrap().contains("width and height"));
}

#[tokio::test]
async fn invalid_inputs_answer_422_with_invalid_fields_and_create_nothing() {
    let h = start().await;
    let res = h.create("flux-schnell", json!({ "prompt": "x", "signal": 1 }), &[]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "title": "Input validation failed",
            "detail": "- Additional property signal is not allowed\n",
            "status": 422,
            "invalid_fields": [{
                "type": "additional_property_not_allowed",
                "field": "input",
                "description": "Additional property signal is not allowed"
            }]
        })
    );

    let cases = [
        (
            "flux-schnell",
            json!({ "prompt": "x", "num_outputs": 5 }),
            "less_than_equal",
            "input.num_outputs",
            "Must be less than or equal to 4",
        ),
        (
            "flux-schnell",
            json!({ "prompt": "x", "num_inference_steps": 5 }),
            "less_than_equal",
            "input.num_inference_steps",
            "Must be less than or equal to 4",
        ),
        (
            "flux-dev",
            json!({ "prompt": "x", "guidance": -1 }),
            "greater_than_equal",
            "input.guidance",
            "Must be greater than or equal to 0",
        ),
        (
            "flux-dev",
            json!({ "prompt": "x", "num_outputs": "2" }),
            "invalid_type",
            "input.num_outputs",
            "Invalid type. Expected: integer, given: string",
        ),
        (
            "flux-dev",
            json!({ "prompt": "x", "image": "/tmp/a.png" }),
            "format",
            "input.image",
            "Does not match format 'uri'",
        ),
        (
            "flux-1.1-pro",
            json!({ "prompt": "x", "width": 300 }),
            "multiple_of",
            "input.width",
            "Must be a multiple of 32",
        ),
        ("flux-1.1-pro", json!({ "prompt": "x", "aspect_ratio": "21:9" }), "enum", "input.aspect_ratio", ""),
        ("flux-kontext-pro", json!({ "prompt": "x", "output_format": "webp" }), "enum", "input.output_format", ""),
        ("flux-krea-dev", json!({ "aspect_ratio": "1:1" }), "required", "input", "prompt is required"),
    ];
    for (model, input, kind, field, description) in cases {
        let res = h.create(model, input.clone(), &[]).await;
        assert_eq!(res.status(), 422, "{model} {input}");
        let body: Value = res.json().await.unwrap();
        let entry = &body["invalid_fields"][0];
        assert_eq!((entry["type"].as_str(), entry["field"].as_str()), (Some(kind), Some(field)), "{body}");
        assert!(entry["description"].as_str().unwrap().starts_with(description), "{body}");
        assert!(body["detail"].as_str().unwrap().starts_with("- "), "{body}");
    }

    // The body itself: no `version` for official models; `input` is required.
    for body in [json!({ "version": "abc", "input": { "prompt": "x" } }), json!({ "prompt": "x" })] {
        let res = h
            .http
            .post(h.url("/models/black-forest-labs/flux-schnell/predictions"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{body}");
    }

    let res = h.create("flux-ultra-mega", json!({ "prompt": "x" }), &[]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(h.fake.fake.creates(), 0);
    assert!(h.fake.fake.predictions().is_empty());
}
