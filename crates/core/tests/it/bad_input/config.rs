//! 3. Config values → `Config::resolve`, `Core::open`, `logging::init`.

use super::*;

pub(super) const CONFIG_CHECKS: &str =
    "nothing created or changed on disk (no data or log folder; `config.toml` untouched)";

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ConfigEntry {
    Resolve,
    /// Resolves, then opens the core on the resolved data folder.
    Open,
    /// Resolves, then installs logging with the resolved filter.
    LogInit,
}

impl ConfigEntry {
    pub(super) fn describe(self) -> &'static str {
        match self {
            ConfigEntry::Resolve => "`Config::resolve`",
            ConfigEntry::Open => "`Config::resolve` → `Core::open`",
            ConfigEntry::LogInit => "`Config::resolve` → `logging::init`",
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum ConfigFile {
    Absent,
    Text(&'static str),
    Bytes(&'static [u8]),
    Folder,
}

pub(super) struct ConfigCase {
    pub(super) meta: Meta,
    pub(super) entry: ConfigEntry,
    pub(super) file: ConfigFile,
    /// `{tmp}` in a value stands for the case's temp folder.
    pub(super) env: &'static [(&'static str, &'static str)],
}

pub(super) fn cfg(
    entry: ConfigEntry,
    file: ConfigFile,
    env: &'static [(&'static str, &'static str)],
    meta: Meta,
) -> ConfigCase {
    ConfigCase { meta, entry, file, env }
}

pub(super) fn config_cases() -> Vec<ConfigCase> {
    use ConfigEntry::{LogInit, Open, Resolve};
    use ConfigFile::{Absent, Bytes, Folder, Text};
    vec![
        cfg(
            Resolve,
            Absent,
            &[("FLUX_KREA_REPLICATE_URL", "http://api.replicate.com/v1")],
            meta(
                "plain http to a remote host (env)",
                "`FLUX_KREA_REPLICATE_URL=http://api.replicate.com/v1`",
                invalid(
                    &["FLUX_KREA_REPLICATE_URL"],
                    &["plain http is only allowed to this computer", "use https for api.replicate.com"],
                ),
            ),
        ),
        cfg(
            Resolve,
            Text("replicate_url = \"http://192.168.1.20:8080/v1\"\n"),
            &[],
            meta(
                "plain http to a LAN host (file)",
                "`replicate_url = \"http://192.168.1.20:8080/v1\"` in config.toml",
                invalid(&["replicate_url in {file}"], &["plain http is only allowed to this computer"]),
            ),
        ),
        cfg(
            Resolve,
            Absent,
            &[("FLUX_KREA_PLATFORM_URL", "https://ada:s3cret-pw@platform.example")],
            meta(
                "URL with credentials",
                "`FLUX_KREA_PLATFORM_URL=https://ada:s3cret-pw@platform.example`",
                invalid(&["FLUX_KREA_PLATFORM_URL"], &["must not contain credentials; use the keychain"]),
            )
            .unsaid(&["s3cret-pw"]),
        ),
        cfg(
            Resolve,
            Text("update_url = \"https://updates.example/latest.json?token=abc123\"\n"),
            &[],
            meta(
                "URL with a query",
                "`update_url = \"https://updates.example/latest.json?token=abc123\"`",
                invalid(&["update_url in {file}"], &["must not have a query string or fragment"]),
            )
            .unsaid(&["abc123"]),
        ),
        cfg(
            Resolve,
            Absent,
            &[("FLUX_KREA_UPDATE_URL", "https://updates.example/feed#latest")],
            meta(
                "URL with a fragment",
                "`FLUX_KREA_UPDATE_URL=https://updates.example/feed#latest`",
                invalid(&["FLUX_KREA_UPDATE_URL"], &["must not have a query string or fragment"]),
            ),
        ),
        cfg(
            Resolve,
            Absent,
            &[("FLUX_KREA_REPLICATE_URL", "api.replicate.com/v1")],
            meta(
                "not a URL",
                "`FLUX_KREA_REPLICATE_URL=api.replicate.com/v1` (no scheme)",
                invalid(&["FLUX_KREA_REPLICATE_URL"], &["not a valid URL"]),
            ),
        ),
        cfg(
            Resolve,
            Text("platform_url = \"ftp://127.0.0.1/\"\n"),
            &[],
            meta(
                "unsupported scheme",
                "`platform_url = \"ftp://127.0.0.1/\"`",
                invalid(&["platform_url in {file}"], &["unsupported scheme \"ftp\"; use https"]),
            ),
        ),
        cfg(
            Resolve,
            Text("replicate_ulr = \"https://api.replicate.com/v1\"\n"),
            &[],
            meta(
                "unknown key (typo)",
                "`replicate_ulr = …` in config.toml",
                invalid(&["{file}"], &["not a valid config file", "unknown field `replicate_ulr`"]),
            ),
        ),
        cfg(
            Resolve,
            Text("data_dir: /home/ada/flux\nlog: debug\n"),
            &[],
            meta(
                "not TOML",
                "YAML (`data_dir: /home/ada/flux`) in config.toml",
                invalid(&["{file}"], &["not a valid config file"]),
            ),
        ),
        cfg(
            Resolve,
            Text("log_dir = \"/tmp/flux-logs\"\ndata_dir = 5\n"),
            &[],
            meta(
                "number for a path",
                "`data_dir = 5` (after a valid `log_dir`)",
                invalid(&["{file}"], &["not a valid config file", "data_dir"]),
            ),
        ),
        cfg(
            Resolve,
            Text("update_url = [\"https://a.example\"]\n"),
            &[],
            meta(
                "list for a URL",
                "`update_url = [\"https://a.example\"]`",
                invalid(&["{file}"], &["not a valid config file", "invalid type"]),
            ),
        ),
        cfg(
            Resolve,
            Bytes(b"data_dir = \"/home/ada/\xff\xfeflux\"\n"),
            &[],
            meta(
                "not UTF-8",
                "config.toml with the bytes FF FE in a value",
                refused("storage", &["{file}"], &["valid UTF-8"]),
            ),
        ),
        cfg(
            Resolve,
            Folder,
            &[],
            meta(
                "config.toml is a folder",
                "a folder where config.toml should be",
                refused("storage", &["{file}"], &["storage error at {file}"]),
            ),
        ),
        cfg(
            Resolve,
            Absent,
            &[("FLUX_KREA_DATA_DIR", "relative/data")],
            meta(
                "relative data folder",
                "`FLUX_KREA_DATA_DIR=relative/data`",
                invalid(&["FLUX_KREA_DATA_DIR"], &["must be an absolute path, got relative/data"]),
            ),
        ),
        cfg(
            Resolve,
            Text("log_dir = \"logs\"\n"),
            &[],
            meta(
                "relative log folder (file)",
                "`log_dir = \"logs\"` in config.toml",
                invalid(&["log_dir in {file}"], &["must be an absolute path, got logs"]),
            ),
        ),
        cfg(
            Open,
            Absent,
            &[("FLUX_KREA_DATA_DIR", "{tmp}/blocker/data")],
            meta(
                "data folder that cannot be created",
                "`FLUX_KREA_DATA_DIR` under a regular file",
                refused("storage", &["{tmp}/blocker/data"], &["storage error at {tmp}/blocker/data"]),
            ),
        ),
        cfg(
            LogInit,
            Absent,
            &[("FLUX_KREA_LOG", "info,flux_krea_core=loud")],
            meta(
                "bad log filter (env)",
                "`FLUX_KREA_LOG=info,flux_krea_core=loud`",
                invalid(&["FLUX_KREA_LOG"], &["error parsing level filter", "expected one of"]),
            ),
        ),
        cfg(
            LogInit,
            Text("log = \"info,flux_krea_core=loud\"\n"),
            &[],
            meta(
                "bad log filter (file)",
                "`log = \"info,flux_krea_core=loud\"` in config.toml",
                invalid(&["log in {file}"], &["error parsing level filter"]),
            ),
        ),
    ]
}

/// Every path under `dir` with its content, to prove nothing was created or changed.
pub(super) fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                out.push((format!("{rel}/"), Vec::new()));
                stack.push(path);
            } else {
                out.push((rel, std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

#[test]
pub(super) fn bad_config_values_are_refused_naming_the_key_and_file() {
    let mut tally = Tally::new("config values");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for case in config_cases() {
        if !tally.should_run(&case.meta) {
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let file = root.join("config.toml");
        match case.file {
            ConfigFile::Absent => {}
            ConfigFile::Text(t) => std::fs::write(&file, t).unwrap(),
            ConfigFile::Bytes(b) => std::fs::write(&file, b).unwrap(),
            ConfigFile::Folder => std::fs::create_dir(&file).unwrap(),
        }
        std::fs::write(root.join("blocker"), b"a file, not a folder").unwrap();
        let before = tree(&root);
        let (root_text, file_text) = (root.display().to_string(), file.display().to_string());
        let subst = |s: &str| s.replace("{tmp}", &root_text).replace("{file}", &file_text);
        // Folders inside the case's temp folder, unless the file sets them (the env would win).
        let in_file = |key: &str| matches!(case.file, ConfigFile::Text(t) if t.contains(key));
        let env: BTreeMap<String, String> = [
            ("FLUX_KREA_DATA_DIR", "data_dir", root.join("data")),
            ("FLUX_KREA_LOG_DIR", "log_dir", root.join("logs")),
        ]
        .into_iter()
        .filter(|(_, key, _)| !in_file(key))
        .map(|(var, _, dir)| (var.to_string(), dir.display().to_string()))
        .chain(case.env.iter().map(|(k, v)| (k.to_string(), subst(v))))
        .collect();
        let result = Config::resolve(&file, |k| env.get(k).cloned()).and_then(|config| match case.entry {
            ConfigEntry::Resolve => Ok(()),
            ConfigEntry::Open => runtime.block_on(Core::open(&config.data_dir.value.clone(), config)).map(|_| ()),
            ConfigEntry::LogInit => {
                flux_krea_core::logging::init(&config.log_dir.value, &config.log_filter.value, false).map(|_| ())
            }
        });
        let outcome = match result {
            Ok(()) => Err("accepted".to_string()),
            Err(e) => check_error(&case.meta, &e, &subst).and_then(|()| {
                let after = tree(&root);
                (after == before).then_some(()).ok_or_else(|| {
                    let added: Vec<_> = after.iter().filter(|f| !before.contains(f)).map(|f| &f.0).collect();
                    format!("the disk changed: {added:?}")
                })
            }),
        };
        tally.record(&case.meta, outcome);
    }
    tally.finish();
}
