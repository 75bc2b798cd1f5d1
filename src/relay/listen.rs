//! Listening sockets: bind safely, accept, and say who connected.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use std::os::fd::OwnedFd;
use std::sync::Arc;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use rustix::net::SocketFlags;

use tokio::io::unix::AsyncFd;

use crate::caller::Peer;
use crate::config::{Group, ListenAddr, SocketPerms};
use crate::relay::stream::{register_listener, Listening, Stream};
use crate::relay::tls_live::LiveTls;

/// Why a listener could not be set up; each says what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error(
        "another process is already listening on {0}; stop it or choose another --listen path"
    )]
    InUse(PathBuf),
    #[error("{0} exists and is not a socket; refusing to replace it")]
    NotASocket(PathBuf),
    #[error("cannot remove the stale socket {0}: {1}")]
    RemoveStale(PathBuf, io::Error),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, io::Error),
    #[error("cannot set mode {mode:04o} on {path}: {source}")]
    Chmod {
        path: PathBuf,
        mode: u32,
        source: io::Error,
    },
    #[error("no such group {0:?} for --socket-group")]
    NoGroup(String),
    #[error("cannot give {path} to group {group}: {source}")]
    Chown {
        path: PathBuf,
        group: u32,
        source: io::Error,
    },
}

/// A bound listening socket, owned once per process. A Unix socket file is removed when this
/// is dropped. Runtimes accept on it through [`Bound::listener`].
pub struct Bound {
    socket: StdSocket,
    /// The socket file and its inode, for Unix sockets.
    file: Option<(PathBuf, u64)>,
    /// For `tls://` listeners: each accepted connection completes this handshake first.
    tls: Option<Arc<LiveTls>>,
}

enum StdSocket {
    Unix(std::os::unix::net::UnixListener),
    Tcp(std::net::TcpListener),
}

impl Bound {
    /// Bind `addr`. A `tls://` address is bound as TCP; [`Bound::with_tls`] adds the
    /// handshake.
    pub fn bind(addr: &ListenAddr, perms: &SocketPerms) -> Result<Bound, ListenError> {
        match addr {
            ListenAddr::Unix(path) => bind_unix(path, perms),
            ListenAddr::Tcp(sa) | ListenAddr::Tls(sa) => std::net::TcpListener::bind(sa)
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map(|l| Bound {
                    socket: StdSocket::Tcp(l),
                    file: None,
                    tls: None,
                })
                .map_err(|e| ListenError::Bind(addr.to_string(), e)),
        }
    }

    /// A TCP socket bound by someone else (systemd's socket activation). It is never
    /// closed by name: it has none.
    pub fn adopt_tcp(listener: std::net::TcpListener) -> io::Result<Bound> {
        listener.set_nonblocking(true)?;
        Ok(Bound {
            socket: StdSocket::Tcp(listener),
            file: None,
            tls: None,
        })
    }

    /// A Unix socket bound by someone else (systemd): its file is theirs, and stays when
    /// sockeye stops, so that the next start is activated by it again.
    pub fn adopt_unix(listener: std::os::unix::net::UnixListener) -> io::Result<Bound> {
        listener.set_nonblocking(true)?;
        Ok(Bound {
            socket: StdSocket::Unix(listener),
            file: None,
            tls: None,
        })
    }

    /// Serve TLS on this (TCP) socket with `live`'s configuration as it is at each accept.
    pub fn with_tls(mut self, live: Arc<LiveTls>) -> Bound {
        self.tls = Some(live);
        self
    }

    /// A listener on this socket for the current tokio runtime. Several runtimes (one per
    /// core) may each hold one: the kernel hands each new connection to one of them.
    pub fn listener(&self) -> io::Result<Listener> {
        match (&self.socket, &self.tls) {
            (StdSocket::Unix(l), _) => Ok(Listener::Unix(register_listener(l.try_clone()?)?)),
            (StdSocket::Tcp(l), None) => Ok(Listener::Tcp(register_listener(l.try_clone()?)?)),
            (StdSocket::Tcp(l), Some(tls)) => Ok(Listener::Tls(
                register_listener(l.try_clone()?)?,
                tls.clone(),
            )),
        }
    }

    /// The address as bound (with the port the kernel chose for `:0`).
    pub fn local_addr(&self) -> String {
        let scheme = if self.tls.is_some() { "tls" } else { "tcp" };
        match (&self.socket, &self.file) {
            (_, Some((path, _))) => format!("unix://{}", path.display()),
            (StdSocket::Tcp(l), None) => l
                .local_addr()
                .map(|a| format!("{scheme}://{a}"))
                .unwrap_or_else(|_| format!("{scheme}://?")),
            (StdSocket::Unix(l), None) => l
                .local_addr()
                .ok()
                .and_then(|a| a.as_pathname().map(|p| format!("unix://{}", p.display())))
                .unwrap_or_else(|| "unix://?".into()),
        }
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        if let Some((path, ino)) = &self.file {
            // Only remove the file if it is still ours: a second sockeye may have replaced it.
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.ino() == *ino) {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Accepts connections for one runtime.
pub enum Listener {
    /// Accepted with `accept4(SOCK_NONBLOCK)` rather than through tokio's listener, whose
    /// streams sockeye re-registered (see [`Stream::unix_nonblocking`]).
    Unix(AsyncFd<std::os::unix::net::UnixListener>),
    Tcp(AsyncFd<std::net::TcpListener>),
    /// Accepts TCP; the caller completes the TLS handshake ([`Listener::tls`]) in the
    /// connection's own task.
    Tls(AsyncFd<std::net::TcpListener>, Arc<LiveTls>),
}

impl Listener {
    /// The handshake that must complete before a connection from [`Listener::accept`]
    /// carries HTTP; `None` for plain listeners.
    pub fn tls(&self) -> Option<Arc<LiveTls>> {
        match self {
            Listener::Tls(_, live) => Some(live.clone()),
            _ => None,
        }
    }

    /// Accept the next client. Errors are per-connection (e.g. EMFILE) and not fatal.
    pub async fn accept(&self) -> io::Result<(Stream, Peer)> {
        match self {
            Listener::Unix(listener) => {
                let (fd, _) = accept(listener).await?;
                let stream = std::os::unix::net::UnixStream::from(fd);
                let cred = getsockopt(&stream, PeerCredentials)?;
                // The process's name and executable are read by the connection's own task,
                // and only when something shows, decides on or records them
                // (`Relay::identify`): not here, where every accept would wait for `/proc`.
                let peer = Peer::Unix {
                    uid: cred.uid(),
                    gid: cred.gid(),
                    pid: Some(cred.pid()),
                    process: None,
                    exe: None,
                };
                Ok((Stream::unix_nonblocking(stream)?, peer))
            }
            Listener::Tcp(listener) => {
                let (stream, addr) = accept_tcp(listener).await?;
                Ok((Stream::tcp_nonblocking(stream)?, Peer::Tcp { addr }))
            }
            Listener::Tls(listener, _) => {
                let (stream, addr) = accept_tcp(listener).await?;
                Ok((
                    Stream::tcp_nonblocking(stream)?,
                    Peer::Tls { addr, cert: None },
                ))
            }
        }
    }
}

/// The next connection, made non-blocking and close-on-exec by `accept4` itself: tokio's
/// listeners return streams that sockeye then deregistered, made non-blocking again and
/// registered anew (docs/benchmarks.md, "New connections, measured again").
async fn accept<L: Listening>(
    listener: &AsyncFd<L>,
) -> io::Result<(OwnedFd, Option<rustix::net::SocketAddrAny>)> {
    loop {
        let mut ready = listener.readable().await?;
        let accepted = ready.try_io(|l| {
            let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
            rustix::net::acceptfrom_with(l.get_ref(), flags).map_err(io::Error::from)
        });
        match accepted {
            Ok(result) => return result,
            Err(_would_block) => continue,
        }
    }
}

async fn accept_tcp(
    listener: &AsyncFd<std::net::TcpListener>,
) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
    let (fd, addr) = accept(listener).await?;
    let addr = addr
        .and_then(|a| std::net::SocketAddr::try_from(a).ok())
        .ok_or_else(|| io::Error::other("accept gave no IP address for a TCP client"))?;
    let stream = std::net::TcpStream::from(fd);
    stream.set_nodelay(true)?;
    Ok((stream, addr))
}

fn bind_unix(path: &Path, perms: &SocketPerms) -> Result<Bound, ListenError> {
    clear_stale_socket(path)?;
    // Create the socket with no access for others, then open it up to the requested mode:
    // there is never a moment where the socket is more open than asked for.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let bound = std::os::unix::net::UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let bind_err = |e| ListenError::Bind(format!("unix://{}", path.display()), e);
    let listener = bound.map_err(bind_err)?;
    listener.set_nonblocking(true).map_err(bind_err)?;
    let ino = std::fs::metadata(path).map_err(bind_err)?.ino();
    // From here on the Bound's Drop removes the file if a later step fails.
    let bound = Bound {
        socket: StdSocket::Unix(listener),
        file: Some((path.to_path_buf(), ino)),
        tls: None,
    };
    if let Some(group) = &perms.group {
        let gid = resolve_group(group)?;
        std::os::unix::fs::chown(path, None, Some(gid)).map_err(|source| ListenError::Chown {
            path: path.to_path_buf(),
            group: gid,
            source,
        })?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(perms.mode)).map_err(
        |source| ListenError::Chmod {
            path: path.to_path_buf(),
            mode: perms.mode,
            source,
        },
    )?;
    Ok(bound)
}

/// A socket file left by a crashed process is replaced; one with a live listener is not.
fn clear_stale_socket(path: &Path) -> Result<(), ListenError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(ListenError::NotASocket(path.to_path_buf()));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(ListenError::InUse(path.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).map_err(|e| ListenError::RemoveStale(path.to_path_buf(), e))
        }
        // Anything else (e.g. permission denied) means we cannot tell: do not delete.
        Err(e) => Err(ListenError::Bind(format!("unix://{}", path.display()), e)),
    }
}

fn resolve_group(group: &Group) -> Result<u32, ListenError> {
    match group {
        Group::Id(gid) => Ok(*gid),
        Group::Name(name) => nix::unistd::Group::from_name(name)
            .ok()
            .flatten()
            .map(|g| g.gid.as_raw())
            .ok_or_else(|| ListenError::NoGroup(name.clone())),
    }
}
