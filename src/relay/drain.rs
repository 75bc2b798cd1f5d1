//! What happens to a request body sockeye refuses without reading.
//!
//! Closing a connection with unread bytes in its receive queue makes the kernel answer with a
//! reset: a client still uploading (the docker CLI streaming a build context, a `docker
//! load`) then gets "broken pipe" or "connection reset" instead of the refusal, and loses the
//! connection. Go's `net/http` server, which dockerd uses, reads up to 256 KiB that a handler
//! left unread, and past that sends its FIN and waits 500 ms before closing, so that a client
//! refused mid-upload reads the refusal before any reset. sockeye reads the rest of the body
//! before it refuses, up to [`MAX`] and [`WAIT`]: a refused `docker build`, `load` or `cp`
//! then gets its refusal whatever the size of its upload, and keeps its connection.

use std::time::Duration;

use http::header::{HeaderMap, EXPECT};
use http_body_util::BodyExt;
use hyper::body::Incoming;

/// Past it the body is left, and the connection closed after the refusal: reading an
/// endless upload costs the relay CPU (≈ 0.4 s per GiB here).
const MAX: usize = 1 << 30;

/// How long the rest of a refused body may take to arrive; a client that stops sending gets
/// its refusal then.
const WAIT: Duration = Duration::from_secs(5);

/// Read and drop the unread request body, up to [`MAX`] bytes and [`WAIT`]. Read to its end,
/// hyper keeps the client's connection for its next request.
///
/// Not when the client waits for `100 Continue` before it sends its body: polling the body
/// would make hyper invite the upload only to refuse it. Go's server refuses such a request
/// at once and closes the connection after its answer; hyper does the same with the body
/// left unread.
pub async fn unread(headers: &HeaderMap, mut body: Incoming) {
    let waits_to_send = headers
        .get_all(EXPECT)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if waits_to_send {
        return;
    }
    let read = async {
        let mut left = MAX;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                let Some(rest) = left.checked_sub(data.len()) else {
                    return;
                };
                left = rest;
            }
        }
    };
    let _ = tokio::time::timeout(WAIT, read).await;
}
