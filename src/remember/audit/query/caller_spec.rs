//! A caller to look for (`--caller`, `--client`): `KEY=GLOB` terms, all of which must hold.

use std::fmt;

use super::client::ip_of;
use crate::caller::Wire as Caller;
use crate::guard::policy::Glob;

/// A caller to look for: `KEY=GLOB` terms joined by commas, all of which must hold, e.g.
/// `uid=1000`, `process=traefik`, `container=web-*`, `uid=0,exe=/usr/bin/docker`,
/// `addr=10.0.0.*`, `cert=ops-*`. A term without `KEY=` matches the process name, the
/// executable, the container name, the address or the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerSpec {
    text: String,
    terms: Vec<Term>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Uid(u32),
    Gid(u32),
    Pid(i32),
    Transport(String),
    Process(Glob),
    Exe(Glob),
    Container(Glob),
    ContainerId(Glob),
    Addr(Glob),
    Cert(Glob),
    Any(Glob),
}

/// The keys a caller spec knows, for error messages and help.
pub const CALLER_KEYS: &str =
    "uid, gid, pid, transport, process, exe, container, container_id, addr, cert";

impl CallerSpec {
    pub fn parse(text: &str) -> Result<CallerSpec, String> {
        let mut terms = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(format!("{text:?}: empty term"));
            }
            let number = |v: &str| {
                v.parse()
                    .map_err(|_| format!("{part:?}: {v:?} is not a number"))
            };
            let glob = |v: &str| Glob(v.to_owned());
            let term = match part.split_once('=') {
                None => Term::Any(glob(part)),
                Some((key, value)) => match key.trim() {
                    "uid" => Term::Uid(number(value)?),
                    "gid" => Term::Gid(number(value)?),
                    "pid" => Term::Pid(
                        value
                            .parse()
                            .map_err(|_| format!("{part:?}: {value:?} is not a number"))?,
                    ),
                    "transport" => match value {
                        "unix" | "tcp" | "tls" => Term::Transport(value.to_owned()),
                        _ => return Err(format!("{part:?}: transport is unix or tcp")),
                    },
                    "process" => Term::Process(glob(value)),
                    "exe" => Term::Exe(glob(value)),
                    "container" | "container_name" => Term::Container(glob(value)),
                    "container_id" => Term::ContainerId(glob(value)),
                    "addr" | "source" => Term::Addr(glob(value)),
                    "cert" => Term::Cert(glob(value)),
                    other => {
                        return Err(format!(
                            "{part:?}: unknown key {other:?}; use one of {CALLER_KEYS}"
                        ))
                    }
                },
            };
            terms.push(term);
        }
        Ok(CallerSpec {
            text: text.to_owned(),
            terms,
        })
    }

    pub fn matches(&self, c: &Caller) -> bool {
        let container = c.container.as_ref();
        let name = container.map(|ct| ct.name.trim_start_matches('/'));
        let some = |g: &Glob, v: Option<&str>| v.is_some_and(|v| g.matches(v));
        // An address matches with or without its port: a client's port changes with every
        // connection, so `addr=10.0.0.5` must find it.
        let addr = |g: &Glob| {
            c.addr
                .as_deref()
                .is_some_and(|a| g.matches(a) || g.matches(ip_of(a)))
        };
        // A certificate answers to its common name, its whole subject or any of its
        // subjectAltNames.
        let cert = |g: &Glob| {
            c.cert.as_ref().is_some_and(|cert| {
                cert.common_name.as_deref().is_some_and(|cn| g.matches(cn))
                    || g.matches(&cert.subject)
                    || cert.sans.iter().any(|s| g.matches(s))
            })
        };
        self.terms.iter().all(|t| match t {
            Term::Uid(u) => c.uid == Some(*u),
            Term::Gid(g) => c.gid == Some(*g),
            Term::Pid(p) => c.pid == Some(*p),
            Term::Transport(t) => c.transport == *t,
            Term::Process(g) => some(g, c.process.as_deref()),
            Term::Exe(g) => some(g, c.exe.as_deref()),
            Term::Container(g) => some(g, name),
            Term::ContainerId(g) => some(g, container.map(|ct| ct.id.as_str())),
            Term::Addr(g) => addr(g),
            Term::Cert(g) => cert(g),
            Term::Any(g) => {
                some(g, c.process.as_deref())
                    || some(g, c.exe.as_deref())
                    || some(g, name)
                    || addr(g)
                    || cert(g)
            }
        })
    }
}

impl fmt::Display for CallerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
