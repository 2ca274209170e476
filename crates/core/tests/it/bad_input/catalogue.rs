//! The catalogue's shape: what a case expects, how an error is checked against it, and the tally
//! that names every failing case.

use super::*;

/// What a case must end in. `{path}`, `{name}`, `{file}`, `{tmp}` stand for the case's file path,
/// file name, config file and temp folder.
#[derive(Debug, Clone, Copy)]
pub(super) enum Expect {
    /// Refused at once: the error's `kind` (as the UI receives it), the fields (or path, or service)
    /// it names — all of them, no more — and phrases its message must contain.
    Refused { kind: &'static str, names: &'static [&'static str], says: &'static [&'static str] },
    /// Queued, then the job ends `failed` with these phrases in its error.
    JobFails { says: &'static [&'static str] },
    /// Not an error: the app copes with it (what it must do is in `note`).
    Accepted { note: &'static str },
}

pub(super) fn fields(names: &'static [&'static str], says: &'static [&'static str]) -> Expect {
    Expect::Refused { kind: "invalid_fields", names, says }
}

pub(super) fn invalid(names: &'static [&'static str], says: &'static [&'static str]) -> Expect {
    Expect::Refused { kind: "invalid_input", names, says }
}

pub(super) fn refused(kind: &'static str, names: &'static [&'static str], says: &'static [&'static str]) -> Expect {
    Expect::Refused { kind, names, says }
}

pub(super) fn job_fails(says: &'static [&'static str]) -> Expect {
    Expect::JobFails { says }
}

/// What every case has: a name, its input as the table shows it, the expectation, and whether it is
/// a known bug (then `expect` is what the app should do).
#[derive(Debug, Clone)]
pub(super) struct Meta {
    pub(super) name: &'static str,
    pub(super) input: String,
    pub(super) expect: Expect,
    /// Phrases the message must NOT contain (a secret it must not echo, a contradiction).
    pub(super) unsaid: &'static [&'static str],
    pub(super) bug: Option<&'static str>,
}

pub(super) fn meta(name: &'static str, input: impl Into<String>, expect: Expect) -> Meta {
    Meta { name, input: input.into(), expect, unsaid: &[], bug: None }
}

impl Meta {
    /// Unused while every catalogued bug is fixed; the next one found is marked with it.
    #[allow(dead_code)]
    pub(super) fn bug(mut self, why: &'static str) -> Meta {
        self.bug = Some(why);
        self
    }

    pub(super) fn unsaid(mut self, phrases: &'static [&'static str]) -> Meta {
        self.unsaid = phrases;
        self
    }
}

/// Checks an error against a case: kind, every name, the phrases, and what it must not say.
pub(super) fn check_error(meta: &Meta, err: &Error, subst: &dyn Fn(&str) -> String) -> Result<(), String> {
    let Expect::Refused { kind, names, says } = meta.expect else {
        return Err(format!("expected {:?}, got the error {err:?}", meta.expect));
    };
    let value = serde_json::to_value(err).map_err(|e| e.to_string())?;
    let got_kind = value["kind"].as_str().unwrap_or("?");
    if got_kind != kind {
        return Err(format!("kind `{got_kind}`, expected `{kind}`: {err}"));
    }
    let mut want: Vec<String> = names.iter().map(|n| subst(n)).collect();
    want.sort();
    let mut got = named(err);
    got.sort();
    if want != got {
        return Err(format!("names {got:?}, expected {want:?}: {err}"));
    }
    if let Error::InvalidFields { fields } = err {
        if let Some(blank) = fields.iter().find(|f| f.reason.trim().is_empty()) {
            return Err(format!("{} has no reason: {err}", blank.field));
        }
    }
    check_text(meta, &err.to_string(), says, subst)
}

pub(super) fn check_text(meta: &Meta, text: &str, says: &[&str], subst: &dyn Fn(&str) -> String) -> Result<(), String> {
    for phrase in says {
        let phrase = subst(phrase);
        if !text.contains(&phrase) {
            return Err(format!("the message lacks {phrase:?}: {text:?}"));
        }
    }
    for phrase in meta.unsaid {
        let phrase = subst(phrase);
        if text.contains(&phrase) {
            return Err(format!("the message must not say {phrase:?}: {text:?}"));
        }
    }
    Ok(())
}

/// What an error names: its field(s), its path, or its service.
pub(super) fn named(err: &Error) -> Vec<String> {
    match err {
        Error::InvalidInput { field, .. } => vec![field.clone()],
        Error::InvalidFields { fields } => fields.iter().map(|f| f.field.clone()).collect(),
        Error::Storage { path, .. } => vec![path.clone()],
        Error::Upstream { service, .. } | Error::Network { service, .. } | Error::Offline { service } => {
            vec![service.clone()]
        }
        Error::Canceled { what } | Error::NotFound { what } => vec![what.clone()],
        _ => Vec::new(),
    }
}

pub(super) fn run_known_bugs() -> bool {
    std::env::var("BAD_INPUT_KNOWN_BUGS").is_ok_and(|v| v == "run")
}

/// One group's results: failures are collected so every failing case is named at the end.
pub(super) struct Tally {
    pub(super) group: &'static str,
    pub(super) ran: usize,
    pub(super) failures: Vec<String>,
}

impl Tally {
    pub(super) fn new(group: &'static str) -> Tally {
        Tally { group, ran: 0, failures: Vec::new() }
    }

    /// False (and says why) for a known bug, unless known bugs are to be run.
    pub(super) fn should_run(&self, meta: &Meta) -> bool {
        match meta.bug {
            Some(why) if !run_known_bugs() => {
                println!("[{}] SKIPPED known bug `{}`: {why}", self.group, meta.name);
                false
            }
            _ => true,
        }
    }

    pub(super) fn record(&mut self, meta: &Meta, outcome: Result<(), String>) {
        self.ran += 1;
        match (outcome, meta.bug) {
            (Ok(()), None) => println!("[{}] ok `{}`", self.group, meta.name),
            (Err(e), None) => {
                println!("[{}] FAILED `{}`: {e}", self.group, meta.name);
                self.failures.push(format!("`{}`: {e}", meta.name));
            }
            (Ok(()), Some(why)) => {
                println!("[{}] known bug `{}` now behaves as expected; remove its `bug` ({why})", self.group, meta.name)
            }
            (Err(e), Some(_)) => println!("[{}] known bug `{}` still there: {e}", self.group, meta.name),
        }
    }

    pub(super) fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} `{}` cases failed:\n  {}",
            self.failures.len(),
            self.ran,
            self.group,
            self.failures.join("\n  ")
        );
    }
}

pub(super) async fn timed(case: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::time::timeout(CASE_TIMEOUT, case).await.unwrap_or_else(|_| Err(format!("no outcome in {CASE_TIMEOUT:?}")))
}
