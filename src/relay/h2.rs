//! A client that speaks HTTP/2 with prior knowledge (h2c: the connection preface, no upgrade)
//! gets an answer it can report, not a closed connection.
//!
//! Docker 29.2 serves h2c on its API socket. sockeye relays HTTP/1.1 only: every hijacked
//! call (attach, exec, BuildKit's `/session` and `/grpc`) is an HTTP/1.1 upgrade with no
//! HTTP/2 form, and one protocol on the client side keeps one parser at the security
//! boundary. Every Docker client speaks HTTP/1.1 to a Unix socket or plain TCP, so the
//! refusal costs none of them anything; a tool that tries h2c first learns why it failed.
//!
//! hyper's HTTP/2 server (the h2 crate) answers every stream the client opens with `505 HTTP
//! Version Not Supported` and Docker-shaped JSON, then closes the connection with GOAWAY.
//! Nothing reaches the daemon.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::caller::Peer;
use crate::event::{Event, Events, Notice};
use crate::relay::error::json_error;
use crate::relay::stream::Stream;

/// What every HTTP/2 connection starts with (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the client gets on each stream.
pub const REFUSAL: &str = "this socket speaks HTTP/1.1; HTTP/2 with prior knowledge (h2c) \
                           is not relayed: connect with HTTP/1.1, as the docker CLI and SDKs do";

/// How a plain connection opens.
#[derive(Debug, PartialEq, Eq)]
pub enum Opening {
    /// With HTTP/2's preface.
    Http2,
    /// With anything else (HTTP/1, garbage for hyper to answer 400, or end of stream).
    Other,
    /// With silence, or a prefix of the preface and then silence, for the whole head
    /// timeout: closed as hyper closes a client that sends no complete head.
    Silent,
}

/// Look at the first bytes without consuming them. Waits only while what has arrived could
/// still be the preface: an HTTP/1 request line differs by its second byte at the latest
/// (`PUT`, `POST`, `PATCH`), and it normally arrives in one piece, so the cost is one `recv`
/// with `MSG_PEEK` per connection.
pub async fn opening(stream: &mut Stream, head_timeout: Duration) -> Opening {
    // Most clients have sent their first request by the time their connection is served:
    // then it is told at once, without a timer or a wait for the runtime to learn that the
    // new socket is readable, and hyper's first read takes the request at once too.
    let mut buf = [0u8; PREFACE.len()];
    match stream.peek_now(&mut buf) {
        Ok(n) => {
            if let Some(opening) = told(&buf[..n]) {
                return opening;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        // hyper's first read sees the same error and reports it.
        Err(_) => return Opening::Other,
    }
    let stream = &*stream;
    let sniff = async {
        let mut buf = [0u8; PREFACE.len()];
        loop {
            let n = match stream.peek(&mut buf).await {
                Ok(n) => n,
                // hyper's first read sees the same error and reports it.
                Err(_) => return Opening::Other,
            };
            if let Some(opening) = told(&buf[..n]) {
                return opening;
            }
            // A prefix of the preface: the socket stays readable with the same bytes, so
            // waiting for readiness would spin. Poll at a pace no real client notices.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(head_timeout, sniff)
        .await
        .unwrap_or(Opening::Silent)
}

/// How a connection whose first bytes are `first` opens; `None` while they are a strict
/// prefix of the preface.
fn told(first: &[u8]) -> Option<Opening> {
    if first.is_empty() || first != &PREFACE[..first.len()] {
        Some(Opening::Other)
    } else if first.len() == PREFACE.len() {
        Some(Opening::Http2)
    } else {
        None
    }
}

/// Serve an HTTP/2 connection only to refuse it: `505` on every stream, then GOAWAY and the
/// close. Bounded by a second (or `limit`, the head timeout, if shorter) so a client that
/// opens and idles does not hold a task.
pub async fn refuse(
    stream: Stream,
    id: u64,
    peer: &Peer,
    events: &Events,
    limit: Duration,
    stop: CancellationToken,
) {
    let answered = Arc::new(Notify::new());
    let peer = Arc::new(peer.clone());
    let notice = {
        let (events, peer) = (events.clone(), peer.clone());
        move |message: String| {
            events.emit(Event::Notice(Notice {
                conn: id,
                peer: peer.clone(),
                message,
            }))
        }
    };
    let service = {
        let (answered, notice) = (answered.clone(), notice.clone());
        service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            notice(format!(
                "HTTP/2 with prior knowledge ({} {}): answered 505, not relayed \
                 (sockeye speaks HTTP/1.1 to clients)",
                req.method(),
                req.uri().path()
            ));
            answered.notify_one();
            async {
                Ok::<_, std::convert::Infallible>(json_error(
                    StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                    REFUSAL,
                ))
            }
        })
    };
    let mut builder = http2::Builder::new(TokioExecutor::new());
    // One stream is enough to say no; the GOAWAY that follows refuses the rest.
    builder.timer(TokioTimer::new()).max_concurrent_streams(1);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    // A client with prior knowledge sends its request right behind the preface: a second is
    // plenty, and the refusal should not hold the connection for the whole head timeout.
    let wait = limit.min(REQUEST_WAIT);
    let ended = tokio::select! {
        _ = connection.as_mut() => true,
        _ = answered.notified() => false,
        _ = tokio::time::sleep(wait) => {
            notice(format!(
                "HTTP/2 with prior knowledge and no request within {wait:?}: closed \
                 (sockeye speaks HTTP/1.1 to clients)"
            ));
            false
        }
        _ = stop.cancelled() => false,
    };
    if !ended {
        // GOAWAY, a moment for it and the answers to reach the client, then the close.
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(REQUEST_WAIT, connection).await;
    }
}

/// How long an HTTP/2 client gets to send its request, and its answers to be flushed.
const REQUEST_WAIT: Duration = Duration::from_secs(1);
