use super::*;

fn request(model: &str, inputs: &[(&str, InputValue)]) -> GenerationRequest {
    GenerationRequest {
        model: model.into(),
        inputs: inputs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        parent_id: None,
        exact_rerun: false,
        style: None,
    }
}

fn text(s: &str) -> InputValue {
    InputValue::Text(s.into())
}

fn fields_of(err: Error) -> Vec<FieldProblem> {
    match err {
        Error::InvalidFields { fields } => fields,
        other => panic!("expected field errors, got {other:?}"),
    }
}

/// Values that must be refused for a field, by its kind (the catalogue drives the test).
fn bad_values(field: &Field, dir: &Path) -> Vec<InputValue> {
    match &field.kind {
        FieldKind::Prompt { max_chars } => {
            vec![text(""), text("   "), text(&"x".repeat(*max_chars as usize + 1)), InputValue::Number(3.0)]
        }
        FieldKind::Integer { min, max, .. } => vec![
            InputValue::Number(f64::from(*min) - 1.0),
            InputValue::Number(f64::from(*max) + 1.0),
            InputValue::Number(f64::from(*min) + 0.5),
            text("many"),
        ],
        FieldKind::Number { min, max, .. } => {
            vec![InputValue::Number(min - 0.01), InputValue::Number(max + 0.01), InputValue::Toggle(true)]
        }
        FieldKind::Choice { .. } => vec![text("nope"), InputValue::Number(7.5)],
        FieldKind::Toggle { .. } => vec![text("yes"), InputValue::Number(1.0)],
        FieldKind::Image { .. } => {
            let not_image = dir.join("notes.png");
            std::fs::write(&not_image, b"just some text, not a picture").unwrap();
            let empty = dir.join("empty.jpg");
            std::fs::write(&empty, b"").unwrap();
            vec![
                text(&dir.join("missing.png").display().to_string()),
                text(&not_image.display().to_string()),
                text(&empty.display().to_string()),
                text(&dir.display().to_string()),
                InputValue::Toggle(true),
            ]
        }
    }
}

#[test]
fn every_catalogued_field_out_of_range_gets_its_own_field_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut tried = 0;
    for model in &catalogue().models {
        for field in &model.fields {
            for bad in bad_values(field, dir.path()) {
                let mut inputs = vec![("prompt", text("a lighthouse at dusk"))];
                if field.name == "prompt" {
                    inputs.clear();
                }
                inputs.push((field.name.as_str(), bad.clone()));
                let err = validate(&request(&model.id, &inputs)).expect_err("must be refused");
                let fields = fields_of(err);
                assert!(
                    fields.iter().any(|p| p.field == field.name && !p.reason.is_empty()),
                    "{}.{} = {bad:?} gave {fields:?}",
                    model.id,
                    field.name
                );
                tried += 1;
            }
        }
    }
    assert!(tried > 150, "only {tried} cases ran");
}

#[test]
fn all_bad_fields_are_reported_at_once() {
    let err = validate(&request(
        "flux-dev",
        &[
            ("guidance", InputValue::Number(11.0)),
            ("num_outputs", InputValue::Number(5.0)),
            ("aspect_ratio", text("7:1")),
            ("negative_prompt", text("blurry")),
        ],
    ))
    .unwrap_err();
    let mut names: Vec<String> = fields_of(err).into_iter().map(|p| p.field).collect();
    names.sort();
    assert_eq!(names, ["aspect_ratio", "guidance", "negative_prompt", "num_outputs", "prompt"]);
}

#[test]
fn a_good_request_keeps_its_values_and_gets_a_seed_and_a_price() {
    let v = validate(&request(
        "flux-schnell",
        &[
            ("prompt", text("  a red fox  ")),
            ("num_outputs", InputValue::Number(3.0)),
            ("megapixels", InputValue::Number(1.0)),
        ],
    ))
    .unwrap();
    assert_eq!(v.prompt, "a red fox");
    assert_eq!(v.images_requested, 3);
    assert!((v.estimate_usd - 0.009).abs() < 1e-12);
    assert_eq!(v.input["megapixels"], "1");
    assert_eq!(v.input["num_outputs"], 3);
    assert_eq!(v.input["seed"].as_i64(), Some(v.seed));
    assert!((0..=i64::from(i32::MAX)).contains(&v.seed));
    let fixed =
        validate(&request("flux-schnell", &[("prompt", text("x")), ("seed", InputValue::Number(42.0))])).unwrap();
    assert_eq!(fixed.seed, 42);
}

#[test]
fn conditional_fields_and_model_rules() {
    let width_without_custom =
        validate(&request("flux-1.1-pro", &[("prompt", text("x")), ("width", InputValue::Number(512.0))])).unwrap_err();
    assert_eq!(fields_of(width_without_custom)[0].reason, "only applies when aspect_ratio is custom");
    let custom = validate(&request(
        "flux-1.1-pro",
        &[("prompt", text("x")), ("aspect_ratio", text("custom")), ("width", InputValue::Number(500.0))],
    ))
    .unwrap_err();
    assert_eq!(fields_of(custom)[0].reason, "must be a multiple of 32");

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("in.png");
    std::fs::write(&png, crate::history::fixtures::png(16, 16, 1)).unwrap();
    let kontext = validate(&request(
        "flux-kontext-pro",
        &[
            ("prompt", text("make it snow")),
            ("input_image", text(png.to_str().unwrap())),
            ("safety_tolerance", InputValue::Number(5.0)),
        ],
    ))
    .unwrap_err();
    assert_eq!(fields_of(kontext)[0].field, "safety_tolerance");
    let strength_alone =
        validate(&request("flux-dev", &[("prompt", text("x")), ("prompt_strength", InputValue::Number(0.5))]))
            .unwrap_err();
    assert_eq!(fields_of(strength_alone)[0].reason, "only applies when image is set");
    let img2img = validate(&request(
        "flux-dev",
        &[("prompt", text("x")), ("image", text(png.to_str().unwrap())), ("prompt_strength", InputValue::Number(0.5))],
    ))
    .unwrap();
    assert_eq!(img2img.input["image"], png.to_str().unwrap());
}

#[test]
fn an_exact_rerun_turns_go_fast_off() {
    let mut r = request("flux-dev", &[("prompt", text("x")), ("seed", InputValue::Number(7.0))]);
    r.exact_rerun = true;
    assert_eq!(validate(&r).unwrap().input["go_fast"], false);
    r.model = "flux-1.1-pro".into();
    assert!(validate(&r).unwrap().input.get("go_fast").is_none(), "pro has no go_fast");
}

#[test]
fn cli_values_parse_to_the_right_kind() {
    assert_eq!(InputValue::parse_cli("true"), InputValue::Toggle(true));
    assert_eq!(InputValue::parse_cli("2.5"), InputValue::Number(2.5));
    assert_eq!(InputValue::parse_cli("16:9"), text("16:9"));
}
