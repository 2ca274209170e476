//! `manifest::parse` (what `validate` and a future fuzz target run) on good and malformed feeds.

use std::fs;
use std::process::Command;

use flux_krea_release::manifest::{self, ManifestError};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/updates");

fn sig(kind: &str) -> String {
    fs::read_to_string(format!("{FIXTURES}/flux-krea_9.9.9_amd64.AppImage.{kind}.sig")).unwrap().trim().to_owned()
}

fn good() -> Value {
    json!({
        "version": "9.9.9",
        "notes": "Fixes.",
        "pub_date": "2026-11-28T10:00:00+01:00",
        "platforms": {
            "linux-x86_64": { "signature": sig("test"), "url": "https://example.com/d/Flux.Krea_9.9.9_amd64.AppImage" },
            "darwin-aarch64-app": { "signature": sig("other"), "url": "https://example.com/d/Flux.Krea.app.tar.gz" }
        }
    })
}

/// The problems `parse` reports for `value`, joined.
fn problems(value: &Value) -> String {
    match manifest::parse(value.to_string().as_bytes()) {
        Ok(_) => panic!("accepted: {value}"),
        Err(e) => e.to_string(),
    }
}

fn with(pointer: &str, new: Value) -> Value {
    let mut value = good();
    *value.pointer_mut(pointer).unwrap() = new;
    value
}

#[test]
fn a_complete_manifest_parses() {
    let parsed = manifest::parse(good().to_string().as_bytes()).unwrap();
    assert_eq!(parsed.version, "9.9.9");
    assert_eq!(parsed.platforms.len(), 2);
    // notes are optional for the updater
    let mut value = good();
    value.as_object_mut().unwrap().remove("notes");
    assert_eq!(manifest::parse(value.to_string().as_bytes()).unwrap().notes, None);
}

#[test]
fn not_json_or_wrong_shape_is_refused() {
    for bad in [&b""[..], b"{", b"[]", b"null", b"\xff\xfe", b"{\"version\": 1}"] {
        assert!(matches!(manifest::parse(bad), Err(ManifestError::Json(_))), "{bad:?}");
    }
    let mut value = good();
    value.as_object_mut().unwrap().remove("version");
    assert!(problems(&value).contains("missing field `version`"));
    assert!(problems(&with("/platforms/linux-x86_64", json!({"url": "https://e.com/a"})))
        .contains("missing field `signature`"));
    // A typo is not silently ignored.
    let mut value = good();
    value.as_object_mut().unwrap().insert("pubDate".into(), json!("2026-11-28T10:00:00Z"));
    assert!(problems(&value).contains("unknown field `pubDate`"));
}

#[test]
fn version_and_date_are_checked() {
    assert!(problems(&with("/version", json!("1.2"))).contains("version: \"1.2\" is not semver"));
    assert!(problems(&with("/version", json!("v1.2.0"))).contains("is not semver"));
    assert!(problems(&with("/pub_date", json!("2026-11-28"))).contains("pub_date: \"2026-11-28\" is not an RFC 3339"));
    assert!(problems(&with("/pub_date", json!("28 Nov 2026 10:00:00 GMT"))).contains("pub_date:"));
}

#[test]
fn platform_keys_must_have_a_known_shape() {
    for key in ["linux-x86-64", "macos-aarch64", "linux-x86_64-msi", "windows", "linux-x86_64-AppImage"] {
        let mut value = good();
        value["platforms"][key] = value["platforms"]["linux-x86_64"].clone();
        assert!(problems(&value).contains(&format!("platforms.{key}:")), "{key}");
    }
    assert!(problems(&with("/platforms", json!({}))).contains("platforms: empty"));
    let twice = good().to_string().replacen("\"darwin-aarch64-app\"", "\"linux-x86_64\"", 1);
    assert!(manifest::parse(twice.as_bytes()).unwrap_err().to_string().contains("\"linux-x86_64\" appears twice"));
}

#[test]
fn entries_must_be_complete() {
    let err = problems(&with("/platforms/linux-x86_64/url", json!("")));
    assert!(err.contains("platforms.linux-x86_64.url: empty"), "{err}");
    let err = problems(&with("/platforms/linux-x86_64/signature", json!(" ")));
    assert!(err.contains("platforms.linux-x86_64.signature: empty"), "{err}");
    let err = problems(&with("/platforms/linux-x86_64/url", json!("http://example.com/a")));
    assert!(err.contains("is not an https:// URL"), "{err}");
    let err = problems(&with("/platforms/linux-x86_64/url", json!("https://example.com/Flux Krea.AppImage")));
    assert!(err.contains("contains whitespace"), "{err}");
    let err = problems(&with("/platforms/linux-x86_64/signature", json!("not base64!")));
    assert!(err.contains("platforms.linux-x86_64.signature: is not base64"), "{err}");
    let err = problems(&with("/platforms/linux-x86_64/signature", json!("aGVsbG8=")));
    assert!(err.contains("does not decode as a minisign signature"), "{err}");
}

#[test]
fn signatures_must_be_for_the_manifest_version() {
    let err = problems(&with("/platforms/linux-x86_64/signature", json!(sig("beta"))));
    assert!(err.contains("platforms.linux-x86_64.signature: signed for version 10.0.0-beta.1, not 9.9.9"), "{err}");
}

/// The app installs only signatures whose trusted comment names the offered version
/// (`requireSignedVersion`), so a feed with an unversioned one is refused before it ships.
#[test]
fn signatures_must_name_a_version() {
    let err = problems(&with("/platforms/linux-x86_64/signature", json!(sig("unversioned"))));
    assert!(err.contains("platforms.linux-x86_64.signature: names no version"), "{err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut value = with("/version", json!("one"));
    value["platforms"]["linux-x86_64"]["url"] = json!("");
    let err = problems(&value);
    assert!(err.contains("version:") && err.contains("platforms.linux-x86_64.url: empty"), "{err}");
}

#[test]
fn parse_never_panics_on_truncated_or_mangled_input() {
    let text = good().to_string();
    for end in 0..text.len() {
        let _ = manifest::parse(&text.as_bytes()[..end]);
    }
    let mut bytes = text.into_bytes();
    for i in (0..bytes.len()).step_by(7) {
        bytes[i] = bytes[i].wrapping_add(1);
        let _ = manifest::parse(&bytes);
    }
}

#[test]
fn validate_command_exit_status() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("latest.json");
    let validate = |require: &str| {
        Command::new(env!("CARGO_BIN_EXE_flux-krea-release"))
            .args(["validate", "--require", require])
            .arg(&file)
            .output()
            .unwrap()
    };
    fs::write(&file, good().to_string()).unwrap();
    assert!(validate("linux-x86_64").status.success());
    let out = validate("linux-x86_64,windows-x86_64");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("required platform(s) missing: windows-x86_64"));
    fs::write(&file, with("/pub_date", json!("yesterday")).to_string()).unwrap();
    let out = validate("linux-x86_64");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("latest.json: invalid latest.json:\n  pub_date:"));
}
