//! The one serialized shape of a caller: in audit records, the `--format json` view (less
//! its container) and the Rego input's `client`; and the way back from a record to a
//! [`Caller`] that `policy learn` decides on again.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::{Caller, ClientCert, ClientContainer, Peer};

/// Who called, as written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de> + Ord"))]
pub struct Wire<S = String> {
    /// `unix` or `tcp`.
    pub transport: S,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<S>,
    /// A TCP or TLS client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<S>,
    /// A TLS client's verified certificate: its identity. Owned even when written: only
    /// TLS calls have one, and their address is formatted for each record anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<ClientCert>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container<S>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de> + Ord"))]
pub struct Container<S = String> {
    pub id: S,
    pub name: S,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<S, S>,
}

impl<'a> Wire<&'a str> {
    /// `caller` as written; `addr` is its address, formatted by the writer (once per record).
    pub fn of(caller: &'a Caller, addr: Option<&'a str>) -> Wire<&'a str> {
        let container = caller.container.as_ref().map(|c| Container {
            id: c.id.as_str(),
            name: c.name.as_str(),
            labels: c
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        });
        match &caller.peer {
            Peer::Unix {
                uid,
                gid,
                pid,
                process,
                exe,
            } => Wire {
                transport: "unix",
                uid: Some(*uid),
                gid: Some(*gid),
                pid: *pid,
                process: process.as_deref(),
                exe: exe.as_deref(),
                addr: None,
                cert: None,
                container,
            },
            Peer::Tcp { .. } => Wire {
                transport: "tcp",
                addr,
                container,
                ..Wire::default()
            },
            Peer::Tls { cert, .. } => Wire {
                transport: "tls",
                addr,
                cert: cert.clone(),
                container,
                ..Wire::default()
            },
        }
    }
}

impl Wire {
    /// The caller this record names, as the relay saw it. `None` when it lacks what a
    /// decision needs (a TCP caller without an address). An address may be written without
    /// a port.
    pub fn caller(&self) -> Option<Caller> {
        let addr = || {
            let addr = self.addr.as_deref()?;
            addr.parse::<SocketAddr>()
                .or_else(|_| addr.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
                .ok()
        };
        let peer = match self.transport.as_str() {
            "tcp" => Peer::Tcp { addr: addr()? },
            "tls" => Peer::Tls {
                addr: addr()?,
                cert: self.cert.clone(),
            },
            _ => Peer::Unix {
                uid: self.uid?,
                gid: self.gid.unwrap_or(u32::MAX),
                pid: self.pid,
                process: self.process.clone(),
                exe: self.exe.clone(),
            },
        };
        let container = self.container.as_ref().map(|ct| ClientContainer {
            id: ct.id.clone(),
            name: ct.name.trim_start_matches('/').to_owned(),
            labels: ct.labels.clone(),
        });
        Some(Caller { peer, container })
    }
}
