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
