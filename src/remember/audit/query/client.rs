//! Who called, as one identity that survives reconnects and restarts.

use std::fmt;

use crate::caller::Wire as Caller;

/// Who called, as one identity that survives reconnects and restarts: the pid is left out
/// on purpose (every `docker` invocation gets another one), and so is the gid, which comes
/// with the uid.
///
/// Prefers what is hardest to fake and most stable: the container the caller runs in, the
/// verified certificate of a TLS client (its common name, else its first subjectAltName),
/// then its executable (with the uid: `/usr/bin/docker` run by root and by a user are two
/// clients), then the process name, which the process chose itself.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Client {
    Container {
        name: String,
    },
    Cert {
        cn: String,
    },
    CertSan {
        san: String,
    },
    Exe {
        uid: u32,
        exe: String,
    },
    Process {
        uid: u32,
        process: String,
    },
    Uid {
        uid: u32,
    },
    /// A TCP (or TLS, without a certificate) client, by address without the port (each
    /// connection has another one).
    Tcp {
        ip: String,
    },
    Unknown,
}

impl Client {
    pub fn of(c: &Caller) -> Client {
        if let Some(ct) = &c.container {
            return Client::Container {
                name: ct.name.trim_start_matches('/').to_owned(),
            };
        }
        if let Some(cert) = &c.cert {
            if let Some(cn) = &cert.common_name {
                return Client::Cert { cn: cn.clone() };
            }
            if let Some(san) = cert.sans.first() {
                return Client::CertSan { san: san.clone() };
            }
        }
        if c.transport != "unix" {
            return match &c.addr {
                Some(addr) => Client::Tcp {
                    ip: ip_of(addr).to_owned(),
                },
                None => Client::Unknown,
            };
        }
        match (c.uid, &c.exe, &c.process) {
            (Some(uid), Some(exe), _) => Client::Exe {
                uid,
                exe: exe.clone(),
            },
            (Some(uid), None, Some(process)) => Client::Process {
                uid,
                process: process.clone(),
            },
            (Some(uid), None, None) => Client::Uid { uid },
            _ => Client::Unknown,
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Client::Container { name } => write!(f, "container {name}"),
            Client::Cert { cn } => write!(f, "certificate CN={cn}"),
            Client::CertSan { san } => write!(f, "certificate SAN {san}"),
            Client::Exe { uid, exe } => write!(f, "uid {uid} {exe}"),
            Client::Process { uid, process } => write!(f, "uid {uid} process {process}"),
            Client::Uid { uid } => write!(f, "uid {uid}"),
            Client::Tcp { ip } => write!(f, "tcp {ip}"),
            Client::Unknown => f.write_str("unknown"),
        }
    }
}

/// `1.2.3.4:5678` → `1.2.3.4`, `[::1]:5678` → `::1`.
pub(super) fn ip_of(addr: &str) -> &str {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(_) => {
            let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
            host.trim_start_matches('[').trim_end_matches(']')
        }
        Err(_) => addr,
    }
}
