//! 2. Image files → preview, generate (image field), paste.

use super::*;

pub(super) const IMAGE_CHECKS: &str =
    "no row, nothing staged (`staging/` unchanged), no file written, nothing sent to Replicate";
pub(super) const ACCEPTED_CHECKS: &str = "what the app shows or sends (see the error column)";

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ImageEntry {
    /// `Core::preview_input_image`: the form's picture slot (decodes under limits).
    Preview,
    /// `Core::generate` with the picture in flux-dev's `image` field (the CLI's `--image`).
    Generate,
    /// `Core::stage_pasted_image`: a picture pasted from the clipboard.
    Paste,
}

impl ImageEntry {
    pub(super) fn describe(self) -> &'static str {
        match self {
            ImageEntry::Preview => "`Core::preview_input_image`",
            ImageEntry::Generate => "`Core::generate` (flux-dev `image`)",
            ImageEntry::Paste => "`Core::stage_pasted_image`",
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Picture {
    /// A file of this name with these bytes.
    File(&'static str, fn() -> Vec<u8>),
    /// These bytes, then zeros up to `len` bytes (a sparse file).
    Padded(&'static str, fn() -> Vec<u8>, u64),
    /// A path where nothing is.
    Missing(&'static str),
    /// A folder.
    Folder(&'static str),
}

impl Picture {
    pub(super) fn name(self) -> &'static str {
        match self {
            Picture::File(n, _) | Picture::Padded(n, _, _) | Picture::Missing(n) | Picture::Folder(n) => n,
        }
    }

    pub(super) fn bytes(self) -> Vec<u8> {
        match self {
            Picture::File(_, f) => f(),
            Picture::Padded(_, f, len) => {
                let mut b = f();
                b.resize(len as usize, 0);
                b
            }
            Picture::Missing(_) | Picture::Folder(_) => Vec::new(),
        }
    }

    /// Puts the picture in `dir` and returns its path.
    pub(super) fn make(self, dir: &Path) -> PathBuf {
        let path = dir.join(self.name());
        match self {
            Picture::File(_, f) => std::fs::write(&path, f()).unwrap(),
            Picture::Padded(_, f, len) => {
                std::fs::write(&path, f()).unwrap();
                std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(len).unwrap();
            }
            Picture::Missing(_) => {}
            Picture::Folder(_) => std::fs::create_dir(&path).unwrap(),
        }
        path
    }
}

/// Checks what the app made of an accepted picture: the preview (as JSON) or the input it sent.
pub(super) type Verify = fn(&Value) -> Result<(), String>;

pub(super) struct ImageCase {
    pub(super) meta: Meta,
    pub(super) entry: ImageEntry,
    pub(super) picture: Picture,
    /// For accepted pictures: checks the preview (as JSON) or the input sent to Replicate.
    pub(super) verify: Option<Verify>,
}

pub(super) fn pic(entry: ImageEntry, picture: Picture, meta: Meta) -> ImageCase {
    ImageCase { meta, entry, picture, verify: None }
}

pub(super) fn accepted(entry: ImageEntry, picture: Picture, meta: Meta, verify: Verify) -> ImageCase {
    ImageCase { meta, entry, picture, verify: Some(verify) }
}

pub(super) const MIB20: u64 = 20 * 1024 * 1024;

pub(super) fn image_cases() -> Vec<ImageCase> {
    use ImageEntry::{Generate, Paste, Preview};
    let truncated = Picture::File("cut.png", truncated_png);
    let bomb = Picture::File("bomb.png", bomb_png);
    let png_as_jpg = Picture::File("really-a-png.jpg", tiny_png);
    let text_as_png = Picture::File("notes.png", shopping_list);
    let empty = Picture::File("empty.png", nothing);
    let huge = Picture::Padded("huge.png", tiny_png, 25_000_000);
    let over_by_one = Picture::Padded("limit.png", tiny_png, MIB20 + 1);
    let missing = Picture::Missing("nowhere.png");
    let folder = Picture::Folder("holiday.png");
    let cmyk = Picture::File("cmyk.jpg", cmyk_jpeg);
    let anim = Picture::File("anim.webp", animated_webp);
    let svg_file = Picture::File("logo.svg", svg);
    let gif_file = Picture::File("party.gif", gif);
    let heic_file = Picture::File("IMG_0001.HEIC", heic);
    vec![
        // Truncated
        pic(
            Preview,
            truncated,
            meta(
                "truncated PNG",
                "first half of a 64×64 PNG",
                invalid(&["image"], &["{name}: damaged or truncated png image"]),
            ),
        ),
        pic(Generate, truncated, meta("truncated PNG", "first half of a 64×64 PNG", fields(&["image"], &["{path}"]))),
        pic(
            Paste,
            truncated,
            meta(
                "truncated PNG",
                "first half of a 64×64 PNG from the clipboard",
                invalid(&["image"], &["damaged or truncated png image"]),
            ),
        ),
        // Bomb
        pic(
            Preview,
            bomb,
            meta(
                "decompression bomb",
                "75-byte PNG declaring 100 000 × 100 000 px",
                invalid(&["image"], &["{name}: too large to open safely", "16384 px"]),
            ),
        ),
        pic(
            Generate,
            bomb,
            meta(
                "decompression bomb",
                "75-byte PNG declaring 100 000 × 100 000 px",
                fields(&["image"], &["{path}", "too large"]),
            ),
        ),
        // Wrong extension
        accepted(
            Preview,
            png_as_jpg,
            meta(
                "PNG bytes named .jpg",
                "an 8×8 PNG called `really-a-png.jpg`",
                Expect::Accepted { note: "judged by its bytes: previewed as the 8×8 PNG it is" },
            ),
            |v| {
                (v["width"] == 8 && v["height"] == 8 && v["file_name"] == "really-a-png.jpg")
                    .then_some(())
                    .ok_or_else(|| format!("preview {v}"))
            },
        ),
        accepted(
            Generate,
            png_as_jpg,
            meta(
                "PNG bytes named .jpg",
                "an 8×8 PNG called `really-a-png.jpg`",
                Expect::Accepted { note: "judged by its bytes: sent as `data:image/png`, not as a JPEG" },
            ),
            |sent| {
                let url = sent["image"].as_str().unwrap_or("");
                url.starts_with("data:image/png;base64,").then_some(()).ok_or_else(|| format!("sent {:.40}", url))
            },
        ),
        pic(
            Preview,
            text_as_png,
            meta(
                "text named .png",
                "a shopping list called `notes.png`",
                invalid(&["image"], &["{name}: not a PNG, JPEG or WebP image"]),
            ),
        ),
        pic(
            Generate,
            text_as_png,
            meta(
                "text named .png",
                "a shopping list called `notes.png`",
                fields(&["image"], &["{path} is not an image"]),
            ),
        ),
        pic(
            Paste,
            text_as_png,
            meta(
                "text on the clipboard",
                "a shopping list pasted as a picture",
                invalid(&["image"], &["the clipboard does not hold a PNG, JPEG or WebP picture"]),
            ),
        ),
        // 0 bytes
        pic(
            Preview,
            empty,
            meta("empty file", "0-byte `empty.png`", invalid(&["image"], &["{name}: not a PNG, JPEG or WebP image"])),
        ),
        pic(Generate, empty, meta("empty file", "0-byte `empty.png`", fields(&["image"], &["{path} is empty"]))),
        pic(
            Paste,
            empty,
            meta(
                "empty clipboard",
                "0 bytes pasted",
                invalid(&["image"], &["the clipboard does not hold a PNG, JPEG or WebP picture"]),
            ),
        ),
        // Huge
        pic(
            Generate,
            huge,
            meta(
                "huge file",
                "25 MB `huge.png` (a PNG, then zeros); limit 20 MiB",
                fields(&["image"], &["{path} is 25.0 MB", "the limit is 20 MiB"]),
            ),
        ),
        pic(
            Preview,
            huge,
            meta(
                "huge file",
                "25 MB `huge.png` (a PNG, then zeros); limit 20 MiB",
                invalid(&["image"], &["{name} is 25.0 MB", "the limit is 20 MiB"]),
            ),
        ),
        pic(
            Generate,
            over_by_one,
            meta(
                "one byte over the limit",
                "`limit.png` of 20 MiB + 1 byte",
                fields(&["image"], &["{path} is 21.0 MB", "the limit is 20 MiB"]),
            )
            .unsaid(&["is 20 MB; at most 20 MB"]),
        ),
        pic(
            Paste,
            Picture::Padded("pasted", tiny_png, 21_000_000),
            meta(
                "huge paste",
                "21 MB pasted (a PNG, then zeros)",
                invalid(&["image"], &["the pasted picture is larger than 20 MB"]),
            ),
        ),
        // Missing, folder
        pic(
            Preview,
            missing,
            meta("missing file", "a path where nothing is", invalid(&["image"], &["cannot read {path}"])),
        ),
        pic(
            Generate,
            missing,
            meta("missing file", "a path where nothing is", fields(&["image"], &["cannot read {path}: no such file"])),
        ),
        pic(
            Preview,
            folder,
            meta("a folder", "a folder called `holiday.png`", invalid(&["image"], &["cannot read {path}"])),
        ),
        pic(
            Generate,
            folder,
            meta("a folder", "a folder called `holiday.png`", fields(&["image"], &["{path} is not a file"])),
        ),
        // CMYK JPEG
        accepted(
            Preview,
            cmyk,
            meta(
                "CMYK JPEG",
                "16×8 CMYK JPEG (Adobe, YCCK), red over blue",
                Expect::Accepted { note: "previewed with the right colours: red on top, blue below (not inverted)" },
            ),
            |v| {
                if (v["width"].as_u64(), v["height"].as_u64()) != (Some(16), Some(8)) {
                    return Err(format!("preview size {}×{}", v["width"], v["height"]));
                }
                let px = preview_pixels(v)?;
                let (top, bottom) = (*px.get_pixel(8, 0), *px.get_pixel(8, 7));
                (reddish(top) && bluish(bottom))
                    .then_some(())
                    .ok_or_else(|| format!("colours wrong: top {top:?}, bottom {bottom:?}"))
            },
        ),
        accepted(
            Generate,
            cmyk,
            meta(
                "CMYK JPEG",
                "16×8 CMYK JPEG (Adobe, YCCK)",
                Expect::Accepted { note: "sent as `data:image/jpeg`, colour transform (APP14) kept" },
            ),
            |sent| {
                use base64::Engine;
                let url = sent["image"].as_str().unwrap_or("");
                let b64 = url.strip_prefix("data:image/jpeg;base64,").ok_or_else(|| format!("sent {url:.40}"))?;
                let bytes = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| e.to_string())?;
                bytes
                    .windows(5)
                    .any(|w| w == b"Adobe")
                    .then_some(())
                    .ok_or_else(|| "the Adobe APP14 segment was stripped".to_string())
            },
        ),
        // Animated WebP
        accepted(
            Preview,
            anim,
            meta(
                "animated WebP",
                "hand-built 4×4 WebP, 2 frames (red, blue)",
                Expect::Accepted { note: "previewed as its first frame (red)" },
            ),
            |v| {
                if v["width"] != 4 || v["height"] != 4 {
                    return Err(format!("preview size {}×{}", v["width"], v["height"]));
                }
                let px = preview_pixels(v)?;
                reddish(*px.get_pixel(1, 1))
                    .then_some(())
                    .ok_or_else(|| format!("first frame not shown: {:?}", px.get_pixel(1, 1)))
            },
        ),
        accepted(
            Generate,
            anim,
            meta(
                "animated WebP",
                "hand-built 4×4 WebP, 2 frames",
                Expect::Accepted { note: "sent as `data:image/webp` (the model reads the first frame)" },
            ),
            |sent| {
                let url = sent["image"].as_str().unwrap_or("");
                url.starts_with("data:image/webp;base64,").then_some(()).ok_or_else(|| format!("sent {url:.40}"))
            },
        ),
        // Unsupported formats
        pic(
            Preview,
            svg_file,
            meta("SVG", "`logo.svg`", invalid(&["image"], &["{name}: not a PNG, JPEG or WebP image"])),
        ),
        pic(Generate, svg_file, meta("SVG", "`logo.svg`", fields(&["image"], &["{path} is not an image"]))),
        pic(
            Preview,
            gif_file,
            meta("GIF", "a 1×1 `party.gif`", invalid(&["image"], &["{name}: not a PNG, JPEG or WebP image"])),
        ),
        pic(
            Generate,
            gif_file,
            meta("GIF", "a 1×1 `party.gif`", fields(&["image"], &["{path} is Gif; use PNG, JPEG or WebP"])),
        ),
        pic(
            Generate,
            heic_file,
            meta(
                "HEIC photo",
                "an iPhone `IMG_0001.HEIC` (ftyp heic)",
                fields(&["image"], &["{path} is not an image"]),
            ),
        ),
        pic(
            Paste,
            gif_file,
            meta(
                "GIF on the clipboard",
                "a 1×1 GIF pasted",
                invalid(&["image"], &["the clipboard does not hold a PNG, JPEG or WebP picture"]),
            ),
        ),
    ]
}

#[tokio::test]
pub(super) async fn bad_image_files_are_refused_naming_the_file_and_nothing_is_staged_or_sent() {
    let w = OwnKeyWorld::start().await;
    let mut tally = Tally::new("image files");
    let mut before = w.snapshot().await;
    for (i, case) in image_cases().into_iter().enumerate() {
        if !tally.should_run(&case.meta) {
            continue;
        }
        let dir = w.inputs().join(format!("case-{i}"));
        std::fs::create_dir(&dir).unwrap();
        let path = case.picture.make(&dir);
        let (path_text, name) = (path.display().to_string(), case.picture.name());
        let subst = |s: &str| s.replace("{path}", &path_text).replace("{name}", name);
        let outcome = timed(async {
            let result: Result<Value, Error> = match case.entry {
                ImageEntry::Preview => {
                    w.core.preview_input_image(&path_text).await.map(|p| serde_json::to_value(p).unwrap())
                }
                ImageEntry::Paste => {
                    w.core.stage_pasted_image(case.picture.bytes()).await.map(|p| serde_json::to_value(p).unwrap())
                }
                ImageEntry::Generate => {
                    match w
                        .core
                        .generate(&request(
                            "flux-dev",
                            &[("prompt", text("make it autumn")), ("image", text(&path_text))],
                        ))
                        .await
                    {
                        Ok(job) => {
                            let job = finished(&w.core, job.id).await;
                            let sent = w.fake.fake.last_inputs().unwrap_or(Value::Null);
                            if job.status != Status::Done {
                                Err(Error::internal(format!("the job ended {:?}: {:?}", job.status, job.error)))
                            } else {
                                Ok(sent)
                            }
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            match (result, case.verify) {
                (Ok(seen), Some(verify)) => return verify(&seen),
                (Ok(seen), None) => return Err(format!("accepted: {:.200}", seen.to_string())),
                (Err(e), Some(_)) => return Err(format!("refused, but should be accepted: {e}")),
                (Err(e), None) => check_error(&case.meta, &e, &subst)?,
            }
            unchanged(&before, &w.snapshot().await)
        })
        .await;
        tally.record(&case.meta, outcome);
        if case.meta.bug.is_some() || case.verify.is_some() {
            before = w.snapshot().await;
        }
    }
    tally.finish();
}
