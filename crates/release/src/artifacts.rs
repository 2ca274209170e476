//! Finds Tauri updater artifacts (bundles with a sibling `.sig`) in a tree of build outputs and
//! works out which updater platforms each one serves.

use std::fs;
use std::path::{Path, PathBuf};

use crate::platform::{parse_target_triple, Arch, Installer, Os, Platform};
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub sig_path: PathBuf,
    /// The release asset name (and last URL segment).
    pub file_name: String,
    pub installer: Installer,
    pub arch: Arch,
}

impl Artifact {
    /// `{os}-{arch}-{installer}`, plus the plain `{os}-{arch}` for the default installer of its OS.
    pub fn platforms(&self) -> Vec<Platform> {
        let specific = Platform { os: self.installer.os(), arch: self.arch, installer: Some(self.installer) };
        let mut keys = vec![specific];
        if self.installer.serves_plain_key() {
            keys.push(Platform { installer: None, ..specific });
        }
        keys
    }
}

/// Every updater artifact under `dir`, sorted by path. A bundle without its `.sig` is an error
/// (nothing unsigned is published by accident); `.dmg` and other non-updater files are ignored.
pub fn scan(dir: &Path) -> Result<Vec<Artifact>, Error> {
    let mut found = Vec::new();
    walk(dir, None, &mut found)?;
    Ok(found)
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_owned(), source }
}

fn walk(dir: &Path, triple: Option<(Os, Arch)>, found: &mut Vec<Artifact>) -> Result<(), Error> {
    let mut entries = fs::read_dir(dir).and_then(|d| d.collect::<Result<Vec<_>, _>>()).map_err(io_error(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let file_type = entry.file_type().map_err(io_error(&path))?;
        if file_type.is_dir() {
            // A macOS .app or Linux .AppDir is a bundle's staging folder, never an updater artifact.
            if !name.ends_with(".app") && !name.ends_with(".AppDir") {
                walk(&path, parse_target_triple(&name).or(triple), found)?;
            }
        } else if let Some(installer) = Installer::from_file_name(&name) {
            if !path.is_file() {
                continue; // a dangling or directory symlink
            }
            found.push(artifact(path, name, installer, triple)?);
        }
    }
    Ok(())
}

fn artifact(path: PathBuf, name: String, installer: Installer, triple: Option<(Os, Arch)>) -> Result<Artifact, Error> {
    let fail = |reason: String| Error::Artifact { path: path.clone(), reason };
    if entry_name_is_lossy(&path, &name) {
        return Err(fail("file name is not UTF-8".into()));
    }
    let from_name = Arch::all_in_file_name(&name);
    if from_name.len() > 1 {
        let names: Vec<_> = from_name.iter().map(|a| a.name()).collect();
        return Err(fail(format!("file name names several architectures ({})", names.join(", "))));
    }
    if let Some((os, triple_arch)) = triple {
        if os != installer.os() {
            return Err(fail(format!("a {} installer inside a {} target folder", installer.os().name(), os.name())));
        }
        if let Some(&arch) = from_name.first().filter(|&&a| a != triple_arch) {
            return Err(fail(format!(
                "file name says {} but it is inside a {} target folder",
                arch.name(),
                triple_arch.name()
            )));
        }
    }
    let arch = from_name.first().copied().or(triple.map(|(_, arch)| arch)).ok_or_else(|| {
        fail(
            "no architecture in the file name and no target-triple folder (e.g. aarch64-apple-darwin/) above it".into(),
        )
    })?;
    let sig_path = path.with_file_name(format!("{name}.sig"));
    if !sig_path.is_file() {
        return Err(fail(format!(
            "no signature {name}.sig beside it (build with TAURI_SIGNING_PRIVATE_KEY set, or remove the file)"
        )));
    }
    Ok(Artifact { path, sig_path, file_name: name, installer, arch })
}

fn entry_name_is_lossy(path: &Path, name: &str) -> bool {
    path.file_name().and_then(|n| n.to_str()) != Some(name)
}

/// Percent-encodes a file name for use as a URL path segment (RFC 3986 unreserved characters stay).
pub fn encode_file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded() {
        assert_eq!(encode_file_name("Flux Krea_1.2.0_x64-setup.exe"), "Flux%20Krea_1.2.0_x64-setup.exe");
        assert_eq!(encode_file_name("a+b#c?ü.deb"), "a%2Bb%23c%3F%C3%BC.deb");
    }
}
