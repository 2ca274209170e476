//! Synthetic history for benchmarks and demos: generations with provider `synthetic`, prompts built
//! from a word list (so search has common words), times spread over the last ~18 months (ids in
//! time order, as in real use), and real PNG files labelled "synthetic" in a tEXt chunk. A few
//! distinct images are shared by all rows (the cache is content-addressed), so 100,000 items need
//! only a handful of files.

use std::path::Path;

use serde_json::json;
use sqlx::SqlitePool;

use crate::error::{Error, Result};
use crate::history::images::{self, Area, StoredFile};
use crate::history::thumbnail;

/// Rows per transaction: large enough to be fast, small enough not to hold the writer for long.
const ROWS_PER_TRANSACTION: usize = 10_000;
const SPREAD_MS: i64 = 548 * 24 * 3600 * 1000;
/// Larger than a thumbnail, so each thumbnail is the real one's size (decoded memory follows it).
const IMAGE_SIDE: u32 = 512;

const MODELS: [&str; 4] = [
    "black-forest-labs/flux-krea-dev",
    "black-forest-labs/flux-dev",
    "black-forest-labs/flux-schnell",
    "black-forest-labs/flux-1.1-pro",
];
const ADJECTIVES: [&str; 16] = [
    "quiet",
    "ancient",
    "tiny",
    "giant",
    "misty",
    "golden",
    "crystal",
    "rusty",
    "velvet",
    "frozen",
    "wild",
    "electric",
    "forgotten",
    "floating",
    "paper",
    "café",
];
const SUBJECTS: [&str; 20] = [
    "fox",
    "lighthouse",
    "robot",
    "garden",
    "city",
    "dragon",
    "teapot",
    "forest",
    "astronaut",
    "cat",
    "mountain",
    "library",
    "whale",
    "bicycle",
    "castle",
    "owl",
    "market",
    "violin",
    "desert",
    "harbour",
];
const PLACES: [&str; 10] = [
    "by the sea",
    "in the rain",
    "at dawn",
    "under the stars",
    "in a snow globe",
    "on mars",
    "in tokyo",
    "in a meadow",
    "at night",
    "in the clouds",
];
const STYLES: [&str; 8] = [
    "portrait",
    "watercolor",
    "oil painting",
    "isometric render",
    "35mm photo",
    "pixel art",
    "ink sketch",
    "cinematic still",
];
const LIGHTS: [&str; 6] = ["soft light", "golden hour light", "neon light", "studio light", "rim light", "moody light"];

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    pub count: u32,
    /// Distinct image files (and thumbnails) shared round-robin by the rows.
    pub distinct_images: u32,
    /// Unix ms; rows are spread over the ~18 months before it.
    pub now: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    pub generations: u32,
    pub images: u32,
    pub files: u32,
}

/// Seeds `count` synthetic generations sharing 12 images.
pub async fn synthetic(pool: &SqlitePool, data_dir: &Path, count: u32, now: i64) -> Result<SeedReport> {
    synthetic_with(pool, data_dir, SeedPlan { count, distinct_images: 12, now }).await
}

pub async fn synthetic_with(pool: &SqlitePool, data_dir: &Path, plan: SeedPlan) -> Result<SeedReport> {
    synthetic_reporting(pool, data_dir, plan, |_| {}).await
}

/// [`synthetic_with`], calling `progress` with the rows written so far after each batch (a
/// million rows take a while; the CLI shows how far it got).
pub async fn synthetic_reporting(
    pool: &SqlitePool,
    data_dir: &Path,
    plan: SeedPlan,
    mut progress: impl FnMut(u32) + Send,
) -> Result<SeedReport> {
    if plan.distinct_images == 0 {
        return Err(Error::invalid("distinct_images", "must be at least 1"));
    }
    let dir = data_dir.to_path_buf();
    let variants = plan.distinct_images;
    let files = images::blocking(move || store_variants(&dir, variants)).await?;

    let mut rng = SplitMix(u64::from(plan.count) ^ 0x5eed);
    // Ids follow time, as they do in real use (a row is written when its job starts).
    let mut times: Vec<i64> = (0..plan.count).map(|_| plan.now - (rng.next() % SPREAD_MS as u64) as i64).collect();
    times.sort_unstable();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let first_id: i64 =
        sqlx::query_scalar!("SELECT COALESCE(MAX(id), 0) + 1 FROM generations").fetch_one(&mut *tx).await?;
    let (mut generations, mut image_rows) = (Vec::new(), Vec::new());
    let mut report = SeedReport { generations: 0, images: 0, files: variants * 2 };
    for n in 0..plan.count as i64 {
        let id = first_id + n;
        let created_at = times[n as usize];
        let prompt = prompt(&mut rng);
        let roll = rng.next() % 100;
        let status = match roll {
            0..=3 => "failed",
            4..=5 => "canceled",
            _ => "done",
        };
        let seed = (rng.next() % 4_294_967_296) as i64;
        generations.push(json!({
            "id": id, "model": MODELS[(rng.next() % 4) as usize], "prompt": prompt, "seed": seed,
            "inputs": json!({ "prompt": prompt, "seed": seed, "aspect_ratio": "1:1" }).to_string(),
            "status": status, "error": (status == "failed").then_some("synthetic failure"),
            "returned": i32::from(status == "done"), "favourite": i32::from(rng.next().is_multiple_of(20)),
            "created_at": created_at, "completed_at": created_at + 4_000, "cost": 0.025,
        }));
        if status == "done" {
            let (file, thumb, width, height) = &files[(n as u64 % u64::from(variants)) as usize];
            image_rows.push(json!({
                "generation_id": id, "file": file.relative, "thumb": thumb.relative, "width": width,
                "height": height, "bytes": file.bytes, "thumb_bytes": thumb.bytes, "at": created_at + 4_000,
            }));
        }
        if generations.len() == ROWS_PER_TRANSACTION || n + 1 == plan.count as i64 {
            report.generations += generations.len() as u32;
            report.images += image_rows.len() as u32;
            insert(&mut tx, &generations, &image_rows).await?;
            tx.commit().await?;
            progress(report.generations);
            tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            generations.clear();
            image_rows.clear();
        }
    }
    tx.commit().await?;
    Ok(report)
}

async fn insert(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    generations: &[serde_json::Value],
    image_rows: &[serde_json::Value],
) -> Result<()> {
    let to_json = |rows: &[serde_json::Value]| serde_json::to_string(rows).map_err(|e| Error::internal(e.to_string()));
    // One statement per batch: the rows travel as one JSON array, unpacked by json_each.
    sqlx::query!(
        "INSERT INTO generations (id, provider, model, inputs, prompt, seed, status, error, images_requested,
                                  images_returned, favourite, created_at, completed_at, cost_usd)
         SELECT value->>'id', 'synthetic', value->>'model', value->>'inputs', value->>'prompt', value->>'seed',
                value->>'status', value->>'error', 1, value->>'returned', value->>'favourite',
                value->>'created_at', value->>'completed_at', value->>'cost'
         FROM json_each(?)",
        to_json(generations)?
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT INTO images (generation_id, idx, file, thumb, width, height, format, bytes, thumb_bytes, downloaded_at)
         SELECT value->>'generation_id', 0, value->>'file', value->>'thumb', value->>'width', value->>'height',
                'png', value->>'bytes', value->>'thumb_bytes', value->>'at'
         FROM json_each(?)",
        to_json(image_rows)?
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Distinct pictures drawn and thumbnailed; more distinct files are copies of these told apart by
/// a comment (drawing is slow in a debug build, and a measurement of decoded memory wants thousands).
const DRAWN: u32 = 12;

/// Writes `count` distinct image files and their thumbnails into the cache.
fn store_variants(data_dir: &Path, count: u32) -> Result<Vec<(StoredFile, StoredFile, u32, u32)>> {
    let mut drawn = Vec::new();
    for variant in 0..count.min(DRAWN) {
        let png = synthetic_png(variant, IMAGE_SIDE)?;
        let thumb = thumbnail::make(&png, &format!("synthetic image {variant}"))?;
        drawn.push((png, thumb.jpeg));
    }
    (0..count)
        .map(|variant| {
            let (png, jpeg) = &drawn[(variant % DRAWN) as usize];
            let (png, jpeg) = if variant < DRAWN {
                (png.clone(), jpeg.clone())
            } else {
                let label = format!("synthetic image {variant}");
                (png_with_comment(png, &label), jpeg_with_comment(jpeg, &label))
            };
            let hash = images::content_hash(&png);
            let file = images::store(data_dir, Area::Images, &hash, "png", &png)?;
            let thumb_file = images::store(data_dir, Area::Thumbs, &hash, "jpg", &jpeg)?;
            Ok((file, thumb_file, IMAGE_SIDE, IMAGE_SIDE))
        })
        .collect()
}

/// A tEXt chunk before the closing IEND chunk (its last 12 bytes).
fn png_with_comment(png: &[u8], text: &str) -> Vec<u8> {
    let mut data = b"Comment\0".to_vec();
    data.extend_from_slice(text.as_bytes());
    let (body, end) = png.split_at(png.len() - 12);
    let mut out = body.to_vec();
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let chunk_start = out.len();
    out.extend_from_slice(b"tEXt");
    out.extend_from_slice(&data);
    let crc = crc32fast::hash(&out[chunk_start..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(end);
    out
}

/// A COM segment right after the start-of-image marker.
fn jpeg_with_comment(jpeg: &[u8], text: &str) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A square PNG: a gradient whose hue and stripes depend on `variant`, marked as synthetic.
pub fn synthetic_png(variant: u32, side: u32) -> Result<Vec<u8>> {
    if !(1..=4096).contains(&side) {
        return Err(Error::invalid("side", "must be between 1 and 4096 pixels"));
    }
    let mut pixels = Vec::with_capacity((side * side * 3) as usize);
    let hue = variant.wrapping_mul(2_654_435_761);
    for y in 0..side {
        for x in 0..side {
            let stripe = ((x + y + variant) / 16).is_multiple_of(2);
            let base = [(hue >> 24) as u8, (hue >> 16) as u8, (hue >> 8) as u8];
            let shade = ((x * 255) / side.max(1)) as u8;
            let px = base.map(|c| if stripe { c.wrapping_add(shade / 2) } else { c.wrapping_sub(shade / 3) });
            pixels.extend_from_slice(&px);
        }
    }
    let mut out = Vec::new();
    let encode = |out: &mut Vec<u8>| -> std::result::Result<(), png::EncodingError> {
        let mut encoder = png::Encoder::new(out, side, side);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.add_text_chunk("Comment".into(), format!("synthetic image {variant} for demos and benchmarks"))?;
        encoder.write_header()?.write_image_data(&pixels)
    };
    encode(&mut out).map_err(|e| Error::internal(format!("synthetic image: {e}")))?;
    Ok(out)
}

fn prompt(rng: &mut SplitMix) -> String {
    let mut pick = |list: &[&'static str]| list[(rng.next() % list.len() as u64) as usize];
    let mut text = format!("{} {} {}, {}", pick(&ADJECTIVES), pick(&SUBJECTS), pick(&PLACES), pick(&STYLES));
    if rng.next().is_multiple_of(2) {
        text.push_str(", ");
        text.push_str(LIGHTS[(rng.next() % LIGHTS.len() as u64) as usize]);
    }
    text
}

/// A tiny deterministic generator, so seeded histories are the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    #[tokio::test]
    async fn seeds_rows_with_shared_real_images_and_searchable_prompts() {
        let (dir, pool) = fixtures::open().await;
        let now = 1_800_000_000_000;
        let report =
            synthetic_with(&pool, dir.path(), SeedPlan { count: 2_500, distinct_images: 3, now }).await.unwrap();
        assert_eq!(report.generations, 2_500);
        assert_eq!(report.files, 6);
        let r = sqlx::query!(
            r#"SELECT (SELECT COUNT(*) FROM generations WHERE provider = 'synthetic') AS "rows!",
                    (SELECT MIN(created_at) FROM generations) AS "oldest!",
                    (SELECT MAX(created_at) FROM generations) AS "newest!",
                    (SELECT COUNT(DISTINCT file) FROM images) AS "files!""#
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let (rows, oldest, newest, files): (i64, i64, i64, i64) = (r.rows, r.oldest, r.newest, r.files);
        assert_eq!((rows, files), (2_500, 3));
        assert!(oldest >= now - SPREAD_MS && newest <= now && newest - oldest > SPREAD_MS * 9 / 10);
        let light: i64 =
            sqlx::query_scalar!("SELECT COUNT(*) FROM generations_fts WHERE generations_fts MATCH 'light'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!((1_000..1_500).contains(&light), "about half mention light: {light}");
        let file: String = sqlx::query_scalar!("SELECT file FROM images LIMIT 1").fetch_one(&pool).await.unwrap();
        let bytes = std::fs::read(images::absolute(dir.path(), &file).unwrap()).unwrap();
        assert!(bytes.windows(9).any(|w| w == b"synthetic"), "labelled in a tEXt chunk");
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), IMAGE_SIDE);
        // Seeding again appends after the existing ids.
        synthetic(&pool, dir.path(), 10, now).await.unwrap();
        let n: i64 = sqlx::query_scalar!("SELECT COUNT(*) FROM generations").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 2_510);
    }

    /// Beyond the drawn pictures, each file is a copy told apart by a comment: still a valid PNG and
    /// JPEG (the checksums are right), with a thumbnail of the real thumbnails' size.
    #[tokio::test]
    async fn many_distinct_images_are_valid_files_with_real_sized_thumbnails() {
        let (dir, pool) = fixtures::open().await;
        let plan = SeedPlan { count: 40, distinct_images: DRAWN * 2 + 1, now: 1_800_000_000_000 };
        let report = synthetic_with(&pool, dir.path(), plan).await.unwrap();
        assert_eq!(report.files, plan.distinct_images * 2);
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT DISTINCT file, thumb FROM images").fetch_all(&pool).await.unwrap();
        // Item n (from id 1) has file n mod distinct_images.
        let expected: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT (generation_id - 1) % ?) FROM images")
            .bind(plan.distinct_images)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(expected > i64::from(DRAWN), "more files than drawn pictures: {expected}");
        assert_eq!(rows.len() as i64, expected, "items with the same file are distinct_images apart");
        for (file, thumb) in rows {
            let png = std::fs::read(images::absolute(dir.path(), &file).unwrap()).unwrap();
            let decoded = png::Decoder::new(std::io::Cursor::new(&png[..])).read_info();
            assert!(decoded.is_ok(), "{file} decodes with its checksums checked");
            let thumb = image::load_from_memory(&std::fs::read(images::absolute(dir.path(), &thumb).unwrap()).unwrap())
                .unwrap();
            assert_eq!(thumb.width(), thumbnail::MAX_THUMB_SIDE);
        }
    }
}
