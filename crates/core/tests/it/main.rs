//! The core's integration tests, as one test binary: the real core against the fakes, the real
//! SQLite file and the real keychain. One binary, not one per file, because each links the whole
//! core (and the fakes): a file each cost CI minutes of linking and gigabytes of disk.

mod account;
mod bad_input;
mod exif;
mod fuzz_corpus;
mod generation;
mod inputs;
mod origins;
mod picked_paths;
mod plan;
mod privacy;
mod styles;

/// The keychain's entries are one per OS user and every test here shares them: the tests that
/// write or erase them (sign-in, an own Replicate key, erase everything) take turns.
pub static KEYCHAIN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A core with its data and logs in `dir` (`data/`, `logs/`), configured by nothing else.
pub async fn core_in(dir: &std::path::Path) -> flux_krea_core::Core {
    let data = dir.join("data").display().to_string();
    let logs = dir.join("logs").display().to_string();
    let config = flux_krea_core::Config::resolve(&dir.join("none.toml"), move |k| match k {
        "FLUX_KREA_DATA_DIR" => Some(data.clone()),
        "FLUX_KREA_LOG_DIR" => Some(logs.clone()),
        _ => None,
    })
    .unwrap();
    flux_krea_core::Core::open(&config.data_dir.value.clone(), config).await.unwrap()
}
