//! A hijacked session's bytes (attach, exec start, `/session`, a raw `/grpc`), both ways until
//! both directions have ended.
//!
//! Once nobody needs to see the bytes themselves (no `-v` copy, the audit's capture full),
//! they move kernel-side: `splice(2)` from one socket into a pipe and from the pipe into the
//! other socket, so sockeye never copies them through user space and only counts them. The
//! bytes before that (and every byte of a TLS side, or of a `--raw` client, which is read to
//! be shown) are copied as before.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;

use bytes::Bytes;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use nix::fcntl::{FcntlArg, OFlag, SpliceFFlags};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::event::{Fault, Recorder};
use crate::relay::stream::{FdStream, Plain, Sock, Stream};

/// How a hijacked session ended.
#[derive(Debug, Default, Clone, Copy)]
pub struct Spliced {
    pub error: Option<io::ErrorKind>,
    /// Whose side failed, when one did.
    pub fault: Option<Fault>,
}

/// A direction's failure: what went wrong, and whose fault it was.
type Failed = Option<(io::ErrorKind, Fault)>;

/// Relay raw bytes both ways until both directions have ended, recording each direction
/// (client → daemon, daemon → client).
///
/// When one side half-closes (EOF on read), the other side's write half is shut down and
/// the opposite direction keeps flowing for as long as it lasts: `docker exec` without `-i`
/// half-closes at once and still expects all of the command's output.
pub async fn splice(
    client: Upgraded,
    daemon: Upgraded,
    recorders: (Recorder, Recorder),
) -> Spliced {
    // The sockets themselves, with what hyper had read past the heads: the client's bytes
    // after its request (stdin sent at once) and the daemon's after its 101 (early output).
    let client = match client.downcast::<TokioIo<Stream>>() {
        Ok(parts) => parts,
        // A `--raw` client is read through its tap: copied, as its bytes are shown.
        Err(client) => {
            return copy_both(TokioIo::new(client), TokioIo::new(daemon), recorders).await
        }
    };
    let (mut client_io, client_early) = (client.io.into_inner(), client.read_buf);
    let (mut daemon_io, daemon_early) = match daemon.downcast::<TokioIo<Stream>>() {
        Ok(parts) => (parts.io.into_inner(), parts.read_buf),
        Err(daemon) => {
            let client = Early::new(client_io, client_early);
            return copy_both(client, TokioIo::new(daemon), recorders).await;
        }
    };
    let planned = match (client_io.plain(), daemon_io.plain()) {
        (Ok(Some(c)), Ok(Some(d))) => {
            Some(both_ways(c, d, client_early.clone(), daemon_early.clone(), &recorders).await)
        }
        // TLS on a side, or no descriptor left to register a socket for writing: copied.
        _ => None,
    };
    let (up, down) = match planned {
        Some(ended) => ended,
        None => {
            let client = Early::new(client_io, client_early);
            let daemon = Early::new(daemon_io, daemon_early);
            return copy_both(client, daemon, recorders).await;
        }
    };
    ended(up, down)
}

fn ended(up: Failed, down: Failed) -> Spliced {
    match up.or(down) {
        Some((kind, fault)) => Spliced {
            error: Some(kind),
            fault: Some(fault),
        },
        None => Spliced::default(),
    }
}

const SIDES: (Fault, Fault) = (Fault::ClientAborted, Fault::UpstreamBroke);

/// Both directions between two plain sockets, each moved kernel-side once it may be.
async fn both_ways(
    client: Plain<'_>,
    daemon: Plain<'_>,
    client_early: Bytes,
    daemon_early: Bytes,
    recorders: &(Recorder, Recorder),
) -> (Failed, Failed) {
    // One generic pair per combination of socket kinds (a TCP daemon, a TCP client).
    macro_rules! run {
        ($c:expr, $d:expr) => {
            tokio::join!(
                direction($c, $d, client_early, &recorders.0, SIDES),
                direction($d, $c, daemon_early, &recorders.1, (SIDES.1, SIDES.0)),
            )
        };
    }
    match (client, daemon) {
        (Plain::Unix(c), Plain::Unix(d)) => run!(c, d),
        (Plain::Unix(c), Plain::Tcp(d)) => run!(c, d),
        (Plain::Tcp(c), Plain::Unix(d)) => run!(c, d),
        (Plain::Tcp(c), Plain::Tcp(d)) => run!(c, d),
    }
}

/// The most bytes one direction moves per `splice` pair: the pipe's capacity. 64 KiB (the
/// default) took ≈ 16 system calls per MiB; larger pipes move what the socket holds at once.
const PIPE_BYTES: i32 = 1024 * 1024;

/// A pipe, the kernel's buffer between the two sockets.
struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    capacity: usize,
}

impl Pipe {
    fn new() -> io::Result<Pipe> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
        // A larger pipe is an optimization: refused (over the user's pipe page limit), the
        // default one still works.
        let _ = nix::fcntl::fcntl(
            std::os::fd::AsRawFd::as_raw_fd(&write),
            FcntlArg::F_SETPIPE_SZ(PIPE_BYTES),
        );
        let capacity = nix::fcntl::fcntl(
            std::os::fd::AsRawFd::as_raw_fd(&write),
            FcntlArg::F_GETPIPE_SZ,
        )?;
        Ok(Pipe {
            read,
            write,
            capacity: usize::try_from(capacity).unwrap_or(64 * 1024).max(4096),
        })
    }
}

const FLAGS: SpliceFFlags = SpliceFFlags::SPLICE_F_MOVE.union(SpliceFFlags::SPLICE_F_NONBLOCK);

/// One direction: `early` first (bytes hyper had already read from `src`), then copied while
/// the recorder wants the bytes, then spliced; at `src`'s end, `dst`'s write half is shut
/// down. `sides` names whose fault a read and a write failure are.
async fn direction<R: Sock, W: Sock>(
    src: &FdStream<R>,
    dst: &FdStream<W>,
    early: Bytes,
    recorder: &Recorder,
    sides: (Fault, Fault),
) -> Failed
where
    for<'a> &'a R: Read + Write,
    for<'a> &'a W: Read + Write,
{
    if !early.is_empty() {
        if let Err(e) = write_all(dst, &early).await {
            return Some((e.kind(), sides.1));
        }
        recorder.record(&early);
    }
    let mut buf = Vec::new();
    // Made when first needed; without one (no descriptors left), the bytes are copied.
    let mut pipe: Option<Pipe> = None;
    loop {
        if pipe.is_none() && !recorder.wants_bytes() {
            pipe = Pipe::new().ok();
            if pipe.is_some() {
                buf = Vec::new();
            }
        }
        let moved = match &pipe {
            Some(pipe) => splice_once(src, dst, pipe, recorder).await,
            None => {
                if buf.is_empty() {
                    buf = vec![0; 64 * 1024];
                }
                copy_once(src, dst, &mut buf, recorder).await
            }
        };
        match moved {
            Ok(true) => {}
            Ok(false) => break,
            Err(Broke::Read(e)) => {
                let _ = dst.shutdown_write();
                return Some((e.kind(), sides.0));
            }
            Err(Broke::Write(e)) => return Some((e.kind(), sides.1)),
        }
    }
    recorder.end();
    dst.shutdown_write().err().map(|e| (e.kind(), sides.1))
}

/// Which end of a direction failed.
enum Broke {
    Read(io::Error),
    Write(io::Error),
}

/// Read what `src` has and write it all to `dst`; `false` at `src`'s end.
async fn copy_once<R: Sock, W: Sock>(
    src: &FdStream<R>,
    dst: &FdStream<W>,
    buf: &mut [u8],
    recorder: &Recorder,
) -> Result<bool, Broke>
where
    for<'a> &'a R: Read + Write,
    for<'a> &'a W: Read + Write,
{
    let n = src
        .when_readable(|mut s| s.read(buf))
        .await
        .map_err(Broke::Read)?;
    if n == 0 {
        return Ok(false);
    }
    write_all(dst, &buf[..n]).await.map_err(Broke::Write)?;
    recorder.record_slice(&buf[..n]);
    Ok(true)
}

/// Move what `src` has (up to a pipe's worth) through the pipe into `dst`; `false` at
/// `src`'s end. The pipe is empty before and after, so a `splice` from `src` that would
/// block means `src` has nothing, and one into `dst` means `dst` is full.
async fn splice_once<R: Sock, W: Sock>(
    src: &FdStream<R>,
    dst: &FdStream<W>,
    pipe: &Pipe,
    recorder: &Recorder,
) -> Result<bool, Broke>
where
    for<'a> &'a R: Read + Write,
    for<'a> &'a W: Read + Write,
{
    let n = src
        .when_readable(|s| {
            nix::fcntl::splice(s, None, &pipe.write, None, pipe.capacity, FLAGS)
                .map_err(io::Error::from)
        })
        .await
        .map_err(Broke::Read)?;
    if n == 0 {
        return Ok(false);
    }
    let mut left = n;
    while left > 0 {
        let m = dst
            .when_writable(|s| {
                nix::fcntl::splice(&pipe.read, None, s, None, left, FLAGS).map_err(io::Error::from)
            })
            .await
            .map_err(Broke::Write)?;
        if m == 0 {
            return Err(Broke::Write(io::ErrorKind::WriteZero.into()));
        }
        left -= m;
    }
    recorder.count(n);
    Ok(true)
}

async fn write_all<W: Sock>(dst: &FdStream<W>, mut data: &[u8]) -> io::Result<()>
where
    for<'a> &'a W: Read + Write,
{
    while !data.is_empty() {
        let n = dst.when_writable(|mut s| s.write(data)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
    }
    Ok(())
}

/// A stream with bytes already read from it (by hyper, past an HTTP head) that come first.
struct Early<S> {
    io: S,
    early: Bytes,
}

impl<S> Early<S> {
    fn new(io: S, early: Bytes) -> Self {
        Early { io, early }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Early<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.early.is_empty() {
            let n = this.early.len().min(buf.remaining());
            buf.put_slice(&this.early.split_to(n));
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Early<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Both directions copied through sockeye's memory (TLS, `--raw`).
async fn copy_both<C, D>(mut client: C, mut daemon: D, recorders: (Recorder, Recorder)) -> Spliced
where
    C: AsyncRead + AsyncWrite + Unpin,
    D: AsyncRead + AsyncWrite + Unpin,
{
    let (mut cr, mut cw) = tokio::io::split(&mut client);
    let (mut dr, mut dw) = tokio::io::split(&mut daemon);
    let up = pump(&mut cr, &mut dw, &recorders.0, SIDES);
    let down = pump(&mut dr, &mut cw, &recorders.1, (SIDES.1, SIDES.0));
    let (up, down) = tokio::join!(up, down);
    ended(up, down)
}

/// Copy until EOF, then shut down the writer (propagating the half-close). `sides` names
/// whose fault a read and a write failure are.
async fn pump<R, W>(r: &mut R, w: &mut W, recorder: &Recorder, sides: (Fault, Fault)) -> Failed
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = w.shutdown().await;
                return Some((e.kind(), sides.0));
            }
        };
        if let Err(e) = w.write_all(&buf[..n]).await {
            return Some((e.kind(), sides.1));
        }
        recorder.record_slice(&buf[..n]);
    }
    recorder.end();
    w.shutdown().await.err().map(|e| (e.kind(), sides.1))
}
