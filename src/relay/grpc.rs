//! An interposed `/grpc` tunnel: the BuildKit control API, decided call by call.
//!
//! After both sides upgraded to h2c, the client is the gRPC client of the daemon's BuildKit
//! (`moby.buildkit.v1.Control`, and `LLBBridge` for a frontend running in the client).
//! Under a policy sockeye does not copy those bytes blindly: it serves HTTP/2 to the client
//! and speaks HTTP/2 to the daemon (hyper's, over the h2 crate), and relays each stream
//! (headers, data, trailers, cancellation; each hop with its own flow control, so a slow
//! side holds the other back instead of filling memory). A call that says what reaches the
//! host (`Solve`, `NewContainer`) has its one request message read whole (bounded by the
//! guard's body limit) and decided before anything of it goes on; one that could reach the
//! host unread is decided on its name; the rest (progress, listings, cache, history, the
//! session stream) pass unread. A refusal is a trailers-only answer, `grpc-status: 7`, which
//! the CLI prints as one line.
//!
//! Stream resets cross as hyper maps them: a client that cancels (RST_STREAM) makes sockeye
//! cancel the daemon's stream, and a stream the daemon breaks is reset toward the client;
//! the reset's code may differ from the one received (CANCEL, INTERNAL_ERROR), which gRPC
//! reads as the same cancellation or failure.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use http::{HeaderMap, HeaderValue, Method, Request, Response, Version};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::docker::buildkit::{self, grpc, Rpc};
use crate::docker::endpoint::Classified;
use crate::event::{
    AnsweredBy, Call, Captured, Events, Fault, Recorder, RequestHead, ResponseHead, Verdict,
};
use crate::guard::error::ProxyError;
use crate::guard::{read_whole, Refused};
use crate::relay::body::RelayBody;
use crate::relay::exchange::Conn;
use crate::relay::upstream;

/// The `/grpc` call a tunnel belongs to.
pub struct Tunnel {
    conn: Arc<Conn>,
    /// The route of the upgrade request (`Grpc`): each RPC is decided as a request to it.
    route: Classified,
    /// Calls whose answer has not ended: a client that closes the connection with none
    /// open is done with it (grpc-go closes without GOAWAY), not cutting a call short.
    open: AtomicUsize,
}

impl Tunnel {
    pub fn new(conn: Arc<Conn>, route: Classified) -> Tunnel {
        Tunnel {
            conn,
            route,
            open: AtomicUsize::new(0),
        }
    }
}

/// One open call; its end is when its answer's body is dropped (ended, reset or abandoned).
struct OpenCall(Arc<Tunnel>);

impl OpenCall {
    fn new(tunnel: &Arc<Tunnel>) -> OpenCall {
        tunnel.open.fetch_add(1, Ordering::Relaxed);
        OpenCall(tunnel.clone())
    }
}

impl Drop for OpenCall {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Relay one upgraded `/grpc` connection call by call until either side closes it. The
/// client's bytes each way are recorded as a raw tunnel's are (`recorders`: to the daemon,
/// to the client). `Err` says whose side failed, and how.
pub async fn interpose(
    client_io: Upgraded,
    daemon_io: Upgraded,
    tunnel: Arc<Tunnel>,
    recorders: (Recorder, Recorder),
) -> Result<(), (Fault, String)> {
    let client_io = TokioIo::new(Counted {
        inner: TokioIo::new(client_io),
        recorders,
    });
    relay(client_io, daemon_io, tunnel).await
}

async fn relay(
    client_io: TokioIo<Counted<TokioIo<Upgraded>>>,
    daemon_io: Upgraded,
    tunnel: Arc<Tunnel>,
) -> Result<(), (Fault, String)> {
    let daemon_broke = |e: &dyn std::fmt::Display| {
        (
            Fault::UpstreamBroke,
            format!("HTTP/2 toward the daemon: {e}"),
        )
    };
    let (sender, daemon_conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .adaptive_window(true)
        .handshake::<_, RelayBody>(daemon_io)
        .await
        .map_err(|e| daemon_broke(&upstream::error_chain(&e)))?;
    let daemon = tokio::spawn(daemon_conn);
    let calls = tunnel.clone();
    let service = service_fn(move |req| {
        let (tunnel, sender) = (calls.clone(), sender.clone());
        async move {
            let open = OpenCall::new(&tunnel);
            let resp = relay_call(&tunnel, sender, req).await;
            // The call stays open until hyper drops its answer's body.
            Ok::<_, Infallible>(resp.map(|body| {
                body.map_frame(move |frame| {
                    let _ = &open;
                    frame
                })
                .boxed_unsync()
            }))
        }
    });
    let served = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .adaptive_window(true)
        .serve_connection(client_io, service)
        .await;
    // The service (and with it every handle on the daemon connection) is gone: the daemon
    // side closes once its last stream ends.
    let closed = daemon.await;
    match served {
        Err(e) if tunnel.open.load(Ordering::Relaxed) > 0 => {
            return Err((
                Fault::ClientAborted,
                format!("HTTP/2 toward the client: {}", upstream::error_chain(&e)),
            ))
        }
        // Closed between calls, with or without GOAWAY: the client is done.
        _ => {}
    }
    match closed {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(daemon_broke(&upstream::error_chain(&e))),
        Err(e) => Err(daemon_broke(&e)),
    }
}

/// One RPC: decided when it must be, then forwarded, its answer streamed back.
async fn relay_call(
    tunnel: &Tunnel,
    sender: SendRequest<RelayBody>,
    req: Request<Incoming>,
) -> Response<RelayBody> {
    let path = req.uri().path().to_owned();
    let kind = buildkit::rpc(&path);
    if kind == Rpc::Relayed {
        return forward(sender, req.map(BodyExt::boxed_unsync)).await;
    }
    let started = (SystemTime::now(), Instant::now());
    // The guard in force for this call: a reload between two builds decides the second.
    let guard = tunnel.conn.guard.get();
    let (parts, body) = req.into_parts();
    let read = match kind {
        Rpc::Read => {
            let what = || format!("the BuildKit request {path}");
            match read_whole(Some(body), guard.body_limit, what).await {
                Ok(bytes) => Ok((Some(bytes), None)),
                Err(error) => Err(Box::new(Refused {
                    error,
                    facts: None,
                    body: None,
                })),
            }
        }
        _ => Ok((None, Some(body))),
    };
    let decided = read.and_then(|(bytes, unread)| {
        guard
            .check_rpc(&tunnel.conn.caller, &tunnel.route, &path, bytes)
            .map(|cleared| (cleared, unread))
    });
    let record = Record {
        tunnel,
        path: &path,
        started,
    };
    match decided {
        Ok((mut cleared, unread)) => {
            let verdict = Verdict::of(cleared.permit()).map(|v| v.by_revision(guard.revision()));
            let facts = cleared.facts.take();
            let body: RelayBody = match (cleared.body.take(), unread) {
                (Some(bytes), _) => Full::new(bytes).map_err(|n| match n {}).boxed_unsync(),
                (None, Some(body)) => body.boxed_unsync(),
                (None, None) => RelayBody::default(),
            };
            let resp = forward(
                sender,
                cleared
                    .forward(Request::from_parts(parts, body))
                    .into_request(),
            )
            .await;
            record.call(verdict, facts, resp.headers(), AnsweredBy::Daemon, None);
            resp
        }
        Err(refused) => {
            let (code, message) = match &refused.error {
                ProxyError::Denied(_) => (grpc::PERMISSION_DENIED, refused.error.to_string()),
                ProxyError::BodyTooLarge { .. } => (RESOURCE_EXHAUSTED, refused.error.to_string()),
                other => (INVALID_ARGUMENT, other.to_string()),
            };
            let verdict = match &refused.error {
                ProxyError::Denied(denial) => {
                    Some(Verdict::denied(denial).by_revision(guard.revision()))
                }
                _ => None,
            };
            let resp = status(code, &format!("sockeye: {message}"));
            record.call(
                verdict,
                refused.facts,
                resp.headers(),
                AnsweredBy::Sockeye,
                Some(message),
            );
            resp
        }
    }
}

/// `grpc-status` of a request sockeye cannot read: INVALID_ARGUMENT.
const INVALID_ARGUMENT: u32 = 3;
/// `grpc-status` of a request larger than sockeye reads: RESOURCE_EXHAUSTED.
const RESOURCE_EXHAUSTED: u32 = 8;

/// Send one call on to the daemon; its answer, or UNAVAILABLE when the daemon connection
/// cannot take it.
async fn forward(
    mut sender: SendRequest<RelayBody>,
    req: Request<RelayBody>,
) -> Response<RelayBody> {
    let sent = match sender.ready().await {
        Ok(()) => sender.send_request(req).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(resp) => resp.map(BodyExt::boxed_unsync),
        Err(e) => status(
            grpc::UNAVAILABLE,
            &format!(
                "sockeye: the daemon's BuildKit connection failed: {}",
                upstream::error_chain(&e)
            ),
        ),
    }
}

/// A trailers-only answer: one HEADERS frame that ends the stream with a gRPC status.
fn status(code: u32, message: &str) -> Response<RelayBody> {
    let mut resp = Response::new(Empty::new().map_err(|n| match n {}).boxed_unsync());
    let headers = resp.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-status", HeaderValue::from(code));
    if let Ok(value) = HeaderValue::from_str(&grpc::percent_encode(message)) {
        headers.insert("grpc-message", value);
    }
    resp
}

/// The client side of the connection, counted as it passes.
struct Counted<T> {
    inner: T,
    /// Bytes read from the client, bytes written to it.
    recorders: (Recorder, Recorder),
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            match &buf.filled()[before..] {
                [] => self.recorders.0.end(),
                read => self.recorders.0.record_slice(read),
            }
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.recorders.1.record_slice(&buf[..n]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.recorders.1.end();
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A decided RPC as a call of its own in the views and the audit log.
struct Record<'a> {
    tunnel: &'a Tunnel,
    path: &'a str,
    started: (SystemTime, Instant),
}

impl Record<'_> {
    fn call(
        self,
        verdict: Option<Verdict>,
        facts: Option<Arc<crate::docker::facts::Facts>>,
        answer: &HeaderMap,
        answered_by: AnsweredBy,
        error: Option<String>,
    ) {
        let events: &Events = &self.tunnel.conn.events;
        if !events.enabled() {
            return;
        }
        let head = Arc::new(RequestHead {
            id: self.tunnel.conn.next_call_id(),
            start: self.started.0,
            caller: self.tunnel.conn.caller.clone(),
            method: Method::POST,
            target: self.path.to_owned(),
            version: Version::HTTP_2,
            headers: HeaderMap::new(),
            route: self.tunnel.route.clone(),
        });
        // A gRPC answer's outcome is its `grpc-status`; the HTTP status is always 200.
        let mut headers = HeaderMap::new();
        for name in ["grpc-status", "grpc-message"] {
            if let Some(v) = answer.get(name) {
                headers.insert(name, v.clone());
            }
        }
        events.call(Call {
            response: Some(Arc::new(ResponseHead {
                id: head.id,
                status: 200,
                version: Version::HTTP_2,
                headers,
            })),
            head,
            answered_by,
            bytes_in: 0,
            bytes_out: 0,
            hijacked: false,
            incomplete: false,
            duration: self.started.1.elapsed(),
            error,
            request_body: Captured::default(),
            response_body: Captured::default(),
            verdict,
            fault: None,
            facts,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_one_trailers_only_headers_frame_with_an_encoded_message() {
        let resp = status(grpc::PERMISSION_DENIED, "sockeye: denied — host");
        assert_eq!(resp.headers()["grpc-status"], "7");
        assert_eq!(resp.headers()["content-type"], "application/grpc");
        assert_eq!(
            resp.headers()["grpc-message"],
            "sockeye: denied %E2%80%94 host"
        );
        assert!(hyper::body::Body::is_end_stream(resp.body()));
    }
}
