//! The Create form's picture slot: a preview of a chosen file, and pasted pictures kept as files
//! (in the private data folder) so every input is a path like a dropped or picked file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::history::{images, thumbnail};

const STAGING_DIR: &str = "staging";
const MAX_PASTE: usize = 20 * 1024 * 1024;
/// Pictures larger than this are refused (the catalogue's inputs allow 20 MiB).
const MAX_INPUT: u64 = 20 * 1024 * 1024;

/// What the form shows for a chosen picture. `data_url` is a small JPEG thumbnail.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct InputPreview {
    pub path: String,
    pub file_name: String,
    pub data_url: String,
    pub width: u32,
    pub height: u32,
    #[specta(type = crate::JsInt)]
    pub bytes: i64,
}

fn preview_of(path: &Path) -> Result<InputPreview> {
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("image").to_string();
    // The same limit Generate applies; a regular file only, never read past the limit.
    let bytes = crate::generation::input_image::read_limited("image", path, MAX_INPUT)?;
    preview_of_bytes(path, file_name, &bytes)
}

fn preview_of_bytes(path: &Path, file_name: String, bytes: &[u8]) -> Result<InputPreview> {
    use base64::Engine;
    let made = thumbnail::make_within(bytes, &file_name, thumbnail::MAX_INPUT_DECODE_BYTES).map_err(|e| match e {
        Error::InvalidInput { reason, .. } => Error::invalid("image", reason),
        other => other,
    })?;
    Ok(InputPreview {
        path: path.display().to_string(),
        file_name,
        data_url: format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(&made.jpeg)),
        width: made.source_width,
        height: made.source_height,
        bytes: bytes.len() as i64,
    })
}

/// The work of [`crate::Core::preview_input_image`].
pub(super) async fn preview_input_image(path: &str) -> Result<InputPreview> {
    let path = PathBuf::from(path);
    tokio::task::spawn_blocking(move || preview_of(&path)).await.map_err(|_| Error::internal("preview stopped"))?
}

/// The work of [`crate::Core::stage_pasted_image`]: the file goes into `data_dir`'s staging folder.
pub(super) async fn stage_pasted_image(data_dir: &Path, bytes: Vec<u8>) -> Result<InputPreview> {
    if bytes.len() > MAX_PASTE {
        return Err(Error::invalid("image", "the pasted picture is larger than 20 MB"));
    }
    let ext = match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Png) => "png",
        Ok(image::ImageFormat::Jpeg) => "jpg",
        Ok(image::ImageFormat::WebP) => "webp",
        _ => return Err(Error::invalid("image", "the clipboard does not hold a PNG, JPEG or WebP picture")),
    };
    let dir = data_dir.join(STAGING_DIR);
    tokio::task::spawn_blocking(move || {
        let path = dir.join(format!("pasted-{}.{ext}", &images::content_hash(&bytes)[..16]));
        // Checked (decoded within the limits) before anything is written: a damaged paste
        // leaves no file behind.
        let preview = preview_of_bytes(&path, "the pasted picture".into(), &bytes)?;
        crate::storage::create_private_dir(&dir)?;
        images::write_atomic(&path, &bytes)?;
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("image").to_string();
        Ok(InputPreview { file_name, ..preview })
    })
    .await
    .map_err(|_| Error::internal("staging stopped"))?
}
