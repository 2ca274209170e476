//! A proxy that fails the way a load balancer or a network does, for the fault journey against the
//! real platform service (which, unlike the platform fake, has no switches for them): in front of
//! the service it answers 503 itself; in front of the S3 server it cuts a download mid-body with
//! a TCP reset, or holds its first byte back.
//!
//! It copies bytes, reading HTTP/1.1 request heads only to choose a fault, so signatures over the
//! Host header (SigV4 presigned URLs) stay valid. Requests are sequential on a connection (no
//! pipelining from reqwest or hyper), so each response belongs to the last request forwarded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::TestResult;

/// Faults to inject; countdowns fire on the next matching request, then the proxy behaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// The next N requests whose path starts with `unavailable_prefix` get a 503 from the proxy
    /// (never forwarded), as from a replica that is down.
    pub unavailable: u32,
    pub unavailable_prefix: String,
    /// The next N presigned downloads (a GET signed in its query) are cut after their headers
    /// and the body's first bytes.
    pub reset_downloads: u32,
    /// Presigned downloads wait this long for their first byte.
    pub download_latency_ms: u64,
}

const UNAVAILABLE: &str = "{\"type\":\"urn:flux-krea:problem:unavailable\",\"status\":503,\
    \"title\":\"Service Unavailable\",\"detail\":\"The service is temporarily unavailable. Please try again later.\"}";

pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    faults: Arc<Mutex<Faults>>,
    /// The accept loop; None while offline.
    task: Mutex<Option<JoinHandle<()>>>,
}

impl FaultProxy {
    /// Listens on a loopback port and forwards each connection to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> TestResult<FaultProxy> {
        let upstream: SocketAddr = upstream.trim_start_matches("http://").trim_end_matches('/').parse()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let faults = Arc::new(Mutex::new(Faults::default()));
        let task = tokio::spawn(serve(listener, upstream, faults.clone()));
        Ok(FaultProxy { addr, upstream, faults, task: Mutex::new(Some(task)) })
    }

    /// The server becomes unreachable: connections are refused, open ones cut.
    pub async fn go_offline(&self) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            task.abort();
            // Once it has ended, the listener and every connection are closed.
            let _ = task.await;
        }
    }

    /// Reachable again, at the same address.
    pub async fn come_back(&self) -> TestResult {
        let listener = TcpListener::bind(self.addr).await?;
        let task = tokio::spawn(serve(listener, self.upstream, self.faults.clone()));
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
        Ok(())
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// The faults as they stand (a countdown at 0 has fired).
    pub fn faults(&self) -> Faults {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for FaultProxy {
    /// Stops listening and ends every connection (they live in the accept task's set).
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
    }
}

async fn serve(listener: TcpListener, upstream: SocketAddr, faults: Arc<Mutex<Faults>>) {
    let mut connections = JoinSet::new();
    while let Ok((client, _)) = listener.accept().await {
        connections.spawn(connection(client, upstream, faults.clone()));
        while connections.try_join_next().is_some() {}
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What the fault countdowns say about one request head.
enum Action {
    Forward { cut: bool, delay: Option<Duration> },
    Unavailable,
}

fn decide(faults: &Mutex<Faults>, method: &str, target: &str) -> Action {
    let mut f = faults.lock().unwrap_or_else(|e| e.into_inner());
    if f.unavailable > 0 && !f.unavailable_prefix.is_empty() && target.starts_with(&f.unavailable_prefix) {
        f.unavailable -= 1;
        return Action::Unavailable;
    }
    let download = method == "GET" && target.contains("X-Amz-Signature=");
    if !download {
        return Action::Forward { cut: false, delay: None };
    }
    let cut = f.reset_downloads > 0;
    if cut {
        f.reset_downloads -= 1;
    }
    let delay = (f.download_latency_ms > 0).then(|| Duration::from_millis(f.download_latency_ms));
    Action::Forward { cut, delay }
}

async fn connection(mut client: TcpStream, upstream: SocketAddr, faults: Arc<Mutex<Faults>>) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    // Client bytes not yet passed on, and the state of the request they belong to.
    let mut inbox = Vec::new();
    let mut body_left = 0usize;
    let mut discard = false;
    // A chunked request body cannot be followed here: pass everything from then on.
    let mut passthrough = false;
    // For the response to the last request forwarded.
    let mut delay: Option<Duration> = None;
    let mut cut: Option<Vec<u8>> = None;
    let (mut cbuf, mut sbuf) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    loop {
        tokio::select! {
            n = client.read(&mut cbuf) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                inbox.extend_from_slice(&cbuf[..n]);
                loop {
                    if passthrough {
                        server.write_all(&inbox).await?;
                        inbox.clear();
                        break;
                    }
                    if body_left > 0 {
                        let k = body_left.min(inbox.len());
                        if k == 0 {
                            break;
                        }
                        if !discard {
                            server.write_all(&inbox[..k]).await?;
                        }
                        inbox.drain(..k);
                        body_left -= k;
                        continue;
                    }
                    let Some(end) = find(&inbox, b"\r\n\r\n") else { break };
                    let head: Vec<u8> = inbox.drain(..end + 4).collect();
                    let text = String::from_utf8_lossy(&head).to_string();
                    let mut line = text.lines().next().unwrap_or("").split(' ');
                    let (method, target) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
                    let header = |name: &str| {
                        text.lines().skip(1).find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_ascii_lowercase())
                        })
                    };
                    body_left = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
                    match decide(&faults, method, target) {
                        Action::Unavailable => {
                            let answer = format!(
                                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
                                 content-length: {}\r\n\r\n{UNAVAILABLE}",
                                UNAVAILABLE.len()
                            );
                            client.write_all(answer.as_bytes()).await?;
                            discard = true;
                            if chunked {
                                // Its body cannot be skipped reliably: close, as a dying replica would.
                                return Ok(());
                            }
                        }
                        Action::Forward { cut: c, delay: d } => {
                            server.write_all(&head).await?;
                            discard = false;
                            passthrough = chunked;
                            cut = c.then(Vec::new);
                            delay = d;
                        }
                    }
                }
            }
            n = server.read(&mut sbuf) => {
                let n = n?;
                if n == 0 {
                    return Ok(());
                }
                if let Some(d) = delay.take() {
                    tokio::time::sleep(d).await;
                }
                let Some(held) = cut.as_mut() else {
                    client.write_all(&sbuf[..n]).await?;
                    continue;
                };
                held.extend_from_slice(&sbuf[..n]);
                // The headers and the body's first bytes reach the client; then the reset.
                if let Some(end) = find(held, b"\r\n\r\n") {
                    if held.len() >= end + 4 + 64 {
                        client.write_all(&held[..end + 4 + 64]).await?;
                        // Let the client read them first: a reset also drops what it has not read.
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        client.set_zero_linger()?;
                        return Ok(());
                    }
                }
            }
        }
    }
}
