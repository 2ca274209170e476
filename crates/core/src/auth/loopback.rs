//! The loopback redirect of RFC 8252: a listener on `127.0.0.1:<random port>` that waits for the
//! `/callback` carrying this sign-in's `state`, answers every request with a small self-contained
//! page, and closes.
//!
//! Anything on this computer can connect, so nothing a connection sends is trusted before its
//! `state` matches: a callback without it (a forged link, a stale tab) gets a 400 and does not end
//! the wait, and what it says is never shown. Each connection is served on its own task with a
//! short deadline for its request head, so an idle or slow one cannot hold up the real redirect.
//! Another path (a favicon) gets a 404 and does not count either.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// A request head larger than this is not a browser's redirect.
const MAX_HEAD: usize = 16 * 1024;
/// A browser sends its request head at once; a connection silent this long is dropped.
pub(crate) const HEAD_TIMEOUT: Duration = Duration::from_secs(3);
/// Writing a page to the browser takes no longer than this.
const WRITE_TIMEOUT: Duration = Duration::from_secs(3);

const SIGNED_IN: &str = "You are signed in to Flux Krea. You can close this tab and return to the app.";
const NOT_OURS: &str = "This page did not come from the sign-in Flux Krea is waiting for (state mismatch). \
                        Finish signing in in the tab the app opened, or start again from the app.";

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

/// What the browser is shown for one request, and whether it ends the wait.
pub(crate) struct Reply {
    pub status: &'static str,
    pub title: &'static str,
    pub message: String,
    /// `Some`: this sign-in's answer (a code, or why not); `None`: keep waiting.
    pub outcome: Option<Result<String>>,
}

impl Loopback {
    pub async fn bind() -> Result<Loopback> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::internal(format!("could not listen for the sign-in redirect: {e}")))?;
        let port = listener.local_addr().map_err(|e| Error::internal(format!("no local address: {e}")))?.port();
        Ok(Loopback { listener, port })
    }

    /// Where the broker sends the browser back; `state` rides in the query as docs/platform-api.md says.
    pub fn redirect_uri(&self, state: &str) -> String {
        format!("http://127.0.0.1:{}/callback?state={state}", self.port)
    }

    /// Waits for the callback with `expected_state` and returns its `code`.
    pub async fn wait(self, expected_state: &str, timeout: Duration, cancel: &CancellationToken) -> Result<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        let expected: Arc<str> = Arc::from(expected_state);
        let (done, mut answered) = mpsc::channel::<Result<String>>(1);
        // Dropped when the wait ends: connections still open are closed with it.
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        connections.spawn(serve(stream, expected.clone(), done.clone()));
                    }
                }
                Some(outcome) = answered.recv() => return outcome,
                // Finished connections are collected as they end.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(Error::invalid("sign_in", "no answer from the browser in time; start the sign-in again"));
                }
                _ = cancel.cancelled() => return Err(Error::Canceled { what: "sign-in".into() }),
            }
        }
    }
}

/// One connection: its request head within [`HEAD_TIMEOUT`], the page, and this sign-in's answer
/// if the request carried one.
async fn serve(mut stream: TcpStream, expected_state: Arc<str>, done: mpsc::Sender<Result<String>>) {
    let Some(head) = read_head(&mut stream).await else { return };
    // Garbage (not a GET) is dropped without a word.
    let Some(reply) = answer(&head, &expected_state) else { return };
    respond(&mut stream, &reply).await;
    if let Some(outcome) = reply.outcome {
        let _ = done.send(outcome).await;
    }
}

/// The request head, or None when the connection stays silent, closes or errs first.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
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
    tokio::time::timeout(HEAD_TIMEOUT, read).await.ok()??;
    Some(head)
}

/// The reply to one request head, or None for garbage (the fuzz targets call this).
pub(crate) fn answer(head: &[u8], expected_state: &str) -> Option<Reply> {
    let target = request_target(head)?;
    let Some(query) = callback_query(&target) else {
        return Some(Reply {
            status: "404 Not Found",
            title: "Not found",
            message: "Nothing here.".into(),
            outcome: None,
        });
    };
    Some(match judge(&query, expected_state) {
        None => Reply { status: "400 Bad Request", title: "Not this sign-in", message: NOT_OURS.into(), outcome: None },
        Some(Ok(code)) => {
            Reply { status: "200 OK", title: "Signed in", message: SIGNED_IN.into(), outcome: Some(Ok(code)) }
        }
        Some(Err(e)) => Reply {
            status: "400 Bad Request",
            title: "Sign-in did not finish",
            message: e.to_string(),
            outcome: Some(Err(e)),
        },
    })
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

/// The broker's answer for this sign-in (a code, or why not), or None when the callback does not
/// carry its state: then it is not ours, and nothing it says is believed or shown.
pub(crate) fn judge(query: &HashMap<String, String>, expected_state: &str) -> Option<Result<String>> {
    let state = query.get("state")?;
    if !constant_time_eq(state.as_bytes(), expected_state.as_bytes()) {
        return None;
    }
    if let Some(error) = query.get("error") {
        let said = query.get("error_description").filter(|d| !d.trim().is_empty()).unwrap_or(error);
        // The description comes from the URL; keep it short and printable.
        let said: String = said.chars().filter(|c| !c.is_control()).take(200).collect();
        return Some(Err(Error::invalid("sign_in", format!("the sign-in was refused: {said}"))));
    }
    Some(match query.get("code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(code.clone()),
        None => Err(Error::invalid("sign_in", "the broker sent no authorization code; start again")),
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn respond(stream: &mut TcpStream, reply: &Reply) {
    let body = page(reply.title, &reply.message);
    let head = format!(
        "HTTP/1.1 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nConnection: close\r\n\r\n",
        reply.status,
        body.len()
    );
    let write = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    };
    // A browser that does not read its page does not keep the task.
    let _ = tokio::time::timeout(WRITE_TIMEOUT, write).await;
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
#[path = "loopback_tests.rs"]
mod tests;
