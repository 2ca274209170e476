//! Every request the platform received (method and path, no query or body), so tests can prove
//! what the app sent — and what it never sent, such as an analytics call without consent.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::PlatformFake;

pub(super) async fn record(State(fake): State<PlatformFake>, req: Request, next: Next) -> Response {
    let line = format!("{} {}", req.method(), req.uri().path());
    fake.state().requests.push(line);
    next.run(req).await
}

impl PlatformFake {
    /// `"GET /api/v1/credits"`, … in the order they arrived.
    pub fn requests(&self) -> Vec<String> {
        self.state().requests.clone()
    }
}
