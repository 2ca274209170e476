//! Runs the real binary with an isolated environment.

use flux_krea_core::testing::Sandbox;

/// The defaults in force: no URL set (none of these tests reaches Replicate).
fn sandbox() -> Sandbox {
    Sandbox::new().without("FLUX_KREA_REPLICATE_URL")
}

#[test]
fn version_prints_the_crate_version() {
    let tmp = sandbox();
    let out = crate::cli(&tmp).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("flux-krea-cli {}", env!("CARGO_PKG_VERSION")));
}

/// Needs the keychain (scripts/test.sh runs the suite in a D-Bus session with gnome-keyring).
#[test]
fn doctor_reports_the_config_in_force_and_passes() {
    let tmp = sandbox();
    let out = crate::cli(&tmp)
        .args(["doctor", "--json"])
        .env("FLUX_KREA_PLATFORM_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["config"]["platform_url"]["value"], "http://127.0.0.1:9");
    assert_eq!(
        report["config"]["platform_url"]["source"],
        serde_json::json!({"from": "env", "name": "FLUX_KREA_PLATFORM_URL"})
    );
    assert_eq!(report["config"]["replicate_url"]["value"], "https://api.replicate.com/v1");
    assert_eq!(report["keychain"]["status"], "ok");
    assert_eq!(report["database"]["Ok"]["journal_mode"], "wal");
    assert_eq!(report["database"]["Ok"]["integrity"], "ok");
    assert!(tmp.path().join("data/history.db").exists());
    let logs: Vec<_> = std::fs::read_dir(tmp.path().join("logs")).unwrap().collect();
    assert_eq!(logs.len(), 1, "one rolling log file");
}

#[test]
fn doctor_refuses_plain_http_to_a_remote_host_and_names_the_variable() {
    let tmp = sandbox();
    let out =
        crate::cli(&tmp).arg("doctor").env("FLUX_KREA_REPLICATE_URL", "http://api.replicate.com/v1").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("FLUX_KREA_REPLICATE_URL") && stderr.contains("plain http"), "{stderr}");
    assert!(!tmp.path().join("data").exists(), "nothing is created when the config is refused");
}

#[test]
fn a_broken_config_file_is_named() {
    let tmp = sandbox();
    std::fs::write(tmp.path().join("config.toml"), "platform_url = \n").unwrap();
    let out = crate::cli(&tmp).arg("doctor").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config.toml"), "{stderr}");
}

#[test]
fn settings_set_persists_and_bad_values_name_the_field() {
    let tmp = sandbox();
    let out = crate::cli(&tmp).args(["settings", "set", "theme", "dark"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = crate::cli(&tmp).args(["settings", "get"]).output().unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["theme"], "dark");

    let out = crate::cli(&tmp).args(["settings", "set", "theme", "neon"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: theme:"), "{stderr}");
    let out = crate::cli(&tmp).arg("settings").output().unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["theme"], "dark", "a refused value changes nothing");
}
