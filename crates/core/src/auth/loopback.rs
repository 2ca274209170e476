//! The loopback redirect of RFC 8252: a listener on `127.0.0.1:<random port>` that takes exactly
//! one `/callback` request from the system browser, answers it with a small self-contained page,
//! and closes. Anything else the browser asks for (a favicon) gets a 404 and does not count.

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// A request head larger than this is not a browser's redirect.
const MAX_HEAD: usize = 16 * 1024;

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    pub async fn bind() -> Result<Loopback> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::internal(format!("could not listen for the sign-in redirect: {e}")))?;
        let port = listener.local_addr().map_err(|e| Error::internal(format!("no local address: {e}")))?.port();
        Ok(Loopback { listener, port })
    }

    /// Where the broker sends the browser back; `state` rides in the query as platform-api.md says.
    pub fn redirect_uri(&self, state: &str) -> String {
        format!("http://127.0.0.1:{}/callback?state={state}", self.port)
    }

    /// Waits for the one callback and returns its `code`, after checking `state`.
    pub async fn wait(self, expected_state: &str, timeout: Duration, cancel: &CancellationToken) -> Result<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::select! {
                a = self.listener.accept() => a,
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(Error::invalid("sign_in", "no answer from the browser in time; start the sign-in again"));
                }
                _ = cancel.cancelled() => return Err(Error::Canceled { what: "sign-in".into() }),
            };
            let Ok((mut stream, _)) = accepted else { continue };
            let Some(target) = read_target(&mut stream).await else { continue };
            let Some(query) = callback_query(&target) else {
                respond(&mut stream, "404 Not Found", "Not found", "Nothing here.").await;
                continue;
            };
            let outcome = judge(&query, expected_state);
            match &outcome {
                Ok(_) => {
                    respond(
                        &mut stream,
                        "200 OK",
                        "Signed in",
                        "You are signed in to Flux Krea. You can close this tab and return to the app.",
                    )
                    .await
                }
                Err(e) => respond(&mut stream, "400 Bad Request", "Sign-in did not finish", &e.to_string()).await,
            }
            return outcome;
        }
    }
}

/// The request target of a `GET`, or None for garbage (which does not end the wait).
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 2048];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.ok()??;
    request_target(&head)
}

/// The target of a `GET` request head, or None (the fuzz targets call this).
pub(crate) fn request_target(head: &[u8]) -> Option<String> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    Some(parts.next()?.to_string())
}

pub(crate) fn callback_query(target: &str) -> Option<HashMap<String, String>> {
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
    (url.path() == "/callback").then(|| url.query_pairs().into_owned().collect())
}

/// The broker's answer: a code with our state, or why not.
pub(crate) fn judge(query: &HashMap<String, String>, expected_state: &str) -> Result<String> {
    let state_ok = query.get("state").is_some_and(|s| constant_time_eq(s.as_bytes(), expected_state.as_bytes()));
    if let Some(error) = query.get("error") {
        let said = query.get("error_description").filter(|d| !d.trim().is_empty()).unwrap_or(error);
        // The description comes from the URL; keep it short and printable.
        let said: String = said.chars().filter(|c| !c.is_control()).take(200).collect();
        return Err(Error::invalid("sign_in", format!("the sign-in was refused: {said}")));
    }
    if !state_ok {
        return Err(Error::invalid(
            "sign_in",
            "the answer did not come from the sign-in this app started (state mismatch); start again",
        ));
    }
    match query.get("code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(code.clone()),
        None => Err(Error::invalid("sign_in", "the broker sent no authorization code; start again")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn respond(stream: &mut TcpStream, status: &str, title: &str, message: &str) {
    let body = page(title, message);
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A page with no outside resources (nothing loads from anywhere after the redirect).
pub(crate) fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · Flux Krea</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>\
         body{{font:16px/1.5 system-ui,sans-serif;background:#101114;color:#e8e8ec;display:grid;place-items:center;\
         min-height:100vh;margin:0}}main{{max-width:28rem;padding:2rem;border:1px solid #2a2c33;border-radius:12px;\
         background:#17181c}}h1{{font-size:1.25rem;margin:0 0 .5rem}}p{{margin:0;color:#b4b6bf}}\
         </style></head><body><main><h1>{t}</h1><p>{m}</p></main></body></html>",
        t = escape(title),
        m = escape(message)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn judges_callbacks() {
        assert_eq!(judge(&q(&[("state", "s1"), ("code", "c")]), "s1").unwrap(), "c");
        let wrong = judge(&q(&[("state", "s2"), ("code", "c")]), "s1").unwrap_err().to_string();
        assert!(wrong.contains("state mismatch"), "{wrong}");
        let missing = judge(&q(&[("code", "c")]), "s1").unwrap_err().to_string();
        assert!(missing.contains("state mismatch"), "{missing}");
        let refused =
            judge(&q(&[("state", "s1"), ("error", "access_denied"), ("error_description", "User said no")]), "s1");
        assert!(refused.unwrap_err().to_string().contains("User said no"));
        assert!(judge(&q(&[("state", "s1")]), "s1").is_err());
    }

    #[test]
    fn pages_escape_what_the_url_said() {
        let html = page("x", "<script>alert(1)</script>");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn only_the_callback_path_counts() {
        assert!(callback_query("/favicon.ico").is_none());
        assert_eq!(callback_query("/callback?state=a&code=b").unwrap().get("code").unwrap(), "b");
    }
}
