//! One byte-stream type for both ends of the relay, whatever the transport.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// A connected stream over a Unix or TCP socket, or TLS over one of those.
///
/// An enum rather than `Box<dyn ..>` so the hot read/write path is a plain match, and so
/// half-close (`poll_shutdown` = `shutdown(SHUT_WR)`, after TLS's close_notify) reaches the
/// real socket.
#[derive(Debug)]
pub enum Stream {
    Unix(FdStream<std::os::unix::net::UnixStream>),
    Tcp(FdStream<std::net::TcpStream>),
    /// A `tls://` client, or a `tls://` upstream. Boxed: rustls's state is large, and the
    /// plain variants should not pay for it.
    Tls(Box<tokio_rustls::TlsStream<Stream>>),
}

impl Stream {
    pub fn unix(s: UnixStream) -> io::Result<Stream> {
        FdStream::new(s.into_std()?).map(Stream::Unix)
    }

    pub fn tcp(s: TcpStream) -> io::Result<Stream> {
        FdStream::new(s.into_std()?).map(Stream::Tcp)
    }

    /// A Unix-socket stream that the call creating it (`accept4` or `socket` with
    /// `SOCK_NONBLOCK`) made non-blocking: registered once. Through tokio's own stream a new
    /// connection was registered, deregistered, made non-blocking again and registered again
    /// (three system calls of the 32 a new connection cost; docs/benchmarks.md, "New
    /// connections, measured again").
    pub fn unix_nonblocking(s: std::os::unix::net::UnixStream) -> io::Result<Stream> {
        FdStream::registered(s).map(Stream::Unix)
    }

    /// [`Stream::unix_nonblocking`] for a TCP connection.
    pub fn tcp_nonblocking(s: std::net::TcpStream) -> io::Result<Stream> {
        FdStream::registered(s).map(Stream::Tcp)
    }

    /// Wait for the first bytes of a plain connection and copy them into `buf` without
    /// consuming them (a `tls://` listener tells TLS from plain HTTP this way, and every
    /// listener tells HTTP/2's preface from HTTP/1); `Ok(0)` at end of stream.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => loop {
                let mut guard = s.read.readable().await?;
                // A successful peek leaves the readiness set, so the next read does not wait.
                match guard.try_io(|inner| inner.get_ref().peek(buf)) {
                    Ok(result) => return result,
                    Err(_would_block) => continue,
                }
            },
            Stream::Unix(s) => loop {
                let mut guard = s.read.readable().await?;
                match guard.try_io(|inner| peek_unix(inner.get_ref(), buf)) {
                    Ok(result) => return result,
                    Err(_would_block) => continue,
                }
            },
            Stream::Tls(_) => Err(no_plain_bytes()),
        }
    }

    /// [`Stream::peek`] without waiting: what has arrived by now, or `WouldBlock`. The
    /// socket's readiness is neither consulted nor changed (a new connection's is not known
    /// until the runtime next polls for events); what it saw (bytes, or the end of the
    /// stream) the next read takes at once, without waiting for readiness either.
    pub fn peek_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (peeked, waiting) = match self {
            Stream::Tcp(s) => (s.get_ref().peek(buf), &mut s.waiting),
            Stream::Unix(s) => (peek_unix(s.get_ref(), buf), &mut s.waiting),
            Stream::Tls(_) => return Err(no_plain_bytes()),
        };
        // The end of the stream too: a client gone before it was served is closed at once,
        // its descriptor free for the next (the next one may need it to reach the daemon).
        *waiting = peeked.is_ok();
        peeked
    }

    /// The socket itself, ready to be read and written from two tasks at once through
    /// shared references (a hijacked stream moved kernel-side, `relay::splice`); `None` for
    /// TLS, whose bytes only rustls can read.
    pub fn plain(&mut self) -> io::Result<Option<Plain<'_>>> {
        Ok(match self {
            Stream::Unix(s) => Some(Plain::Unix(s.both_ways()?)),
            Stream::Tcp(s) => Some(Plain::Tcp(s.both_ways()?)),
            Stream::Tls(_) => None,
        })
    }
}

/// std's UnixStream::peek is unstable; nix's recv is the same MSG_PEEK call.
fn peek_unix(s: &std::os::unix::net::UnixStream, buf: &mut [u8]) -> io::Result<usize> {
    nix::sys::socket::recv(s.as_raw_fd(), buf, nix::sys::socket::MsgFlags::MSG_PEEK)
        .map_err(io::Error::from)
}

fn no_plain_bytes() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "peek reads the plain bytes of a connection; TLS has none to show",
    )
}

/// A plain socket of either kind, registered for reading and writing.
pub enum Plain<'a> {
    Unix(&'a FdStream<std::os::unix::net::UnixStream>),
    Tcp(&'a FdStream<std::net::TcpStream>),
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::os::unix::net::UnixStream {}
    impl Sealed for std::net::TcpStream {}
    impl Sealed for std::os::unix::net::UnixListener {}
    impl Sealed for std::net::TcpListener {}
}

/// A listening socket sockeye accepts on: std's own Unix and TCP listeners only (sealed),
/// which own their file descriptor for their whole life.
pub trait Listening: sealed::Sealed + AsRawFd + AsFd + Sized {
    fn set_nonblocking(&self) -> io::Result<()>;
}

impl Listening for std::os::unix::net::UnixListener {
    fn set_nonblocking(&self) -> io::Result<()> {
        std::os::unix::net::UnixListener::set_nonblocking(self, true)
    }
}

impl Listening for std::net::TcpListener {
    fn set_nonblocking(&self) -> io::Result<()> {
        std::net::TcpListener::set_nonblocking(self, true)
    }
}

/// A socket sockeye can read, write and half-close: std's own Unix and TCP streams only
/// (sealed), which own their file descriptor for their whole life.
pub trait Sock: sealed::Sealed + AsRawFd + AsFd + Sized
where
    for<'a> &'a Self: Read + Write,
{
    fn try_clone(&self) -> io::Result<Self>;
    fn shutdown_write(&self) -> io::Result<()>;
    fn set_nonblocking(&self) -> io::Result<()>;
}

impl Sock for std::os::unix::net::UnixStream {
    fn try_clone(&self) -> io::Result<Self> {
        std::os::unix::net::UnixStream::try_clone(self)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
    fn set_nonblocking(&self) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_nonblocking(self, true)
    }
}

impl Sock for std::net::TcpStream {
    fn try_clone(&self) -> io::Result<Self> {
        std::net::TcpStream::try_clone(self)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
    fn set_nonblocking(&self) -> io::Result<()> {
        std::net::TcpStream::set_nonblocking(self, true)
    }
}

/// A socket registered with the runtime for readability only.
///
/// tokio's own streams register for reading and writing at once, edge-triggered. Then each
/// time the peer drains what was written (every request and every response) the kernel
/// signals "writable" and the thread wakes for nothing: one extra context switch and
/// `epoll_wait` per request, about a quarter of sockeye's CPU per small request (measured:
/// 3.1 → 2.25 context switches and 52–62 → 38–42 µs per keep-alive request). Writes here go
/// straight to the socket; only a write that would block registers a duplicate of the socket
/// for writability, kept for the rest of the connection (bulk transfers need it).
#[derive(Debug)]
pub struct FdStream<T: Sock>
where
    for<'a> &'a T: Read + Write,
{
    read: AsyncFd<T>,
    write: Option<AsyncFd<T>>,
    /// Bytes or the end of the stream are known to be waiting ([`Stream::peek_now`] saw
    /// them): the next read takes them at once rather than wait for the runtime to learn
    /// that the new socket is readable.
    waiting: bool,
}

impl<T: Sock> FdStream<T>
where
    for<'a> &'a T: Read + Write,
{
    pub fn new(sock: T) -> io::Result<Self> {
        sock.set_nonblocking()?;
        Self::registered(sock)
    }

    /// A socket already non-blocking, registered for readability.
    fn registered(sock: T) -> io::Result<Self> {
        Ok(FdStream {
            read: register(sock, Interest::READABLE)?,
            write: None,
            waiting: false,
        })
    }

    pub fn get_ref(&self) -> &T {
        self.read.get_ref()
    }

    /// Register for writability now, so that reads and writes can then go through `&self`.
    fn both_ways(&mut self) -> io::Result<&Self> {
        if self.write.is_none() {
            let dup = self.read.get_ref().try_clone()?;
            self.write = Some(register(dup, Interest::WRITABLE)?);
        }
        Ok(self)
    }

    /// Run a non-blocking operation that reads the socket (`read`, `splice` from it) once it
    /// is readable; an operation that would block waits for the next readiness.
    pub async fn when_readable<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        loop {
            let mut guard = self.read.readable().await?;
            match guard.try_io(|inner| op(inner.get_ref())) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// [`FdStream::when_readable`] for writing; the socket must be registered for it
    /// ([`Stream::plain`] does that).
    pub async fn when_writable<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let Some(write) = &self.write else {
            return Err(io::Error::other("socket not registered for writing"));
        };
        loop {
            let mut guard = write.writable().await?;
            match guard.try_io(|inner| op(inner.get_ref())) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// `shutdown(SHUT_WR)`: the peer reads end of stream; reading goes on.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.read.get_ref().shutdown_write()
    }

    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match &self.write {
                None => match write(self.read.get_ref()) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        // Registering a socket that is already writable reports it at once,
                        // so no wake-up can be lost between the failed write and this.
                        let dup = self.read.get_ref().try_clone()?;
                        self.write = Some(register(dup, Interest::WRITABLE)?);
                    }
                    result => return Poll::Ready(result),
                },
                Some(w) => {
                    let mut guard = match w.poll_write_ready(cx) {
                        Poll::Ready(guard) => guard?,
                        Poll::Pending => return Poll::Pending,
                    };
                    match guard.try_io(|inner| write(inner.get_ref())) {
                        Ok(result) => return Poll::Ready(result),
                        Err(_would_block) => continue,
                    }
                }
            }
        }
    }
}

/// Register a socket with the runtime for `interest`.
///
/// tokio deprecated this safe constructor because an arbitrary `T` could return a different
/// or closed descriptor from `as_raw_fd` while registered (tokio-rs/tokio#8587); its
/// replacement is `unsafe`, which this crate forbids. Here `T` is sealed to std's
/// `UnixStream` and `TcpStream`: each owns one descriptor from creation to drop and always
/// returns it, and the `AsyncFd` owns the stream, so the descriptor outlives the
/// registration. That is exactly the condition the `unsafe` version asks its caller to uphold.
#[allow(deprecated)]
fn register<T: Sock>(sock: T, interest: Interest) -> io::Result<AsyncFd<T>>
where
    for<'a> &'a T: Read + Write,
{
    AsyncFd::with_interest(sock, interest)
}

/// A listening socket registered for readability, so that connections are accepted with
/// `accept4(SOCK_NONBLOCK)` ([`Stream::unix_nonblocking`], [`Stream::tcp_nonblocking`]).
/// The same reasoning as [`register`]: `L` is sealed to std's listeners, each owns one
/// descriptor from creation to drop and always returns it, and the `AsyncFd` owns it.
#[allow(deprecated)]
pub fn register_listener<L: Listening>(listener: L) -> io::Result<AsyncFd<L>> {
    listener.set_nonblocking()?;
    AsyncFd::with_interest(listener, Interest::READABLE)
}

impl<T: Sock + Unpin> AsyncRead for FdStream<T>
where
    for<'a> &'a T: Read + Write,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            // A zero-length read would look like end of stream.
            return Poll::Ready(Ok(()));
        }
        if std::mem::take(&mut self.waiting) {
            let read = SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                let want = buf.remaining().min(scratch.len());
                let result = self.read.get_ref().read(&mut scratch[..want]);
                if let Ok(n) = result {
                    buf.put_slice(&scratch[..n]);
                }
                result
            });
            match read {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result.map(|_| ())),
            }
        }
        loop {
            let mut guard = match self.read.poll_read_ready(cx) {
                Poll::Ready(guard) => guard?,
                Poll::Pending => return Poll::Pending,
            };
            if buf.initialized().len() == buf.capacity() {
                // Already initialized (the hijack splice's own buffer): read in place.
                let want = buf.remaining();
                match guard.try_io(|inner| inner.get_ref().read(buf.initialize_unfilled())) {
                    Ok(Ok(n)) => {
                        drained_if_short(&mut guard, n, want);
                        buf.advance(n);
                        return Poll::Ready(Ok(()));
                    }
                    Ok(Err(e)) => return Poll::Ready(Err(e)),
                    Err(_would_block) => continue,
                }
            }
            let read = SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                let want = buf.remaining().min(scratch.len());
                let result = guard.try_io(|inner| inner.get_ref().read(&mut scratch[..want]));
                if let Ok(Ok(n)) = result {
                    drained_if_short(&mut guard, n, want);
                    buf.put_slice(&scratch[..n]);
                }
                result
            });
            match read {
                Ok(Ok(_)) => return Poll::Ready(Ok(())),
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

/// A read that returned less than it asked for emptied the socket: mark it not readable, so
/// the next read waits for the kernel's next event instead of trying (and failing with
/// EAGAIN) first: one syscall less per message, as tokio's own streams do. End of stream
/// (0 bytes) keeps its readiness, since no further event would ever come.
fn drained_if_short<T: AsRawFd>(
    guard: &mut tokio::io::unix::AsyncFdReadyGuard<'_, T>,
    n: usize,
    want: usize,
) {
    if n > 0 && n < want {
        guard.clear_ready();
    }
}

thread_local! {
    /// Where socket reads land before they are copied into the caller's buffer.
    ///
    /// hyper hands over uninitialized buffer space, and safe code must zero it before a read
    /// may write there: that memset of the whole spare capacity (up to hundreds of KiB) on
    /// every read was nearly half of sockeye's instructions per request. Reading into this
    /// buffer, initialized once per thread, costs a copy of only the bytes actually read.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SCRATCH_BYTES]);
}

/// Most bytes one read takes from a socket.
const SCRATCH_BYTES: usize = 64 * 1024;

impl<T: Sock + Unpin> AsyncWrite for FdStream<T>
where
    for<'a> &'a T: Read + Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_with(cx, |mut s| s.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_with(cx, |mut s| s.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is buffered here: every write went to the socket.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.read.get_ref().shutdown_write())
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            Stream::Unix($s) => $e,
            Stream::Tcp($s) => $e,
            Stream::Tls($s) => {
                let $s = &mut **$s;
                $e
            }
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tls(s) => s.is_write_vectored(),
            _ => true,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}

/// A client connection whose bytes are also reported as wire events (`--raw`).
pub struct Tapped<S> {
    inner: S,
    events: crate::event::Events,
    conn: u64,
    /// Bytes reported so far: [client → daemon, daemon → client].
    offsets: [u64; 2],
}

impl<S> Tapped<S> {
    pub fn new(inner: S, events: crate::event::Events, conn: u64) -> Self {
        Tapped {
            inner,
            events,
            conn,
            offsets: [0, 0],
        }
    }

    fn report(&mut self, dir: crate::event::Dir, data: &[u8]) {
        if !data.is_empty() {
            let side = usize::from(dir == crate::event::Dir::ToClient);
            let offset = self.offsets[side];
            self.offsets[side] += data.len() as u64;
            self.events.emit(crate::event::Event::Wire {
                conn: self.conn,
                dir,
                at: std::time::SystemTime::now(),
                offset,
                bytes: bytes::Bytes::copy_from_slice(data),
            });
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.report(crate::event::Dir::ToDaemon, &buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.report(crate::event::Dir::ToClient, &buf[..n]);
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
