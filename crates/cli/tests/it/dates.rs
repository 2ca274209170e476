//! `history dates` and `history list --at` (#21): the months that hold items, and a listing that
//! starts at one of them, through the real binary over a seeded history.

use flux_krea_core::clock::parse_rfc3339;
use flux_krea_core::testing::Sandbox;
use serde_json::Value;

fn run(tmp: &Sandbox, args: &[&str]) -> String {
    let out = crate::cli(tmp).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

fn time(value: &Value) -> i64 {
    parse_rfc3339(value.as_str().unwrap()).unwrap()
}

#[test]
fn dates_list_the_months_and_list_at_starts_in_the_chosen_one() {
    let tmp = Sandbox::new();
    run(&tmp, &["seed", "--count", "400"]);
    let months: Vec<Value> = serde_json::from_str(&run(&tmp, &["history", "dates", "--json"])).unwrap();
    assert!(months.len() > 6, "seeded over ~18 months: {months:?}");
    let total: i64 = months.iter().map(|m| m["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 400);
    assert!(months.windows(2).all(|w| time(&w[0]["starts_at"]) > time(&w[1]["starts_at"])), "newest first");

    let month = &months[months.len() / 2];
    let label = format!("{}-{:02}", month["year"], month["month"].as_i64().unwrap());
    let listed: Vec<Value> =
        serde_json::from_str(&run(&tmp, &["history", "list", "--at", &label, "--limit", "3", "--json"])).unwrap();
    let first = time(&listed[0]["created_at"]);
    assert!((time(&month["starts_at"])..time(&month["ends_at"])).contains(&first), "{label}: {listed:?}");
    // Its newest item: nothing of that month is newer.
    let days: Vec<Value> = serde_json::from_str(&run(&tmp, &["history", "dates", "--days", &label, "--json"])).unwrap();
    assert!(time(&days[0]["ends_at"]) > first && time(&days[0]["starts_at"]) <= first, "{days:?}");
    assert_eq!(days.iter().map(|d| d["count"].as_i64().unwrap()).sum::<i64>(), month["count"].as_i64().unwrap());

    let text = run(&tmp, &["history", "dates"]);
    assert!(
        text.lines().any(|l| l.starts_with(&label) && l.trim_end().ends_with(&month["count"].to_string())),
        "{text}"
    );
}

#[test]
fn a_bad_date_names_the_option() {
    let tmp = Sandbox::new();
    let out = crate::cli(&tmp).args(["history", "list", "--at", "last tuesday"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("at") && stderr.contains("YYYY-MM"), "{stderr}");
}
