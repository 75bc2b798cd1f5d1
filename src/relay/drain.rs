//! What happens to a request body sockeye refuses without reading.
//!
//! Closing a connection with unread bytes in its receive queue makes the kernel answer with a
//! reset: a client still uploading (the docker CLI streaming a build context, a `docker
//! load`) then gets "broken pipe" or "connection reset" instead of the refusal, and loses the
//! connection. Go's `net/http` server, which dockerd uses, reads up to 256 KiB that a handler
//! left unread before it answers the next request, so a client that dockerd refuses gets
//! the refusal and keeps its connection. sockeye does the same before it refuses.

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;

/// Go's `maxPostHandlerReadBytes`: past it, the body is left and the connection closed.
const MAX: usize = 256 * 1024;

/// How long the rest of a refused body may take to arrive; a client that stops sending gets
/// its refusal then.
const WAIT: Duration = Duration::from_secs(5);

/// Read and drop the unread request body, up to [`MAX`] bytes and [`WAIT`]. Read to its end,
/// hyper keeps the client's connection for its next request.
pub async fn unread(mut body: Incoming) {
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
