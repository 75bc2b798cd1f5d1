//! `--audit-syslog ADDR`: audit records as RFC 5424 messages to a syslog receiver, over a
//! Unix socket (`/dev/log`), UDP, TCP or TLS.
//!
//! Streams (tcp, tls, a Unix stream socket) carry many messages per batch; datagrams one
//! message each. Plain syslog has no acknowledgement: a batch counts as delivered once the
//! kernel took every byte. So a stream whose receiver has gone (rsyslog stopped: the
//! connection reads end-of-file) is noticed before each batch and dialled again, rather than
//! written into and lost.

pub mod format;

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UdpSocket, UnixDatagram, UnixStream};
use tokio_rustls::client::TlsStream;

use super::Transport;
use format::{Fit, Header};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The default `--audit-syslog-max-message`: rsyslog's default `maxMessageSize` (8096 bytes;
/// rsyslog truncates a longer message and reads the rest as another).
pub const DEFAULT_MAX_MESSAGE: usize = 8096;
/// The smallest `--audit-syslog-max-message`: room for a shortened record.
pub const MIN_MAX_MESSAGE: usize = 1024;
/// The longest datagram (UDP's largest payload over IPv4): a longer message is shortened on
/// udp:// and unix:// datagram sockets whatever `--audit-syslog-max-message` says, as a
/// datagram the kernel refuses would be retried for ever.
pub const MAX_DATAGRAM: usize = 65507;

/// Where syslog messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyslogAddr {
    /// A Unix socket, datagram (`/dev/log`) or stream.
    Unix(PathBuf),
    Udp(String, u16),
    Tcp(String, u16),
    Tls(String, u16),
}

impl SyslogAddr {
    /// `unix:///dev/log`, `udp://host[:514]`, `tcp://host[:514]`, `tls://host[:6514]`.
    pub fn parse(s: &str) -> Result<SyslogAddr, String> {
        let bad = || {
            format!("{s:?}: give unix:///PATH, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT")
        };
        let (scheme, rest) = s.split_once("://").ok_or_else(bad)?;
        if scheme == "unix" {
            if !rest.starts_with('/') {
                return Err(bad());
            }
            return Ok(SyslogAddr::Unix(PathBuf::from(rest)));
        }
        let default_port = match scheme {
            "udp" | "tcp" => 514,
            "tls" => 6514,
            _ => return Err(bad()),
        };
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("{s:?}: the port must be 1 to 65535"))?,
            ),
            _ => (rest, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains('/') {
            return Err(bad());
        }
        let host = host.to_owned();
        Ok(match scheme {
            "udp" => SyslogAddr::Udp(host, port),
            "tcp" => SyslogAddr::Tcp(host, port),
            _ => SyslogAddr::Tls(host, port),
        })
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, SyslogAddr::Tls(..))
    }
}

impl fmt::Display for SyslogAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hostport = |f: &mut fmt::Formatter<'_>, scheme: &str, h: &str, p: u16| {
            if h.contains(':') {
                write!(f, "{scheme}://[{h}]:{p}")
            } else {
                write!(f, "{scheme}://{h}:{p}")
            }
        };
        match self {
            SyslogAddr::Unix(p) => write!(f, "unix://{}", p.display()),
            SyslogAddr::Udp(h, p) => hostport(f, "udp", h, *p),
            SyslogAddr::Tcp(h, p) => hostport(f, "tcp", h, *p),
            SyslogAddr::Tls(h, p) => hostport(f, "tls", h, *p),
        }
    }
}

/// `--audit-syslog` and its options, checked.
#[derive(Clone, Debug)]
pub struct SyslogOptions {
    pub addr: SyslogAddr,
    pub facility: u8,
    pub app_name: String,
    /// Longest message; a longer record is sent without structured data, or shortened.
    pub max_message: usize,
    /// `--audit-syslog-ca`, `--audit-syslog-cert` and `--audit-syslog-key` (tls:// only).
    pub tls_files: Option<TlsFiles>,
}

/// The files of a `tls://` syslog receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The receiver's certificate must be issued by one of these.
    pub ca: PathBuf,
    /// A client certificate and key, for a receiver that asks for one.
    pub cert: Option<(PathBuf, PathBuf)>,
}

/// The syslog transport of one remote sink.
pub struct Syslog {
    name: String,
    addr: SyslogAddr,
    header: Header,
    max_message: usize,
    tls: Option<Arc<rustls::ClientConfig>>,
    conn: Option<Conn>,
}

enum Conn {
    UnixDgram(UnixDatagram),
    UnixStream(UnixStream),
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Syslog {
    /// `tls` is the client configuration for a `tls://` address (built from `tls_files`).
    pub fn new(opts: &SyslogOptions, tls: Option<Arc<rustls::ClientConfig>>) -> Syslog {
        Syslog {
            name: format!("syslog {}", opts.addr),
            addr: opts.addr.clone(),
            header: Header::new(opts.facility, opts.app_name.clone()),
            max_message: opts.max_message,
            tls,
            conn: None,
        }
    }

    async fn connect(&self) -> Result<Conn, String> {
        let dial = async {
            match &self.addr {
                SyslogAddr::Unix(path) => {
                    let dgram = UnixDatagram::unbound().map_err(|e| e.to_string())?;
                    match dgram.connect(path) {
                        Ok(()) => Ok(Conn::UnixDgram(dgram)),
                        // A stream socket (syslog-ng's unix-stream, journald's stdout is not
                        // one): EPROTOTYPE for a datagram connect.
                        Err(e) if e.raw_os_error() == Some(nix::libc::EPROTOTYPE) => {
                            UnixStream::connect(path)
                                .await
                                .map(Conn::UnixStream)
                                .map_err(|e| e.to_string())
                        }
                        Err(e) => Err(e.to_string()),
                    }
                }
                SyslogAddr::Udp(host, port) => {
                    let target = tokio::net::lookup_host((host.as_str(), *port))
                        .await
                        .map_err(|e| e.to_string())?
                        .next()
                        .ok_or_else(|| format!("{host} has no address"))?;
                    let local = if target.is_ipv4() {
                        "0.0.0.0:0"
                    } else {
                        "[::]:0"
                    };
                    let sock = UdpSocket::bind(local).await.map_err(|e| e.to_string())?;
                    sock.connect(target).await.map_err(|e| e.to_string())?;
                    Ok(Conn::Udp(sock))
                }
                SyslogAddr::Tcp(host, port) => {
                    let s = TcpStream::connect((host.as_str(), *port))
                        .await
                        .map_err(|e| e.to_string())?;
                    let _ = s.set_nodelay(true);
                    Ok(Conn::Tcp(s))
                }
                SyslogAddr::Tls(host, port) => {
                    let config = self
                        .tls
                        .clone()
                        .ok_or_else(|| "no TLS configuration".to_string())?;
                    let name =
                        ServerName::try_from(host.clone()).map_err(|e| format!("{host}: {e}"))?;
                    let s = TcpStream::connect((host.as_str(), *port))
                        .await
                        .map_err(|e| e.to_string())?;
                    let _ = s.set_nodelay(true);
                    let tls = tokio_rustls::TlsConnector::from(config)
                        .connect(name, s)
                        .await
                        .map_err(|e| format!("TLS: {e}"))?;
                    Ok(Conn::Tls(Box::new(tls)))
                }
            }
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, dial).await {
            Ok(r) => r.map_err(|e| format!("cannot connect: {e}")),
            Err(_) => Err(format!("cannot connect within {CONNECT_TIMEOUT:?}")),
        }
    }

    /// Each record as one message that fits.
    fn messages<'a>(
        &'a self,
        batch: &'a [Vec<u8>],
        max: usize,
    ) -> impl Iterator<Item = Vec<u8>> + 'a {
        batch
            .iter()
            .filter_map(move |line| match format::message(&self.header, line, max) {
                Some((msg, Fit::Whole)) => Some(msg),
                Some((msg, fit)) => {
                    tracing::debug!(
                        "{}: a record longer than {max} bytes was sent {}",
                        self.name,
                        if fit == Fit::NoSd {
                            "without structured data"
                        } else {
                            "shortened to its key fields"
                        }
                    );
                    Some(msg)
                }
                None => {
                    tracing::error!(
                        "{}: a record does not fit in {max} bytes even shortened; left out",
                        self.name,
                    );
                    None
                }
            })
    }

    async fn deliver(&mut self, batch: &[Vec<u8>]) -> Result<(), String> {
        if self.conn.as_mut().is_some_and(Conn::peer_closed) {
            self.conn = None;
        }
        if self.conn.is_none() {
            self.conn = Some(self.connect().await?);
        }
        let max = match self.conn {
            Some(Conn::UnixDgram(_) | Conn::Udp(_)) => self.max_message.min(MAX_DATAGRAM),
            _ => self.max_message,
        };
        let msgs: Vec<Vec<u8>> = self.messages(batch, max).collect();
        let conn = self.conn.as_mut().expect("connected above");
        let sent = match conn {
            Conn::UnixDgram(s) => {
                for m in &msgs {
                    s.send(m).await.map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Conn::Udp(s) => {
                for m in &msgs {
                    s.send(m).await.map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Conn::UnixStream(s) => {
                // A Unix stream socket reads lines (non-transparent framing): a message never
                // holds a newline, JSON escapes them.
                let mut buf = Vec::new();
                for m in &msgs {
                    buf.extend_from_slice(m);
                    buf.push(b'\n');
                }
                write_all(s, &buf).await
            }
            Conn::Tcp(s) => write_all(s, &framed(&msgs)).await,
            Conn::Tls(s) => write_all(s.as_mut(), &framed(&msgs)).await,
        };
        sent.map_err(|e| format!("cannot send: {e}"))
    }
}

fn framed(msgs: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(msgs.iter().map(|m| m.len() + 8).sum());
    for m in msgs {
        format::octet_counted(&mut buf, m);
    }
    buf
}

async fn write_all<W: tokio::io::AsyncWrite + Unpin>(w: &mut W, buf: &[u8]) -> Result<(), String> {
    w.write_all(buf).await.map_err(|e| e.to_string())?;
    w.flush().await.map_err(|e| e.to_string())
}

impl Conn {
    /// Whether a stream's receiver has closed it (or reset it): one read that does not wait.
    /// Anything the receiver sent is read and ignored.
    fn peer_closed(&mut self) -> bool {
        fn closed<R: AsyncRead + Unpin>(r: &mut R) -> bool {
            let mut cx = Context::from_waker(Waker::noop());
            let mut buf = [0u8; 1024];
            loop {
                let mut rb = ReadBuf::new(&mut buf);
                match Pin::new(&mut *r).poll_read(&mut cx, &mut rb) {
                    Poll::Ready(Ok(())) if rb.filled().is_empty() => return true,
                    Poll::Ready(Ok(())) => continue,
                    Poll::Ready(Err(_)) => return true,
                    Poll::Pending => return false,
                }
            }
        }
        match self {
            Conn::Tcp(s) => closed(s),
            Conn::Tls(s) => closed(s.as_mut()),
            Conn::UnixStream(s) => closed(s),
            Conn::UnixDgram(_) | Conn::Udp(_) => false,
        }
    }
}

impl Transport for Syslog {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(
        &'a mut self,
        batch: &'a [Vec<u8>],
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let r = self.deliver(batch).await;
            if r.is_err() {
                self.conn = None;
            }
            r
        })
    }
}

#[cfg(test)]
mod tests;
