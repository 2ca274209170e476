//! The static update feed tauri-plugin-updater reads (`latest.json`): types, parser and checks.
//! `parse` never panics on any input, so a fuzz target can call it directly.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::platform::Platform;
use crate::signature;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub pub_date: String,
    #[serde(deserialize_with = "unique_keys")]
    pub platforms: BTreeMap<String, PlatformEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformEntry {
    pub signature: String,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("not a latest.json manifest: {0}")]
    Json(#[from] serde_json::Error),
    /// Every problem found, each as `field: reason`.
    #[error("invalid latest.json:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
}

/// Parses and checks a manifest (see [`Manifest::check`]).
pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let manifest: Manifest = serde_json::from_slice(bytes)?;
    manifest.check()?;
    Ok(manifest)
}

/// Checks an RFC 3339 date-time as the updater parses `pub_date`.
pub fn check_pub_date(date: &str) -> Result<(), String> {
    OffsetDateTime::parse(date, &Rfc3339).map(drop).map_err(|e| format!("{date:?} is not an RFC 3339 date-time ({e})"))
}

/// Download URLs must be absolute https URLs without spaces (the updater refuses plain http in
/// release builds, and a space means the file name was not percent-encoded).
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").ok_or_else(|| format!("{url:?} is not an https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{url:?} has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} contains whitespace"));
    }
    Ok(())
}

impl Manifest {
    /// Complete entries, a semver `version`, an RFC 3339 `pub_date`, known platform key shapes,
    /// https URLs, signatures that decode as minisign signatures and, where a signature names the
    /// version it was signed for, that version.
    pub fn check(&self) -> Result<(), ManifestError> {
        let mut problems = Vec::new();
        if let Err(e) = semver::Version::parse(&self.version) {
            problems.push(format!("version: {:?} is not semver ({e})", self.version));
        }
        if let Err(e) = check_pub_date(&self.pub_date) {
            problems.push(format!("pub_date: {e}"));
        }
        if self.platforms.is_empty() {
            problems.push("platforms: empty".into());
        }
        for (key, entry) in &self.platforms {
            if let Err(e) = key.parse::<Platform>() {
                problems.push(format!("platforms.{key}: {e}"));
            }
            if entry.url.is_empty() {
                problems.push(format!("platforms.{key}.url: empty"));
            } else if let Err(e) = check_url(&entry.url) {
                problems.push(format!("platforms.{key}.url: {e}"));
            }
            if entry.signature.trim().is_empty() {
                problems.push(format!("platforms.{key}.signature: empty"));
                continue;
            }
            match signature::decode(&entry.signature) {
                Err(e) => problems.push(format!("platforms.{key}.signature: {e}")),
                Ok(sig) => match signature::signed_version(&sig) {
                    Some(signed) if !signature::same_version(signed, &self.version) => problems
                        .push(format!("platforms.{key}.signature: signed for version {signed}, not {}", self.version)),
                    Some(_) => {}
                    // The app refuses these (`requireSignedVersion`): a feed must not carry one.
                    None => problems.push(format!(
                        "platforms.{key}.signature: names no version; the app installs only signatures made for {}",
                        self.version
                    )),
                },
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ManifestError::Invalid(problems))
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a manifest always serializes");
        json.push('\n');
        json
    }
}

/// The `update_manifest` fuzz target's property, also replayed over its corpus by this crate's
/// tests: any bytes either fail with an explanation or give a manifest that writes back out and
/// reads back the same. Panics when that does not hold.
#[doc(hidden)]
pub fn round_trip_property(bytes: &[u8]) {
    match parse(bytes) {
        Ok(m) => match parse(m.to_json().as_bytes()) {
            Ok(again) => assert_eq!(again, m, "a manifest changed on its way out and back"),
            Err(e) => panic!("a manifest it accepted does not read back: {e}"),
        },
        Err(e) => assert!(!e.to_string().is_empty(), "a refusal that says nothing"),
    }
}

/// Like a plain map, but a platform key given twice is an error rather than "last one wins".
fn unique_keys<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, PlatformEntry>, D::Error> {
    struct Unique;
    impl<'de> Visitor<'de> for Unique {
        type Value = BTreeMap<String, PlatformEntry>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of platform entries")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((key, entry)) = map.next_entry::<String, PlatformEntry>()? {
                if out.contains_key(&key) {
                    return Err(serde::de::Error::custom(format_args!("platform {key:?} appears twice")));
                }
                out.insert(key, entry);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Unique)
}
