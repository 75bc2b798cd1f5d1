//! Conditions on the caller: who it is (uid, process, container, certificate) and where
//! it connects from.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::glob::{any_glob, Globs};
use super::{Ctx, Glob, Outcome};
use crate::caller::Peer;

/// An address block, `127.0.0.1/32` or `fd00::/8`; a bare address is a single host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("{s:?}: prefix length must be 0 to {max}")),
            },
        };
        Ok(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // A v4 client on a dual-stack listener arrives as ::ffff:a.b.c.d.
        let ip = ip.to_canonical();
        let bits = |a: IpAddr| -> u128 {
            match a {
                IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
                IpAddr::V6(v) => u128::from(v),
            }
        };
        if ip.is_ipv4() != self.addr.is_ipv4() {
            return false;
        }
        if self.prefix == 0 {
            return true;
        }
        // Both families sit in the top bits, so the prefix always counts from bit 127.
        let shift = 128 - u32::from(self.prefix);
        (bits(ip) >> shift) == (bits(self.addr) >> shift)
    }
}

/// Who the rule is for. Each stated field must hold; a list holds when any entry does.
#[derive(Clone, Debug, Default)]
pub struct ClientMatch {
    pub uid: Option<Vec<u32>>,
    pub gid: Option<Vec<u32>>,
    /// The process name (`/proc/<pid>/comm`): informative, a process can rename itself.
    pub process: Option<Vec<Glob>>,
    /// The executable (`/proc/<pid>/exe`), as the process's own mount namespace names it.
    pub exe: Option<Vec<Glob>>,
    pub container_name: Option<Vec<Glob>>,
    pub container_id: Option<Vec<Glob>>,
    pub container_label: BTreeMap<String, Vec<Glob>>,
    pub source: Option<Vec<Cidr>>,
    /// The common name of a `tls://` client's verified certificate.
    pub cert_subject: Option<Vec<Glob>>,
    /// Any subjectAltName (DNS name, IP address, e-mail, URI) of that certificate.
    pub cert_san: Option<Vec<Glob>>,
}

pub(super) fn client(c: &ClientMatch, ctx: &Ctx) -> Outcome<()> {
    let req = ctx.req;
    let (unix, exe) = match &req.caller.peer {
        Peer::Unix {
            uid,
            gid,
            process,
            exe,
            ..
        } => (Some((*uid, *gid, process.as_deref())), exe.as_deref()),
        Peer::Tcp { .. } | Peer::Tls { .. } => (None, None),
    };
    if let Some(uids) = &c.uid {
        match unix {
            Some((uid, _, _)) if uids.contains(&uid) => {}
            Some((uid, _, _)) => {
                return ctx.miss(format_args!("client.uid: {uid} not in {uids:?}"))
            }
            None => return ctx.miss(format_args!("client.uid: a TCP client has no uid")),
        }
    }
    if let Some(gids) = &c.gid {
        match unix {
            Some((_, gid, _)) if gids.contains(&gid) => {}
            Some((_, gid, _)) => {
                return ctx.miss(format_args!("client.gid: {gid} not in {gids:?}"))
            }
            None => return ctx.miss(format_args!("client.gid: a TCP client has no gid")),
        }
    }
    if let Some(globs) = &c.process {
        match unix.and_then(|u| u.2) {
            Some(p) if any_glob(globs, p) => {}
            Some(p) => {
                return ctx.miss(format_args!(
                    "client.process: {p:?} not in {}",
                    Globs(globs)
                ))
            }
            None => return ctx.miss(format_args!("client.process: process unknown")),
        }
    }
    if let Some(globs) = &c.exe {
        match exe {
            Some(e) if any_glob(globs, e) => {}
            Some(e) => return ctx.miss(format_args!("client.exe: {e:?} not in {}", Globs(globs))),
            None => return ctx.miss(format_args!("client.exe: executable unknown")),
        }
    }
    let container = req.caller.container.as_ref();
    if let Some(globs) = &c.container_name {
        match container {
            Some(ct) if any_glob(globs, ct.name.trim_start_matches('/')) => {}
            Some(ct) => {
                return ctx.miss(format_args!(
                    "client.container_name: {:?} not in {}",
                    ct.name,
                    Globs(globs)
                ))
            }
            None => {
                return ctx.miss(format_args!(
                    "client.container_name: client is not in a container"
                ))
            }
        }
    }
    if let Some(globs) = &c.container_id {
        match container {
            Some(ct) if any_glob(globs, &ct.id) => {}
            Some(ct) => {
                return ctx.miss(format_args!(
                    "client.container_id: {:?} does not match",
                    ct.id
                ))
            }
            None => {
                return ctx.miss(format_args!(
                    "client.container_id: client is not in a container"
                ))
            }
        }
    }
    for (key, globs) in &c.container_label {
        match container.and_then(|ct| ct.labels.get(key)) {
            Some(v) if any_glob(globs, v) => {}
            Some(v) => {
                return ctx.miss(format_args!(
                    "client.container_label.{key}: {v:?} not in {}",
                    Globs(globs)
                ))
            }
            None => return ctx.miss(format_args!("client.container_label.{key}: no such label")),
        }
    }
    if let Some(blocks) = &c.source {
        match req.caller.peer.addr() {
            Some(addr) if blocks.iter().any(|b| b.contains(addr.ip())) => {}
            Some(addr) => {
                return ctx.miss(format_args!(
                    "client.source: {} not in any block",
                    addr.ip()
                ))
            }
            None => {
                return ctx.miss(format_args!(
                    "client.source: a Unix-socket client has no address"
                ))
            }
        }
    }
    let cert = req.caller.peer.cert();
    if let Some(globs) = &c.cert_subject {
        match cert.map(|c| c.common_name.as_deref()) {
            Some(Some(cn)) if any_glob(globs, cn) => {}
            Some(Some(cn)) => {
                return ctx.miss(format_args!(
                    "client.cert_subject: {cn:?} not in {}",
                    Globs(globs)
                ))
            }
            Some(None) => {
                return ctx.miss(format_args!(
                    "client.cert_subject: the certificate has no CN"
                ))
            }
            None => {
                return ctx.miss(format_args!(
                    "client.cert_subject: no verified client certificate"
                ))
            }
        }
    }
    if let Some(globs) = &c.cert_san {
        match cert {
            Some(cert) if cert.sans.iter().any(|san| any_glob(globs, san)) => {}
            Some(cert) => {
                return ctx.miss(format_args!(
                    "client.cert_san: {:?} not in {}",
                    cert.sans,
                    Globs(globs)
                ))
            }
            None => {
                return ctx.miss(format_args!(
                    "client.cert_san: no verified client certificate"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_contain_mapped_v4_clients() {
        let lo = Cidr::parse("127.0.0.1/32").unwrap();
        assert!(lo.contains("127.0.0.1".parse().unwrap()));
        assert!(lo.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!lo.contains("127.0.0.2".parse().unwrap()));
        let net = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.200.1.1".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("fe80::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("bogus").is_err());
    }
}
