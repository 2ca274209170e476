//! A cached image as plain RGBA pixels, for the system clipboard: clipboards take pixels (each OS
//! re-encodes them for the apps that paste), not the file.

use super::thumbnail;
use crate::error::{Error, Result};

/// Width × height RGBA8 pixels, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// Decodes a cache file (an output or an input picture) within the thumbnailer's limits.
pub fn read(path: &std::path::Path, name: &str) -> Result<Pixels> {
    let bytes = std::fs::read(path).map_err(|e| Error::storage(path, e))?;
    let (image, _) = thumbnail::decode(&bytes, name)?;
    let rgba = image.into_rgba8();
    Ok(Pixels { width: rgba.width(), height: rgba.height(), rgba: rgba.into_raw() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_becomes_its_pixels_and_a_damaged_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        let mut png = Vec::new();
        image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8 * 80, y as u8 * 100, 7]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        std::fs::write(&path, &png).unwrap();
        let pixels = read(&path, "a.png").unwrap();
        assert_eq!((pixels.width, pixels.height, pixels.rgba.len()), (3, 2, 24));
        // The pixel at (2, 1): red 160, green 100, blue 7, opaque.
        assert_eq!(&pixels.rgba[(3 + 2) * 4..(3 + 2) * 4 + 4], &[160, 100, 7, 255]);

        std::fs::write(&path, b"\x89PNG\r\n\x1a\n not really").unwrap();
        let err = read(&path, "a.png").unwrap_err().to_string();
        assert!(err.contains("a.png") && err.contains("damaged or truncated"), "{err}");
        std::fs::remove_file(&path).unwrap();
        assert!(read(&path, "a.png").unwrap_err().to_string().contains("storage error"));
    }
}
