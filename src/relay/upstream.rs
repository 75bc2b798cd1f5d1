//! The daemon side: connect, forward one request at a time.
//!
//! A client connection's daemon connection is opened on its first request and reused for
//! the requests that follow; on a Unix-socket daemon it is closed once it has been idle for
//! [`LINGER`] (the client's own connection stays open). An idle keep-alive client then holds
//! no daemon connection, nor its buffers, task or descriptor (≈ 13 KiB of 27; as HAProxy's
//! `option http-server-close`, which closes it after every answer), while a client that
//! sends its requests back to back (the docker CLI's ping and its call, an SDK's loop) pays
//! for no dial (≈ 35 µs of CPU each: docs/benchmarks.md, "Memory per connection"). A `tcp://`
//! or `tls://` daemon connection (a TCP, and perhaps a TLS, handshake to open) is kept while
//! the client's is. Either way the daemon sees what it would see without sockeye where it
//! matters: a request that hijacks arrives on the connection the client opened for it (the
//! docker CLI opens one for each), and a client that hangs up mid-request closes the
//! daemon's.

use std::io;
use std::sync::{Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};

use crate::config::UpstreamAddr;
pub use crate::guard::error::error_chain;
use crate::guard::{self, Permitted};
use crate::relay::body::RelayBody;
use crate::relay::error::ProxyError;
use crate::relay::stream::Stream;

/// Connect to the daemon; `tls` is the client configuration a `tls://` upstream needs.
pub async fn connect(
    addr: &UpstreamAddr,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> io::Result<Stream> {
    match addr {
        UpstreamAddr::Unix(path) => connect_unix(path).await,
        UpstreamAddr::Tcp(hostport) => {
            let s = TcpStream::connect(hostport.as_str()).await?;
            s.set_nodelay(true)?;
            Stream::tcp(s)
        }
        UpstreamAddr::Tls(hostport) => {
            let config = tls.ok_or_else(|| {
                io::Error::other("a tls:// upstream needs --upstream-tls-ca (none configured)")
            })?;
            let s = TcpStream::connect(hostport.as_str()).await?;
            s.set_nodelay(true)?;
            crate::relay::tls::connect(config, hostport, Stream::tcp(s)?).await
        }
    }
}

/// Dial a Unix-socket daemon with a socket made non-blocking by `socket(2)` itself, and
/// register it once: a Unix `connect` completes at once, where tokio's waited a round of
/// `epoll_wait` for writability and then sockeye re-registered the stream (five system calls
/// of the 32 a new connection cost; docs/benchmarks.md, "New connections, measured again").
async fn connect_unix(path: &std::path::Path) -> io::Result<Stream> {
    use rustix::io::Errno;
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
    let fd = rustix::net::socket_with(AddressFamily::UNIX, SocketType::STREAM, flags, None)?;
    match rustix::net::connect(&fd, &SocketAddrUnix::new(path)?) {
        Ok(()) => Stream::unix_nonblocking(std::os::unix::net::UnixStream::from(fd)),
        // The daemon's backlog is full (Linux says EAGAIN for a Unix socket): tokio's
        // connect, as before this fast path.
        Err(Errno::AGAIN | Errno::INPROGRESS) => Stream::unix(UnixStream::connect(path).await?),
        Err(e) => Err(e.into()),
    }
}

/// The daemon side of one client connection.
pub struct Upstream {
    addr: UpstreamAddr,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// The daemon connection between requests; the connection's task empties it once it has
    /// been idle for [`LINGER`] (Unix sockets only).
    kept: Arc<Mutex<Option<Kept>>>,
}

/// A daemon connection kept for the next request.
struct Kept {
    sender: SendRequest<RelayBody>,
    /// When its last answer's head came.
    since: Instant,
}

/// How long a Unix-socket daemon connection outlives its last answer's head for the next
/// request; the answer's body, however long it streams, keeps it too.
pub const LINGER: Duration = Duration::from_secs(1);

impl Upstream {
    pub fn new(addr: UpstreamAddr, tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        Upstream {
            addr,
            tls,
            kept: Arc::new(Mutex::new(None)),
        }
    }

    pub fn addr(&self) -> &UpstreamAddr {
        &self.addr
    }

    /// Send one request and return the daemon's response head (the body streams).
    ///
    /// The daemon connection also fails when the client's request body does (hyper closes
    /// it rather than send the daemon a body that ends wrong): that is the client's fault,
    /// not the daemon's.
    pub async fn send(
        &mut self,
        req: Permitted<Request<RelayBody>>,
    ) -> Result<Response<hyper::body::Incoming>, ProxyError> {
        let mut sender = self.ready_sender().await?;
        let answer = sender.send_request(req.into_request()).await;
        match answer {
            // After a 101 the connection is the tunnel's: no request follows on it.
            Ok(resp) if resp.status() != StatusCode::SWITCHING_PROTOCOLS => {
                *lock(&self.kept) = Some(Kept {
                    sender,
                    since: Instant::now(),
                });
                Ok(resp)
            }
            Ok(resp) => Ok(resp),
            Err(e) => Err(match client_body_error(&e) {
                Some(body) => guard::broken_body("the request body".into(), body),
                None => ProxyError::UpstreamFailed {
                    upstream: self.addr.to_string(),
                    reason: error_chain(&e),
                },
            }),
        }
    }

    async fn ready_sender(&mut self) -> Result<SendRequest<RelayBody>, ProxyError> {
        // The daemon may have closed an idle keep-alive connection; then open a new one,
        // as the client itself would have done.
        let kept = lock(&self.kept).take();
        if let Some(Kept { mut sender, .. }) = kept {
            if sender.ready().await.is_ok() {
                return Ok(sender);
            }
        }
        let stream = connect(&self.addr, self.tls.as_ref())
            .await
            .map_err(|e| self.unreachable(e.to_string()))?;
        // The Go docker CLI sends canonical Title-Case names, and Go servers read names
        // case-insensitively anyway: Title-Case matches the CLI's bytes at no cost.
        let (mut sender, conn) = http1::Builder::new()
            .title_case_headers(true)
            .max_buf_size(MAX_BUF)
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| self.unreachable(error_chain(&e)))?;
        // Boxed: tokio moves a task's future several times as it spawns and ends it, and
        // hyper's connection is ≈ 2 KiB.
        tokio::spawn(Box::pin(async move {
            // Errors here surface to the waiting request; nothing more to do.
            let _ = conn.with_upgrades().await;
        }));
        if matches!(self.addr, UpstreamAddr::Unix(_)) {
            // A task of its own, so that the connection's task, woken on every step of every
            // exchange, polls no timer (≈ 1,100 instructions per request, measured).
            tokio::spawn(reap(Arc::downgrade(&self.kept)));
        }
        sender
            .ready()
            .await
            .map_err(|e| self.unreachable(error_chain(&e)))?;
        Ok(sender)
    }

    fn unreachable(&self, reason: String) -> ProxyError {
        ProxyError::UpstreamUnreachable {
            upstream: self.addr.to_string(),
            reason,
        }
    }
}

/// Close the kept daemon connection once it has been idle for [`LINGER`]: dropping its
/// handle lets hyper close it (at once when idle, else once the answer in flight has ended).
/// Ends then, or when the client connection is gone; a stream wakes nothing more once its
/// head has come.
async fn reap(kept: Weak<Mutex<Option<Kept>>>) {
    let mut wait = LINGER;
    loop {
        tokio::time::sleep(wait).await;
        let Some(kept) = kept.upgrade() else { return };
        let mut kept = lock(&kept);
        match kept.as_ref().map(|k| k.since.elapsed()) {
            Some(idle) if idle >= LINGER => {
                *kept = None;
                return;
            }
            Some(idle) => wait = LINGER - idle,
            // A request has it and has no answer yet.
            None => wait = LINGER,
        }
    }
}

/// The kept daemon connection; a panic elsewhere while it was held leaves nothing broken in it.
fn lock(kept: &Mutex<Option<Kept>>) -> MutexGuard<'_, Option<Kept>> {
    kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Read buffer size for hyper on both sides: large enough to move bulk data in few syscalls.
pub const MAX_BUF: usize = 512 * 1024;

/// The client's body error inside a failed exchange with the daemon: hyper wraps what the
/// request body yielded (a user body error) around it. Only a client's body can fail so:
/// the bodies sockeye forwards are the client's as it streams, or bytes already read whole.
fn client_body_error(e: &hyper::Error) -> Option<&(dyn std::error::Error + 'static)> {
    let cause = std::error::Error::source(e)?;
    cause.downcast_ref::<hyper::Error>().map(|_| cause)
}

/// One `GET path` on a connection of its own (sockeye asking the daemon, or a client of
/// sockeye asking it): the status and up to `limit` bytes of the body. The connection ends
/// with the answer.
pub async fn get_once<S>(io: S, path: &str, limit: usize) -> Result<(StatusCode, Bytes), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    ask_once(io, http::Method::GET, path, limit).await
}

/// [`get_once`] with another method (`HEAD /_ping`, as the docker CLI pings).
pub async fn ask_once<S>(
    io: S,
    method: http::Method,
    path: &str,
    limit: usize,
) -> Result<(StatusCode, Bytes), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(io))
        .await
        .map_err(|e| error_chain(&e))?;
    let driver = tokio::spawn(async move {
        // A failure surfaces to the request below.
        let _ = conn.await;
    });
    let req = Request::builder()
        .method(method)
        .uri(path)
        // The docker CLI's own Host for a Unix socket; dockerd and sockeye take any value.
        .header(http::header::HOST, "docker")
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let answered = async {
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| error_chain(&e))?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), limit)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }
    .await;
    driver.abort();
    answered
}
