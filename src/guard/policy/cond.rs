//! Rule conditions and how each is tested against one request.
//!
//! A condition that does not apply to the caller (a `uid` for a TCP client, a
//! `container_name` for a client outside any container) does not hold: a rule says who it
//! is for, and a caller it cannot identify is not them.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::{Action, EscalationList, RequestFacts, Rule};
use crate::caller::Peer;
use crate::docker::endpoint::{Operation, Section};
use crate::docker::facts::{host, Facts};

/// Operations whose body or query [`crate::docker::facts::facts`] reads. Body conditions apply to
/// these only: on any other operation every fact has its empty value, and `privileged =
/// false` would otherwise allow `GET /containers/json` by accident.
pub const FACT_OPERATIONS: &[Operation] = &[
    Operation::ContainerCreate,
    Operation::ContainerUpdate,
    Operation::ContainerStart,
    Operation::ContainerExec,
    Operation::ExecStart,
    Operation::ImageCommit,
    Operation::ImageBuild,
    Operation::ImageCreate,
    Operation::PutContainerArchive,
    Operation::ServiceCreate,
    Operation::ServiceUpdate,
    Operation::VolumeCreate,
    Operation::NetworkCreate,
    Operation::NetworkConnect,
    Operation::NetworkDisconnect,
    Operation::PluginPull,
    Operation::PluginUpgrade,
    Operation::PluginSet,
    Operation::GetPluginPrivileges,
];

/// `*` matches any run of characters (slashes included), `?` one character; nothing else
/// is special. Case-sensitive, as dockerd's names are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(pub String);

impl Glob {
    pub fn matches(&self, text: &str) -> bool {
        // Iterative wildcard match with one backtrack point: linear enough for policy
        // patterns, and no recursion a hostile name could blow up. Positions are byte
        // offsets on character boundaries, so matching a name allocates nothing.
        let (p, t) = (self.0.as_str(), text);
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while let Some(tc) = t[ti..].chars().next() {
            let pc = p[pi..].chars().next();
            if let Some(pc) = pc.filter(|&pc| pc == '?' || pc == tc) {
                pi += pc.len_utf8();
                ti += tc.len_utf8();
            } else if pc == Some('*') {
                star = Some((pi, ti));
                pi += 1;
            } else if let Some((sp, st)) = star {
                let retry = st + t[st..].chars().next().map_or(0, char::len_utf8);
                pi = sp + 1;
                ti = retry;
                star = Some((sp, retry));
            } else {
                return false;
            }
        }
        p[pi..].bytes().all(|b| b == b'*')
    }
}

fn any_glob(globs: &[Glob], text: &str) -> bool {
    globs.iter().any(|g| g.matches(text))
}

/// Globs as a mismatch shows them, `["web-*", "db"]`, written only if the reason is.
struct Globs<'a>(&'a [Glob]);

impl fmt::Display for Globs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|g| g.0.as_str()))
            .finish()
    }
}

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

/// What the request is, as dockerd routes it.
#[derive(Clone, Debug, Default)]
pub struct RequestMatch {
    pub endpoint: Option<Vec<Operation>>,
    pub section: Option<Vec<Section>>,
    pub method: Option<Vec<String>>,
    /// The object acted on ([`crate::docker::endpoint::Classified::object`]): the container, image, network, …
    /// named in the path, whatever the route template calls it.
    pub object: Option<Vec<Glob>>,
    /// Path variables by template name (`id`, `name`, `checkpoint`), decoded.
    pub param: BTreeMap<String, Vec<Glob>>,
    /// Query parameters by key: the first value, as dockerd's `FormValue` reads it; an
    /// absent key reads as `""`.
    pub query: BTreeMap<String, Vec<Glob>>,
    /// Query parameters dockerd reads as booleans (`BoolValue`: `yes`, `1`, `true` alike).
    pub query_bool: BTreeMap<String, bool>,
}

/// A literal a fact is compared with.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// A condition on one request fact.
#[derive(Clone, Debug, PartialEq)]
pub enum BodyCond {
    /// `privileged = false`, `network_mode = "bridge"`, `pids_limit = 100`.
    Equals(Scalar),
    /// Tests on the fact's values (a string is one value, unset none, a list its items, a
    /// map its keys); every stated test must hold.
    Ops {
        any_of: Option<Vec<Glob>>,
        not: Option<Vec<Glob>>,
        subset_of: Option<Vec<Glob>>,
        within: Option<Vec<String>>,
        empty: Option<bool>,
    },
    /// `escalations = false`, or `{ present = …, allowed_host_paths = […] }`: whether
    /// [`crate::docker::facts::Facts::escalations`] finds any reason the request gives host root.
    Escalations {
        present: bool,
        allowed_host_paths: Vec<String>,
    },
}

/// What a fact's value looks like, to refuse conditions that cannot apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FactKind {
    Bool,
    OptBool,
    Int,
    Str,
    List,
    Map,
    Objects,
}

pub(crate) fn fact_kind(name: &str) -> Option<FactKind> {
    if !crate::docker::facts::Facts::NAMES.contains(&name) {
        return None;
    }
    Some(match name {
        "no_new_privileges" => FactKind::OptBool,
        "pids_limit" => FactKind::Int,
        "sysctls" | "network_options" => FactKind::Map,
        "mounts" => FactKind::Objects,
        "masked_paths" | "readonly_paths" => FactKind::List,
        _ => match crate::docker::facts::Facts::default().get(name) {
            Some(Value::Bool(_)) => FactKind::Bool,
            Some(Value::Array(_)) => FactKind::List,
            _ => FactKind::Str,
        },
    })
}

/// One request, as every rule of one evaluation tests it.
pub(super) struct Ctx<'a, 'r> {
    req: &'a RequestFacts<'r>,
    /// Whether mismatches are worded: only `explain` reads them, and wording every rule a
    /// request passes over was most of what a decision cost.
    explain: bool,
    /// The facts by name, serialized by the first condition that looks one up.
    values: OnceCell<Map<String, Value>>,
}

/// The first condition of a rule that did not hold, worded only when explaining.
#[derive(Clone)]
pub(super) struct Mismatch(Option<String>);

impl Mismatch {
    /// The wording; `None` unless the evaluation was explaining.
    pub fn into_reason(self) -> Option<String> {
        self.0
    }
}

type Outcome<T> = Result<T, Mismatch>;

impl<'a, 'r> Ctx<'a, 'r> {
    pub fn new(req: &'a RequestFacts<'r>, explain: bool) -> Self {
        Ctx {
            req,
            explain,
            values: OnceCell::new(),
        }
    }

    /// A failed condition. The arguments are formatted only when explaining, so a
    /// decision allocates nothing for the rules it passes over.
    fn miss<T>(&self, why: fmt::Arguments<'_>) -> Outcome<T> {
        Err(Mismatch(self.explain.then(|| fmt::format(why))))
    }

    fn values(&self, facts: &Facts) -> &Map<String, Value> {
        // A struct of plain data serializes to an object (a test holds it to that).
        self.values.get_or_init(|| match facts.to_value() {
            Value::Object(map) => map,
            _ => Map::new(),
        })
    }
}

/// `Ok(detail)` when the rule matches (with what to add to a denial's reason), otherwise
/// the first condition that failed.
pub(super) fn rule_matches(rule: &Rule, ctx: &Ctx) -> Outcome<Option<String>> {
    client(&rule.client, ctx)?;
    request(&rule.request, ctx)?;
    body(rule, ctx)
}

fn client(c: &ClientMatch, ctx: &Ctx) -> Outcome<()> {
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

fn request(r: &RequestMatch, ctx: &Ctx) -> Outcome<()> {
    let req = ctx.req;
    let op = req.endpoint.operation();
    if let Some(ops) = &r.endpoint {
        if !op.is_some_and(|op| ops.contains(&op)) {
            return ctx.miss(format_args!(
                "request.endpoint: {} not listed",
                req.endpoint.name()
            ));
        }
    }
    if let Some(sections) = &r.section {
        match req.endpoint.section() {
            Some(s) if sections.contains(&s) => {}
            Some(s) => return ctx.miss(format_args!("request.section: {s} not listed")),
            None => {
                return ctx.miss(format_args!(
                    "request.section: dockerd routes this request nowhere"
                ))
            }
        }
    }
    if let Some(methods) = &r.method {
        if !methods.iter().any(|m| m == req.method) {
            return ctx.miss(format_args!(
                "request.method: {} not in {methods:?}",
                req.method
            ));
        }
    }
    if let Some(globs) = &r.object {
        match req.endpoint.object() {
            Some(v) if any_glob(globs, v) => {}
            Some(v) => {
                return ctx.miss(format_args!(
                    "request.object: {v:?} not in {}",
                    Globs(globs)
                ))
            }
            None => return ctx.miss(format_args!("request.object: the path names no object")),
        }
    }
    for (name, globs) in &r.param {
        match req.endpoint.param(name) {
            Some(v) if any_glob(globs, v) => {}
            Some(v) => {
                return ctx.miss(format_args!(
                    "request.param.{name}: {v:?} not in {}",
                    Globs(globs)
                ))
            }
            None => return ctx.miss(format_args!("request.param.{name}: the path has no {name}")),
        }
    }
    for (key, globs) in &r.query {
        let v = req.query.value(key);
        if !any_glob(globs, v) {
            return ctx.miss(format_args!(
                "request.query.{key}: {v:?} not in {}",
                Globs(globs)
            ));
        }
    }
    for (key, want) in &r.query_bool {
        let got = req.query.bool(key);
        if got != *want {
            return ctx.miss(format_args!("request.query_bool.{key}: is {got}"));
        }
    }
    Ok(())
}

fn body(rule: &Rule, ctx: &Ctx) -> Outcome<Option<String>> {
    if rule.body.is_empty() {
        return Ok(None);
    }
    let op = ctx.req.endpoint.operation();
    if !op.is_some_and(|op| FACT_OPERATIONS.contains(&op)) {
        return ctx.miss(format_args!(
            "body: {} has no request facts",
            ctx.req.endpoint.name()
        ));
    }
    let Some(facts) = ctx.req.facts else {
        // The relay did not read a body this rule depends on: fail closed, so a deny rule
        // still denies and an allow rule cannot allow what nobody looked at.
        return match rule.action {
            Action::Deny => Ok(Some("request body not inspected".into())),
            Action::Allow => ctx.miss(format_args!("body: request body not inspected")),
        };
    };
    let mut detail = None;
    for (name, cond) in &rule.body {
        match cond {
            BodyCond::Escalations {
                present,
                allowed_host_paths,
            } => {
                let allowed: Vec<&str> = allowed_host_paths.iter().map(String::as_str).collect();
                let found = facts.escalations(&allowed);
                if found.is_empty() == *present {
                    return if *present {
                        ctx.miss(format_args!("body.escalations: none"))
                    } else {
                        ctx.miss(format_args!("body.escalations: {}", EscalationList(&found)))
                    };
                }
                if *present {
                    detail = Some(EscalationList(&found).to_string());
                }
            }
            BodyCond::Equals(want) => {
                let got = ctx.values(facts).get(name).unwrap_or(&Value::Null);
                let ok = match want {
                    Scalar::Bool(b) => got.as_bool() == Some(*b),
                    Scalar::Int(i) => got.as_i64() == Some(*i),
                    Scalar::Str(s) => got.as_str() == Some(s.as_str()),
                };
                if !ok {
                    return ctx.miss(format_args!("body.{name}: is {got}"));
                }
            }
            BodyCond::Ops {
                any_of,
                not,
                subset_of,
                within,
                empty,
            } => {
                let items = items(ctx.values(facts).get(name).unwrap_or(&Value::Null));
                let fail = |what: fmt::Arguments<'_>| ctx.miss(format_args!("body.{name}: {what}"));
                if let Some(g) = any_of {
                    if !items.iter().any(|i| any_glob(g, i)) {
                        return fail(format_args!("{items:?} has none of {}", Globs(g)));
                    }
                }
                if let Some(g) = not {
                    if let Some(i) = items.iter().find(|i| any_glob(g, i)) {
                        return fail(format_args!("{i:?} is excluded"));
                    }
                }
                if let Some(g) = subset_of {
                    if let Some(i) = items.iter().find(|i| !any_glob(g, i)) {
                        return fail(format_args!("{i:?} not in {}", Globs(g)));
                    }
                }
                if let Some(dirs) = within {
                    if let Some(i) = items
                        .iter()
                        .find(|i| !dirs.iter().any(|d| host::within(i, d)))
                    {
                        return fail(format_args!("{i:?} not within {dirs:?}"));
                    }
                }
                if let Some(want) = empty {
                    if items.is_empty() != *want {
                        return fail(format_args!("{} values", items.len()));
                    }
                }
            }
        }
    }
    Ok(detail)
}

/// A fact's values: none when unset, one for a scalar, the items of a list, the keys of a
/// map.
fn items(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names_only() {
        let g = Glob("web-*".into());
        assert!(g.matches("web-1"));
        assert!(g.matches("web-"));
        assert!(!g.matches("xweb-1"));
        assert!(Glob("a?c".into()).matches("abc"));
        assert!(!Glob("abc".into()).matches("abcd"));
        assert!(Glob("*".into()).matches(""));
        assert!(Glob("*a*b".into()).matches("xxaxxb"));
        assert!(!Glob("*a*b".into()).matches("xxaxxbc"));
    }

    /// The matcher as it was when it worked on collected `char`s.
    fn glob_on_chars(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
                pi += 1;
                ti += 1;
            } else if pi < p.len() && p[pi] == '*' {
                star = Some((pi, ti));
                pi += 1;
            } else if let Some((sp, st)) = star {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }

    #[test]
    fn globs_match_multibyte_names_as_the_char_matcher_did() {
        let pieces = ["", "a", "b", "é", "ü", "*", "?", "/"];
        let mut words = vec![String::new()];
        for _ in 0..3 {
            words = words
                .iter()
                .flat_map(|w| pieces.iter().map(move |p| format!("{w}{p}")))
                .collect();
        }
        let texts: Vec<&String> = words.iter().filter(|w| !w.contains(['*', '?'])).collect();
        for pattern in &words {
            let glob = Glob(pattern.clone());
            for text in &texts {
                assert_eq!(
                    glob.matches(text),
                    glob_on_chars(pattern, text),
                    "{pattern:?} on {text:?}"
                );
            }
        }
    }

    #[test]
    fn facts_serialize_to_an_object_so_each_fact_can_be_looked_up() {
        assert!(Facts::default().to_value().is_object());
    }

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
