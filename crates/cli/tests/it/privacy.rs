//! The privacy verbs through the real binary: consents, report, export, erasure.

use std::process::{Command, Output};

fn cli(tmp: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux-krea-cli"))
        .env("FLUX_KREA_DATA_DIR", tmp.join("data"))
        .env("FLUX_KREA_LOG_DIR", tmp.join("logs"))
        .env("FLUX_KREA_CONFIG", tmp.join("config.toml"))
        .env_remove("FLUX_KREA_REPLICATE_URL")
        .env_remove("REPLICATE_API_TOKEN")
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn consents_report_export_and_erase_from_the_command_line() {
    // Erasure asks the platform too when a session is in the keychain: not the sign-in test's.
    let _turn = crate::KEYCHAIN.blocking_lock();
    let tmp = tempfile::tempdir().unwrap();
    let consents = json(&cli(tmp.path(), &["privacy", "consents"]));
    assert!(consents.as_array().unwrap().iter().all(|c| c["granted"] == false), "off by default");
    let consents = json(&cli(tmp.path(), &["privacy", "consents", "--set", "marketing_emails=on"]));
    let marketing = consents.as_array().unwrap().iter().find(|c| c["name"] == "marketing_emails").unwrap();
    assert_eq!((marketing["granted"].as_bool(), marketing["source"].as_str()), (Some(true), Some("cli")));
    let bad = cli(tmp.path(), &["privacy", "consents", "--set", "tracking=on"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("consent: unknown consent"), "{bad:?}");

    json(&cli(tmp.path(), &["retention", "set", "--forever"]));
    json(&cli(tmp.path(), &["seed", "--count", "25"]));
    let report = json(&cli(tmp.path(), &["privacy", "report"]));
    assert_eq!(report["kinds"][0]["count"], 25.0);
    let out = tmp.path().join("export.zip");
    let exported = json(&cli(tmp.path(), &["privacy", "export", "--out", out.to_str().unwrap()]));
    assert_eq!(exported["generations"], 25);
    assert!(out.is_file());
    let before = String::from_utf8(cli(tmp.path(), &["history", "search", "a"]).stdout).unwrap();
    assert!(!before.trim().is_empty(), "the seeded prompts are searchable before erasure");
    let erased = json(&cli(tmp.path(), &["privacy", "erase", "--prompts"]));
    assert_eq!(erased["generations"], 25);
    let found = String::from_utf8(cli(tmp.path(), &["history", "search", "a"]).stdout).unwrap();
    assert!(found.trim().is_empty(), "search finds nothing after erasure: {found}");
    let erased = json(&cli(tmp.path(), &["privacy", "erase", "--all"]));
    assert_eq!(erased["generations"], 25);
    let none = cli(tmp.path(), &["privacy", "erase"]);
    assert!(!none.status.success(), "erase needs --prompts or --all");
}
