//! Opening sign-in and checkout pages in the system browser. `FLUX_KREA_BROWSER` names a program
//! to use instead (the `$BROWSER` convention): kiosks, power users, and the end-to-end tests,
//! which play the browser themselves.

use flux_krea_core::Error;
use tauri::Url;

/// The sites a link in the window may open in the system browser: https, these hosts exactly, no
/// user or port. The webview cannot open anything else (its own navigation is refused).
const LINK_HOSTS: [&str; 1] = ["replicate.com"];

/// `url` if it is an allowed link; the error names the `url` field and the host, never the path
/// (a URL can carry tokens).
pub fn check_link(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url).map_err(|_| Error::invalid("url", "is not a web address"))?;
    let allowed = parsed.scheme() == "https"
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.port().is_none()
        && parsed.host_str().is_some_and(|host| LINK_HOSTS.contains(&host));
    if allowed {
        Ok(parsed)
    } else {
        let host = parsed.host_str().unwrap_or_default();
        Err(Error::invalid("url", format!("{}://{host} is not a site this app opens", parsed.scheme())))
    }
}

/// Opens an allowed link in the system browser.
pub fn open_link(url: &str) -> Result<(), Error> {
    open(check_link(url)?.as_str())
}

pub fn open(url: &str) -> Result<(), Error> {
    if let Some(program) = std::env::var_os("FLUX_KREA_BROWSER").filter(|p| !p.is_empty()) {
        return std::process::Command::new(&program)
            .arg(url)
            .spawn()
            .map(drop)
            .map_err(|e| Error::invalid("FLUX_KREA_BROWSER", format!("could not be started: {e}")));
    }
    tauri_plugin_opener::open_url(url, None::<&str>)
        .map_err(|e| Error::internal(format!("the system browser could not be opened: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_links_to_listed_hosts_are_opened() {
        assert!(check_link("https://replicate.com/account/api-tokens").is_ok());
        for refused in [
            "http://replicate.com/account",
            "https://replicate.com.evil.example/",
            "https://evil.example/?replicate.com",
            "https://replicate.com@evil.example/",
            "https://user@replicate.com/",
            "https://replicate.com:8443/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "tauri://localhost/index.html",
            "not a url",
        ] {
            let err = check_link(refused).unwrap_err();
            assert!(matches!(&err, Error::InvalidInput { field, .. } if field == "url"), "{refused}: {err:?}");
        }
    }

    #[test]
    fn a_refusal_never_repeats_the_path_or_query() {
        let err = check_link("https://evil.example/cb?token=r8_secret").unwrap_err();
        assert!(!err.to_string().contains("r8_secret"), "{err}");
        assert!(err.to_string().contains("evil.example"), "{err}");
    }
}
