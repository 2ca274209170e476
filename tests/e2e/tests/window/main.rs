//! The end-to-end tests: the built app in a real window over WebDriver (`--ignored`, run by
//! scripts/test.sh with `--test-threads=1`). One test binary, not one per file: each linked the
//! harness, the fakes and the core, which cost CI minutes and gigabytes of disk.
//!
//! One file: `cargo test -p flux-krea-e2e --test window journey:: -- --ignored`.

mod accessibility;
mod account;
mod clipboard;
mod compare;
mod date_jump;
mod gallery;
mod generation;
mod journey;
mod keyboard;
mod lineage;
mod privacy;
mod prompt_editor;
mod results;
mod security;
mod service;
mod shell;
mod updates;
mod viewer;
