//! The delivery host (`replicate.delivery`): serves output files without auth, honouring the
//! download knobs so a client's latency, slow-body, reset and short-body handling can be tested.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use futures_util::{stream, StreamExt};

use super::knobs::take;
use super::ReplicateFake;

pub(super) struct OutputFile {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// The prediction it belongs to, so expiry can forget it.
    pub prediction: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// Half the body, then the connection drops.
    Reset,
    /// Content-Length larger than the body; the body ends early.
    Truncate,
}

pub(super) fn router(fake: ReplicateFake) -> Router {
    Router::new().route("/xezq/{*path}", get(serve)).with_state(fake)
}

async fn serve(State(fake): State<ReplicateFake>, uri: Uri) -> Response {
    let (bytes, content_type, latency, chunk_delay, fault) = {
        let mut state = fake.state();
        // Unknown, or removed by retention.
        let Some(file) = state.outputs.get(uri.path()) else {
            return (StatusCode::NOT_FOUND, "Not Found").into_response();
        };
        let (bytes, content_type) = (file.bytes.clone(), file.content_type);
        let knobs = &mut state.knobs;
        let fault = if take(&mut knobs.reset_downloads) {
            Fault::Reset
        } else if take(&mut knobs.truncate_downloads) {
            Fault::Truncate
        } else {
            Fault::None
        };
        (bytes, content_type, knobs.delivery_latency_ms, knobs.delivery_chunk_delay_ms, fault)
    };
    tokio::time::sleep(Duration::from_millis(latency)).await;

    let len = bytes.len();
    let sent = if fault == Fault::Reset { bytes.slice(..len / 2) } else { bytes };
    let mut items: Vec<Result<Bytes, io::Error>> = chunks(sent).into_iter().map(Ok).collect();
    if fault == Fault::Reset {
        // An erroring body makes hyper drop the connection mid-response: the client sees a reset.
        items.push(Err(io::Error::new(io::ErrorKind::ConnectionReset, "fake: connection reset mid-body")));
    }
    let declared = if fault == Fault::Truncate { len + len / 2 + 1 } else { len };
    let last = items.len().saturating_sub(1);
    if fault == Fault::Truncate {
        // Linger before ending so hyper flushes every real byte before it notices the short body.
        items.push(Ok(Bytes::new()));
    }
    let body = stream::iter(items.into_iter().enumerate()).then(move |(i, item)| {
        let fake = fake.clone();
        async move {
            if i > last {
                tokio::time::sleep(Duration::from_millis(50)).await;
            } else if i > 0 {
                tokio::time::sleep(Duration::from_millis(chunk_delay)).await;
            }
            if fault == Fault::None && i == last {
                fake.state().downloads += 1;
            }
            item
        }
    });
    // An explicit Content-Length on a streamed body: hyper sends it as is, and closes the connection
    // when the stream ends short of it (the truncated case).
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, declared)
        .body(Body::from_stream(body))
        .expect("valid response")
}

/// About four chunks, so a chunk delay makes a visibly slow download.
fn chunks(bytes: Bytes) -> Vec<Bytes> {
    let size = bytes.len().div_ceil(4).max(1);
    (0..bytes.len()).step_by(size).map(|at| bytes.slice(at..(at + size).min(bytes.len()))).collect()
}
