//! Questions asked of an audit log: which records match (by caller, endpoint, decision,
//! time), one readable line per record, and a summary of who did what and what was denied.
//!
//! Pure: records come in one at a time (see [`super::read`]), and a [`Summary`] keeps
//! counters per caller, endpoint and rule, never the records themselves, so a log of any
//! size can be summarized.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::{json, Value};

use super::record::Record;
use crate::caller::Wire as Caller;
use crate::guard::policy::Glob;

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
fn ip_of(addr: &str) -> &str {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(_) => {
            let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
            host.trim_start_matches('[').trim_end_matches(']')
        }
        Err(_) => addr,
    }
}

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

/// A decision to look for. `denied` is any of `deny`, `would_deny` and `refused`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionFilter {
    Allow,
    Deny,
    WouldDeny,
    Refused,
    /// Recorded without a policy (`"decision": null`).
    None,
    Denied,
}

impl DecisionFilter {
    pub fn parse(s: &str) -> Result<DecisionFilter, String> {
        Ok(match s {
            "allow" => DecisionFilter::Allow,
            "deny" => DecisionFilter::Deny,
            "would_deny" | "would-deny" => DecisionFilter::WouldDeny,
            "refused" => DecisionFilter::Refused,
            "none" | "null" => DecisionFilter::None,
            "denied" => DecisionFilter::Denied,
            other => {
                return Err(format!(
                    "unknown decision {other:?}; use allow, deny, would_deny, refused, none \
                     or denied"
                ))
            }
        })
    }

    pub fn matches(self, decision: Option<&str>) -> bool {
        match self {
            DecisionFilter::Allow => decision == Some("allow"),
            DecisionFilter::Deny => decision == Some("deny"),
            DecisionFilter::WouldDeny => decision == Some("would_deny"),
            DecisionFilter::Refused => decision == Some("refused"),
            DecisionFilter::None => decision.is_none(),
            DecisionFilter::Denied => is_denial(decision),
        }
    }
}

/// Whether the client was (or, in audit mode, would have been) turned away.
pub fn is_denial(decision: Option<&str>) -> bool {
    matches!(decision, Some("deny" | "would_deny" | "refused"))
}

/// Which records to keep. Each list holds when any entry matches (an empty list always
/// holds); every stated condition must hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub callers: Vec<CallerSpec>,
    /// Globs on the endpoint name (`Container*`, `SystemPing*`).
    pub endpoints: Vec<Glob>,
    pub decisions: Vec<DecisionFilter>,
    /// Seconds since the epoch, inclusive.
    pub since: Option<f64>,
    pub until: Option<f64>,
}

impl Filter {
    pub fn matches(&self, r: &Record) -> bool {
        (self.callers.is_empty() || self.callers.iter().any(|c| c.matches(&r.caller)))
            && (self.endpoints.is_empty() || self.endpoints.iter().any(|g| g.matches(&r.endpoint)))
            && (self.decisions.is_empty()
                || self
                    .decisions
                    .iter()
                    .any(|d| d.matches(r.decision.as_deref())))
            && self
                .since
                .is_none_or(|t| millis(r.time_unix) >= t_millis(t))
            && self
                .until
                .is_none_or(|t| millis(r.time_unix) <= t_millis(t))
    }
}

/// A record's time as its `time` field shows it, to the millisecond: a time copied from the
/// output into `--until` then includes that record.
fn millis(time_unix: f64) -> i64 {
    (time_unix * 1000.0).floor() as i64
}

/// A bound, rounded: `23:25:49.796` parsed as a float is a hair off either way.
fn t_millis(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}

/// A short name for the caller on one line: `uid=0 docker`, `container=web`,
/// `tcp=10.0.0.5:41234`.
pub fn caller_label(c: &Caller) -> String {
    if let Some(ct) = &c.container {
        return format!("container={}", ct.name.trim_start_matches('/'));
    }
    if let Some(cn) = c.cert.as_ref().and_then(|cert| cert.common_name.as_deref()) {
        return format!("cert={cn}");
    }
    if c.transport != "unix" {
        return format!("{}={}", c.transport, c.addr.as_deref().unwrap_or("?"));
    }
    let who = c.process.clone().or_else(|| {
        c.exe
            .as_deref()
            .map(|e| e.rsplit('/').next().unwrap_or(e).to_owned())
    });
    match (c.uid, who) {
        (Some(uid), Some(who)) => format!("uid={uid} {who}"),
        (Some(uid), None) => format!("uid={uid}"),
        (None, Some(who)) => who,
        (None, None) => c.transport.clone(),
    }
}

/// One record as one line: time, caller, action, decision (and its rule), status.
pub fn line(r: &Record) -> String {
    let decision = match (&r.decision, &r.rule) {
        (Some(d), Some(rule)) => format!("{d}/{rule}"),
        (Some(d), None) => d.clone(),
        (None, _) => "-".into(),
    };
    let status = r.status.map_or("-".into(), |s| s.to_string());
    // A request dockerd routes nowhere has no CLI action worth the name.
    let action = if r.endpoint == "Unknown" {
        format!("{} {}", r.method, r.path)
    } else {
        r.action.clone()
    };
    let mut out = format!(
        "{}  {:<16}  {}  {decision}  {status}",
        r.time,
        caller_label(&r.caller),
        one_line(&action)
    );
    if r.incomplete {
        out.push_str(" (incomplete)");
    }
    out
}

/// Control characters would break the one-line-per-record promise of the output.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    calls: u64,
    denied: u64,
}

impl Counts {
    fn add(&mut self, denied: bool) {
        self.calls += 1;
        self.denied += u64::from(denied);
    }
}

/// Counters over the records seen: totals, callers, endpoints, denials, statuses.
#[derive(Debug, Default)]
pub struct Summary {
    records: u64,
    first: Option<(f64, String)>,
    last: Option<(f64, String)>,
    decisions: BTreeMap<String, u64>,
    callers: HashMap<Client, Counts>,
    endpoints: HashMap<String, Counts>,
    /// (rule, caller) → denials; the rule is `(refused)` for a request refused before the
    /// policy.
    denials: HashMap<(String, Client), u64>,
    statuses: BTreeMap<String, u64>,
}

impl Summary {
    pub fn add(&mut self, r: &Record) {
        self.records += 1;
        let t = (r.time_unix, r.time.clone());
        if self.first.as_ref().is_none_or(|f| t.0 < f.0) {
            self.first = Some(t.clone());
        }
        if self.last.as_ref().is_none_or(|l| t.0 > l.0) {
            self.last = Some(t);
        }
        let decision = r.decision.as_deref();
        *self
            .decisions
            .entry(decision.unwrap_or("none").to_owned())
            .or_default() += 1;
        let denied = is_denial(decision);
        let client = Client::of(&r.caller);
        self.callers.entry(client.clone()).or_default().add(denied);
        self.endpoints
            .entry(r.endpoint.clone())
            .or_default()
            .add(denied);
        if denied {
            let rule = match decision {
                Some("refused") => "(refused)".to_owned(),
                _ => r.rule.clone().unwrap_or_else(|| "-".into()),
            };
            *self.denials.entry((rule, client)).or_default() += 1;
        }
        let status = match r.status {
            Some(s) => format!("{}xx", s / 100),
            None => "none".into(),
        };
        *self.statuses.entry(status).or_default() += 1;
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// The `top` biggest entries, biggest first, ties by name.
    fn top<K: Clone + fmt::Display>(map: &HashMap<K, Counts>, top: usize) -> Vec<(K, Counts)> {
        let mut v: Vec<(K, Counts)> = map.iter().map(|(k, c)| (k.clone(), *c)).collect();
        v.sort_by(|a, b| {
            b.1.calls
                .cmp(&a.1.calls)
                .then_with(|| a.0.to_string().cmp(&b.0.to_string()))
        });
        v.truncate(top);
        v
    }

    fn top_denials(&self, top: usize) -> Vec<(String, Client, u64)> {
        let mut v: Vec<(String, Client, u64)> = self
            .denials
            .iter()
            .map(|((rule, client), n)| (rule.clone(), client.clone(), *n))
            .collect();
        v.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then_with(|| a.0.cmp(&b.0))
                .then_with(|| a.1.cmp(&b.1))
        });
        v.truncate(top);
        v
    }

    /// Tables for a person, `top` rows each.
    pub fn render(&self, top: usize) -> String {
        let mut out = String::new();
        let span = match (&self.first, &self.last) {
            (Some(f), Some(l)) => format!(", {} to {}", f.1, l.1),
            _ => String::new(),
        };
        out.push_str(&format!("{} record(s){span}\n", self.records));
        let list = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.records == 0 {
            return out;
        }
        out.push_str(&format!("decisions: {}\n", list(&self.decisions)));
        out.push_str(&format!("statuses: {}\n", list(&self.statuses)));

        let table = |out: &mut String,
                     title: &str,
                     column: &str,
                     rows: Vec<(String, Counts)>,
                     total: usize| {
            out.push_str(&format!("\n{title} ({} of {total}):\n", rows.len()));
            out.push_str(&format!("   calls  denied  {column}\n"));
            for (name, c) in rows {
                out.push_str(&format!("{:>8}  {:>6}  {name}\n", c.calls, c.denied));
            }
        };
        let callers = Self::top(&self.callers, top)
            .into_iter()
            .map(|(k, c)| (k.to_string(), c))
            .collect();
        table(
            &mut out,
            "top callers",
            "caller",
            callers,
            self.callers.len(),
        );
        table(
            &mut out,
            "top endpoints",
            "endpoint",
            Self::top(&self.endpoints, top),
            self.endpoints.len(),
        );
        let denials = self.top_denials(top);
        if denials.is_empty() {
            out.push_str("\nno denials\n");
        } else {
            out.push_str(&format!(
                "\ndenials by rule and caller ({} of {}):\n",
                denials.len(),
                self.denials.len()
            ));
            let width = denials.iter().map(|d| d.0.len()).max().unwrap_or(0);
            out.push_str(&format!("   calls  {:<width$}  caller\n", "rule"));
            for (rule, client, n) in denials {
                out.push_str(&format!("{n:>8}  {rule:<width$}  {client}\n"));
            }
        }
        out
    }

    /// The same tables as one JSON object.
    pub fn to_json(&self, top: usize) -> Value {
        let rows = |v: Vec<(String, Counts)>, key: &str| -> Vec<Value> {
            v.into_iter()
                .map(|(k, c)| json!({ key: k, "calls": c.calls, "denied": c.denied }))
                .collect()
        };
        json!({
            "records": self.records,
            "first": self.first.as_ref().map(|f| &f.1),
            "last": self.last.as_ref().map(|l| &l.1),
            "decisions": self.decisions,
            "statuses": self.statuses,
            "callers": rows(
                Self::top(&self.callers, top).into_iter().map(|(k, c)| (k.to_string(), c)).collect(),
                "caller"
            ),
            "endpoints": rows(Self::top(&self.endpoints, top), "endpoint"),
            "denials": self.top_denials(top).into_iter().map(|(rule, client, n)| {
                json!({ "rule": rule, "caller": client.to_string(), "calls": n })
            }).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests;
