//! Accept clients, serve each connection with hyper, and drain on shutdown.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::caller::{Caller, Peer};
use crate::config::{Limits, UpstreamAddr};
use crate::event::{Event, Events, Notice};
use crate::guard::current::CurrentGuard;
use crate::relay::accept_failures::AcceptFailures;
use crate::relay::exchange::{self, Conn};
use crate::relay::h2::{self, Opening};
use crate::relay::identity::process::Process;
use crate::relay::identity::{executable, Resolver};
use crate::relay::listen::Listener;
use crate::relay::stream::{Stream, Tapped};
use crate::relay::tls;
use crate::relay::tls_live::{LiveTls, SessionGuard};
use crate::relay::upstream::{Upstream, MAX_BUF};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;

/// Connection numbers, unique in the process: every runtime thread accepts on the same
/// socket, and a call's id (`#conn.req`) must name one call in the audit log.
static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Everything a running relay needs besides its listener.
#[derive(Clone)]
pub struct Relay {
    pub upstream: UpstreamAddr,
    /// For a `tls://` upstream: the CA and client certificate sockeye presents.
    pub upstream_tls: Option<Arc<rustls::ClientConfig>>,
    pub limits: Limits,
    pub events: Events,
    /// Decides every request ([`crate::guard::Guard::open`] without a policy); a reload
    /// replaces the guard in it.
    pub guard: CurrentGuard,
    /// Finds the container a Unix-socket client runs in; `None` when nobody asks.
    pub resolver: Option<Resolver>,
    /// Read a Unix-socket client's process name and executable from `/proc`: when a policy
    /// decides on them, a view shows them or a record keeps them. Without, a caller is its
    /// uid, gid and pid, and an accept costs no file reads.
    pub identify: bool,
    /// Open client connections and hijacked sessions, of every listener and thread: drained
    /// together at shutdown, and counted for the "draining" line.
    pub tasks: TaskTracker,
}

/// Serve clients from `listener` until `shutdown` completes, then stop accepting, let open
/// requests finish for at most `limits.drain_timeout`, and return. The listener (and so a
/// Unix socket file) is gone before draining starts, so new clients fail fast.
pub async fn run(listener: Listener, relay: Relay, shutdown: impl Future<Output = ()>) {
    let tasks = relay.tasks.clone();
    let stop = CancellationToken::new();
    let mut failures = AcceptFailures::default();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    failures.succeeded();
                    let id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
                    match listener.tls() {
                        None => {
                            // Boxed: tokio moves a task's future several times as it
                            // spawns and ends it, and this one is ≈ 3.4 KiB.
                            let served = connection(stream, peer, id, &relay, &tasks, &stop, None);
                            tasks.spawn(Box::pin(served));
                        }
                        Some(live) => {
                            let (relay, conn_tasks, stop) =
                                (relay.clone(), tasks.clone(), stop.clone());
                            // TLS listeners are TCP: every peer has an address.
                            let Some(addr) = peer.addr() else { continue };
                            tasks.spawn(async move {
                                tls_connection(live, stream, addr, id, relay, conn_tasks, stop).await;
                            });
                        }
                    }
                }
                // Out of file descriptors and the like: say so, back off, keep serving.
                Err(e) => failures.failed(&e).await,
            },
        }
    }
    drop(listener);
    stop.cancel();
    tasks.close();
    // Whoever started the relay says what is left (`proxy` counts every listener's).
    let _ = tokio::time::timeout(relay.limits.drain_timeout, tasks.wait()).await;
}

/// Serve one `tls://` client: the handshake with the configuration in force now, then its
/// connection, which ends at once when a reload revokes its certificate.
async fn tls_connection(
    live: Arc<LiveTls>,
    stream: Stream,
    addr: std::net::SocketAddr,
    id: u64,
    relay: Relay,
    tasks: TaskTracker,
    stop: CancellationToken,
) {
    let acceptor = TlsAcceptor::from(live.current());
    let timeout = relay.limits.head_timeout;
    let Some((stream, peer, leaf)) =
        tls::handshake(acceptor, stream, addr, id, &relay.events, timeout).await
    else {
        return;
    };
    let cert = match &peer {
        Peer::Tls { cert, .. } => cert.clone(),
        _ => None,
    };
    let notice = |message: String| {
        relay.events.emit(Event::Notice(Notice {
            conn: id,
            peer: Arc::new(peer.clone()),
            message,
        }))
    };
    if let Some(warning) = leaf
        .as_deref()
        .and_then(|der| live.expiring(der, cert.as_ref()))
    {
        notice(warning);
    }
    let session = leaf
        .as_deref()
        .and_then(|der| live.session(id, addr, der, cert.as_ref()));
    let Some(session) = session else {
        return connection(stream, peer, id, &relay, &tasks, &stop, None).await;
    };
    let session = Arc::new(session);
    let served = connection(
        stream,
        peer.clone(),
        id,
        &relay,
        &tasks,
        &stop,
        Some(session.clone()),
    );
    tokio::select! {
        // First: the connection counts itself open on its first poll, before anything can
        // close it.
        biased;
        () = served => {}
        () = session.close.cancelled() => {
            // Dropping the connection closes the client's socket and its daemon connection.
            relay.events.connection(false);
            notice(format!(
                "session closed: client certificate {} revoked (SIGHUP reload of --tls-crl)",
                cert.as_ref().map_or_else(|| "?".into(), |c| c.to_string())
            ));
        }
    }
}

/// Serve one client connection: its `Conn` (and daemon connection) and its HTTP exchange.
fn connection(
    mut stream: Stream,
    peer: Peer,
    id: u64,
    relay: &Relay,
    tasks: &TaskTracker,
    stop: &CancellationToken,
    session: Option<Arc<SessionGuard>>,
) -> impl Future<Output = ()> + Send + 'static {
    let identify = relay.identify || relay.resolver.is_some();
    let upstream = Upstream::new(relay.upstream.clone(), relay.upstream_tls.clone());
    let (max_body, tasks) = (relay.limits.max_inspected_body, tasks.clone());
    let (guard, resolver) = (relay.guard.clone(), relay.resolver.clone());
    let limits = relay.limits.clone();
    let stop = stop.clone();
    let wire = relay.events.detail().wire.then(|| relay.events.clone());
    let events = relay.events.clone();
    async move {
        let (peer, process) = if identify {
            identified(peer)
        } else {
            (peer, None)
        };
        events.connection(true);
        if !matches!(stream, Stream::Tls(_)) {
            match h2::opening(&mut stream, limits.head_timeout).await {
                Opening::Other => {}
                Opening::Http2 => {
                    h2::refuse(stream, id, &peer, &events, limits.head_timeout, stop).await;
                    events.connection(false);
                    return;
                }
                Opening::Silent => {
                    events.emit(Event::Notice(Notice {
                        conn: id,
                        peer: Arc::new(peer),
                        message: no_head_within(&limits),
                    }));
                    events.connection(false);
                    return;
                }
            }
        }
        // At accept time: the pid is the caller's only while it is connected.
        let container = match (resolver, process, peer.addr()) {
            (Some(r), Some(process), _) => r.container_of(&process).await,
            // A TCP client on a container network is the container that holds its address.
            (Some(r), None, Some(addr)) => r.container_by_addr(addr.ip()).await,
            _ => None,
        };
        let caller = Arc::new(Caller { peer, container });
        let mut conn = Conn::new(id, caller, guard, upstream, events.clone(), max_body, tasks);
        conn.session = session;
        let conn = Arc::new(conn);
        match wire {
            Some(events) => serve(Tapped::new(stream, events, id), conn, limits, stop).await,
            None => serve(stream, conn, limits, stop).await,
        }
        events.connection(false);
    }
}

/// A Unix-socket peer with its process's name and executable as they are now, and the
/// process (pid and start time) for the container lookup. The executable is read for every
/// connection, never cached: an exec keeps the pid and start time but changes it.
fn identified(peer: Peer) -> (Peer, Option<Process>) {
    let Peer::Unix {
        uid,
        gid,
        pid: Some(pid),
        ..
    } = peer
    else {
        return (peer, None);
    };
    let process = Process::read(pid);
    let peer = Peer::Unix {
        uid,
        gid,
        pid: Some(pid),
        process: process.as_ref().and_then(|p| p.name.clone()),
        exe: executable(pid).map(|p| p.to_string_lossy().into_owned()),
    };
    (peer, process)
}

async fn serve<S>(stream: S, conn: Arc<Conn>, limits: Limits, stop: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let caller = conn.caller.clone();
    let id = conn.id;
    let events = conn.events.clone();
    let service = service_fn(move |req| {
        // Boxed: hyper keeps a connection's in-flight future in a box of that future's size
        // for the connection's whole life; a box per request is freed when it is answered,
        // so an idle connection holds a pointer instead of ~4.5 KiB.
        Box::pin(exchange::handle(conn.clone(), req))
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_header_size(limits.max_head_bytes)
        // dockerd (Go) limits a head by its size only, never by its number of headers
        // (hyper's own default is 100): see `max_headers`.
        .max_headers(max_headers(limits.max_head_bytes))
        .max_buf_size(MAX_BUF)
        // dockerd (Go) writes every header name in canonical Title-Case, so writing Title-Case
        // reproduces its bytes exactly; hyper's per-header case maps (`preserve_header_case`)
        // cost a fifth of the relay's instructions per request (measured with callgrind).
        .title_case_headers(true)
        // The daemon's own Date header is relayed; hyper must not add a second one.
        .auto_date_header(false);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        r = connection.as_mut() => r,
        _ = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        if let Some(message) = describe(&e, &limits) {
            events.emit(Event::Notice(Notice {
                conn: id,
                // Built only for a notice: most connections never have one.
                peer: Arc::new(caller.peer.clone()),
                message,
            }));
        }
    }
}

/// The most headers a request head may have: as many as `max_head_bytes` can hold (a header
/// line is at least 3 bytes, `a:\n`), so that the size limit decides as in dockerd, up to
/// [`MAX_HEADERS`].
fn max_headers(max_head_bytes: usize) -> usize {
    (max_head_bytes / 3 + 1).min(MAX_HEADERS)
}

/// hyper parses every head into two tables of `max_headers` slots that it allocates and
/// writes out first, so its cost is per slot and per request: as many slots as the default
/// 64 KiB allows (21,846) doubled the relay's CPU per `GET /_ping` (36 to 75 µs, measured;
/// 1 MiB: 800 µs), and 1,024 still cost ≈ 7,500 instructions of a keep-alive ping's ≈ 49,400
/// (callgrind, against 256: docs/benchmarks.md, "New connections, measured again"). A
/// Docker client sends about ten headers; a head of more than 256 gets 431, where dockerd
/// counts only the bytes.
const MAX_HEADERS: usize = 256;

/// The client went away while sockeye was still writing to it (e.g. the docker CLI exits
/// without reading the end of a long poll it abandoned): an ordinary hang-up.
fn hung_up(e: &hyper::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            );
        }
        cur = err.source();
    }
    false
}

fn no_head_within(limits: &Limits) -> String {
    format!(
        "connection closed: no complete request head within {:?} (limit: --head-timeout)",
        limits.head_timeout
    )
}

/// A connection-level failure in words a user can act on; `None` for ordinary hang-ups.
fn describe(e: &hyper::Error, limits: &Limits) -> Option<String> {
    if e.is_timeout() {
        Some(no_head_within(limits))
    } else if e.is_parse_version_h2() {
        // Only over TLS: a plain connection's preface is answered by `h2::refuse`.
        Some(
            "HTTP/2 with prior knowledge inside TLS (no ALPN h2 was offered): closed \
             (sockeye speaks HTTP/1.1 to clients)"
                .to_string(),
        )
    } else if e.is_parse_too_large() {
        Some(format!(
            "request head larger than {} bytes: answered 431 and closed (limit: --max-head-bytes)",
            limits.max_head_bytes
        ))
    } else if e.is_parse() {
        Some(format!(
            "malformed HTTP from the client ({e}): answered 400 and closed"
        ))
    } else if e.is_incomplete_message() || e.is_closed() || e.is_canceled() || hung_up(e) {
        None
    } else {
        Some(format!(
            "connection error: {}",
            crate::relay::upstream::error_chain(e)
        ))
    }
}
