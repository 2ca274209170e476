//! Test fixtures: a fresh database on disk, generations and real images.

use sqlx::SqlitePool;
use tempfile::TempDir;

use crate::history::journal::{self, NewGeneration};
use crate::history::{Provider, Status};

pub async fn open() -> (TempDir, SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let pool = crate::database::open(dir.path()).await.unwrap();
    (dir, pool)
}

pub fn new_generation(model: &str, prompt: &str, created_at: i64) -> NewGeneration {
    NewGeneration {
        provider: Provider::Replicate,
        model: model.into(),
        inputs: serde_json::json!({ "prompt": prompt }),
        prompt: prompt.into(),
        seed: Some(42),
        images_requested: 1,
        parent_id: None,
        cost_usd: Some(0.025),
        cost_credits: None,
        price_credits: None,
        price_usd: Some(0.025),
        status: Status::Done,
        created_at,
        style: None,
    }
}

pub async fn generation(pool: &SqlitePool, model: &str, prompt: &str, created_at: i64) -> i32 {
    journal::insert_generation(pool, &new_generation(model, prompt, created_at)).await.unwrap()
}

/// A real PNG whose pixels depend on `variant`, so different variants hash differently.
pub fn png(width: u32, height: u32, variant: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, variant.wrapping_mul(37).wrapping_add((x ^ y) as u8)])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

/// A tiny PNG claiming a `width`×`height` canvas: a decompression bomb's header.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    // A valid zlib stream holding 16 zero bytes (one stored block), as a real bomb would begin.
    let mut idat = vec![0x78, 0x01, 0x01, 16, 0, !16u8, 0xff];
    idat.extend_from_slice(&[0; 16]);
    idat.extend_from_slice(&adler32(&[0; 16]).to_be_bytes());
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}
