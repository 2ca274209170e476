//! Pictures the user sends (img2img, Kontext edits, image prompts): read, checked, and stripped of
//! EXIF/GPS/XMP/IPTC and comments before they leave the machine. Stripping is lossless: metadata
//! segments are dropped, pixels are not re-encoded.

use std::path::Path;

use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF};

use crate::error::{Error, Result};

/// Inline up to this size as a data URL; larger files go through `POST /files` (docs/wire-facts.md §Replicate).
pub const INLINE_LIMIT: usize = 256 * 1024;

/// An image ready to send: its bytes without metadata and its MIME type.
#[derive(Debug, Clone)]
pub struct CleanImage {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub file_name: String,
}

impl CleanImage {
    pub fn data_url(&self) -> String {
        use base64::Engine;
        format!("data:{};base64,{}", self.mime, base64::engine::general_purpose::STANDARD.encode(&self.bytes))
    }
}

/// Reads `path` (named in errors as `field`) and strips its metadata.
pub fn load(field: &str, path: &Path, max_bytes: u64) -> Result<CleanImage> {
    let bytes = read_limited(field, path, max_bytes)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("image").to_string();
    strip(field, bytes, file_name)
}

/// The bytes of `path` if it is a regular file of at most `max_bytes`. A device, FIFO or folder is
/// refused before it is opened (`/dev/zero` would never end, a FIFO would wait for a writer), the
/// opened handle is checked again (the path may have been swapped meanwhile), and at most
/// `max_bytes + 1` bytes are read, so a file that grows after the check cannot exhaust memory.
pub fn read_limited(field: &str, path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let cannot = |e: std::io::Error| Error::invalid(field, format!("cannot read {}: {e}", path.display()));
    let not_a_file = || Error::invalid(field, format!("cannot read {}: not a regular file", path.display()));
    let too_big = |size: u64| {
        let (size, limit) = (super::request::size_words(size), super::request::limit_words(max_bytes));
        Error::invalid(field, format!("{} is {size}; {limit}", path.display()))
    };
    if !std::fs::metadata(path).map_err(cannot)?.is_file() {
        return Err(not_a_file());
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_a_file());
    }
    if meta.len() > max_bytes {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Removes every metadata block of a PNG, JPEG or WebP; refuses anything else.
pub fn strip(field: &str, bytes: Vec<u8>, file_name: String) -> Result<CleanImage> {
    let bad = |what: &str| Error::invalid(field, format!("{file_name} {what}"));
    let format = image::guess_format(&bytes).map_err(|_| bad("is not an image"))?;
    let data = Bytes::from(bytes);
    let (bytes, mime) = match format {
        image::ImageFormat::Jpeg => {
            let mut jpeg = Jpeg::from_bytes(data).map_err(|_| bad("is not a readable JPEG"))?;
            // APP1 holds EXIF (with GPS) and XMP, APP13 IPTC; APP0 (JFIF), APP2 (ICC colour) and
            // APP14 (Adobe colour transform) are kept so colours stay right.
            for marker in [markers::APP1, markers::APP13, markers::COM] {
                jpeg.remove_segments_by_marker(marker);
            }
            (jpeg.encoder().bytes().to_vec(), "image/jpeg")
        }
        image::ImageFormat::Png => {
            let mut png = Png::from_bytes(data).map_err(|_| bad("is not a readable PNG"))?;
            for kind in [*b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt", *b"tIME"] {
                png.remove_chunks_by_type(kind);
            }
            (png.encoder().bytes().to_vec(), "image/png")
        }
        image::ImageFormat::WebP => {
            let mut webp = WebP::from_bytes(data).map_err(|_| bad("is not a readable WebP"))?;
            webp.remove_chunks_by_id(*b"XMP ");
            // Also recomputes the VP8X flags for what is left.
            webp.set_exif(None);
            (webp.encoder().bytes().to_vec(), "image/webp")
        }
        other => return Err(bad(&format!("is {other:?}; use PNG, JPEG or WebP"))),
    };
    Ok(CleanImage { bytes, mime, file_name })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG with an EXIF block holding a GPS tag and an XMP packet, made by hand so the test
    /// needs no external tool (the privacy e2e test also uses exiftool-made photos).
    pub(crate) fn jpeg_with_gps() -> Vec<u8> {
        let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8 * 8, y as u8 * 10, 90]));
        let mut plain = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut plain), image::ImageFormat::Jpeg)
            .unwrap();
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
        exif.extend_from_slice(b"GPSLatitude 52.5200 N GPSLongitude 13.4050 E");
        let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>52,31N</exif:GPSLatitude></x:xmpmeta>";
        let mut out = plain[..2].to_vec();
        for (marker, body) in [(0xE1u8, exif.as_slice()), (0xE1, xmp.as_slice())] {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(body);
        }
        out.extend_from_slice(&plain[2..]);
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn gps_and_xmp_are_stripped_and_the_pixels_survive() {
        let original = jpeg_with_gps();
        assert!(contains(&original, b"GPSLatitude"));
        let clean = strip("image", original.clone(), "photo.jpg".into()).unwrap();
        assert!(!contains(&clean.bytes, b"GPSLatitude"), "GPS survived");
        assert!(!contains(&clean.bytes, b"xmpmeta"), "XMP survived");
        assert!(!contains(&clean.bytes, b"Exif\0\0"), "EXIF survived");
        let a = image::load_from_memory(&original).unwrap().to_rgb8();
        let b = image::load_from_memory(&clean.bytes).unwrap().to_rgb8();
        assert_eq!(a, b, "stripping must not touch the pixels");
        assert!(clean.data_url().starts_with("data:image/jpeg;base64,/9j/"));
    }

    #[test]
    fn png_text_chunks_are_stripped() {
        let mut png = crate::history::fixtures::png(8, 8, 3);
        // Insert a tEXt chunk after IHDR (8 signature + 25 IHDR bytes).
        let body = b"Comment\0taken at home, 52.52N";
        let mut chunk = (body.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(b"tEXt");
        chunk.extend_from_slice(body);
        let mut crc_input = b"tEXt".to_vec();
        crc_input.extend_from_slice(body);
        chunk.extend_from_slice(&crc32(&crc_input).to_be_bytes());
        png.splice(33..33, chunk);
        assert!(image::load_from_memory(&png).is_ok());
        let clean = strip("image", png, "a.png".into()).unwrap();
        assert!(!contains(&clean.bytes, b"52.52N"));
        assert!(image::load_from_memory(&clean.bytes).is_ok());
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn non_images_are_refused_naming_the_field_and_file() {
        let err = strip("input_image", b"%PDF-1.7".to_vec(), "cv.pdf".into()).unwrap_err();
        assert_eq!(err, Error::invalid("input_image", "cv.pdf is not an image"));
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.png");
        std::fs::write(&big, vec![0u8; 2_000_001]).unwrap();
        let err = load("image", &big, 2_000_000).unwrap_err();
        assert!(err.to_string().starts_with("image: "), "{err}");
    }
}
