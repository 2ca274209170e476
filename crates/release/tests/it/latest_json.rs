//! `latest-json` over artifact trees built from tests/fixtures/updates: one 96 KiB artifact signed
//! for 9.9.9 by test.key.pub (`.test.sig`), for 10.0.0-beta.1 (`.beta.sig`), by another key
//! (`.other.sig`) and with no version by a third (`.unversioned.sig`). Signatures cover bytes, not names, so copies under any name still verify.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use flux_krea_release::platform::Platform;
use flux_krea_release::signature::{self, PublicKey};
use flux_krea_release::{latest_json, manifest, Error, Release};
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/updates");
const ARTIFACT: &str = "flux-krea_9.9.9_amd64.AppImage";
const BASE: &str = "https://github.com/flux-krea/flux-krea-desktop/releases/download/v9.9.9";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn test_key() -> PublicKey {
    signature::decode_public_key(&fs::read_to_string(fixture("test.key.pub")).unwrap()).unwrap()
}

/// Puts the fixture artifact at `rel` with the signature `sig` ("test", "beta", "other", "unversioned") beside it.
fn put(root: &Path, rel: &str, sig: &str) -> PathBuf {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::copy(fixture(ARTIFACT), &path).unwrap();
    fs::copy(fixture(&format!("{ARTIFACT}.{sig}.sig")), format!("{}.sig", path.display())).unwrap();
    path
}

/// What the release workflow downloads: one folder per target triple.
fn complete_tree() -> TempDir {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    put(root, "x86_64-unknown-linux-gnu/appimage/Flux.Krea_9.9.9_amd64.AppImage", "test");
    put(root, "x86_64-unknown-linux-gnu/deb/Flux.Krea_9.9.9_amd64.deb", "test");
    put(root, "x86_64-unknown-linux-gnu/rpm/Flux.Krea-9.9.9-1.x86_64.rpm", "test");
    put(root, "x86_64-pc-windows-msvc/nsis/Flux Krea_9.9.9_x64-setup.exe", "test");
    put(root, "x86_64-pc-windows-msvc/msi/Flux.Krea_9.9.9_x64_en-US.msi", "test");
    // No arch in the name: it comes from the target-triple folder.
    put(root, "aarch64-apple-darwin/macos/Flux.Krea.app.tar.gz", "test");
    put(root, "x86_64-apple-darwin/macos/Flux.Krea_x64.app.tar.gz", "test");
    // Not updater artifacts: ignored.
    fs::write(root.join("aarch64-apple-darwin/macos/Flux.Krea_9.9.9_aarch64.dmg"), b"dmg").unwrap();
    fs::create_dir_all(root.join("aarch64-apple-darwin/macos/Flux Krea.app/Contents")).unwrap();
    fs::write(root.join("x86_64-unknown-linux-gnu/deb/notes.txt"), b"x").unwrap();
    dir
}

fn required() -> Vec<Platform> {
    ["linux-x86_64", "windows-x86_64", "darwin-x86_64", "darwin-aarch64"].iter().map(|k| k.parse().unwrap()).collect()
}

fn run(dir: &Path, version: &str) -> Result<manifest::Manifest, Error> {
    let key = test_key();
    let require = required();
    latest_json(&Release {
        version,
        notes: "Faster gallery.".into(),
        pub_date: Some("2026-11-28T10:00:00Z".into()),
        base_url: BASE,
        artifacts_dir: dir,
        public_key: &key,
        require: &require,
    })
}

fn error_text(dir: &Path, version: &str) -> String {
    run(dir, version).expect_err("should be refused").to_string()
}

#[test]
fn complete_tree_gives_the_full_manifest() {
    let tree = complete_tree();
    let manifest = run(tree.path(), "9.9.9").unwrap();
    let sig = fs::read_to_string(fixture(&format!("{ARTIFACT}.test.sig"))).unwrap().trim().to_owned();
    let entry = |file: &str| serde_json::json!({ "signature": sig, "url": format!("{BASE}/{file}") });
    let expected = serde_json::json!({
        "version": "9.9.9",
        "notes": "Faster gallery.",
        "pub_date": "2026-11-28T10:00:00Z",
        "platforms": {
            "linux-x86_64": entry("Flux.Krea_9.9.9_amd64.AppImage"),
            "linux-x86_64-appimage": entry("Flux.Krea_9.9.9_amd64.AppImage"),
            "linux-x86_64-deb": entry("Flux.Krea_9.9.9_amd64.deb"),
            "linux-x86_64-rpm": entry("Flux.Krea-9.9.9-1.x86_64.rpm"),
            "windows-x86_64": entry("Flux%20Krea_9.9.9_x64-setup.exe"),
            "windows-x86_64-nsis": entry("Flux%20Krea_9.9.9_x64-setup.exe"),
            "windows-x86_64-msi": entry("Flux.Krea_9.9.9_x64_en-US.msi"),
            "darwin-aarch64": entry("Flux.Krea.app.tar.gz"),
            "darwin-aarch64-app": entry("Flux.Krea.app.tar.gz"),
            "darwin-x86_64": entry("Flux.Krea_x64.app.tar.gz"),
            "darwin-x86_64-app": entry("Flux.Krea_x64.app.tar.gz"),
        }
    });
    let json = manifest.to_json();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap(), expected);
    // Field order as the docs show it, and the output passes `validate`.
    assert!(
        json.find("\"version\"") < json.find("\"notes\"") && json.find("\"pub_date\"") < json.find("\"platforms\"")
    );
    assert_eq!(manifest::parse(json.as_bytes()).unwrap(), manifest);
}

#[test]
fn signature_bound_to_a_prerelease_version_is_accepted_for_that_version() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "Flux.Krea_10.0.0-beta.1_amd64.AppImage", "beta");
    let key = test_key();
    let manifest = latest_json(&Release {
        version: "10.0.0-beta.1",
        notes: String::new(),
        pub_date: None,
        base_url: BASE,
        artifacts_dir: dir.path(),
        public_key: &key,
        require: &["linux-x86_64".parse().unwrap()],
    })
    .unwrap();
    assert_eq!(manifest.platforms.len(), 2);
    manifest::check_pub_date(&manifest.pub_date).unwrap(); // the default "now"
}

#[test]
fn missing_required_platforms_are_named() {
    let tree = complete_tree();
    fs::remove_dir_all(tree.path().join("aarch64-apple-darwin")).unwrap();
    fs::remove_dir_all(tree.path().join("x86_64-pc-windows-msvc/nsis")).unwrap();
    let err = error_text(tree.path(), "9.9.9");
    // The MSI alone does not serve the plain windows-x86_64 key (NSIS does).
    assert!(err.contains("windows-x86_64, darwin-aarch64"), "{err}");
    assert!(!err.contains("linux"), "{err}");
}

#[test]
fn tampered_artifact_is_refused_naming_the_file() {
    let tree = complete_tree();
    let path = tree.path().join("x86_64-unknown-linux-gnu/deb/Flux.Krea_9.9.9_amd64.deb");
    let mut bytes = fs::read(&path).unwrap();
    bytes[50_000] ^= 0x01;
    fs::write(&path, bytes).unwrap();
    let err = error_text(tree.path(), "9.9.9");
    assert!(err.contains("Flux.Krea_9.9.9_amd64.deb:"), "{err}");
    assert!(err.contains("does not match the file's bytes"), "{err}");
}

#[test]
fn signature_from_another_key_is_refused() {
    let tree = complete_tree();
    put(tree.path(), "x86_64-pc-windows-msvc/msi/Flux.Krea_9.9.9_x64_en-US.msi", "other");
    let err = error_text(tree.path(), "9.9.9");
    assert!(err.contains("Flux.Krea_9.9.9_x64_en-US.msi:"), "{err}");
    assert!(err.contains("different key"), "{err}");
}

#[test]
fn signature_for_another_version_is_refused() {
    let tree = complete_tree();
    put(tree.path(), "x86_64-unknown-linux-gnu/rpm/Flux.Krea-9.9.9-1.x86_64.rpm", "beta");
    let err = error_text(tree.path(), "9.9.9");
    assert!(
        err.contains("Flux.Krea-9.9.9-1.x86_64.rpm: signed for version 10.0.0-beta.1, but this release is 9.9.9"),
        "{err}"
    );
    // And the other way round: every 9.9.9 signature refuses a 9.9.10 release.
    let err = error_text(complete_tree().path(), "9.9.10");
    assert!(err.contains("signed for version 9.9.9, but this release is 9.9.10"), "{err}");
}

/// A genuine signature by the release key but with no version in its trusted comment: the app
/// would refuse it (`requireSignedVersion`), so the release tool does first. The fixture's own key
/// (`unversioned.key.pub`) made it, so it verifies and only the missing version is wrong.
#[test]
fn signature_without_a_version_is_refused() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "Flux.Krea_9.9.9_amd64.AppImage", "unversioned");
    let key = signature::decode_public_key(&fs::read_to_string(fixture("unversioned.key.pub")).unwrap()).unwrap();
    let err = latest_json(&Release {
        version: "9.9.9",
        notes: String::new(),
        pub_date: None,
        base_url: BASE,
        artifacts_dir: dir.path(),
        public_key: &key,
        require: &["linux-x86_64".parse().unwrap()],
    })
    .expect_err("an unversioned signature was accepted")
    .to_string();
    assert!(err.contains("Flux.Krea_9.9.9_amd64.AppImage.sig names no version"), "{err}");
    assert!(err.contains("--app-version 9.9.9"), "{err}");
}

#[test]
fn artifact_without_its_sig_is_refused() {
    let tree = complete_tree();
    fs::remove_file(tree.path().join("x86_64-apple-darwin/macos/Flux.Krea_x64.app.tar.gz.sig")).unwrap();
    let err = error_text(tree.path(), "9.9.9");
    assert!(err.contains("Flux.Krea_x64.app.tar.gz: no signature Flux.Krea_x64.app.tar.gz.sig"), "{err}");
}

#[test]
fn two_artifacts_for_one_platform_are_refused() {
    let tree = complete_tree();
    put(tree.path(), "x86_64-unknown-linux-gnu/appimage/old/Flux.Krea_9.9.8_amd64.AppImage", "test");
    let err = error_text(tree.path(), "9.9.9");
    assert!(err.contains("platform linux-x86_64") && err.contains("claimed by both"), "{err}");
    assert!(err.contains("Flux.Krea_9.9.8_amd64.AppImage") && err.contains("Flux.Krea_9.9.9_amd64.AppImage"), "{err}");
}

#[test]
fn two_assets_with_one_name_are_refused() {
    // Both macOS builds name their archive after the product: they would overwrite each other.
    let tree = complete_tree();
    fs::remove_dir_all(tree.path().join("x86_64-apple-darwin")).unwrap();
    put(tree.path(), "x86_64-apple-darwin/macos/Flux.Krea.app.tar.gz", "test");
    let err = error_text(tree.path(), "9.9.9");
    assert!(err.contains("asset name \"Flux.Krea.app.tar.gz\" is used by both"), "{err}");
}

#[test]
fn architecture_must_be_known_and_consistent() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "macos/Flux.Krea.app.tar.gz", "test");
    assert!(error_text(dir.path(), "9.9.9").contains("Flux.Krea.app.tar.gz: no architecture"));

    let dir = TempDir::new().unwrap();
    put(dir.path(), "aarch64-unknown-linux-gnu/deb/Flux.Krea_9.9.9_amd64.deb", "test");
    let err = error_text(dir.path(), "9.9.9");
    assert!(err.contains("file name says x86_64 but it is inside a aarch64 target folder"), "{err}");

    let dir = TempDir::new().unwrap();
    put(dir.path(), "x86_64-apple-darwin/Flux.Krea_9.9.9_x64-setup.exe", "test");
    assert!(error_text(dir.path(), "9.9.9").contains("a windows installer inside a darwin target folder"));
}

#[test]
fn bad_options_are_named() {
    let tree = complete_tree();
    assert!(error_text(tree.path(), "1.2").starts_with("--version: \"1.2\" is not semver"));
    let empty = TempDir::new().unwrap();
    assert!(error_text(empty.path(), "9.9.9").contains("no signed updater artifacts"));
}

#[test]
fn public_key_comes_from_the_tauri_config() {
    // The committed release config holds the real release key: it parses but does not trust the fixtures.
    let release_conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tauri.release.conf.json");
    let release_key = signature::public_key_from_tauri_config(&release_conf).unwrap();
    assert_ne!(release_key, test_key());

    let dir = TempDir::new().unwrap();
    let conf = dir.path().join("conf.json");
    fs::write(&conf, r#"{"plugins":{"updater":{"endpoints":[]}}}"#).unwrap();
    let err = signature::public_key_from_tauri_config(&conf).unwrap_err().to_string();
    assert!(err.contains("conf.json: plugins.updater.pubkey: missing"), "{err}");
    fs::write(&conf, r#"{"plugins":{"updater":{"pubkey":"bm90IGEga2V5"}}}"#).unwrap();
    let err = signature::public_key_from_tauri_config(&conf).unwrap_err().to_string();
    assert!(err.contains("plugins.updater.pubkey does not decode as a minisign public key"), "{err}");
}

/// The binary: exit status, the config-file key, and no output file at all on failure.
#[test]
fn cli_writes_only_on_success() {
    let tree = complete_tree();
    let work = TempDir::new().unwrap();
    let conf = work.path().join("tauri.test.conf.json");
    let pubkey = fs::read_to_string(fixture("test.key.pub")).unwrap();
    fs::write(&conf, serde_json::json!({ "plugins": { "updater": { "pubkey": pubkey.trim() } } }).to_string()).unwrap();
    fs::write(work.path().join("NOTES.md"), "Notes\n\n").unwrap();
    let out = work.path().join("latest.json");
    let cli = |version: &str| {
        Command::new(env!("CARGO_BIN_EXE_flux-krea-release"))
            .args(["latest-json", "--version", version, "--base-url", BASE, "-o"])
            .arg(&out)
            .arg("--notes-file")
            .arg(work.path().join("NOTES.md"))
            .arg("--artifacts")
            .arg(tree.path())
            .arg("--pubkey-from")
            .arg(&conf)
            .args(["--require", "linux-x86_64,windows-x86_64,darwin-x86_64,darwin-aarch64"])
            .output()
            .unwrap()
    };

    let failed = cli("9.9.10");
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("signed for version 9.9.9"));
    assert_eq!(fs::read_dir(work.path()).unwrap().count(), 2, "nothing written besides the inputs");

    let ok = cli("9.9.9");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let written = manifest::parse(&fs::read(&out).unwrap()).unwrap();
    assert_eq!(written.notes.as_deref(), Some("Notes"));
    assert_eq!(written.platforms.len(), 11);
    assert_eq!(fs::read_dir(work.path()).unwrap().count(), 3, "no temp file left behind");

    let validate = Command::new(env!("CARGO_BIN_EXE_flux-krea-release"))
        .args(["validate", "--require", "darwin-aarch64-app"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(validate.status.success());
}
