//! Release tooling for Flux Krea Desktop: builds the tauri-plugin-updater feed (`latest.json`) from
//! the signed bundles of a release, refusing anything the updater would later refuse.

pub mod artifacts;
pub mod manifest;
pub mod platform;
pub mod signature;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use artifacts::Artifact;
use manifest::{Manifest, ManifestError, PlatformEntry};
use platform::Platform;
use signature::{PublicKey, SignatureError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{field}: {reason}")]
    Argument { field: &'static str, reason: String },
    #[error("{}: {reason}", path.display())]
    Config { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    Artifact { path: PathBuf, reason: String },
    #[error("{}: signature {} {source}", artifact.display(), sig.display())]
    Signature { artifact: PathBuf, sig: PathBuf, source: SignatureError },
    #[error("platform {platform} is claimed by both {} and {}", first.display(), second.display())]
    DuplicatePlatform { platform: String, first: PathBuf, second: PathBuf },
    #[error("release asset name {name:?} is used by both {} and {} (assets need unique names)", first.display(), second.display())]
    DuplicateAssetName { name: String, first: PathBuf, second: PathBuf },
    #[error("required platform(s) {} have no signed artifact under {}", platforms.join(", "), dir.display())]
    MissingPlatforms { platforms: Vec<String>, dir: PathBuf },
    #[error("no signed updater artifacts (.AppImage, .deb, .rpm, -setup.exe, .msi, .app.tar.gz) under {}", .0.display())]
    NoArtifacts(PathBuf),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// What `latest-json` needs.
pub struct Release<'a> {
    pub version: &'a str,
    pub notes: String,
    /// RFC 3339; `None` = now.
    pub pub_date: Option<String>,
    /// Where the assets will be downloadable, e.g. `https://github.com/o/r/releases/download/v1.2.0`.
    pub base_url: &'a str,
    pub artifacts_dir: &'a Path,
    pub public_key: &'a PublicKey,
    pub require: &'a [Platform],
}

/// Scans, verifies and assembles the manifest; any problem is an error naming the file or platform.
pub fn latest_json(release: &Release) -> Result<Manifest, Error> {
    let option = |field, reason: String| Error::Argument { field, reason };
    semver::Version::parse(release.version)
        .map_err(|e| option("--version", format!("{:?} is not semver ({e})", release.version)))?;
    manifest::check_url(release.base_url).map_err(|e| option("--base-url", e))?;
    let pub_date = match &release.pub_date {
        Some(date) => manifest::check_pub_date(date).map(|()| date.clone()).map_err(|e| option("--pub-date", e))?,
        None => now_rfc3339(),
    };

    let found = artifacts::scan(release.artifacts_dir)?;
    if found.is_empty() {
        return Err(Error::NoArtifacts(release.artifacts_dir.to_owned()));
    }
    check_unique(&found)?;
    let missing: Vec<String> = release
        .require
        .iter()
        .filter(|p| !found.iter().any(|a| a.platforms().contains(p)))
        .map(|p| p.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingPlatforms { platforms: missing, dir: release.artifacts_dir.to_owned() });
    }

    let base_url = release.base_url.trim_end_matches('/');
    let mut platforms = BTreeMap::new();
    for artifact in &found {
        let signature = verified_signature(artifact, release.public_key, release.version)?;
        let url = format!("{base_url}/{}", artifacts::encode_file_name(&artifact.file_name));
        for platform in artifact.platforms() {
            platforms.insert(platform.to_string(), PlatformEntry { signature: signature.clone(), url: url.clone() });
        }
    }
    let manifest =
        Manifest { version: release.version.to_owned(), notes: Some(release.notes.clone()), pub_date, platforms };
    manifest.check()?;
    Ok(manifest)
}

/// Two artifacts for one platform, or two assets with one name (they would overwrite each other
/// on the release page, e.g. both macOS builds' `Flux Krea.app.tar.gz`).
fn check_unique(found: &[Artifact]) -> Result<(), Error> {
    let mut by_platform: BTreeMap<String, &Path> = BTreeMap::new();
    let mut by_name: BTreeMap<&str, &Path> = BTreeMap::new();
    for artifact in found {
        if let Some(first) = by_name.insert(&artifact.file_name, &artifact.path) {
            return Err(Error::DuplicateAssetName {
                name: artifact.file_name.clone(),
                first: first.to_owned(),
                second: artifact.path.clone(),
            });
        }
        for platform in artifact.platforms() {
            if let Some(first) = by_platform.insert(platform.to_string(), &artifact.path) {
                return Err(Error::DuplicatePlatform {
                    platform: platform.to_string(),
                    first: first.to_owned(),
                    second: artifact.path.clone(),
                });
            }
        }
    }
    Ok(())
}

/// The `.sig` text (trimmed) once it verifies over the artifact's bytes and names this version.
fn verified_signature(artifact: &Artifact, key: &PublicKey, version: &str) -> Result<String, Error> {
    let sig_error =
        |source| Error::Signature { artifact: artifact.path.clone(), sig: artifact.sig_path.clone(), source };
    let text = std::fs::read_to_string(&artifact.sig_path)
        .map_err(|source| Error::Io { path: artifact.sig_path.clone(), source })?
        .trim()
        .to_owned();
    let signature = signature::decode(&text).map_err(sig_error)?;
    signature::verify_file(key, &signature, &artifact.path).map_err(sig_error)?;
    // Only trusted once verified: the global signature covers the trusted comment. The app
    // refuses a signature that names no version (`requireSignedVersion`), so one never ships.
    match signature::signed_version(&signature) {
        Some(signed) if signature::same_version(signed, version) => Ok(text),
        Some(signed) => Err(Error::Artifact {
            path: artifact.path.clone(),
            reason: format!("signed for version {signed}, but this release is {version}"),
        }),
        None => Err(Error::Artifact {
            path: artifact.path.clone(),
            reason: format!(
                "{} names no version (sign with `tauri signer sign --app-version {version}`)",
                artifact.sig_path.display()
            ),
        }),
    }
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339).expect("UTC now formats as RFC 3339")
}
