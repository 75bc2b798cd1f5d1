//! Who is calling: plain data at the bottom of the crate, shared by every layer that names a
//! caller — the policy and its Rego input, audit records, `policy learn`, the views.
//!
//! A [`Caller`] is taken once per client connection: the [`Peer`] the transport vouches for
//! (kernel credentials of a Unix-socket client, a TCP address, a verified client
//! certificate) and, when resolved against the daemon, the [`ClientContainer`] the process
//! runs in. [`Wire`] is its one serialized shape.

mod cert;
mod peer;
mod wire;

use std::collections::BTreeMap;
use std::fmt;

pub use cert::ClientCert;
pub use peer::Peer;
pub use wire::{Container, Wire};

/// Who is asking, for every request of one client connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub peer: Peer,
    /// The container the peer process runs in, when the relay resolved it.
    pub container: Option<ClientContainer>,
}

impl Caller {
    /// A caller outside any container (or not looked up).
    pub fn bare(peer: Peer) -> Caller {
        Caller {
            peer,
            container: None,
        }
    }
}

/// The caller as the live view names it: `uid=0 docker in web-1`.
impl Caller {
    /// The identity that owns what this caller creates under `--isolate`: the verified
    /// certificate's common name, else the container it runs in, else its uid; a plain TCP
    /// client is its address (which is only as good as the network it comes from).
    pub fn owner(&self) -> String {
        if let Peer::Tls {
            cert: Some(cert), ..
        } = &self.peer
        {
            if let Some(cn) = &cert.common_name {
                return format!("cert:{cn}");
            }
            return format!("cert:{}", cert.subject);
        }
        // Asked for on every isolated call: built without `format!`'s machinery where that
        // is simple.
        if let Some(c) = &self.container {
            return ["container:", c.name.as_str()].concat();
        }
        match &self.peer {
            Peer::Unix { uid, .. } => ["uid:", itoa::Buffer::new().format(*uid)].concat(),
            Peer::Tcp { addr } | Peer::Tls { addr, .. } => format!("addr:{}", addr.ip()),
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.container {
            Some(c) => write!(f, "{} in {}", self.peer, c.name),
            None => write!(f, "{}", self.peer),
        }
    }
}

/// The identity of a client that runs in a container, once resolved against the daemon.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientContainer {
    pub id: String,
    /// Without dockerd's leading `/`.
    pub name: String,
    pub labels: BTreeMap<String, String>,
}
