//! Data minimisation on real photos: exiftool (installed by scripts/setup.sh) writes GPS, camera
//! and XMP tags into JPEG, PNG and WebP files; after `input_image::load` none of them is left,
//! by exiftool's own reading, and the picture still decodes to the same pixels.

use std::path::Path;
use std::process::Command;

use flux_krea_core::generation::input_image;

fn exiftool(args: &[&str]) -> String {
    let out = Command::new("exiftool").args(args).output().expect("exiftool must be installed (scripts/setup.sh)");
    assert!(out.status.success(), "exiftool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn photo(dir: &Path, name: &str, format: image::ImageFormat) -> std::path::PathBuf {
    let img = image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 2) as u8, (y * 3) as u8, 120]));
    let path = dir.join(name);
    image::DynamicImage::ImageRgb8(img).save_with_format(&path, format).unwrap();
    exiftool(&[
        "-overwrite_original",
        "-GPSLatitude=52.5200",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=13.4050",
        "-GPSLongitudeRef=E",
        "-Make=FakeCam",
        "-Model=Tester 9",
        "-XMP-dc:Creator=Jane Doe",
        "-XMP-exif:GPSLatitude=52.5200 N",
        path.to_str().unwrap(),
    ]);
    path
}

#[test]
fn gps_camera_and_xmp_tags_are_gone_from_jpeg_png_and_webp() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("photo.jpg", image::ImageFormat::Jpeg),
        ("photo.png", image::ImageFormat::Png),
        ("photo.webp", image::ImageFormat::WebP),
    ] {
        let original = photo(dir.path(), name, format);
        let before = exiftool(&["-a", "-gps:all", "-xmp:all", "-Make", "-s", original.to_str().unwrap()]);
        assert!(
            before.contains("GPSLongitudeRef") && before.contains("Make") && before.contains("Jane Doe"),
            "{name}: the test photo must carry tags: {before}"
        );

        let clean = input_image::load("image", &original, 20_000_000).unwrap();
        let out = dir.path().join(format!("clean-{name}"));
        std::fs::write(&out, &clean.bytes).unwrap();
        let after =
            exiftool(&["-a", "-gps:all", "-xmp:all", "-Make", "-Model", "-Creator", "-s", out.to_str().unwrap()]);
        assert!(after.trim().is_empty(), "{name}: tags left after stripping:\n{after}");
        let a = image::open(&original).unwrap().to_rgb8();
        let b = image::load_from_memory(&clean.bytes).unwrap().to_rgb8();
        assert_eq!(a, b, "{name}: pixels must be untouched");
    }
}
