//! The FLUX models the app can run, as data (`models.json`, from docs/wire-facts.md §FLUX models): each model's
//! fields with their ranges and defaults, its output shape and its price. The Create form is built
//! from it and validation reads it, so a schema change on Replicate is a one-file update.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Catalogue {
    pub source: String,
    pub models: Vec<Model>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Model {
    /// Short id used by the app and the CLI, e.g. `flux-schnell`.
    pub id: String,
    /// `owner/name` on Replicate.
    pub replicate: String,
    pub name: String,
    pub summary: String,
    /// Price per output image, USD.
    pub price_usd: f64,
    /// Set when the price could not be confirmed from a primary source.
    pub price_note: Option<String>,
    pub output: OutputShape,
    pub fields: Vec<Field>,
}

/// Pro models return one URI string; the others an array (1–4 images).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum OutputShape {
    One,
    Many,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Field {
    /// The input's name on the wire.
    pub name: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    /// Shown under "More options" in the form.
    pub advanced: bool,
    pub visible_when: Option<VisibleWhen>,
    pub kind: FieldKind,
}

/// A field that only applies when another one has a value (e.g. width when the ratio is custom).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct VisibleWhen {
    pub field: String,
    #[serde(default)]
    pub equals: Option<String>,
    #[serde(default)]
    pub is_set: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Prompt {
        max_chars: u32,
    },
    Integer {
        min: i32,
        max: i32,
        step: i32,
        default: Option<i32>,
    },
    Number {
        min: f64,
        max: f64,
        step: f64,
        default: f64,
    },
    Choice {
        options: Vec<String>,
        default: String,
    },
    Toggle {
        default: bool,
    },
    /// A local picture, sent as a data URL or an upload; `max_bytes` bounds the file.
    Image {
        max_bytes: u32,
    },
}

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

/// The built-in catalogue. `models.json` is checked by the tests, so parsing cannot fail at run time.
pub fn catalogue() -> &'static Catalogue {
    CATALOGUE.get_or_init(|| serde_json::from_str(include_str!("models.json")).expect("models.json is valid"))
}

impl Catalogue {
    /// Finds a model by its short id or its Replicate name.
    pub fn model(&self, id: &str) -> Result<&Model> {
        self.models.iter().find(|m| m.id == id || m.replicate == id).ok_or_else(|| {
            let known: Vec<&str> = self.models.iter().map(|m| m.id.as_str()).collect();
            Error::invalid("model", format!("unknown model {id:?}; known: {}", known.join(", ")))
        })
    }
}

impl Model {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// How many images a run with these inputs asks for.
    pub fn images_requested(&self, inputs: &serde_json::Map<String, serde_json::Value>) -> u32 {
        match self.output {
            OutputShape::One => 1,
            OutputShape::Many => inputs.get("num_outputs").and_then(|v| v.as_u64()).unwrap_or(1).clamp(1, 4) as u32,
        }
    }

    /// The image fields (their values are local file paths until submitted).
    pub fn image_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| matches!(f.kind, FieldKind::Image { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_holds_the_five_models_with_their_prices_and_shapes() {
        let c = catalogue();
        let expect = [
            ("flux-schnell", 0.003, OutputShape::Many),
            ("flux-dev", 0.025, OutputShape::Many),
            ("flux-krea-dev", 0.025, OutputShape::Many),
            ("flux-1.1-pro", 0.04, OutputShape::One),
            ("flux-kontext-pro", 0.04, OutputShape::One),
        ];
        assert_eq!(c.models.len(), expect.len());
        for (id, price, shape) in expect {
            let m = c.model(id).unwrap();
            assert_eq!((m.price_usd, m.output), (price, shape), "{id}");
            assert!(m.replicate.starts_with("black-forest-labs/"), "{id}");
            assert!(m.field("prompt").is_some_and(|f| f.required), "{id} needs a required prompt");
            assert!(m.field("negative_prompt").is_none(), "FLUX has no negative prompt");
        }
        assert_eq!(c.model("black-forest-labs/flux-dev").unwrap().id, "flux-dev");
    }

    #[test]
    fn every_default_is_inside_its_range_and_conditions_name_real_fields() {
        for m in &catalogue().models {
            let mut names = std::collections::HashSet::new();
            for f in &m.fields {
                assert!(names.insert(f.name.as_str()), "{}: {} twice", m.id, f.name);
                match &f.kind {
                    FieldKind::Integer { min, max, default, .. } => {
                        assert!(min < max);
                        assert!(default.is_none_or(|d| (*min..=*max).contains(&d)), "{}.{}", m.id, f.name);
                    }
                    FieldKind::Number { min, max, default, .. } => assert!((*min..=*max).contains(default)),
                    FieldKind::Choice { options, default } => assert!(options.contains(default), "{}.{}", m.id, f.name),
                    _ => {}
                }
                if let Some(cond) = &f.visible_when {
                    assert!(m.field(&cond.field).is_some(), "{}.{} depends on a missing field", m.id, f.name);
                }
            }
        }
    }

    #[test]
    fn model_specific_facts_from_the_docs() {
        let c = catalogue();
        let ratios = |id: &str| match &c.model(id).unwrap().field("aspect_ratio").unwrap().kind {
            FieldKind::Choice { options, .. } => options.clone(),
            other => panic!("{other:?}"),
        };
        assert!(!ratios("flux-1.1-pro").contains(&"21:9".to_string()), "1.1 pro has no 21:9");
        assert_eq!(ratios("flux-kontext-pro")[0], "match_input_image");
        assert!(c.model("flux-schnell").unwrap().field("guidance").is_none(), "schnell has no guidance");
        let steps = &c.model("flux-schnell").unwrap().field("num_inference_steps").unwrap().kind;
        assert_eq!(steps, &FieldKind::Integer { min: 1, max: 4, step: 1, default: Some(4) });
        let unknown = c.model("sdxl").unwrap_err();
        assert!(unknown.to_string().starts_with("model: unknown model \"sdxl\""), "{unknown}");
    }
}
