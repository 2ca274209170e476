//! Deployment configuration: where the data lives and which remote endpoints to talk to.
//!
//! Read from `config.toml` in the config dir, then overridden by `FLUX_KREA_*` variables, so tests
//! and self-hosters can point the app and the CLI anywhere. Every remote URL must be https, or
//! plain http on a loopback address (local fakes and tools) — the policy promises TLS.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};
use crate::paths;

pub const DEFAULT_REPLICATE_URL: &str = "https://api.replicate.com/v1";
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// Where a value in force came from, shown by `doctor` so nobody has to guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "from", content = "name", rename_all = "snake_case")]
pub enum Source {
    Default,
    File(String),
    Env(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Config {
    pub config_file: String,
    pub data_dir: Setting<PathBuf>,
    pub log_dir: Setting<PathBuf>,
    pub log_filter: Setting<String>,
    /// Replicate's API base, including `/v1`.
    pub replicate_url: Setting<String>,
    /// The platform root holding `/auth/v1` and `/api/v1`; without it account mode is off.
    pub platform_url: Setting<Option<String>>,
    /// The broker's public `apikey` (Supabase's anon key: public by design, not a secret).
    pub platform_anon_key: Setting<Option<String>>,
    pub update_url: Setting<Option<String>>,
}

/// The file's shape. Unknown keys are refused so a typo does not silently do nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    log_dir: Option<PathBuf>,
    log: Option<String>,
    replicate_url: Option<String>,
    platform_url: Option<String>,
    platform_anon_key: Option<String>,
    update_url: Option<String>,
}

impl Config {
    /// Loads from the real environment: `FLUX_KREA_CONFIG` (a file path) or the default file.
    pub fn load() -> Result<Config> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let file = env("FLUX_KREA_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| paths::default_config_dir().join(CONFIG_FILE_NAME));
        Config::resolve(&file, env)
    }

    /// Resolves the configuration from a file path (which may not exist) and an env lookup.
    pub fn resolve(file: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let file_name = file.display().to_string();
        let parsed = match std::fs::read_to_string(file) {
            Ok(text) => toml::from_str::<FileConfig>(&text).map_err(|e| {
                Error::invalid(
                    file_name.clone(),
                    format!("not a valid config file: {}{}", place(&text, &e), e.message()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => return Err(Error::storage(file, e)),
        };
        let pick = |env_name: &str, from_file: Option<String>, key: &str| -> Option<(String, Source)> {
            if let Some(v) = env(env_name) {
                Some((v, Source::Env(env_name.to_string())))
            } else {
                from_file.map(|v| (v, Source::File(format!("{file_name} ({key})"))))
            }
        };
        let path_setting = |env_name: &str, from_file: Option<PathBuf>, key: &str, default: PathBuf| match pick(
            env_name,
            from_file.map(|p| p.display().to_string()),
            key,
        ) {
            Some((v, source)) => Setting { value: PathBuf::from(v), source },
            None => Setting { value: default, source: Source::Default },
        };
        // Each setting's name as the user wrote it: the variable, or the key in this file.
        let field = |source: &Source, key: &str| match source {
            Source::Env(name) => name.clone(),
            _ => format!("{key} in {file_name}"),
        };
        let url_setting = |env_name: &str, from_file: Option<String>, key: &str| -> Result<Option<Setting<String>>> {
            match pick(env_name, from_file, key) {
                Some((raw, source)) => {
                    let url = check_remote_url(&field(&source, key), &raw)?;
                    Ok(Some(Setting { value: url, source }))
                }
                None => Ok(None),
            }
        };

        let replicate_url = url_setting("FLUX_KREA_REPLICATE_URL", parsed.replicate_url, "replicate_url")?
            .unwrap_or(Setting { value: DEFAULT_REPLICATE_URL.to_string(), source: Source::Default });
        let platform_url = lift(url_setting("FLUX_KREA_PLATFORM_URL", parsed.platform_url, "platform_url")?);
        let platform_anon_key = match pick("FLUX_KREA_PLATFORM_ANON_KEY", parsed.platform_anon_key, "platform_anon_key")
        {
            Some((value, source)) => Setting { value: Some(value.trim().to_string()), source },
            None => Setting { value: None, source: Source::Default },
        };
        let update_url = lift(url_setting("FLUX_KREA_UPDATE_URL", parsed.update_url, "update_url")?);
        let log_filter = match pick("FLUX_KREA_LOG", parsed.log, "log") {
            Some((value, source)) => {
                crate::logging::check_filter(&value).map_err(|reason| Error::invalid(field(&source, "log"), reason))?;
                Setting { value, source }
            }
            None => Setting { value: "info".to_string(), source: Source::Default },
        };
        let data_dir = path_setting("FLUX_KREA_DATA_DIR", parsed.data_dir, "data_dir", paths::default_data_dir());
        let log_dir = path_setting("FLUX_KREA_LOG_DIR", parsed.log_dir, "log_dir", paths::default_log_dir());
        for (key, dir) in [("data_dir", &data_dir), ("log_dir", &log_dir)] {
            if !dir.value.is_absolute() {
                let reason = format!("must be an absolute path, got {}", dir.value.display());
                return Err(Error::invalid(field(&dir.source, key), reason));
            }
        }
        Ok(Config {
            config_file: file_name,
            data_dir,
            log_dir,
            log_filter,
            replicate_url,
            platform_url,
            platform_anon_key,
            update_url,
        })
    }
}

/// "line 2, data_dir: " for a parse error: toml's message alone names neither.
fn place(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else { return String::new() };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    match line.split_once('=').map(|(k, _)| k.trim()).filter(|k| !k.is_empty() && !k.starts_with('#')) {
        Some(key) => format!("line {line_no}, {key}: "),
        None => format!("line {line_no}: "),
    }
}

fn lift(setting: Option<Setting<String>>) -> Setting<Option<String>> {
    match setting {
        Some(s) => Setting { value: Some(s.value), source: s.source },
        None => Setting { value: None, source: Source::Default },
    }
}

/// Accepts https anywhere and http only on loopback; returns the URL without a trailing slash.
pub fn check_remote_url(field: &str, raw: &str) -> Result<String> {
    let url = Url::parse(raw.trim()).map_err(|e| Error::invalid(field, format!("not a valid URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(field, "must not contain credentials; use the keychain"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(field, "must not have a query string or fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::invalid(
                field,
                format!(
                    "plain http is only allowed to this computer (127.0.0.1, ::1, localhost); use https for {}",
                    url.host_str().unwrap_or("")
                ),
            ))
        }
        other => return Err(Error::invalid(field, format!("unsupported scheme {other:?}; use https"))),
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_without_file_or_env() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::resolve(&dir.path().join("missing.toml"), env_of(&[])).unwrap();
        assert_eq!(cfg.replicate_url.value, DEFAULT_REPLICATE_URL);
        assert_eq!(cfg.replicate_url.source, Source::Default);
        assert_eq!(cfg.platform_url.value, None);
        assert_eq!(cfg.log_filter.value, "info");
        assert!(cfg.data_dir.value.ends_with(paths::IDENTIFIER));
    }

    #[test]
    fn env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(
            &file,
            "platform_url = \"https://platform.example\"\nreplicate_url = \"https://r.example/v1/\"\n",
        )
        .unwrap();
        let cfg = Config::resolve(&file, env_of(&[("FLUX_KREA_PLATFORM_URL", "http://127.0.0.1:9000")])).unwrap();
        assert_eq!(cfg.platform_url.value.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(cfg.platform_url.source, Source::Env("FLUX_KREA_PLATFORM_URL".into()));
        assert_eq!(cfg.replicate_url.value, "https://r.example/v1");
        assert!(matches!(cfg.replicate_url.source, Source::File(_)));
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused_naming_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let err = Config::resolve(
            &dir.path().join("none.toml"),
            env_of(&[("FLUX_KREA_REPLICATE_URL", "http://api.replicate.com/v1")]),
        )
        .unwrap_err();
        match err {
            Error::InvalidInput { field, reason } => {
                assert_eq!(field, "FLUX_KREA_REPLICATE_URL");
                assert!(reason.contains("plain http"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn plain_http_in_the_file_names_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "update_url = \"http://updates.example.com/latest.json\"\n").unwrap();
        let err = Config::resolve(&file, env_of(&[])).unwrap_err();
        let Error::InvalidInput { field, .. } = err else { panic!("{err:?}") };
        assert!(field.starts_with("update_url in "), "{field}");
        assert!(field.contains("config.toml"), "{field}");
    }

    #[test]
    fn loopback_http_is_allowed() {
        for ok in ["http://127.0.0.1:8080/v1", "http://[::1]:9/v1", "http://localhost:3000", "https://x.example"] {
            assert!(check_remote_url("f", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/v1",
            "http://127.0.0.1.example.com/",
            "ftp://127.0.0.1/",
            "not a url",
            "https://user:pw@x.example/",
            "https://x.example/?token=1",
        ] {
            assert!(check_remote_url("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_broken_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "replicate_url = [1,\n").unwrap();
        let Error::InvalidInput { field, reason } = Config::resolve(&file, env_of(&[])).unwrap_err() else { panic!() };
        assert_eq!(field, file.display().to_string());
        assert!(reason.contains("not a valid config file"));
        std::fs::write(&file, "replicate_ulr = \"https://x\"\n").unwrap();
        let Error::InvalidInput { reason, .. } = Config::resolve(&file, env_of(&[])).unwrap_err() else { panic!() };
        assert!(reason.contains("replicate_ulr"), "{reason}");
    }

    #[test]
    fn relative_data_dir_is_refused_naming_where_it_was_set() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.toml");
        let err = Config::resolve(&file, env_of(&[("FLUX_KREA_DATA_DIR", "rel/dir")])).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "FLUX_KREA_DATA_DIR"), "{err:?}");
        std::fs::write(&file, "log_dir = \"logs\"\n").unwrap();
        let err = Config::resolve(&file, env_of(&[])).unwrap_err();
        let want = format!("log_dir in {}", file.display());
        assert!(matches!(err, Error::InvalidInput { ref field, .. } if *field == want), "{err:?}");
    }

    #[test]
    fn a_type_error_names_the_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.toml");
        std::fs::write(&file, "log_dir = \"/tmp/l\"\ndata_dir = 5\n").unwrap();
        let Error::InvalidInput { reason, .. } = Config::resolve(&file, env_of(&[])).unwrap_err() else { panic!() };
        assert!(reason.contains("line 2, data_dir: "), "{reason}");
    }
}
