//! Tokens only to their own origin (#20): which output URLs the client fetches, where the
//! Replicate token goes, redirects, and the deadline of a download. Scripted servers on loopback
//! record every request and whether it carried `Authorization`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flux_krea_core::generation::provider::ProviderClient;
use flux_krea_core::secrets::Sensitive;
use flux_krea_core::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "r8_origin_test_token_0123456789";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really, but bytes";

/// What a scripted server answers to a request (its path, and whether it carried a token).
#[derive(Clone)]
enum Reply {
    Status(u16),
    Bytes,
    Redirect(String),
    /// A long body, one byte every 100 ms.
    Trickle,
}

struct Server {
    port: u16,
    /// (path, carried `Authorization`)
    seen: Arc<Mutex<Vec<(String, bool)>>>,
}

impl Server {
    async fn start(script: fn(&str, bool) -> Reply) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, script, log.clone()));
            }
        });
        Server { port, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn seen(&self) -> Vec<(String, bool)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, script: fn(&str, bool) -> Reply, seen: Arc<Mutex<Vec<(String, bool)>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split(' ').nth(1).unwrap_or("").to_string();
    let authorized = head.lines().any(|l| l.to_ascii_lowercase().starts_with("authorization:"));
    seen.lock().unwrap().push((path.clone(), authorized));
    let answer = match script(&path, authorized) {
        Reply::Status(code) => format!("HTTP/1.1 {code} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        Reply::Redirect(to) => {
            format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
        Reply::Bytes => {
            let _ = stream
                .write_all(
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", PNG.len()).as_bytes(),
                )
                .await;
            let _ = stream.write_all(PNG).await;
            return;
        }
        Reply::Trickle => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n").await;
            while stream.write_all(b"x").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            return;
        }
    };
    let _ = stream.write_all(answer.as_bytes()).await;
}

/// The Replicate client with its API at `api` (`/v1`), retrying quickly.
fn provider(api: &Server) -> ProviderClient {
    ProviderClient::replicate(&api.url("/v1"), Sensitive::new(TOKEN.to_string()))
        .unwrap()
        .with_retry_delays(Duration::from_millis(1), Duration::from_millis(5))
}

/// The API answers its own files only with the token; anything else is a 401.
fn api_script(path: &str, authorized: bool) -> Reply {
    match path {
        "/v1/files/f1/download" if authorized => Reply::Bytes,
        _ => Reply::Status(401),
    }
}

#[tokio::test]
async fn look_alike_and_plain_http_urls_are_refused_before_anything_is_sent() {
    let api = Server::start(api_script).await;
    let delivery = Server::start(|_, _| Reply::Bytes).await;
    let p = provider(&api);
    let port = delivery.port;
    let cases = [
        ("http://127.0.0.1.evil.example/out.png".to_string(), "127.0.0.1.evil.example"),
        ("http://localhost@evil.example/out.png".to_string(), "evil.example"),
        (format!("http://localhost@127.0.0.1:{port}/out.png"), "127.0.0.1"),
        // Only loopback IP literals: a name is whatever DNS or the hosts file says today.
        (format!("http://localhost:{port}/out.png"), "localhost"),
        ("http://198.51.100.7/out.png".to_string(), "198.51.100.7"),
        ("ftp://cdn.example/out.png".to_string(), "cdn.example"),
    ];
    for (url, host) in cases {
        let err = p.download(&url, &|_, _| {}).await.unwrap_err();
        let Error::Upstream { ref detail, .. } = err else { panic!("{url}: {err:?}") };
        assert!(detail.contains("an output URL") && detail.contains(host), "{url}: {err}");
        assert!(!err.to_string().contains("out.png"), "the URL is not repeated: {err}");
    }
    assert_eq!(delivery.seen(), vec![], "nothing reached the server");
    assert_eq!(api.seen(), vec![]);
}

#[tokio::test]
async fn a_delivery_host_never_gets_the_token_even_when_it_answers_401() {
    let api = Server::start(api_script).await;
    let delivery = Server::start(|_, _| Reply::Status(401)).await;
    let err = provider(&api).download(&delivery.url("/xezq/out-0.webp"), &|_, _| {}).await.unwrap_err();
    let host = format!("127.0.0.1:{}", delivery.port);
    match &err {
        Error::Upstream { service, status: 401, detail } => {
            assert_eq!(service, &host, "the error names the host that asked");
            assert!(detail.contains("only sent to") && detail.contains(&format!("127.0.0.1:{}", api.port)), "{err}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(delivery.seen(), vec![("/xezq/out-0.webp".to_string(), false)], "one request, without the token");
    assert_eq!(api.seen(), vec![]);
}

#[tokio::test]
async fn only_files_under_the_api_base_get_the_token() {
    let api = Server::start(api_script).await;
    let p = provider(&api);
    assert_eq!(p.download(&api.url("/v1/files/f1/download"), &|_, _| {}).await.unwrap(), PNG);
    // Same origin, but not under `/v1`: no token (and its 401 names the host).
    for path in ["/v10/files/f1/download", "/elsewhere/f1"] {
        let err = p.download(&api.url(path), &|_, _| {}).await.unwrap_err();
        assert!(matches!(err, Error::Upstream { status: 401, .. }), "{path}: {err:?}");
    }
    assert_eq!(
        api.seen(),
        vec![
            ("/v1/files/f1/download".to_string(), true),
            ("/v10/files/f1/download".to_string(), false),
            ("/elsewhere/f1".to_string(), false),
        ]
    );
}

#[tokio::test]
async fn redirects_keep_the_token_home_and_never_go_to_plain_http_elsewhere() {
    let delivery = Server::start(|_, _| Reply::Bytes).await;
    // The API's file redirects to the delivery host (as a CDN would): the token stays behind.
    static DELIVERY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DELIVERY.set(delivery.url("/xezq/moved.webp")).unwrap();
    let api = Server::start(|path, authorized| match path {
        "/v1/files/f2/download" if authorized => Reply::Redirect(DELIVERY.get().unwrap().clone()),
        "/v1/files/away/download" if authorized => Reply::Redirect("http://198.51.100.7/out.png".into()),
        _ => Reply::Status(401),
    })
    .await;
    let p = provider(&api);
    assert_eq!(p.download(&api.url("/v1/files/f2/download"), &|_, _| {}).await.unwrap(), PNG);
    assert_eq!(delivery.seen(), vec![("/xezq/moved.webp".to_string(), false)]);
    // Plain http to another computer is not followed (nor connected to: this address does not answer).
    let started = Instant::now();
    let err = p.download(&api.url("/v1/files/away/download"), &|_, _| {}).await.unwrap_err();
    assert!(err.to_string().contains("redirected away from https"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_download_that_never_ends_stops_at_its_deadline() {
    let api = Server::start(api_script).await;
    let delivery = Server::start(|_, _| Reply::Trickle).await;
    let p = provider(&api).with_download_timeout(Duration::from_millis(400));
    let started = Instant::now();
    let err = p.download(&delivery.url("/xezq/slow.webp"), &|_, _| {}).await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }) && err.to_string().contains("took too long"), "{err:?}");
    // Five attempts (the first and four retries) of 0.4 s each, not a download that never ends.
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(delivery.seen().len(), 5);
}
