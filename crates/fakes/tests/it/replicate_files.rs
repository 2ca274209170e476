//! `/v1/files` uploads, and file inputs (uploaded files, data URIs, foreign URLs).

use std::io::Cursor;

use crate::common::{start, TOKEN};
use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::new(width, height).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

#[tokio::test]
async fn upload_round_trip_records_the_file_and_serves_it_back() {
    let h = start().await;
    let bytes = png(30, 10);
    let form = Form::new()
        .part("content", Part::bytes(bytes.clone()).file_name("photo.png").mime_str("image/png").unwrap())
        .text("metadata", r#"{"purpose":"test"}"#);
    let res = h.http.post(h.url("/files")).bearer_auth(TOKEN).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let file: Value = res.json().await.unwrap();
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["name"], "photo.png");
    assert_eq!(file["metadata"], json!({ "purpose": "test" }));
    assert_eq!(file["checksums"]["sha256"], format!("{:x}", Sha256::digest(&bytes)));
    for key in ["created_at", "expires_at"] {
        chrono::DateTime::parse_from_rfc3339(file[key].as_str().unwrap()).unwrap();
    }

    let get = file["urls"]["get"].as_str().unwrap();
    assert_eq!(h.get_json(get).await["id"], file["id"]);
    let res = h.http.get(format!("{get}/download")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap(), bytes);
    let listed = h.get_json(&h.url("/files")).await;
    assert_eq!(listed["results"][0]["id"], file["id"]);

    let uploads = h.fake.fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, bytes);
    assert_eq!(uploads[0].filename.as_deref(), Some("photo.png"));
    assert_eq!(uploads[0].content_type.as_deref(), Some("image/png"));

    // An uploaded file works as an input: Kontext matches its 3:1 aspect.
    h.knobs(|k| k.image_side = Some(60));
    let input = json!({ "prompt": "make it blue", "input_image": get });
    let p: Value = h.create("flux-kontext-pro", input, &[("Prefer", "wait")]).await.json().await.unwrap();
    assert_eq!(p["status"], "succeeded", "{p}");
    let (_, out) = h.download(p["output"].as_str().unwrap()).await.unwrap();
    let img = image::load_from_memory(&out).unwrap();
    assert_eq!((img.width(), img.height()), (60, 20));

    assert_eq!(h.http.delete(get).bearer_auth(TOKEN).send().await.unwrap().status(), 204);
    assert_eq!(h.http.get(get).bearer_auth(TOKEN).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn uploads_at_or_over_the_limit_answer_413() {
    let h = start().await;
    h.knobs(|k| k.max_upload_bytes = Some(1000));
    for (size, status) in [(1000, 413), (999, 201)] {
        let form = Form::new().part("content", Part::bytes(vec![7u8; size]).file_name("blob.bin"));
        let res = h.http.post(h.url("/files")).bearer_auth(TOKEN).multipart(form).send().await.unwrap();
        assert_eq!(res.status(), status, "{size} bytes");
    }
    assert_eq!(h.fake.fake.uploads().len(), 1);

    let form = Form::new().text("filename", "nothing.txt");
    let res = h.http.post(h.url("/files")).bearer_auth(TOKEN).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), 400, "content is required");
}

#[tokio::test]
async fn data_uri_inputs_are_read_and_foreign_urls_fail_the_prediction() {
    let h = start().await;
    h.knobs(|k| k.image_side = Some(40));
    let data = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png(10, 20)));
    let input = json!({ "prompt": "x", "image": data, "prompt_strength": 0.5 });
    let p: Value = h.create("flux-dev", input, &[("Prefer", "wait")]).await.json().await.unwrap();
    assert_eq!(p["status"], "succeeded", "{p}");
    let (_, out) = h.download(p["output"][0].as_str().unwrap()).await.unwrap();
    let img = image::load_from_memory(&out).unwrap();
    assert_eq!((img.width(), img.height()), (20, 40), "img2img follows the input's aspect");

    for url in ["https://example.com/cat.png", "data:image/png;base64,bm90IGFuIGltYWdl"] {
        let input = json!({ "prompt": "x", "input_image": url });
        let p: Value = h.create("flux-kontext-pro", input, &[("Prefer", "wait")]).await.json().await.unwrap();
        assert_eq!(p["status"], "failed", "{url}");
        assert!(p["error"].as_str().unwrap().contains("input_image"), "{p}");
    }
}
