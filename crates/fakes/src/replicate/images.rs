//! Real, decodable, obviously fake images: a gradient keyed by seed and index with "FAKE" written
//! across it in a blocky 5×7 font. Deterministic: same seed, index, size and format → same bytes.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};

const NOTE: &str = "flux-krea-fakes: not a real generation";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    Webp,
    Jpg,
    Png,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "webp" => Some(Format::Webp),
            "jpg" => Some(Format::Jpg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Webp => "webp",
            Format::Jpg => "jpg",
            Format::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Webp => "image/webp",
            Format::Jpg => "image/jpeg",
            Format::Png => "image/png",
        }
    }
}

/// One output image to make.
#[derive(Clone, Debug)]
pub(super) struct Render {
    pub seed: u64,
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub quality: u8,
}

impl Render {
    pub fn encode(&self) -> Vec<u8> {
        let img = self.picture();
        let mut out = Vec::new();
        let (w, h) = (self.width, self.height);
        // Writing to a Vec cannot fail, and the dimensions match the buffer by construction.
        match self.format {
            Format::Png => {
                PngEncoder::new(&mut out).write_image(&img, w, h, ExtendedColorType::Rgb8).expect("png");
                out = with_png_comment(out);
            }
            Format::Jpg => {
                JpegEncoder::new_with_quality(Cursor::new(&mut out), self.quality.clamp(1, 100))
                    .write_image(&img, w, h, ExtendedColorType::Rgb8)
                    .expect("jpeg");
                out = with_jpeg_comment(out);
            }
            // image's WebP encoder is lossless only, so `output_quality` has no effect here.
            Format::Webp => {
                WebPEncoder::new_lossless(&mut out).encode(&img, w, h, ExtendedColorType::Rgb8).expect("webp")
            }
        }
        out
    }

    fn picture(&self) -> RgbImage {
        let key = mix(self.seed ^ (self.index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let from = [(key >> 8) as u8, (key >> 16) as u8, (key >> 24) as u8];
        let to = [(key >> 32) as u8, (key >> 40) as u8, (key >> 48) as u8];
        let (w, h) = (self.width, self.height);
        let mut img = RgbImage::from_fn(w, h, |x, y| {
            // Diagonal blend, 0..=255 across the image.
            let t = ((x as u64 * 255 / w.max(1) as u64) + (y as u64 * 255 / h.max(1) as u64)) / 2;
            Rgb(std::array::from_fn(|c| ((from[c] as u64 * (255 - t) + to[c] as u64 * t) / 255) as u8))
        });
        draw_fake(&mut img);
        img
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 5×7 glyphs, one row per byte, bit 4 = leftmost column.
const GLYPHS: [[u8; 7]; 4] = [
    [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000], // F
    [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001], // A
    [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001], // K
    [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111], // E
];

/// "FAKE" centred, about 60% of the width, white on a dark drop shadow so it reads on any gradient.
fn draw_fake(img: &mut RgbImage) {
    const COLS: u32 = 4 * 5 + 3;
    let (w, h) = img.dimensions();
    let scale = (w * 6 / 10 / COLS).min(h / 2 / 7).max(1);
    let (left, top) = ((w.saturating_sub(COLS * scale)) / 2, (h.saturating_sub(7 * scale)) / 2);
    let shadow = (scale / 4).max(1);
    for (offset, colour) in [(shadow, Rgb([20, 20, 20])), (0, Rgb([255, 255, 255]))] {
        for (g, glyph) in GLYPHS.iter().enumerate() {
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..5 {
                    if bits & (0b10000 >> col) == 0 {
                        continue;
                    }
                    let x0 = left + (g as u32 * 6 + col) * scale + offset;
                    let y0 = top + row as u32 * scale + offset;
                    for y in y0..(y0 + scale).min(h) {
                        for x in x0..(x0 + scale).min(w) {
                            img.put_pixel(x, y, colour);
                        }
                    }
                }
            }
        }
    }
}

/// Adds a `tEXt` "Comment" chunk right after IHDR (signature 8 bytes + IHDR chunk 25 bytes).
fn with_png_comment(png: Vec<u8>) -> Vec<u8> {
    let mut data = b"Comment\0".to_vec();
    data.extend_from_slice(NOTE.as_bytes());
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(b"tEXt");
    hasher.update(&data);
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(&data);
    chunk.extend_from_slice(&hasher.finalize().to_be_bytes());
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[33..]);
    out
}

/// Adds a COM segment right after SOI.
fn with_jpeg_comment(jpeg: Vec<u8>) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&(NOTE.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(NOTE.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: Format, seed: u64) -> Vec<u8> {
        Render { seed, index: 0, width: 64, height: 48, format, quality: 80 }.encode()
    }

    #[test]
    fn every_format_decodes_at_the_requested_size_and_is_deterministic() {
        for format in [Format::Webp, Format::Jpg, Format::Png] {
            let bytes = render(format, 7);
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!((img.width(), img.height()), (64, 48), "{format:?}");
            assert_eq!(bytes, render(format, 7), "{format:?} not deterministic");
            assert_ne!(bytes, render(format, 8), "{format:?} ignores the seed");
        }
    }

    #[test]
    fn png_and_jpeg_say_they_are_fake() {
        let png = render(Format::Png, 1);
        assert!(png.windows(12).any(|w| w == b"tEXtComment\0"));
        let jpeg = render(Format::Jpg, 1);
        assert!(jpeg.windows(NOTE.len()).any(|w| w == NOTE.as_bytes()));
    }
}
