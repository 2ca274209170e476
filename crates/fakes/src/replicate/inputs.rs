//! File inputs (`image`, `input_image`, `image_prompt`): what the model would download before it
//! runs. The fake reads data URIs and its own URLs (uploads under `/v1/files/`, outputs under
//! `/xezq/`); it never fetches a foreign URL, and a prediction given one fails as an unreachable
//! download would.

use std::io::Cursor;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::models::Model;
use super::schema::Ty;
use super::Store;

pub(super) struct Resolved {
    /// Size of the picture that sets the output's aspect, when the model has one and it was given.
    pub dims: Option<(u32, u32)>,
    /// Why the prediction will fail, if an input cannot be read.
    pub failure: Option<String>,
}

pub(super) fn resolve(state: &Store, model: &Model, input: &Value) -> Resolved {
    let mut resolved = Resolved { dims: None, failure: None };
    let file_props = model.props.iter().flat_map(|g| g.iter()).filter(|p| matches!(p.ty, Ty::Uri));
    for prop in file_props {
        let Some(url) = input[prop.name].as_str() else { continue };
        match fetch(state, url) {
            Err(e) => {
                resolved.failure.get_or_insert(format!("Failed to download {}: {e}", prop.name));
            }
            Ok(bytes) if model.image_input() == Some(prop.name) => match dimensions(&bytes) {
                Some(dims) => resolved.dims = Some(dims),
                None => {
                    resolved.failure.get_or_insert(format!("cannot identify image file given as {}", prop.name));
                }
            },
            Ok(_) => {}
        }
    }
    resolved
}

fn fetch(state: &Store, url: &str) -> Result<Vec<u8>, String> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',').ok_or("malformed data URI")?;
        return if meta.ends_with(";base64") {
            STANDARD.decode(data.trim()).map_err(|e| format!("malformed data URI: {e}"))
        } else {
            Ok(data.as_bytes().to_vec())
        };
    }
    // "http://host/path?query" → "/path"
    let path = url.splitn(4, '/').nth(3).unwrap_or("");
    let path = format!("/{}", path.split(['?', '#']).next().unwrap_or(""));
    if let Some(rest) = path.strip_prefix("/v1/files/") {
        let id = rest.split('/').next().unwrap_or("");
        return match state.files.iter().find(|f| f.id == id && !f.deleted) {
            Some(f) => Ok(f.upload.bytes.clone()),
            None => Err(format!("404 Not Found for {url}")),
        };
    }
    if path.starts_with("/xezq/") {
        return state.outputs.get(&path).map(|f| f.bytes.to_vec()).ok_or_else(|| format!("404 Not Found for {url}"));
    }
    Err(format!("the fake does not fetch foreign URLs ({url})"))
}

fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?.into_dimensions().ok()
}
