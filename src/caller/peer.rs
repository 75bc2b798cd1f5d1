//! The transport's word on who connected.

use std::fmt;
use std::net::SocketAddr;

use super::ClientCert;

/// Who is on the other end of a client connection, as far as the transport can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Credentials the kernel vouches for (SO_PEERCRED) at connect time.
    Unix {
        uid: u32,
        gid: u32,
        pid: Option<i32>,
        /// The process name (`/proc/<pid>/comm`) at connect time; informative only, since a
        /// process can rename itself.
        process: Option<String>,
        /// The executable (`/proc/<pid>/exe`) at connect time, as a path in the process's own
        /// mount namespace: for a process in a container, a path in the container's
        /// filesystem (see [`crate::relay::identity::executable`]).
        exe: Option<String>,
    },
    Tcp {
        addr: SocketAddr,
    },
    /// A client of a `tls://` listener. `cert` is the client certificate that the
    /// listener's `--tls-client-ca` verified: the caller's identity. `None` when the
    /// listener asks for none (or, for a refused handshake, none was verified).
    Tls {
        addr: SocketAddr,
        cert: Option<ClientCert>,
    },
}

impl Peer {
    /// The client's address, for network clients.
    pub fn addr(&self) -> Option<SocketAddr> {
        match self {
            Peer::Tcp { addr } | Peer::Tls { addr, .. } => Some(*addr),
            Peer::Unix { .. } => None,
        }
    }

    /// The process id the kernel gave for a Unix-socket client.
    pub fn pid(&self) -> Option<i32> {
        match self {
            Peer::Unix { pid, .. } => *pid,
            _ => None,
        }
    }

    /// The verified client certificate of a `tls://` client.
    pub fn cert(&self) -> Option<&ClientCert> {
        match self {
            Peer::Tls { cert, .. } => cert.as_ref(),
            _ => None,
        }
    }
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
            Peer::Tcp { addr } | Peer::Tls { addr, cert: None } => write!(f, "{addr}"),
            Peer::Tls {
                addr,
                cert: Some(cert),
            } => write!(f, "{cert} {addr}"),
        }
    }
}
