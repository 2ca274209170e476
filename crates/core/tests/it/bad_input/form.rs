//! 1. Form fields → `Core::generate`.

use super::*;

pub(super) const FORM_ENTRY: &str = "`Core::generate` (request validation)";
pub(super) const FORM_CHECKS: &str =
    "no generation row, no spend-ledger row, no file in the data folder, nothing sent to \
    Replicate (creates, uploads); the earlier generation and its files intact";

pub(super) struct FormCase {
    pub(super) meta: Meta,
    pub(super) model: &'static str,
    /// `{png}` in a text value stands for a valid picture.
    pub(super) inputs: Vec<(&'static str, InputValue)>,
}

pub(super) fn form(meta: Meta, model: &'static str, inputs: Vec<(&'static str, InputValue)>) -> FormCase {
    FormCase { meta, model, inputs }
}

pub(super) fn form_cases() -> Vec<FormCase> {
    let p = |s: &str| ("prompt", text(s));
    let long = "a".repeat(2001);
    let foxes = "🦊".repeat(2001);
    vec![
        form(
            meta("empty prompt", "flux-schnell, prompt `\"\"`", fields(&["prompt"], &["must not be empty"])),
            "flux-schnell",
            vec![p("")],
        ),
        form(
            meta(
                "whitespace-only prompt",
                "prompt of spaces, a newline and a tab",
                fields(&["prompt"], &["must not be empty"]),
            ),
            "flux-schnell",
            vec![p("  \n\t  ")],
        ),
        form(
            meta(
                "invisible prompt",
                "prompt of two zero-width spaces (U+200B)",
                fields(&["prompt"], &["must not be empty"]),
            ),
            "flux-schnell",
            vec![p("\u{200B}\u{200B}")],
        ),
        form(
            meta("no prompt", "flux-schnell without a prompt field", fields(&["prompt"], &["is required"])),
            "flux-schnell",
            vec![("num_outputs", num(1.0))],
        ),
        form(
            meta(
                "over-long prompt",
                "2001 × `a` (limit 2000)",
                fields(&["prompt"], &["is 2001 characters; at most 2000"]),
            ),
            "flux-schnell",
            vec![("prompt", InputValue::Text(long))],
        ),
        form(
            meta(
                "over-long prompt in emoji",
                "2001 × 🦊 (counted in characters, not bytes)",
                fields(&["prompt"], &["is 2001 characters; at most 2000"]),
            ),
            "flux-schnell",
            vec![("prompt", InputValue::Text(foxes))],
        ),
        form(
            meta(
                "unknown model",
                "model `sdxl`",
                invalid(&["model"], &["unknown model \"sdxl\"", "known: flux-schnell"]),
            ),
            "sdxl",
            vec![p("x")],
        ),
        form(meta("empty model id", "model `\"\"`", invalid(&["model"], &["unknown model \"\""])), "", vec![p("x")]),
        form(
            meta("zero outputs", "num_outputs 0", fields(&["num_outputs"], &["must be between 1 and 4"])),
            "flux-schnell",
            vec![p("x"), ("num_outputs", num(0.0))],
        ),
        form(
            meta("five outputs", "num_outputs 5", fields(&["num_outputs"], &["must be between 1 and 4"])),
            "flux-schnell",
            vec![p("x"), ("num_outputs", num(5.0))],
        ),
        form(
            meta("fractional outputs", "num_outputs 2.5", fields(&["num_outputs"], &["must be a whole number"])),
            "flux-schnell",
            vec![p("x"), ("num_outputs", num(2.5))],
        ),
        form(
            meta(
                "unknown aspect ratio",
                "aspect_ratio `7:3`",
                fields(&["aspect_ratio"], &["must be one of 1:1, 16:9, 21:9"]),
            ),
            "flux-schnell",
            vec![p("x"), ("aspect_ratio", text("7:3"))],
        ),
        form(
            meta("negative seed", "seed -1", fields(&["seed"], &["must be between 0 and 2147483647"])),
            "flux-schnell",
            vec![p("x"), ("seed", num(-1.0))],
        ),
        form(
            meta("seed just past i32", "seed 2147483648", fields(&["seed"], &["must be between 0 and 2147483647"])),
            "flux-schnell",
            vec![p("x"), ("seed", num(2_147_483_648.0))],
        ),
        form(
            meta("huge seed", "seed 1e300", fields(&["seed"], &["must be between 0 and 2147483647"])),
            "flux-schnell",
            vec![p("x"), ("seed", num(1e300))],
        ),
        form(
            meta(
                "NaN seed from the CLI",
                "`--set seed=NaN` (parsed as a float NaN)",
                fields(&["seed"], &["must be a whole number"]),
            ),
            "flux-schnell",
            vec![p("x"), ("seed", InputValue::parse_cli("NaN"))],
        ),
        form(
            meta("guidance too high", "flux-dev guidance 99", fields(&["guidance"], &["must be between 0 and 10"])),
            "flux-dev",
            vec![p("x"), ("guidance", num(99.0))],
        ),
        form(
            meta("negative guidance", "flux-dev guidance -0.5", fields(&["guidance"], &["must be between 0 and 10"])),
            "flux-dev",
            vec![p("x"), ("guidance", num(-0.5))],
        ),
        form(
            meta(
                "infinite guidance from the CLI",
                "`--set guidance=inf`",
                fields(&["guidance"], &["must be between 0 and 10"]),
            ),
            "flux-dev",
            vec![p("x"), ("guidance", InputValue::parse_cli("inf"))],
        ),
        form(
            meta(
                "guidance on a model without it",
                "flux-schnell guidance 3",
                fields(&["guidance"], &["is not an input of flux-schnell"]),
            ),
            "flux-schnell",
            vec![p("x"), ("guidance", num(3.0))],
        ),
        form(
            meta(
                "unknown input name",
                "flux-dev `negative_prompt`",
                fields(&["negative_prompt"], &["is not an input of flux-dev"]),
            ),
            "flux-dev",
            vec![p("x"), ("negative_prompt", text("blurry"))],
        ),
        form(
            meta("text for a number", "num_outputs `\"four\"`", fields(&["num_outputs"], &["must be a number"])),
            "flux-schnell",
            vec![p("x"), ("num_outputs", text("four"))],
        ),
        form(
            meta("number for the prompt", "prompt `42` (a JSON number)", fields(&["prompt"], &["must be text"])),
            "flux-schnell",
            vec![("prompt", num(42.0))],
        ),
        form(
            meta("text for a toggle", "go_fast `\"yes\"`", fields(&["go_fast"], &["must be true or false"])),
            "flux-schnell",
            vec![p("x"), ("go_fast", text("yes"))],
        ),
        form(
            meta("toggle for a picture", "flux-dev image `true`", fields(&["image"], &["must be text"])),
            "flux-dev",
            vec![p("x"), ("image", InputValue::Toggle(true))],
        ),
        form(
            meta(
                "prompt strength without a picture",
                "flux-dev prompt_strength 0.5, no image",
                fields(&["prompt_strength"], &["only applies when image is set"]),
            ),
            "flux-dev",
            vec![p("x"), ("prompt_strength", num(0.5))],
        ),
        form(
            meta(
                "width without the custom ratio",
                "flux-1.1-pro width 512, aspect_ratio 1:1",
                fields(&["width"], &["only applies when aspect_ratio is custom"]),
            ),
            "flux-1.1-pro",
            vec![p("x"), ("aspect_ratio", text("1:1")), ("width", num(512.0))],
        ),
        form(
            meta(
                "width off the 32-pixel grid",
                "flux-1.1-pro custom, width 300",
                fields(&["width"], &["must be a multiple of 32"]),
            ),
            "flux-1.1-pro",
            vec![p("x"), ("aspect_ratio", text("custom")), ("width", num(300.0))],
        ),
        form(
            meta(
                "safety tolerance too high with a picture",
                "flux-kontext-pro input_image + safety_tolerance 5",
                fields(&["safety_tolerance"], &["is 5; at most 2 with an input image"]),
            ),
            "flux-kontext-pro",
            vec![p("x"), ("input_image", text("{png}")), ("safety_tolerance", num(5.0))],
        ),
        form(
            meta(
                "six bad fields at once",
                "flux-dev: prompt `\"\"`, num_outputs 9, aspect_ratio `wide`, seed -3, guidance 11, `colour`",
                fields(
                    &["prompt", "num_outputs", "aspect_ratio", "seed", "guidance", "colour"],
                    &[
                        "prompt: must not be empty",
                        "num_outputs: must be between 1 and 4",
                        "aspect_ratio: must be one of",
                        "seed: must be between",
                        "guidance: must be between 0 and 10",
                        "colour: is not an input of flux-dev",
                    ],
                ),
            ),
            "flux-dev",
            vec![
                p(""),
                ("num_outputs", num(9.0)),
                ("aspect_ratio", text("wide")),
                ("seed", num(-3.0)),
                ("guidance", num(11.0)),
                ("colour", text("blue")),
            ],
        ),
    ]
}

/// Own-key mode against the Replicate fake, with one good generation already in the gallery.
pub(super) struct OwnKeyWorld {
    pub(super) tmp: tempfile::TempDir,
    pub(super) fake: RunningReplicate,
    pub(super) core: Arc<Core>,
    pub(super) png: PathBuf,
}

impl OwnKeyWorld {
    pub(super) async fn start() -> OwnKeyWorld {
        let fake = RunningReplicate::start(&[TOKEN]).await.unwrap();
        fake.fake.set_knobs(Knobs { image_side: Some(64), ..Knobs::default() });
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path(), &fake.base_url(), None);
        let core = Arc::new(Core::open(&config.data_dir.value.clone(), config).await.unwrap());
        core.use_replicate_token_from_environment(TOKEN).unwrap();
        assert!(core.start_jobs().unwrap());
        let job = core.generate(&request("flux-schnell", &[("prompt", text("a lighthouse at dusk"))])).await.unwrap();
        assert_eq!(finished(&core, job.id).await.status, Status::Done, "the earlier generation");
        std::fs::create_dir(tmp.path().join("inputs")).unwrap();
        let png = tmp.path().join("inputs").join("good.png");
        std::fs::write(&png, tiny_png()).unwrap();
        OwnKeyWorld { tmp, fake, core, png }
    }

    pub(super) fn inputs(&self) -> PathBuf {
        self.tmp.path().join("inputs")
    }

    pub(super) async fn snapshot(&self) -> Snapshot {
        let f = &self.fake.fake;
        let sent =
            format!("creates={} predictions={} uploads={}", f.creates(), f.predictions().len(), f.uploads().len());
        snapshot(&self.core, sent).await
    }
}

#[tokio::test]
pub(super) async fn form_fields_are_refused_naming_each_field_before_anything_is_written_or_sent() {
    let w = OwnKeyWorld::start().await;
    let mut tally = Tally::new("form fields");
    let mut before = w.snapshot().await;
    let png = w.png.display().to_string();
    for case in form_cases() {
        if !tally.should_run(&case.meta) {
            continue;
        }
        let outcome = timed(async {
            let inputs: Vec<(&str, InputValue)> = case
                .inputs
                .iter()
                .map(|(k, v)| match v {
                    InputValue::Text(t) => (*k, InputValue::Text(t.replace("{png}", &png))),
                    other => (*k, other.clone()),
                })
                .collect();
            match w.core.generate(&request(case.model, &inputs)).await {
                Ok(job) => {
                    let job = finished(&w.core, job.id).await;
                    return Err(format!("accepted: job {} ended {:?}", job.id, job.status));
                }
                Err(e) => check_error(&case.meta, &e, &|s| s.to_string())?,
            }
            unchanged(&before, &w.snapshot().await)
        })
        .await;
        tally.record(&case.meta, outcome);
        if case.meta.bug.is_some() {
            before = w.snapshot().await;
        }
    }
    tally.finish();
}
