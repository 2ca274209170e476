//! The privacy verbs through the real binary: consents, report, export, erasure.

use std::process::Output;

use flux_krea_core::testing::Sandbox;

fn cli(sandbox: &Sandbox, args: &[&str]) -> Output {
    crate::cli(sandbox).args(args).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn consents_report_export_and_erase_from_the_command_line() {
    // Erasure asks the platform too when a session is in the keychain: not the sign-in test's.
    let _turn = crate::KEYCHAIN.blocking_lock();
    let sandbox = Sandbox::new();
    let consents = json(&cli(&sandbox, &["privacy", "consents"]));
    assert!(consents.as_array().unwrap().iter().all(|c| c["granted"] == false), "off by default");
    let consents = json(&cli(&sandbox, &["privacy", "consents", "--set", "marketing_emails=on"]));
    let marketing = consents.as_array().unwrap().iter().find(|c| c["name"] == "marketing_emails").unwrap();
    assert_eq!((marketing["granted"].as_bool(), marketing["source"].as_str()), (Some(true), Some("cli")));
    let bad = cli(&sandbox, &["privacy", "consents", "--set", "tracking=on"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("consent: unknown consent"), "{bad:?}");

    json(&cli(&sandbox, &["retention", "set", "--forever"]));
    let seeded = cli(&sandbox, &["seed", "--count", "25"]);
    // Progress on stderr (not a terminal here: a line per tenth and the end), the answer on stdout.
    assert!(String::from_utf8_lossy(&seeded.stderr).contains("seeding: 25 of 25 (100 %)"), "{seeded:?}");
    assert_eq!(json(&seeded)["generations"], 25);
    let report = json(&cli(&sandbox, &["privacy", "report"]));
    assert_eq!(report["kinds"][0]["count"], 25.0);
    let out = sandbox.path().join("export.zip");
    let exported = json(&cli(&sandbox, &["privacy", "export", "--out", out.to_str().unwrap()]));
    assert_eq!(exported["generations"], 25);
    assert!(out.is_file());
    let before = String::from_utf8(cli(&sandbox, &["history", "search", "a"]).stdout).unwrap();
    assert!(!before.trim().is_empty(), "the seeded prompts are searchable before erasure");
    let erased = json(&cli(&sandbox, &["privacy", "erase", "--prompts"]));
    assert_eq!(erased["generations"], 25);
    let found = String::from_utf8(cli(&sandbox, &["history", "search", "a"]).stdout).unwrap();
    assert!(found.trim().is_empty(), "search finds nothing after erasure: {found}");
    let erased = json(&cli(&sandbox, &["privacy", "erase", "--all"]));
    assert_eq!(erased["generations"], 25);
    let none = cli(&sandbox, &["privacy", "erase"]);
    assert!(!none.status.success(), "erase needs --prompts or --all");
}
