//! A scripted HTTP server: answers exactly what a case tells it to, wrong or not.

use super::*;

pub(super) struct Req {
    pub(super) method: String,
    pub(super) target: String,
}

impl Req {
    pub(super) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub(super) fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path() == path
    }

    pub(super) fn is_create(&self) -> bool {
        self.method == "POST" && self.path().starts_with("/v1/models/") && self.path().ends_with("/predictions")
    }

    pub(super) fn is_poll(&self) -> bool {
        self.method == "GET" && self.path().starts_with("/v1/predictions/")
    }

    pub(super) fn is_delivery(&self) -> bool {
        self.method == "GET" && self.path().starts_with("/out/")
    }
}

pub(super) enum Body {
    Full(Vec<u8>),
    /// Declares `declared` bytes, sends these, closes.
    Short {
        declared: u64,
        sent: Vec<u8>,
    },
    /// No length; megabytes of bytes until the client hangs up (at most 260 MB).
    Endless,
    /// Holds the connection without answering.
    Hang,
}

pub(super) struct Resp {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) extra: Vec<(&'static str, String)>,
    pub(super) body: Body,
}

pub(super) fn json_resp(status: u16, value: Value) -> Resp {
    Resp {
        status,
        content_type: "application/json",
        extra: Vec::new(),
        body: Body::Full(value.to_string().into_bytes()),
    }
}

pub(super) fn raw_resp(status: u16, content_type: &'static str, bytes: impl Into<Vec<u8>>) -> Resp {
    Resp { status, content_type, extra: Vec::new(), body: Body::Full(bytes.into()) }
}

/// Answers a request, or None to leave it to the server's default route.
pub(super) type Route = fn(&Req, &str) -> Option<Resp>;

pub(super) struct Shared {
    pub(super) base: String,
    pub(super) default: Route,
    pub(super) fault: Mutex<Option<Route>>,
    /// (method, target, status) of every request, oldest first.
    pub(super) log: Mutex<Vec<(String, String, u16)>>,
}

pub(super) struct Scripted {
    pub(super) shared: Arc<Shared>,
    pub(super) task: tokio::task::JoinHandle<()>,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Scripted {
    pub(super) async fn start(default: Route) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared { base, default, fault: Mutex::new(None), log: Mutex::new(Vec::new()) });
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                tokio::spawn(serve(stream, serving.clone()));
            }
        });
        Scripted { shared, task }
    }

    pub(super) fn base(&self) -> &str {
        &self.shared.base
    }

    pub(super) fn set_fault(&self, fault: Option<Route>) {
        *self.shared.fault.lock().unwrap() = fault;
    }

    pub(super) fn log(&self) -> Vec<(String, String, u16)> {
        self.shared.log.lock().unwrap().clone()
    }
}

pub(super) async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(req) = read_request(&mut stream).await else { return };
    let fault = *shared.fault.lock().unwrap();
    let resp =
        fault.and_then(|f| f(&req, &shared.base)).or_else(|| (shared.default)(&req, &shared.base)).unwrap_or_else(
            || json_resp(404, json!({"title": "Not found", "detail": "The scripted server has no such route."})),
        );
    shared.log.lock().unwrap().push((req.method.clone(), req.target.clone(), resp.status));
    let mut head =
        format!("HTTP/1.1 {} Scripted\r\nConnection: close\r\nContent-Type: {}\r\n", resp.status, resp.content_type);
    for (k, v) in &resp.extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match resp.body {
        Body::Full(bytes) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&bytes).await;
        }
        Body::Short { declared, sent } => {
            head.push_str(&format!("Content-Length: {declared}\r\n\r\n"));
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&sent).await;
        }
        Body::Endless => {
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            let chunk = vec![b'x'; 1 << 20];
            for _ in 0..260 {
                if stream.write_all(&chunk).await.is_err() {
                    break;
                }
            }
        }
        Body::Hang => tokio::time::sleep(Duration::from_secs(300)).await,
    }
    let _ = stream.shutdown().await;
}

pub(super) async fn read_request(stream: &mut TcpStream) -> Option<Req> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut first = head.lines().next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let chunked = header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let mut body = buf[head_end..].to_vec();
    while !(if chunked { body.ends_with(b"0\r\n\r\n") } else { body.len() >= length }) {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Req { method, target })
}

/// A prediction as Replicate shows it.
pub(super) fn prediction(base: &str, id: &str, status: &str, output: Value, error: Value) -> Value {
    json!({
        "id": id, "model": "black-forest-labs/flux-schnell", "version": "hidden", "input": {},
        "output": output, "error": error, "logs": "", "status": status, "data_removed": false,
        "created_at": "2026-01-01T00:00:00.000Z",
        "urls": {"get": format!("{base}/v1/predictions/{id}"), "cancel": format!("{base}/v1/predictions/{id}/cancel")}
    })
}

pub(super) fn output_of(base: &str, id: &str) -> Value {
    json!([format!("{base}/out/{id}/0.png")])
}

/// A create that comes back unfinished, so the runner polls (`GET /v1/predictions/{id}`).
pub(super) fn starting(base: &str, id: &str) -> Resp {
    json_resp(201, prediction(base, id, "starting", Value::Null, Value::Null))
}

/// Replicate behaving well: creates finish at once, outputs are an 8×8 PNG.
pub(super) fn replicate_ok(req: &Req, base: &str) -> Option<Resp> {
    let path = req.path();
    if req.is_create() {
        return Some(json_resp(201, prediction(base, "pgood", "succeeded", output_of(base, "pgood"), Value::Null)));
    }
    if req.is("GET", "/v1/predictions") {
        return Some(json_resp(200, json!({"next": null, "previous": null, "results": []})));
    }
    if req.method == "POST" && path.ends_with("/cancel") {
        let id = path.trim_start_matches("/v1/predictions/").trim_end_matches("/cancel");
        return Some(json_resp(200, prediction(base, id, "canceled", Value::Null, Value::Null)));
    }
    if req.is_poll() {
        let id = path.trim_start_matches("/v1/predictions/");
        return Some(json_resp(200, prediction(base, id, "succeeded", output_of(base, id), Value::Null)));
    }
    if req.is_delivery() {
        return Some(raw_resp(200, "image/png", tiny_png()));
    }
    if req.is("GET", "/v1/account") {
        return Some(json_resp(200, json!({"type": "user", "username": "scripted", "name": "Scripted"})));
    }
    None
}

/// The platform behaving well: the broker's token exchange, `/me`, credits, prices, consents.
pub(super) fn platform_ok(req: &Req, _base: &str) -> Option<Resp> {
    let answer = match (req.method.as_str(), req.path()) {
        ("POST", "/auth/v1/token") => json!({
            "access_token": "scripted-access", "token_type": "bearer", "expires_in": 3600,
            "refresh_token": "scripted-refresh", "user": {"id": "u-1"}
        }),
        ("POST", "/auth/v1/logout") => return Some(raw_resp(204, "application/json", Vec::new())),
        ("GET", "/api/v1/me") => json!({
            "id": "u-1", "email": "bad.input@example.com", "name": "Bad Input", "provider": "google", "avatar_url": null
        }),
        ("GET", "/api/v1/credits") => json!({"balance": 20, "updated_at": "2026-01-01T00:00:00Z"}),
        ("GET", "/api/v1/models") => json!([
            {"id": "black-forest-labs/flux-schnell", "credits_per_image": 1, "max_outputs": 4, "enabled": true}
        ]),
        ("PUT", "/api/v1/privacy/consents") => json!({}),
        _ => return None,
    };
    Some(json_resp(200, answer))
}

/// Sends raw bytes to a local port and reads the whole answer: (status, body). Status 0 when the
/// connection closed without an answer.
pub(super) async fn send_raw(port: u16, request: &[u8]) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else { return (0, String::new()) };
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

pub(super) fn get_request(url: &url::Url) -> Vec<u8> {
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept: text/html\r\n\r\n", url.port().unwrap_or(80))
        .into_bytes()
}
