//! A static update server as tauri-plugin-updater sees one (docs/wire-facts.md §Tauri updater): `latest.json`
//! per channel under `/{stable,beta}/latest.json`, artifacts under `/download/{file}`, and
//! `/_fake/*` controls. The artifact and its signatures are the committed fixtures in
//! `tests/fixtures/updates` (signed by a throwaway test key; see its README).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::RunningFake;

pub const ARTIFACT_NAME: &str = "flux-krea_9.9.9_amd64.AppImage";
pub const ARTIFACT: &[u8] = include_bytes!("../../../tests/fixtures/updates/flux-krea_9.9.9_amd64.AppImage");
const SIG_TEST_KEY: &str = include_str!("../../../tests/fixtures/updates/flux-krea_9.9.9_amd64.AppImage.test.sig");
const SIG_BETA: &str = include_str!("../../../tests/fixtures/updates/flux-krea_9.9.9_amd64.AppImage.beta.sig");
const SIG_OTHER_KEY: &str = include_str!("../../../tests/fixtures/updates/flux-krea_9.9.9_amd64.AppImage.other.sig");
/// The public key a test build trusts (base64 of the minisign public key file, as Tauri wants it).
pub const TEST_PUBKEY: &str = include_str!("../../../tests/fixtures/updates/test.key.pub");

pub const STABLE_VERSION: &str = "9.9.9";
pub const BETA_VERSION: &str = "10.0.0-beta.1";
pub const NOTES: &str = "Faster gallery scrolling.\nA new Settings screen.";

/// What a channel's `latest.json` answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// 204 No Content: nothing newer.
    #[default]
    NoUpdate,
    /// A complete manifest offering the fixture artifact.
    Release,
    /// 200 with a body that is not JSON.
    Malformed,
    /// 200 with JSON that is not a manifest (no `version`).
    WrongShape,
    /// 500.
    ServerError,
}

/// What the download of the artifact delivers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Artifact {
    /// The signed bytes with the test key's signature.
    #[default]
    Good,
    /// One byte flipped after signing.
    Tampered,
    /// The right bytes, signed by a key the app does not trust.
    OtherKey,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateKnobs {
    pub stable: Feed,
    pub beta: Feed,
    pub artifact: Artifact,
    /// Delay between download chunks, so a test can watch the progress.
    pub chunk_delay_ms: u64,
}

#[derive(Clone, Default)]
pub struct UpdateServer {
    state: Arc<Mutex<Store>>,
}

#[derive(Default)]
struct Store {
    knobs: UpdateKnobs,
    base_url: String,
    /// "METHOD /path" of every request.
    requests: Vec<String>,
}

impl UpdateServer {
    pub fn new(knobs: UpdateKnobs) -> Self {
        let server = UpdateServer::default();
        server.set_knobs(knobs);
        server
    }

    pub fn set_knobs(&self, knobs: UpdateKnobs) {
        self.state.lock().unwrap().knobs = knobs;
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Serves on `127.0.0.1:port` (a test build has its feed address baked in).
    pub async fn start_on(&self, port: u16) -> std::io::Result<RunningFake> {
        let running = RunningFake::serve_on(port, self.router()).await?;
        self.state.lock().unwrap().base_url = running.url();
        Ok(running)
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/{channel}/latest.json", get(manifest))
            .route("/download/{file}", get(download))
            .route("/_fake/knobs", post(set_knobs))
            .route("/_fake/requests", get(requests))
            .with_state(self.clone())
    }

    fn log(&self, line: String) -> (UpdateKnobs, String) {
        let mut store = self.state.lock().unwrap();
        store.requests.push(line);
        (store.knobs.clone(), store.base_url.clone())
    }
}

async fn manifest(State(server): State<UpdateServer>, Path(channel): Path<String>) -> Response {
    let (knobs, base) = server.log(format!("GET /{channel}/latest.json"));
    let (feed, version, signature) = match channel.as_str() {
        "stable" => (knobs.stable, STABLE_VERSION, SIG_TEST_KEY),
        "beta" => (knobs.beta, BETA_VERSION, SIG_BETA),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let signature = if knobs.artifact == Artifact::OtherKey { SIG_OTHER_KEY } else { signature };
    match feed {
        Feed::NoUpdate => StatusCode::NO_CONTENT.into_response(),
        Feed::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "upstream storage unavailable").into_response(),
        Feed::Malformed => {
            ([(header::CONTENT_TYPE, "application/json")], "{\"version\": \"9.9.9\", \"platf").into_response()
        }
        Feed::WrongShape => Json(json!({ "name": "not a manifest", "platforms": [] })).into_response(),
        Feed::Release => {
            let entry = |file: &str| json!({ "signature": signature.trim(), "url": format!("{base}/download/{file}") });
            Json(json!({
                "version": version,
                "notes": NOTES,
                "pub_date": "2026-11-20T09:30:00Z",
                "platforms": {
                    "linux-x86_64": entry(ARTIFACT_NAME),
                    "linux-x86_64-appimage": entry(ARTIFACT_NAME),
                    "windows-x86_64": entry("Flux.Krea_9.9.9_x64-setup.exe"),
                    "darwin-aarch64": entry("Flux.Krea_aarch64.app.tar.gz"),
                }
            }))
            .into_response()
        }
    }
}

async fn download(State(server): State<UpdateServer>, Path(file): Path<String>) -> Response {
    let (knobs, _) = server.log(format!("GET /download/{file}"));
    if file != ARTIFACT_NAME {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut bytes = ARTIFACT.to_vec();
    if knobs.artifact == Artifact::Tampered {
        bytes[1000] ^= 0x5a;
    }
    let delay = Duration::from_millis(knobs.chunk_delay_ms);
    let chunks: Vec<Vec<u8>> = bytes.chunks(16 * 1024).map(<[u8]>::to_vec).collect();
    let stream = futures_util::stream::unfold(chunks.into_iter(), move |mut rest| async move {
        let chunk = rest.next()?;
        tokio::time::sleep(delay).await;
        Some((Ok::<_, std::io::Error>(chunk), rest))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, bytes.len())
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn set_knobs(State(server): State<UpdateServer>, Json(knobs): Json<UpdateKnobs>) -> StatusCode {
    server.set_knobs(knobs);
    StatusCode::NO_CONTENT
}

async fn requests(State(server): State<UpdateServer>) -> Json<Vec<String>> {
    Json(server.requests())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: String) -> reqwest::Response {
        reqwest::get(url).await.unwrap()
    }

    #[tokio::test]
    async fn feeds_answer_as_configured_and_downloads_stream_the_fixture() {
        let server = UpdateServer::new(UpdateKnobs { stable: Feed::Release, ..Default::default() });
        let running = server.start_on(0).await.unwrap();
        let base = running.url();
        let manifest: serde_json::Value = get(format!("{base}/stable/latest.json")).await.json().await.unwrap();
        assert_eq!(manifest["version"], STABLE_VERSION);
        let url = manifest["platforms"]["linux-x86_64"]["url"].as_str().unwrap().to_string();
        assert_eq!(manifest["platforms"]["linux-x86_64"]["signature"], SIG_TEST_KEY.trim());
        assert_eq!(get(format!("{base}/beta/latest.json")).await.status(), 204);
        assert_eq!(get(url.clone()).await.bytes().await.unwrap().as_ref(), ARTIFACT);

        server.set_knobs(UpdateKnobs { stable: Feed::ServerError, artifact: Artifact::Tampered, ..Default::default() });
        assert_eq!(get(format!("{base}/stable/latest.json")).await.status(), 500);
        let tampered = get(url).await.bytes().await.unwrap();
        assert_eq!(tampered.len(), ARTIFACT.len());
        assert_ne!(tampered.as_ref(), ARTIFACT);
        server.set_knobs(UpdateKnobs { stable: Feed::Malformed, ..Default::default() });
        let body = get(format!("{base}/stable/latest.json")).await.text().await.unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
        assert_eq!(server.requests().len(), 6);
    }
}
