//! Input validation the way Replicate does it: a JSON schema per model (gojsonschema underneath), a
//! 422 "Input validation failed" with one `invalid_fields` entry per violation.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::problem::with_body;

#[derive(Clone, Copy)]
pub(super) enum Ty {
    Text,
    Int,
    Num,
    Bool,
    /// A file input: an http(s) URL or a data URI (`format: uri`).
    Uri,
    Choice(&'static [&'static str]),
}

/// One property of a model's input schema.
pub(super) struct Prop {
    pub name: &'static str,
    pub ty: Ty,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub multiple_of: Option<i64>,
    pub required: bool,
}

impl Prop {
    const fn new(name: &'static str, ty: Ty) -> Prop {
        Prop { name, ty, min: None, max: None, multiple_of: None, required: false }
    }
    pub const fn text(name: &'static str) -> Prop {
        Prop::new(name, Ty::Text)
    }
    pub const fn int(name: &'static str) -> Prop {
        Prop::new(name, Ty::Int)
    }
    pub const fn num(name: &'static str) -> Prop {
        Prop::new(name, Ty::Num)
    }
    pub const fn bool(name: &'static str) -> Prop {
        Prop::new(name, Ty::Bool)
    }
    pub const fn uri(name: &'static str) -> Prop {
        Prop::new(name, Ty::Uri)
    }
    pub const fn choice(name: &'static str, options: &'static [&'static str]) -> Prop {
        Prop::new(name, Ty::Choice(options))
    }
    pub const fn range(self, min: f64, max: f64) -> Prop {
        Prop { min: Some(min), max: Some(max), ..self }
    }
    pub const fn multiple_of(self, n: i64) -> Prop {
        Prop { multiple_of: Some(n), ..self }
    }
    pub const fn required(self) -> Prop {
        Prop { required: true, ..self }
    }
}

/// One `invalid_fields` entry.
pub(super) struct Invalid {
    kind: &'static str,
    field: String,
    description: String,
}

impl Invalid {
    fn new(kind: &'static str, field: impl Into<String>, description: impl Into<String>) -> Invalid {
        Invalid { kind, field: field.into(), description: description.into() }
    }
}

/// The create body: `{input, webhook?, webhook_events_filter?, stream?}`, nothing else (so no `version`).
pub(super) fn check_body(body: &Value) -> Vec<Invalid> {
    let Some(obj) = body.as_object() else {
        return vec![Invalid::new(
            "invalid_type",
            "(root)",
            format!("Invalid type. Expected: object, given: {}", type_name(body)),
        )];
    };
    let mut errors = Vec::new();
    if !obj.contains_key("input") {
        errors.push(Invalid::new("required", "(root)", "input is required"));
    }
    for (key, value) in obj {
        match key.as_str() {
            "input" if !value.is_object() => errors.push(type_error("input", "object", value)),
            "webhook" if !value.as_str().is_some_and(is_uri) => {
                errors.push(Invalid::new("format", "webhook", "Does not match format 'uri'"))
            }
            "webhook_events_filter" => check_events(value, &mut errors),
            "stream" if !value.is_boolean() => errors.push(type_error("stream", "boolean", value)),
            "input" | "webhook" | "stream" => {}
            other => errors.push(additional("(root)", other)),
        }
    }
    errors
}

fn check_events(value: &Value, errors: &mut Vec<Invalid>) {
    const EVENTS: &[&str] = &["start", "output", "logs", "completed"];
    let Some(items) = value.as_array() else {
        return errors.push(type_error("webhook_events_filter", "array", value));
    };
    for (i, item) in items.iter().enumerate() {
        if !item.as_str().is_some_and(|s| EVENTS.contains(&s)) {
            let field = format!("webhook_events_filter.{i}");
            errors.push(Invalid::new("enum", field, enum_description(EVENTS)));
        }
    }
}

/// Checks `input` against a model's properties (given in groups, which are concatenated).
pub(super) fn check_input(groups: &[&[Prop]], input: &Value) -> Vec<Invalid> {
    let Some(obj) = input.as_object() else { return Vec::new() }; // check_body reported it
    let props = || groups.iter().flat_map(|g| g.iter());
    let mut errors = Vec::new();
    for prop in props().filter(|p| p.required && !obj.contains_key(p.name)) {
        errors.push(Invalid::new("required", "input", format!("{} is required", prop.name)));
    }
    for (key, value) in obj {
        match props().find(|p| p.name == key) {
            Some(prop) => check_value(prop, value, &mut errors),
            None => errors.push(additional("input", key)),
        }
    }
    errors
}

fn check_value(prop: &Prop, value: &Value, errors: &mut Vec<Invalid>) {
    let field = format!("input.{}", prop.name);
    match prop.ty {
        Ty::Text if !value.is_string() => return errors.push(type_error(&field, "string", value)),
        Ty::Bool if !value.is_boolean() => return errors.push(type_error(&field, "boolean", value)),
        Ty::Int if !is_integer(value) => return errors.push(type_error(&field, "integer", value)),
        Ty::Num if !value.is_number() => return errors.push(type_error(&field, "number", value)),
        Ty::Uri => match value.as_str() {
            None => return errors.push(type_error(&field, "string", value)),
            Some(s) if !is_uri(s) => return errors.push(Invalid::new("format", field, "Does not match format 'uri'")),
            Some(_) => {}
        },
        Ty::Choice(options) => {
            if !value.as_str().is_some_and(|s| options.contains(&s)) {
                errors.push(Invalid::new("enum", field, enum_description(options)));
            }
            return;
        }
        _ => {}
    }
    let Some(n) = value.as_f64() else { return };
    if let Some(min) = prop.min.filter(|min| n < *min) {
        errors.push(Invalid::new(
            "greater_than_equal",
            field.clone(),
            format!("Must be greater than or equal to {min}"),
        ));
    }
    if let Some(max) = prop.max.filter(|max| n > *max) {
        errors.push(Invalid::new("less_than_equal", field.clone(), format!("Must be less than or equal to {max}")));
    }
    if let Some(m) = prop.multiple_of.filter(|m| n % (*m as f64) != 0.0) {
        errors.push(Invalid::new("multiple_of", field, format!("Must be a multiple of {m}")));
    }
}

/// The 422 answer. `detail` lists each violation on its own `- ` line, prefixed by the field unless
/// the violation is about the object itself.
pub(super) fn rejected(errors: Vec<Invalid>) -> Response {
    let detail: String = errors
        .iter()
        .map(|e| match e.field.as_str() {
            "input" | "(root)" => format!("- {}\n", e.description),
            field => format!("- {field}: {}\n", e.description),
        })
        .collect();
    let fields: Vec<Value> =
        errors.iter().map(|e| json!({ "type": e.kind, "field": e.field, "description": e.description })).collect();
    with_body(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({ "title": "Input validation failed", "detail": detail, "status": 422, "invalid_fields": fields }),
    )
}

pub(super) fn is_uri(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("data:")
}

/// JSON Schema's integer: any number with no fractional part (so `2.0` passes, as in gojsonschema).
fn is_integer(value: &Value) -> bool {
    value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
}

fn additional(field: &str, property: &str) -> Invalid {
    Invalid::new("additional_property_not_allowed", field, format!("Additional property {property} is not allowed"))
}

fn type_error(field: &str, expected: &str, given: &Value) -> Invalid {
    Invalid::new("invalid_type", field, format!("Invalid type. Expected: {expected}, given: {}", type_name(given)))
}

fn enum_description(options: &[&str]) -> String {
    let allowed: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
    format!("Must be one of the following: {}", allowed.join(", "))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
