//! What a caller asks to generate, and the checks it must pass before anything is sent: every bad
//! field is reported at once, each with its name and the reason.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, FieldProblem, Result};
use crate::generation::catalogue::{catalogue, Field, FieldKind, Model};
use crate::styles::AppliedStyle;

/// One input value as the form or the CLI gives it. Numbers arrive as JSON numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(untagged)]
pub enum InputValue {
    Toggle(bool),
    Number(f64),
    Text(String),
}

impl InputValue {
    /// Reads a command-line value: `true`/`false`, a number, or text.
    pub fn parse_cli(text: &str) -> InputValue {
        match text {
            "true" => InputValue::Toggle(true),
            "false" => InputValue::Toggle(false),
            _ => text.parse::<f64>().map(InputValue::Number).unwrap_or_else(|_| InputValue::Text(text.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct GenerationRequest {
    /// A catalogue id such as `flux-dev`.
    pub model: String,
    /// Field name → value; image fields hold a local file path.
    pub inputs: BTreeMap<String, InputValue>,
    /// The gallery item this re-runs or remixes.
    pub parent_id: Option<i32>,
    /// Reproduce the parent exactly: sends `go_fast: false`, since the fp8 path is not deterministic.
    #[serde(default)]
    pub exact_rerun: bool,
    /// A style's text around the prompt (#23): the prompt sent is [`AppliedStyle::compose`]'s,
    /// and the generation records the style.
    #[serde(default)]
    pub style: Option<AppliedStyle>,
}

/// A request that passed every check: the model, the wire input (defaults are left to the model,
/// except the seed, which is always chosen here so the run can be repeated) and its price.
#[derive(Debug, Clone)]
pub struct Validated {
    pub model: &'static Model,
    pub input: Map<String, Value>,
    pub prompt: String,
    pub seed: i64,
    pub images_requested: u32,
    pub estimate_usd: f64,
    pub style: Option<AppliedStyle>,
}

/// Checks a request against the catalogue. Sends nothing and writes nothing.
pub fn validate(request: &GenerationRequest) -> Result<Validated> {
    validate_with(request, &mut ImageChecks::default())
}

/// What the checks of picture inputs found, by path and limit, so the requests of one plan (the
/// same picture for every prompt and model) read and decode each picture once, not once per job.
#[derive(Debug, Default)]
pub struct ImageChecks(HashMap<(String, u64), std::result::Result<(), String>>);

/// [`validate`], reusing the picture checks already made for earlier requests of the same batch.
pub fn validate_with(request: &GenerationRequest, images: &mut ImageChecks) -> Result<Validated> {
    let model = catalogue().model(&request.model)?;
    let mut problems = Vec::new();
    let mut input = Map::new();
    for (name, value) in &request.inputs {
        let composed;
        let value = match (&request.style, name.as_str(), value) {
            (Some(style), "prompt", InputValue::Text(text)) => {
                composed = InputValue::Text(style.compose(text));
                &composed
            }
            _ => value,
        };
        let Some(field) = model.field(name) else {
            problems.push(problem(name, format!("is not an input of {}", model.id)));
            continue;
        };
        match check(field, value, images) {
            Ok(v) => {
                input.insert(name.clone(), v);
            }
            Err(reason) => problems.push(problem(name, reason)),
        }
    }
    for field in &model.fields {
        let given = input.contains_key(&field.name);
        if field.required && !given && !problems.iter().any(|p| p.field == field.name) {
            problems.push(problem(&field.name, "is required".into()));
        }
        if let (true, Some(cond)) = (given, &field.visible_when) {
            let other = input.get(&cond.field);
            let applies = match (&cond.equals, cond.is_set) {
                (Some(expected), _) => other.and_then(Value::as_str) == Some(expected.as_str()),
                (None, Some(true)) => other.is_some(),
                _ => true,
            };
            if !applies {
                let when = cond
                    .equals
                    .as_ref()
                    .map_or_else(|| format!("{} is set", cond.field), |e| format!("{} is {e}", cond.field));
                problems.push(problem(&field.name, format!("only applies when {when}")));
            }
        }
    }
    model_rules(model, &input, &mut problems);
    if !problems.is_empty() {
        return Err(Error::InvalidFields { fields: problems });
    }
    if request.exact_rerun && model.field("go_fast").is_some() {
        input.insert("go_fast".into(), Value::Bool(false));
    }
    let seed = match input.get("seed").and_then(Value::as_i64) {
        Some(s) => s,
        None => {
            let s = random_seed();
            input.insert("seed".into(), Value::from(s));
            s
        }
    };
    let prompt = input.get("prompt").and_then(Value::as_str).unwrap_or_default().to_string();
    let images_requested = model.images_requested(&input);
    Ok(Validated {
        model,
        estimate_usd: model.price_usd * f64::from(images_requested),
        input,
        prompt,
        seed,
        images_requested,
        style: request.style.clone(),
    })
}

fn problem(field: &str, reason: String) -> FieldProblem {
    FieldProblem { field: field.to_string(), reason }
}

/// Checks one value that is not a picture against its field (a style's defaults).
pub(crate) fn check_field(field: &Field, value: &InputValue) -> std::result::Result<Value, String> {
    check(field, value, &mut ImageChecks::default())
}

/// Checks one value against its field and returns it as it goes on the wire.
fn check(field: &Field, value: &InputValue, images: &mut ImageChecks) -> std::result::Result<Value, String> {
    match (&field.kind, value) {
        (FieldKind::Prompt { max_chars }, InputValue::Text(text)) => {
            // Invisible characters (zero-width spaces, BOM, soft hyphens) count as blank too: a
            // prompt that looks empty must not be sent and paid for.
            let text = text.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
            let chars = text.chars().count();
            if chars == 0 {
                Err("must not be empty".into())
            } else if chars > *max_chars as usize {
                Err(format!("is {chars} characters; at most {max_chars}"))
            } else {
                Ok(Value::from(text))
            }
        }
        (FieldKind::Integer { min, max, step, .. }, InputValue::Number(n)) => {
            if n.fract() != 0.0 || !n.is_finite() {
                Err("must be a whole number".into())
            } else if *n < f64::from(*min) || *n > f64::from(*max) {
                Err(format!("must be between {min} and {max}"))
            } else if *step > 1 && (*n as i64) % i64::from(*step) != 0 {
                Err(format!("must be a multiple of {step}"))
            } else {
                Ok(Value::from(*n as i64))
            }
        }
        (FieldKind::Number { min, max, .. }, InputValue::Number(n)) => {
            if !n.is_finite() || *n < *min || *n > *max {
                Err(format!("must be between {min} and {max}"))
            } else {
                Ok(Value::from(*n))
            }
        }
        (FieldKind::Choice { options, .. }, value) => {
            let text = match value {
                InputValue::Text(t) => t.clone(),
                // `--megapixels 1` arrives as a number; the wire value is the text "1".
                InputValue::Number(n) => n.to_string(),
                InputValue::Toggle(b) => b.to_string(),
            };
            if options.contains(&text) {
                Ok(Value::from(text))
            } else {
                Err(format!("must be one of {}", options.join(", ")))
            }
        }
        (FieldKind::Toggle { .. }, InputValue::Toggle(b)) => Ok(Value::Bool(*b)),
        (FieldKind::Image { max_bytes }, InputValue::Text(path)) => images
            .0
            .entry((path.clone(), u64::from(*max_bytes)))
            .or_insert_with(|| check_image(Path::new(path), u64::from(*max_bytes)))
            .clone()
            .map(|()| Value::from(path.clone())),
        (FieldKind::Prompt { .. } | FieldKind::Image { .. }, _) => Err("must be text".into()),
        (FieldKind::Integer { .. } | FieldKind::Number { .. }, _) => Err("must be a number".into()),
        (FieldKind::Toggle { .. }, _) => Err("must be true or false".into()),
    }
}

/// The picture must exist, be small enough and really be an image (by its bytes, not its name).
fn check_image(path: &Path, max_bytes: u64) -> std::result::Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {}", path.display(), io_reason(&e)))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    if meta.len() == 0 {
        return Err(format!("{} is empty", path.display()));
    }
    if meta.len() > max_bytes {
        return Err(format!("{} is {}; {}", path.display(), size_words(meta.len()), limit_words(max_bytes)));
    }
    // Never past the limit, even if the file grew since the check above.
    let bytes = match super::input_image::read_limited("image", path, max_bytes) {
        Ok(bytes) => bytes,
        Err(Error::InvalidInput { reason, .. }) => return Err(reason),
        Err(other) => return Err(other.to_string()),
    };
    match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Png | image::ImageFormat::Jpeg | image::ImageFormat::WebP) => {}
        Ok(other) => return Err(format!("{} is {other:?}; use PNG, JPEG or WebP", path.display())),
        Err(_) => return Err(format!("{} is not an image", path.display())),
    }
    // Decoded once here, within the limits, so a truncated file or a decompression bomb is refused
    // before a job is written, not when it runs (or, worse, on the provider's side).
    let name = path.display().to_string();
    match crate::history::thumbnail::decode_within(&bytes, &name, crate::history::thumbnail::MAX_INPUT_DECODE_BYTES) {
        Ok(_) => Ok(()),
        Err(Error::InvalidInput { reason, .. }) => Err(reason),
        Err(other) => Err(other.to_string()),
    }
}

/// A file size for people: megabytes with one decimal ("21.0 MB").
pub fn size_words(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// The limit in the unit it is set in, so a file one byte over never reads as "20 MB; at most 20 MB".
pub fn limit_words(max_bytes: u64) -> String {
    if max_bytes.is_multiple_of(1024 * 1024) {
        format!("the limit is {} MiB", max_bytes / (1024 * 1024))
    } else {
        format!("the limit is {max_bytes} bytes")
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}

/// Rules that span fields, from the model docs.
fn model_rules(model: &Model, input: &Map<String, Value>, problems: &mut Vec<FieldProblem>) {
    if model.id == "flux-kontext-pro" && input.contains_key("input_image") {
        if let Some(t) = input.get("safety_tolerance").and_then(Value::as_i64).filter(|t| *t > 2) {
            problems.push(problem("safety_tolerance", format!("is {t}; at most 2 with an input image")));
        }
    }
}

/// A seed the user can see and reuse; within i32 so JavaScript holds it exactly.
fn random_seed() -> i64 {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let digest = Sha256::digest(format!("{nanos}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    i64::from(u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) & 0x7fff_ffff)
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
