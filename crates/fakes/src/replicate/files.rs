//! `/v1/files`: multipart uploads for inputs too big for a data URI. `urls.get` is the file object's
//! API URL (JSON, as on Replicate); the bytes are at `/v1/files/{id}/download`.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::ids::{rfc3339, token};
use super::knobs::DEFAULT_MAX_UPLOAD;
use super::{api_base, ReplicateFake};
use crate::problem::problem;

/// A file as received by `POST /v1/files`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub bytes: Vec<u8>,
    /// The `filename` field, else the `content` part's filename.
    pub filename: Option<String>,
    /// The `type` field, else the `content` part's Content-Type.
    pub content_type: Option<String>,
}

pub(super) struct StoredFile {
    pub id: String,
    pub upload: Upload,
    metadata: Value,
    sha256: String,
    created_at: DateTime<Utc>,
    api_base: String,
    pub deleted: bool,
}

impl StoredFile {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.upload.filename.as_deref().unwrap_or("file"),
            "content_type": self.upload.content_type.as_deref().unwrap_or("application/octet-stream"),
            "size": self.upload.bytes.len(),
            "etag": &self.sha256[..32],
            "checksums": { "sha256": self.sha256 },
            "metadata": self.metadata,
            "created_at": rfc3339(self.created_at),
            // API-created data is kept one hour (docs/wire-facts.md §Replicate: retention).
            "expires_at": rfc3339(self.created_at + Duration::hours(1)),
            "urls": { "get": format!("{}/v1/files/{}", self.api_base, self.id) },
        })
    }
}

#[derive(Default)]
struct Form {
    content: Option<Vec<u8>>,
    part_filename: Option<String>,
    part_type: Option<String>,
    filename: Option<String>,
    content_type: Option<String>,
    metadata: Option<String>,
    too_big: bool,
}

pub(super) async fn upload(
    State(fake): State<ReplicateFake>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    if let Err(denied) = fake.authorize(&headers) {
        return denied;
    }
    let limit = fake.knobs().max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD);
    let form = match multipart {
        Ok(m) => read_form(m, limit).await,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "Bad request", &e.body_text()),
    };
    let form = match form {
        Ok(form) => form,
        Err(e) => return problem(StatusCode::BAD_REQUEST, "Bad request", &format!("Malformed multipart body: {e}")),
    };
    if form.too_big {
        let detail = format!("Files must be smaller than {limit} bytes");
        return problem(StatusCode::PAYLOAD_TOO_LARGE, "File too large", &detail);
    }
    let Some(bytes) = form.content else {
        return problem(StatusCode::BAD_REQUEST, "Bad request", "The multipart field `content` is required");
    };
    let metadata = match form.metadata.as_deref().map(serde_json::from_str::<Value>) {
        None => json!({}),
        Some(Ok(m)) => m,
        Some(Err(_)) => return problem(StatusCode::BAD_REQUEST, "Bad request", "`metadata` must be valid JSON"),
    };
    let file = StoredFile {
        id: token(24).to_lowercase(),
        sha256: format!("{:x}", Sha256::digest(&bytes)),
        upload: Upload {
            bytes,
            filename: form.filename.or(form.part_filename),
            content_type: form.content_type.or(form.part_type),
        },
        metadata,
        created_at: Utc::now(),
        api_base: api_base(&headers),
        deleted: false,
    };
    let body = file.to_json();
    fake.state().files.push(file);
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Reads every field. Past the limit the content is drained, not kept, so the client still gets
/// the 413 instead of a broken pipe.
async fn read_form(mut multipart: Multipart, limit: u64) -> Result<Form, MultipartError> {
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await? {
        match field.name().unwrap_or("") {
            "content" => {
                form.part_filename = field.file_name().map(str::to_string);
                form.part_type = field.content_type().map(str::to_string);
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await? {
                    if bytes.len() as u64 + chunk.len() as u64 >= limit {
                        form.too_big = true;
                    } else {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                form.content = Some(bytes);
            }
            "filename" => form.filename = Some(field.text().await?),
            "type" => form.content_type = Some(field.text().await?),
            "metadata" => form.metadata = Some(field.text().await?),
            _ => drain(field).await?,
        }
    }
    Ok(form)
}

async fn drain(mut field: Field<'_>) -> Result<(), MultipartError> {
    while field.chunk().await?.is_some() {}
    Ok(())
}

pub(super) async fn list(State(fake): State<ReplicateFake>, headers: HeaderMap) -> Response {
    if let Err(denied) = fake.authorize(&headers) {
        return denied;
    }
    let results: Vec<Value> = fake.state().files.iter().rev().filter(|f| !f.deleted).map(StoredFile::to_json).collect();
    Json(json!({ "next": null, "previous": null, "results": results })).into_response()
}

pub(super) async fn get(State(fake): State<ReplicateFake>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    with_file(&fake, &headers, &id, |f| Json(f.to_json()).into_response())
}

pub(super) async fn download(
    State(fake): State<ReplicateFake>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    with_file(&fake, &headers, &id, |f| {
        let content_type = f.upload.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
        ([(header::CONTENT_TYPE, content_type)], f.upload.bytes.clone()).into_response()
    })
}

pub(super) async fn delete(State(fake): State<ReplicateFake>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    with_file(&fake, &headers, &id, |f| {
        f.deleted = true;
        StatusCode::NO_CONTENT.into_response()
    })
}

fn with_file(
    fake: &ReplicateFake,
    headers: &HeaderMap,
    id: &str,
    answer: impl FnOnce(&mut StoredFile) -> Response,
) -> Response {
    if let Err(denied) = fake.authorize(headers) {
        return denied;
    }
    match fake.state().files.iter_mut().find(|f| f.id == id && !f.deleted) {
        Some(file) => answer(file),
        None => problem(StatusCode::NOT_FOUND, "Not found", "The requested resource could not be found."),
    }
}
