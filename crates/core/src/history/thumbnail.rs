//! Thumbnails: decode (PNG, JPEG or WebP) under strict limits, shrink with `fast_image_resize` so
//! the longest side is at most 384 px, and encode as JPEG.
//!
//! The limits make a decompression bomb (a small file claiming a huge canvas) or a truncated file
//! a clear `InvalidInput { field: "image" }` naming the file, before any large allocation.

use std::io::Cursor;

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ExtendedColorType, ImageError, ImageFormat, ImageReader, Limits};

use crate::error::{Error, Result};

pub const MAX_THUMB_SIDE: u32 = 384;
/// The largest canvas we decode; FLUX outputs are at most a few thousand pixels a side.
pub const MAX_SIDE: u32 = 16_384;
/// The most one decode may allocate: a 4 MP RGBA output needs 16 MiB, a 24 MP photo as RGB 72 MiB;
/// more is refused rather than risked (a job decodes at most two outputs at once, run.rs).
pub const MAX_DECODE_BYTES: u64 = 128 * 1024 * 1024;
/// The same for a picture the user chose as an input: a phone's 48 MP photo needs 144 MiB as RGB
/// and 186 MiB as RGBA. It is the user's own file, decoded once when picked, not a server's answer.
pub const MAX_INPUT_DECODE_BYTES: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;

/// An image format the cache accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Png,
    Jpeg,
    Webp,
}

impl SourceFormat {
    /// The file extension, also stored as the row's `format`.
    pub fn extension(self) -> &'static str {
        match self {
            SourceFormat::Png => "png",
            SourceFormat::Jpeg => "jpg",
            SourceFormat::Webp => "webp",
        }
    }
}

/// A JPEG thumbnail and what was learnt about the original while making it.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub source_format: SourceFormat,
    pub source_width: u32,
    pub source_height: u32,
}

/// Decodes an encoded PNG, JPEG or WebP within the decode limits (bombs and truncated files are
/// refused). `name` (a file name or a label) appears in errors.
pub fn decode(bytes: &[u8], name: &str) -> Result<(DynamicImage, SourceFormat)> {
    decode_within(bytes, name, MAX_DECODE_BYTES)
}

/// [`decode`] with another allocation limit ([`MAX_INPUT_DECODE_BYTES`] for input pictures).
pub fn decode_within(bytes: &[u8], name: &str, max_alloc: u64) -> Result<(DynamicImage, SourceFormat)> {
    let bad = |reason: String| Error::invalid("image", format!("{name}: {reason}"));
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(format!("cannot be read ({e})")))?;
    let source_format = match reader.format() {
        Some(ImageFormat::Png) => SourceFormat::Png,
        Some(ImageFormat::Jpeg) => SourceFormat::Jpeg,
        Some(ImageFormat::WebP) => SourceFormat::Webp,
        _ => return Err(bad("not a PNG, JPEG or WebP image".into())),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        ImageError::Limits(e) => bad(format!(
            "too large to open safely ({e}); the limit is {MAX_SIDE} px a side and {} MiB",
            max_alloc / (1024 * 1024)
        )),
        other => bad(format!("damaged or truncated {} image ({other})", source_format.extension())),
    })?;
    Ok((decoded, source_format))
}

/// Makes the thumbnail of an encoded image. `name` (a file name or a label) appears in errors.
pub fn make(bytes: &[u8], name: &str) -> Result<Thumbnail> {
    make_within(bytes, name, MAX_DECODE_BYTES)
}

/// [`make`] with another allocation limit for the decode.
pub fn make_within(bytes: &[u8], name: &str, max_alloc: u64) -> Result<Thumbnail> {
    let (decoded, source_format) = decode_within(bytes, name, max_alloc)?;
    let (source_width, source_height) = (decoded.width(), decoded.height());
    let (width, height) = fit(source_width, source_height);
    let rgb = flatten(decoded);
    let pixels = if (width, height) == (source_width, source_height) {
        rgb
    } else {
        let src = Image::from_vec_u8(source_width, source_height, rgb, PixelType::U8x3)
            .map_err(|e| Error::internal(format!("thumbnail buffer: {e}")))?;
        let mut dst = Image::new(width, height, PixelType::U8x3);
        // Catmull-Rom: a smaller kernel than Lanczos3 (radius 2, not 3); at these ratios (2.5x and
        // more) the difference does not show. The benchmark could not tell their speeds apart.
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
        Resizer::new()
            .resize(&src, &mut dst, &options)
            .map_err(|e| Error::internal(format!("thumbnail resize: {e}")))?;
        dst.into_vec()
    };
    let mut jpeg = Vec::with_capacity(32 * 1024);
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode(&pixels, width, height, ExtendedColorType::Rgb8)
        .map_err(|e| Error::internal(format!("thumbnail encode: {e}")))?;
    Ok(Thumbnail { jpeg, width, height, source_format, source_width, source_height })
}

/// The largest size with the same aspect ratio whose longest side is at most `MAX_THUMB_SIDE`.
fn fit(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= MAX_THUMB_SIDE {
        return (width, height);
    }
    let scale = |side: u32| (u64::from(side) * u64::from(MAX_THUMB_SIDE) + u64::from(longest) / 2) / u64::from(longest);
    (scale(width).max(1) as u32, scale(height).max(1) as u32)
}

/// RGB bytes; transparent pixels are laid on white (JPEG has no alpha, and black shows badly).
fn flatten(image: DynamicImage) -> Vec<u8> {
    if !image.color().has_alpha() {
        return image.into_rgb8().into_raw();
    }
    let rgba = image.into_rgba8();
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for px in rgba.pixels() {
        let [r, g, b, a] = px.0;
        let over_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8;
        out.extend_from_slice(&[over_white(r), over_white(g), over_white(b)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    #[test]
    fn a_large_png_becomes_a_jpeg_of_at_most_384_px() {
        let png = fixtures::png(1024, 1024, 1);
        let thumb = make(&png, "big.png").unwrap();
        assert_eq!((thumb.width, thumb.height), (384, 384));
        assert_eq!((thumb.source_width, thumb.source_height, thumb.source_format), (1024, 1024, SourceFormat::Png));
        let back = image::load_from_memory(&thumb.jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (384, 384));
        assert!(thumb.jpeg.len() < png.len());
    }

    #[test]
    fn aspect_ratio_is_kept_and_small_images_are_not_enlarged() {
        assert_eq!(fit(1536, 768), (384, 192));
        assert_eq!(fit(768, 1344), (219, 384));
        assert_eq!(fit(20_000, 1), (384, 1));
        assert_eq!(fit(300, 200), (300, 200));
        let thumb = make(&fixtures::png(300, 200, 2), "small.png").unwrap();
        assert_eq!((thumb.width, thumb.height), (300, 200));
    }

    #[test]
    fn a_truncated_png_is_a_clear_error_naming_the_file() {
        let png = fixtures::png(1024, 1024, 3);
        let err = make(&png[..png.len() / 2], "cut.png").unwrap_err();
        let Error::InvalidInput { field, reason } = err else { panic!("{err:?}") };
        assert_eq!(field, "image");
        assert!(reason.starts_with("cut.png: damaged or truncated png image"), "{reason}");
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_allocating() {
        let bomb = fixtures::png_header_only(100_000, 100_000);
        let err = make(&bomb, "bomb.png").unwrap_err();
        let Error::InvalidInput { field, reason } = err else { panic!("{err:?}") };
        assert_eq!(field, "image");
        assert!(reason.starts_with("bomb.png: too large to open safely"), "{reason}");
        // Within the side limit but over the memory limit: 16000² RGBA is ~1 GiB.
        let err = make(&fixtures::png_header_only(16_000, 16_000), "wide.png").unwrap_err();
        assert!(err.to_string().contains("too large to open safely"), "{err}");
    }

    #[test]
    fn a_decode_may_allocate_at_most_128_mib() {
        // 6000² RGBA is 137 MiB: within the side limit, refused before its pixels are read.
        let err = make(&fixtures::png_header_only(6000, 6000), "big-canvas.png").unwrap_err();
        let Error::InvalidInput { reason, .. } = err else { panic!("{err:?}") };
        assert!(reason.starts_with("big-canvas.png: too large to open safely"), "{reason}");
        assert!(reason.contains("128 MiB"), "{reason}");
        // 5000² RGBA (95 MiB) is allowed: it fails later, on its missing pixels, not on the limit.
        let err = make(&fixtures::png_header_only(5000, 5000), "ok-canvas.png").unwrap_err();
        assert!(err.to_string().contains("damaged or truncated"), "{err}");
    }

    #[test]
    fn an_input_picture_may_be_a_48_mp_photo() {
        // 8064 × 6048 RGBA is 186 MiB: too much for an output, fine for the user's own photo.
        let photo = fixtures::png_header_only(8064, 6048);
        assert!(make(&photo, "phone.png").unwrap_err().to_string().contains("too large to open safely"));
        let err = make_within(&photo, "phone.png", MAX_INPUT_DECODE_BYTES).unwrap_err();
        assert!(err.to_string().contains("damaged or truncated"), "{err}");
        // Past that, still refused, naming the input limit.
        let err = make_within(&fixtures::png_header_only(9000, 9000), "huge.png", MAX_INPUT_DECODE_BYTES).unwrap_err();
        assert!(err.to_string().contains("256 MiB"), "{err}");
    }

    #[test]
    fn garbage_and_other_formats_are_refused() {
        let err = make(b"GIF89a not really", "anim.gif").unwrap_err();
        assert!(err.to_string().contains("anim.gif: not a PNG, JPEG or WebP image"), "{err}");
        let err = make(&[], "empty.png").unwrap_err();
        assert!(err.to_string().contains("empty.png"), "{err}");
    }

    #[test]
    fn transparency_is_laid_on_white() {
        let clear = image::RgbaImage::from_pixel(4, 4, image::Rgba([0, 0, 0, 0]));
        assert_eq!(flatten(DynamicImage::ImageRgba8(clear))[..3], [255, 255, 255]);
    }
}
