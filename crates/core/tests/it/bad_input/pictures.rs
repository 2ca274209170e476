//! Pictures, made here: real encodings and hand-built broken ones.

use super::*;

pub(super) fn encode(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// An 8×8 PNG.
pub(super) fn tiny_png() -> Vec<u8> {
    encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(8, 8, |x, y| {
            image::Rgb([x as u8 * 30, y as u8 * 30, 90])
        })),
        image::ImageFormat::Png,
    )
}

/// The first half of a noisy 64×64 PNG: cut in the middle of its pixel data.
pub(super) fn truncated_png() -> Vec<u8> {
    let mut seed = 7u32;
    let img = image::RgbImage::from_fn(64, 64, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        image::Rgb([(seed >> 16) as u8, (seed >> 8) as u8, seed as u8])
    });
    let png = encode(image::DynamicImage::ImageRgb8(img), image::ImageFormat::Png);
    png[..png.len() / 2].to_vec()
}

pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

pub(super) fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

/// A 75-byte PNG claiming a 100 000 × 100 000 RGBA canvas (40 GB decoded): a decompression bomb.
pub(super) fn bomb_png() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // A valid zlib stream of 16 zero bytes (one stored block), as a real bomb would begin.
    let mut idat = vec![0x78, 0x01, 0x01, 16, 0, !16u8, 0xff];
    idat.extend_from_slice(&[0; 16]);
    idat.extend_from_slice(&[0x00, 0x10, 0x00, 0x01]); // adler32 of 16 zeros
    png_chunk(&mut out, b"IDAT", &idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A 16×8 CMYK JPEG (Adobe APP14, YCCK transform), red at the top fading to blue at the bottom,
/// made with `convert -size 16x8 gradient:red-blue -colorspace CMYK -quality 90 cmyk.jpg`.
pub(super) const CMYK_JPEG_HEX: &str = concat!(
    "ffd8ffee000e41646f626500640000000002ffdb0043000302020302020303030304030304050805050404050a070706",
    "080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffdb00430103040405",
    "040509050509140d0b0d1414141414141414141414141414141414141414141414141414141414141414141414141414",
    "141414141414141414141414ffc00014080008001004011100021101031101041100ffc4001500010100000000000000",
    "000000000000000008ffc4001d1000010207000000000000000000000000000103061217275191f0ffc4001501010100",
    "000000000000000000000000000008ffc400191100010500000000000000000000000000010005175191ffda000e0401",
    "00021103110400003f00a629d44f96b4a4d53eb950d521424f1630ab06f774c29d44f96b4a27d72a1a9093c58c297bba",
    "63ffd9",
);

pub(super) fn cmyk_jpeg() -> Vec<u8> {
    (0..CMYK_JPEG_HEX.len()).step_by(2).map(|i| u8::from_str_radix(&CMYK_JPEG_HEX[i..i + 2], 16).unwrap()).collect()
}

/// An animated 4×4 WebP built by hand: VP8X (animation flag), ANIM, then two ANMF frames — red,
/// then blue — each holding a lossless VP8L bitstream encoded by the `image` crate.
pub(super) fn animated_webp() -> Vec<u8> {
    fn vp8l(rgb: [u8; 3]) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(4, 4, image::Rgba([rgb[0], rgb[1], rgb[2], 255]));
        let webp = encode(image::DynamicImage::ImageRgba8(img), image::ImageFormat::WebP);
        let at = webp.windows(4).position(|w| w == b"VP8L").expect("a lossless WebP");
        webp[at..].to_vec()
    }
    fn chunk(out: &mut Vec<u8>, id: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(id);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
    }
    let le24 = |n: u32| n.to_le_bytes()[..3].to_vec();
    let mut body = b"WEBP".to_vec();
    let mut vp8x = vec![0x12, 0, 0, 0]; // animation + alpha
    vp8x.extend(le24(3));
    vp8x.extend(le24(3));
    chunk(&mut body, b"VP8X", &vp8x);
    chunk(&mut body, b"ANIM", &[0, 0, 0, 0, 0, 0]);
    for colour in [[255, 0, 0], [0, 0, 255]] {
        let mut anmf = Vec::new();
        for field in [0, 0, 3, 3, 100] {
            anmf.extend(le24(field)); // x/2, y/2, width-1, height-1, duration ms
        }
        anmf.push(0);
        anmf.extend(vp8l(colour));
        chunk(&mut body, b"ANMF", &anmf);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

pub(super) fn shopping_list() -> Vec<u8> {
    b"shopping list: eggs, milk, flour\n".to_vec()
}

pub(super) fn svg() -> Vec<u8> {
    br#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>"#
        .to_vec()
}

pub(super) fn gif() -> Vec<u8> {
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec()
}

/// The start of an iPhone HEIC photo (ISO BMFF `ftyp` box, brand `heic`).
pub(super) fn heic() -> Vec<u8> {
    let mut out = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec();
    out.extend_from_slice(&[0; 64]);
    out
}

pub(super) fn nothing() -> Vec<u8> {
    Vec::new()
}

/// Decodes a preview's `data:image/jpeg;base64,...` thumbnail.
pub(super) fn preview_pixels(preview: &Value) -> Result<image::RgbImage, String> {
    use base64::Engine;
    let url = preview["data_url"].as_str().ok_or("no data_url")?;
    let b64 = url.strip_prefix("data:image/jpeg;base64,").ok_or("not a JPEG data URL")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| e.to_string())?;
    Ok(image::load_from_memory(&bytes).map_err(|e| e.to_string())?.to_rgb8())
}

pub(super) fn reddish(p: image::Rgb<u8>) -> bool {
    p[0] > 180 && p[2] < 90
}

pub(super) fn bluish(p: image::Rgb<u8>) -> bool {
    p[2] > 180 && p[0] < 90
}
