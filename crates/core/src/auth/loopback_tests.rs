use std::time::Instant;

use super::*;

fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn judges_callbacks_by_their_state_first() {
    assert_eq!(judge(&q(&[("state", "s1"), ("code", "c")]), "s1").unwrap().unwrap(), "c");
    assert!(judge(&q(&[("state", "s2"), ("code", "c")]), "s1").is_none(), "a wrong state is not ours");
    assert!(judge(&q(&[("code", "c")]), "s1").is_none(), "a missing state is not ours");
    let forged = [("state", "s2"), ("error", "access_denied"), ("error_description", "Call 555-0100")];
    assert!(judge(&q(&forged), "s1").is_none(), "an error without our state is not believed");
    let refused =
        judge(&q(&[("state", "s1"), ("error", "access_denied"), ("error_description", "User said no")]), "s1");
    assert!(refused.unwrap().unwrap_err().to_string().contains("User said no"));
    assert!(judge(&q(&[("state", "s1")]), "s1").unwrap().is_err());
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

/// The status and page a browser gets for `target`.
async fn visit(port: u16, target: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

async fn listening() -> (u16, tokio::task::JoinHandle<Result<String>>) {
    let loopback = Loopback::bind().await.unwrap();
    let port = loopback.port;
    let wait =
        tokio::spawn(
            async move { loopback.wait("the-state", Duration::from_secs(60), &CancellationToken::new()).await },
        );
    (port, wait)
}

#[tokio::test]
async fn a_callback_without_our_state_gets_400_and_the_real_one_still_signs_in() {
    let (port, wait) = listening().await;
    let (status, page) = visit(port, "/callback?state=forged&code=stolen").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("state mismatch"), "{page}");
    let (status, page) = visit(port, "/callback?code=stolen").await;
    assert_eq!(status, 400, "{page}");
    // The broker's words are shown only with our state: a forged link cannot put text on the page.
    let (status, page) =
        visit(port, "/callback?state=forged&error=server_error&error_description=Call%20555-0100%20now").await;
    assert_eq!(status, 400, "{page}");
    assert!(!page.contains("555-0100") && page.contains("state mismatch"), "{page}");
    assert!(!wait.is_finished(), "a callback that is not ours must not end the wait");
    let (status, page) = visit(port, "/callback?state=the-state&code=the-code").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(wait.await.unwrap().unwrap(), "the-code");
}

#[tokio::test]
async fn idle_connections_do_not_hold_up_the_real_callback() {
    let (port, wait) = listening().await;
    // One connection that says nothing, one that stops half-way through its head.
    let _idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut half = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    half.write_all(b"GET /callback?state=the-state&co").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (status, page) =
        tokio::time::timeout(HEAD_TIMEOUT, visit(port, "/callback?state=the-state&code=the-code")).await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert_eq!(wait.await.unwrap().unwrap(), "the-code");
    assert!(started.elapsed() < HEAD_TIMEOUT / 2, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn the_broker_refusal_with_our_state_ends_the_wait_and_is_shown() {
    let (port, wait) = listening().await;
    let (status, page) =
        visit(port, "/callback?state=the-state&error=access_denied&error_description=User%20said%20no").await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("User said no"), "{page}");
    let err = wait.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("the sign-in was refused: User said no"), "{err}");
}
