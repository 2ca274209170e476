//! The FLUX models the fake knows (docs/wire-facts.md §FLUX models): input schemas, output shapes, image sizes.

use serde_json::Value;

use super::images::Format;
use super::schema::Prop;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    /// flux-schnell, flux-dev, flux-krea-dev: `num_outputs`, `megapixels`, array output.
    Open,
    /// flux-1.1-pro: one image, custom width/height.
    Pro,
    /// flux-kontext-pro: one image, edits an optional `input_image`.
    Kontext,
}

pub(super) struct Model {
    pub name: &'static str,
    pub family: Family,
    pub props: &'static [&'static [Prop]],
}

const OPEN_RATIOS: &[&str] = &["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"];
const PRO_RATIOS: &[&str] = &["custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3"];
const KONTEXT_RATIOS: &[&str] = &[
    "match_input_image",
    "1:1",
    "16:9",
    "9:16",
    "4:3",
    "3:4",
    "3:2",
    "2:3",
    "4:5",
    "5:4",
    "21:9",
    "9:21",
    "2:1",
    "1:2",
];
const FORMATS: &[&str] = &["webp", "jpg", "png"];

const OPEN: &[Prop] = &[
    Prop::text("prompt").required(),
    Prop::choice("aspect_ratio", OPEN_RATIOS),
    Prop::choice("megapixels", &["1", "0.25"]),
    Prop::int("num_outputs").range(1.0, 4.0),
    Prop::int("seed"),
    Prop::choice("output_format", FORMATS),
    Prop::int("output_quality").range(0.0, 100.0),
    Prop::bool("disable_safety_checker"),
    Prop::bool("go_fast"),
];
const SCHNELL: &[Prop] = &[Prop::int("num_inference_steps").range(1.0, 4.0)];
const DEV: &[Prop] = &[
    Prop::int("num_inference_steps").range(1.0, 50.0),
    Prop::uri("image"),
    Prop::num("prompt_strength").range(0.0, 1.0),
    Prop::num("guidance").range(0.0, 10.0),
];
const PRO: &[Prop] = &[
    Prop::text("prompt").required(),
    Prop::choice("aspect_ratio", PRO_RATIOS),
    Prop::int("width").range(256.0, 1440.0).multiple_of(32),
    Prop::int("height").range(256.0, 1440.0).multiple_of(32),
    Prop::uri("image_prompt"),
    Prop::int("safety_tolerance").range(1.0, 6.0),
    Prop::bool("prompt_upsampling"),
    Prop::int("seed"),
    Prop::choice("output_format", FORMATS),
    Prop::int("output_quality").range(0.0, 100.0),
];
const KONTEXT: &[Prop] = &[
    Prop::text("prompt").required(),
    Prop::uri("input_image"),
    Prop::choice("aspect_ratio", KONTEXT_RATIOS),
    Prop::choice("output_format", &["jpg", "png"]),
    Prop::int("safety_tolerance").range(0.0, 6.0),
    Prop::bool("prompt_upsampling"),
    Prop::int("seed"),
];

const MODELS: &[Model] = &[
    Model { name: "black-forest-labs/flux-schnell", family: Family::Open, props: &[OPEN, SCHNELL] },
    Model { name: "black-forest-labs/flux-dev", family: Family::Open, props: &[OPEN, DEV] },
    Model { name: "black-forest-labs/flux-krea-dev", family: Family::Open, props: &[OPEN, DEV] },
    Model { name: "black-forest-labs/flux-1.1-pro", family: Family::Pro, props: &[PRO] },
    Model { name: "black-forest-labs/flux-kontext-pro", family: Family::Kontext, props: &[KONTEXT] },
];

pub(super) fn find(owner: &str, name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.name.split_once('/') == Some((owner, name)))
}

/// cog-flux's table of sizes at 1 megapixel.
const SIZES: &[(&str, u32, u32)] = &[
    ("1:1", 1024, 1024),
    ("16:9", 1344, 768),
    ("21:9", 1536, 640),
    ("3:2", 1216, 832),
    ("2:3", 832, 1216),
    ("4:5", 896, 1088),
    ("5:4", 1088, 896),
    ("3:4", 896, 1152),
    ("4:3", 1152, 896),
    ("9:16", 768, 1344),
    ("9:21", 640, 1536),
];

impl Model {
    pub fn default_format(&self) -> Format {
        if self.family == Family::Kontext {
            Format::Png
        } else {
            Format::Webp
        }
    }

    /// The input whose picture sets the output's aspect (img2img, Kontext edits).
    pub fn image_input(&self) -> Option<&'static str> {
        match self.family {
            Family::Open => Some("image"),
            Family::Kontext => Some("input_image"),
            Family::Pro => None,
        }
    }

    pub fn many_outputs(&self) -> bool {
        self.family == Family::Open
    }

    pub fn num_outputs(&self, input: &Value) -> u32 {
        match self.family {
            Family::Open => input["num_outputs"].as_u64().unwrap_or(1) as u32,
            _ => 1,
        }
    }

    /// Output size in pixels; `Err` for combinations the schema cannot express, which the real model
    /// reports by failing the prediction.
    pub fn size(&self, input: &Value, input_dims: Option<(u32, u32)>) -> Result<(u32, u32), String> {
        let ratio = input["aspect_ratio"].as_str();
        match self.family {
            Family::Open => {
                let (w, h) = match input_dims {
                    Some((w, h)) => about_one_megapixel(w as f64 / h as f64),
                    None => from_ratio(ratio.unwrap_or("1:1")),
                };
                Ok(if input["megapixels"].as_str() == Some("0.25") { (round16(w / 2), round16(h / 2)) } else { (w, h) })
            }
            Family::Pro if ratio == Some("custom") => match (input["width"].as_u64(), input["height"].as_u64()) {
                (Some(w), Some(h)) => Ok((w as u32, h as u32)),
                _ => Err("width and height are required when aspect_ratio is custom".into()),
            },
            Family::Pro => Ok(from_ratio(ratio.unwrap_or("1:1"))),
            Family::Kontext => {
                if input["input_image"].is_string() && input["safety_tolerance"].as_u64().is_some_and(|t| t > 2) {
                    return Err("safety_tolerance must be 2 or lower when an input_image is given".into());
                }
                Ok(match (ratio.unwrap_or("match_input_image"), input_dims) {
                    ("match_input_image", Some((w, h))) => about_one_megapixel(w as f64 / h as f64),
                    ("match_input_image", None) => from_ratio("1:1"),
                    (r, _) => from_ratio(r),
                })
            }
        }
    }
}

fn from_ratio(ratio: &str) -> (u32, u32) {
    if let Some(&(_, w, h)) = SIZES.iter().find(|(r, _, _)| *r == ratio) {
        return (w, h);
    }
    let (a, b) = ratio.split_once(':').unwrap_or(("1", "1"));
    about_one_megapixel(a.parse::<f64>().unwrap_or(1.0) / b.parse::<f64>().unwrap_or(1.0))
}

fn about_one_megapixel(aspect: f64) -> (u32, u32) {
    const AREA: f64 = 1024.0 * 1024.0;
    let w = round16((AREA * aspect).sqrt() as u32);
    (w, round16((AREA / w as f64) as u32))
}

fn round16(n: u32) -> u32 {
    (((n + 8) / 16) * 16).max(16)
}

/// The `image_side` knob: keep the aspect, make the longest side `side`.
pub(super) fn shrink((w, h): (u32, u32), side: u32) -> (u32, u32) {
    let side = side.max(1);
    if w >= h {
        (side, ((h as f64 * side as f64 / w as f64).round() as u32).max(1))
    } else {
        (((w as f64 * side as f64 / h as f64).round() as u32).max(1), side)
    }
}
