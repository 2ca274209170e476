//! Outgoing HTTP: the one way the core builds a client, and which URLs from a server's answer it
//! will fetch. Every request has a total deadline; redirects are followed only while they stay on
//! https (or on this computer); plain http goes only to loopback IP literals.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::redirect::{Attempt, Policy};
use url::{Host, Url};

use crate::error::{Error, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// More redirects than this are a loop, not a CDN.
const MAX_REDIRECTS: usize = 5;

/// Whether a client follows redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// APIs answer themselves: a 3xx is an answer, not a hint.
    Never,
    /// File hosts may redirect, to https (or loopback http) only; never from https down to http.
    Secure,
}

/// A client whose every request ends within `total` (a request may set its own deadline).
pub fn client(total: Duration, redirects: Redirects) -> Result<reqwest::Client> {
    let policy = match redirects {
        Redirects::Never => Policy::none(),
        Redirects::Secure => Policy::custom(follow_secure),
    };
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(total)
        .user_agent(concat!("flux-krea-desktop/", env!("CARGO_PKG_VERSION")))
        .redirect(policy)
        .build()
        .map_err(|e| Error::internal(format!("the HTTP client could not start: {e}")))
}

fn follow_secure(attempt: Attempt) -> reqwest::redirect::Action {
    let from_https = attempt.previous().last().is_some_and(|u| u.scheme() == "https");
    if attempt.previous().len() > MAX_REDIRECTS {
        attempt.error("too many redirects")
    } else if !redirect_allowed(from_https, attempt.url()) {
        attempt.error("a redirect away from https")
    } else {
        attempt.follow()
    }
}

/// A redirect may go to https, or from plain (loopback) http to loopback http; never from https
/// down to http, where the request and its answer could be read and changed on the way.
pub(crate) fn redirect_allowed(from_https: bool, to: &Url) -> bool {
    match to.scheme() {
        "https" => true,
        "http" => !from_https && is_loopback_ip(to),
        _ => false,
    }
}

/// A URL a server gave us to fetch (an output, an avatar): https, or plain http to a loopback IP
/// literal (local fakes); no credentials in it. The error names the host, never the whole URL
/// (its query may be a signature).
pub fn fetchable(service: &str, what: &str, raw: &str) -> Result<Url> {
    let refuse = |detail: String| Error::Upstream { service: service.into(), status: 200, detail };
    let url = Url::parse(raw).map_err(|_| refuse(format!("unexpected answer: {what} that is not a valid URL")))?;
    let host = host_of(&url);
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(format!("unexpected answer: {what} on {host} with credentials in it")));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback_ip(&url) => Ok(url),
        _ => Err(refuse(format!("unexpected answer: {what} on {host} that is not https"))),
    }
}

/// `host[:port]` for messages: where a request went, without its path or query.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => "an address without a host".to_string(),
    }
}

/// 127.0.0.0/8 or ::1 written as an address; a name (even `localhost`) is resolved by DNS and
/// the hosts file, which another program may have changed.
fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetchable_urls() {
        let ok = [
            "https://replicate.delivery/x/out.webp?sig=1",
            "http://127.0.0.1:9/x",
            "http://127.8.0.1/x",
            "http://[::1]:9/x",
        ];
        for raw in ok {
            assert!(fetchable("Replicate", "an output URL", raw).is_ok(), "{raw}");
        }
        let refused = [
            ("http://127.0.0.1.evil.example/x", "127.0.0.1.evil.example"),
            ("http://localhost@evil.example/x", "evil.example"),
            ("http://localhost:9/x", "localhost:9"),
            ("http://10.0.0.1/x", "10.0.0.1"),
            ("https://user:pw@cdn.example/x", "cdn.example"),
            ("ftp://cdn.example/x", "cdn.example"),
            ("file:///etc/passwd", "an address without a host"),
        ];
        for (raw, host) in refused {
            let err = fetchable("Replicate", "an output URL", raw).unwrap_err().to_string();
            assert!(err.contains(host) && err.contains("an output URL"), "{raw}: {err}");
            assert!(!err.contains("/x") && !err.contains("passwd"), "the URL itself is not repeated: {err}");
        }
    }

    #[test]
    fn redirects_never_leave_https() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(redirect_allowed(true, &url("https://cdn.example/a")));
        assert!(!redirect_allowed(true, &url("http://cdn.example/a")));
        assert!(!redirect_allowed(true, &url("http://127.0.0.1:9/a")), "not even to this computer");
        assert!(redirect_allowed(false, &url("http://127.0.0.1:9/a")));
        assert!(!redirect_allowed(false, &url("http://cdn.example/a")));
        assert!(!redirect_allowed(false, &url("file:///etc/passwd")));
    }
}
