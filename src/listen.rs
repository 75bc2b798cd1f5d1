//! Listening sockets: bind safely, accept, and say who connected.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{TcpListener, UnixListener, UnixStream};

use crate::config::{Group, ListenAddr, SocketPerms};
use crate::stream::Stream;

/// Who is on the other end of a client connection, as far as the transport can tell.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "transport", rename_all = "lowercase")]
pub enum Peer {
    /// Credentials the kernel vouches for (SO_PEERCRED) at connect time.
    Unix {
        uid: u32,
        gid: u32,
        pid: Option<i32>,
        /// The process name (`/proc/<pid>/comm`) at connect time; informative only, since a
        /// process can rename itself.
        process: Option<String>,
    },
    Tcp {
        addr: SocketAddr,
    },
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Unix {
                uid,
                process: Some(name),
                ..
            } => write!(f, "uid={uid} {name}"),
            Peer::Unix {
                uid,
                pid: Some(pid),
                ..
            } => write!(f, "uid={uid} pid={pid}"),
            Peer::Unix { uid, .. } => write!(f, "uid={uid}"),
            Peer::Tcp { addr } => write!(f, "{addr}"),
        }
    }
}

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

/// A bound listening socket. A Unix socket file is removed when this is dropped.
pub enum Listener {
    Unix {
        listener: UnixListener,
        path: PathBuf,
        ino: u64,
    },
    Tcp(TcpListener),
}

impl Listener {
    pub async fn bind(addr: &ListenAddr, perms: &SocketPerms) -> Result<Listener, ListenError> {
        match addr {
            ListenAddr::Unix(path) => bind_unix(path, perms).await,
            ListenAddr::Tcp(sa) => TcpListener::bind(sa)
                .await
                .map(Listener::Tcp)
                .map_err(|e| ListenError::Bind(addr.to_string(), e)),
        }
    }

    /// Accept the next client. Errors are per-connection (e.g. EMFILE) and not fatal.
    pub async fn accept(&self) -> io::Result<(Stream, Peer)> {
        match self {
            Listener::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                let cred = stream.peer_cred()?;
                let pid = cred.pid();
                let peer = Peer::Unix {
                    uid: cred.uid(),
                    gid: cred.gid(),
                    pid,
                    process: pid.and_then(process_name),
                };
                Ok((Stream::Unix(stream), peer))
            }
            Listener::Tcp(listener) => {
                let (stream, addr) = listener.accept().await?;
                stream.set_nodelay(true)?;
                Ok((Stream::Tcp(stream), Peer::Tcp { addr }))
            }
        }
    }

    pub fn local_addr(&self) -> String {
        match self {
            Listener::Unix { path, .. } => format!("unix://{}", path.display()),
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| format!("tcp://{a}"))
                .unwrap_or_else(|_| "tcp://?".into()),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix { path, ino, .. } = self {
            // Only remove the file if it is still ours: a second sockeye may have replaced it.
            if std::fs::symlink_metadata(&*path).is_ok_and(|m| m.ino() == *ino) {
                let _ = std::fs::remove_file(&*path);
            }
        }
    }
}

async fn bind_unix(path: &Path, perms: &SocketPerms) -> Result<Listener, ListenError> {
    clear_stale_socket(path).await?;
    // Create the socket with no access for others, then open it up to the requested mode:
    // there is never a moment where the socket is more open than asked for.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    let listener = bound.map_err(|e| ListenError::Bind(format!("unix://{}", path.display()), e))?;
    let ino = std::fs::metadata(path)
        .map_err(|e| ListenError::Bind(path.display().to_string(), e))?
        .ino();
    // From here on the Listener's Drop removes the file if a later step fails.
    let listener = Listener::Unix {
        listener,
        path: path.to_path_buf(),
        ino,
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
    Ok(listener)
}

/// A socket file left by a crashed process is replaced; one with a live listener is not.
async fn clear_stale_socket(path: &Path) -> Result<(), ListenError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(ListenError::NotASocket(path.to_path_buf()));
    }
    match UnixStream::connect(path).await {
        Ok(_) => Err(ListenError::InUse(path.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).map_err(|e| ListenError::RemoveStale(path.to_path_buf(), e))
        }
        // Anything else (e.g. permission denied) means we cannot tell: do not delete.
        Err(e) => Err(ListenError::Bind(format!("unix://{}", path.display()), e)),
    }
}

fn process_name(pid: i32) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim_end().to_string()).filter(|s| !s.is_empty())
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
