//! Configuration from the environment (12-factor). Every missing or malformed value is named in
//! one error, so an operator fixes them all in one go. Secret values never appear in messages.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::Url;

/// A secret string: its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Clone, Debug)]
pub struct S3Config {
    pub endpoint: Url,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

#[derive(Clone, Debug)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Clone, Debug)]
pub struct Upstreams {
    pub google_auth: Url,
    pub google_token: Url,
    pub google_userinfo: Url,
    /// github.com: `/login/oauth/authorize` and `/login/oauth/access_token` under it.
    pub github: Url,
    /// api.github.com: `/user`, `/user/emails`.
    pub github_api: Url,
    /// api.stripe.com: `/v1/...` under it.
    pub stripe_api: Url,
    /// api.replicate.com/v1.
    pub replicate_api: Url,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: Secret,
    pub bind: SocketAddr,
    /// Where browsers, Stripe and Replicate reach this service (no trailing slash).
    pub public_url: Url,
    pub jwt_secret: Secret,
    pub anon_key: Secret,
    pub s3: S3Config,
    pub google: OAuthClient,
    pub github: OAuthClient,
    pub stripe_secret_key: Secret,
    pub stripe_webhook_secret: Secret,
    pub replicate_api_token: Secret,
    /// `whsec_<base64>` (Standard Webhooks).
    pub replicate_webhook_secret: Secret,
    pub upstreams: Upstreams,
    /// https `redirect_to` prefixes allowed besides loopback http (FLUX_KREA_PLATFORM_REDIRECT_ALLOW).
    pub redirect_allow: Vec<Url>,
    pub access_ttl: Duration,
    /// Stored outputs expire after this (24 h); the sweeper removes them.
    pub output_ttl: Duration,
    /// How often background work (settling, sweeping, deletions) runs on each replica; 0 runs
    /// none (tests drive `jobs::run_once` themselves).
    pub sweep_interval: Duration,
    /// Credits granted at a user's first sign-in ("grant" entry); 0 for none.
    pub signup_credits: i64,
    /// Postgres connections per replica. Few: a request holds one for a query or two, and more
    /// connections than the database's cores only queue inside Postgres (README, Performance).
    pub db_connections: u32,
}

/// Every problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .0.join("\n  "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut r = Reader { get: &get, problems: Vec::new() };
        let url_or = |r: &mut Reader, name: &str, default: &str| r.url(name, Some(default));
        let config = Config {
            database_url: r.database_url(),
            bind: r.bind(),
            public_url: r.url("FLUX_KREA_PLATFORM_PUBLIC_URL", None),
            jwt_secret: r.secret_min("FLUX_KREA_PLATFORM_JWT_SECRET", 32),
            anon_key: r.secret_min("FLUX_KREA_PLATFORM_ANON_KEY", 1),
            s3: S3Config {
                endpoint: r.url("S3_ENDPOINT", None),
                bucket: r.text("S3_BUCKET"),
                region: r.text("S3_REGION"),
                access_key_id: r.text("S3_ACCESS_KEY_ID"),
                secret_access_key: r.secret_min("S3_SECRET_ACCESS_KEY", 1),
            },
            google: OAuthClient {
                client_id: r.text("GOOGLE_CLIENT_ID"),
                client_secret: r.secret_min("GOOGLE_CLIENT_SECRET", 1),
            },
            github: OAuthClient {
                client_id: r.text("GITHUB_CLIENT_ID"),
                client_secret: r.secret_min("GITHUB_CLIENT_SECRET", 1),
            },
            stripe_secret_key: r.secret_min("STRIPE_SECRET_KEY", 1),
            stripe_webhook_secret: r.secret_prefixed("STRIPE_WEBHOOK_SECRET", "whsec_"),
            replicate_api_token: r.secret_min("REPLICATE_API_TOKEN", 1),
            replicate_webhook_secret: r.secret_prefixed("REPLICATE_WEBHOOK_SECRET", "whsec_"),
            upstreams: Upstreams {
                google_auth: url_or(&mut r, "GOOGLE_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth"),
                google_token: url_or(&mut r, "GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token"),
                google_userinfo: url_or(
                    &mut r,
                    "GOOGLE_USERINFO_URL",
                    "https://openidconnect.googleapis.com/v1/userinfo",
                ),
                github: url_or(&mut r, "GITHUB_URL", "https://github.com"),
                github_api: url_or(&mut r, "GITHUB_API_URL", "https://api.github.com"),
                stripe_api: url_or(&mut r, "STRIPE_API_URL", "https://api.stripe.com"),
                replicate_api: url_or(&mut r, "REPLICATE_API_URL", "https://api.replicate.com/v1"),
            },
            redirect_allow: r.url_list("FLUX_KREA_PLATFORM_REDIRECT_ALLOW"),
            access_ttl: Duration::from_secs(r.parse("FLUX_KREA_PLATFORM_ACCESS_TTL_S", Some(3600), "seconds")),
            output_ttl: Duration::from_secs(r.parse("FLUX_KREA_PLATFORM_OUTPUT_TTL_S", Some(86_400), "seconds")),
            sweep_interval: Duration::from_secs(r.parse("FLUX_KREA_PLATFORM_SWEEP_INTERVAL_S", Some(30), "seconds")),
            signup_credits: r.parse("FLUX_KREA_PLATFORM_SIGNUP_CREDITS", Some(0), "a whole number of credits"),
            db_connections: r.parse("FLUX_KREA_PLATFORM_DB_CONNECTIONS", Some(8), "a whole number from 1"),
        };
        if config.db_connections == 0 {
            r.problems.push("FLUX_KREA_PLATFORM_DB_CONNECTIONS: must be a whole number from 1".into());
        }
        if config.output_ttl > Duration::from_secs(86_400) {
            r.problems.push("FLUX_KREA_PLATFORM_OUTPUT_TTL_S: at most 86400 (outputs must be gone by 48 h)".into());
        }
        if r.problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError(r.problems))
        }
    }
}

/// True for http(s) URLs allowed as a base: https anywhere, http only to a loopback IP literal.
pub fn transport_allowed(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            _ => false,
        },
        _ => false,
    }
}

struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn raw(&mut self, name: &str) -> Option<String> {
        let value = (self.get)(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        if value.is_none() {
            self.problems.push(format!("{name}: missing"));
        }
        value
    }

    fn text(&mut self, name: &str) -> String {
        self.raw(name).unwrap_or_default()
    }

    fn secret_min(&mut self, name: &str, min: usize) -> Secret {
        let value = self.raw(name).unwrap_or_default();
        if !value.is_empty() && value.len() < min {
            self.problems.push(format!("{name}: too short (at least {min} characters)"));
        }
        Secret(value)
    }

    fn secret_prefixed(&mut self, name: &str, prefix: &str) -> Secret {
        let value = self.raw(name).unwrap_or_default();
        if !value.is_empty() && !value.starts_with(prefix) {
            self.problems.push(format!("{name}: must start with {prefix}"));
        }
        Secret(value)
    }

    fn database_url(&mut self) -> Secret {
        let value = self.raw("DATABASE_URL").unwrap_or_default();
        if !(value.is_empty() || value.starts_with("postgres://") || value.starts_with("postgresql://")) {
            self.problems.push("DATABASE_URL: must be a postgres:// URL".into());
        }
        Secret(value)
    }

    fn bind(&mut self) -> SocketAddr {
        let fallback = SocketAddr::from(([127, 0, 0, 1], 0));
        let value = self.raw("FLUX_KREA_PLATFORM_BIND");
        match value.map(|v| v.parse::<SocketAddr>()) {
            Some(Ok(addr)) => addr,
            Some(Err(_)) => {
                self.problems.push("FLUX_KREA_PLATFORM_BIND: must be address:port, such as 0.0.0.0:8080".into());
                fallback
            }
            None => fallback,
        }
    }

    fn url(&mut self, name: &str, default: Option<&str>) -> Url {
        let fallback = || Url::parse("http://127.0.0.1/").expect("static URL");
        let raw = match ((self.get)(name).filter(|v| !v.trim().is_empty()), default) {
            (Some(v), _) => v.trim().trim_end_matches('/').to_string(),
            (None, Some(d)) => d.to_string(),
            (None, None) => {
                self.problems.push(format!("{name}: missing"));
                return fallback();
            }
        };
        match Url::parse(&raw) {
            Ok(url) if transport_allowed(&url) => url,
            Ok(_) => {
                self.problems.push(format!("{name}: must be https, or http to a loopback IP such as 127.0.0.1"));
                fallback()
            }
            Err(e) => {
                self.problems.push(format!("{name}: not a URL ({e})"));
                fallback()
            }
        }
    }

    fn url_list(&mut self, name: &str) -> Vec<Url> {
        let raw = (self.get)(name).unwrap_or_default();
        let mut out = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match Url::parse(item) {
                Ok(url) if url.scheme() == "https" && url.host_str().is_some() => out.push(url),
                _ => self.problems.push(format!("{name}: {item:?} is not an https URL")),
            }
        }
        out
    }

    fn parse<T: std::str::FromStr + Default>(&mut self, name: &str, default: Option<T>, what: &str) -> T {
        match ((self.get)(name).filter(|v| !v.trim().is_empty()), default) {
            (Some(v), _) => v.trim().parse().unwrap_or_else(|_| {
                self.problems.push(format!("{name}: must be {what}"));
                T::default()
            }),
            (None, Some(d)) => d,
            (None, None) => {
                self.problems.push(format!("{name}: missing"));
                T::default()
            }
        }
    }
}
