//! Where the broker may send the browser back to: a loopback http URL on any port (RFC 8252
//! §7.3), or an https URL under an allow-listed prefix.

use std::net::IpAddr;

use url::{Host, Url};

pub fn redirect_allowed(raw: &str, allow: &[Url]) -> Option<Url> {
    let url = Url::parse(raw).ok()?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return None;
    }
    let ok = match url.scheme() {
        "http" => match url.host()? {
            Host::Ipv4(ip) => IpAddr::V4(ip).is_loopback(),
            Host::Ipv6(ip) => IpAddr::V6(ip).is_loopback(),
            Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        },
        "https" => allow.iter().any(|a| {
            url.host_str() == a.host_str()
                && url.port_or_known_default() == a.port_or_known_default()
                && url.path().starts_with(a.path())
        }),
        _ => false,
    };
    ok.then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_on_any_port_and_allow_listed_https_only() {
        let allow = [Url::parse("https://app.fluxkrea.example/auth/").unwrap()];
        for good in [
            "http://127.0.0.1:43123/callback?state=x",
            "http://[::1]:9/cb",
            "http://localhost:5/cb",
            "https://app.fluxkrea.example/auth/done",
        ] {
            assert!(redirect_allowed(good, &allow).is_some(), "{good}");
        }
        for bad in [
            "http://example.com:43123/callback",
            "http://192.168.1.2:80/cb",
            "http://127.0.0.1.evil.example/cb",
            "https://evil.example/auth/",
            "https://app.fluxkrea.example/other",
            "http://user@127.0.0.1:1/cb",
            "javascript:alert(1)",
        ] {
            assert!(redirect_allowed(bad, &allow).is_none(), "{bad}");
        }
    }
}
