//! The CLI's tests, as one test binary that runs the real `flux-krea-cli` (one binary, not one per
//! file: each links the fakes and the core, which cost CI minutes of linking and gigabytes of disk).

mod account;
mod dates;
mod doctor;
mod generation;
mod key;
mod lineage;
mod no_keychain;
mod platform_journey;
mod privacy;
mod styles;
mod variations;

/// The real `flux-krea-cli` in a sandboxed install (only the sandbox's variables, none inherited).
pub fn cli(sandbox: &flux_krea_core::testing::Sandbox) -> std::process::Command {
    sandbox.command(env!("CARGO_BIN_EXE_flux-krea-cli"))
}

/// The keychain is one per OS user: the sign-in test and the erasure test take turns.
pub static KEYCHAIN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
