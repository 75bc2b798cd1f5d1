//! A policy learned from an audit log: each client may do what it did while it was
//! recorded, and nothing else (`sockeye policy learn`, docs/policy.md).
//!
//! Pure: records come in one at a time ([`Learner::add`]), so a log of any size can be
//! learned from; only counters, sets of endpoints and the facts seen are kept. The text that
//! comes out is a policy file, commented so that a person can review it: every rule says
//! which calls it stands for, when they happened and what they looked like.
//!
//! What is learned, per client ([`Client`]: container name, else executable and uid, else
//! process name and uid; TCP clients by address):
//! - the endpoints it called, with their methods: one rule;
//! - the objects it named, split into their own rule, only where that is stable: the
//!   client only ever named a few objects by name (never by ID, which changes when the
//!   object is recreated), or names that share a prefix (`web-*`);
//! - for each operation with a body ([`FACT_OPERATIONS`]), one rule with body conditions
//!   built from what was seen: no escalation, never privileged, these host paths only, these
//!   images only, … so that a privileged `docker run` stays denied.
//!
//! What is not learned: calls that were denied or refused (enforcement turned them away: the
//! client does not need them), requests dockerd routes nowhere, bodies recorded without a
//! policy (sockeye did not read them, so nothing is known about them), and, unless asked
//! for, calls that could give root on the host. Host paths are learned as an allowlist of
//! the paths seen, except those that are root on the host by themselves (`/`, `/etc`, the
//! Docker socket, …).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::caller::Caller;
use crate::docker::endpoint::{classify, Classified, Operation};
use crate::docker::facts::{host, Escalation, Facts};
use crate::docker::gojson::{self, Form};
use crate::guard::policy::{Decision, Policy, RequestFacts, FACT_OPERATIONS};
use crate::remember::audit::query::{one_line, CallerSpec, Client};
use crate::remember::audit::Record;

/// What to learn.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only the records of this caller.
    pub client: Option<CallerSpec>,
    /// Endpoints (and body facts) only: never restrict which objects a client may name.
    pub endpoints_only: bool,
    /// Also learn calls that could give root on the host (privileged, host namespaces,
    /// dangerous capabilities, sensitive host paths, …). Off by default: a recording that
    /// contains one is more likely an accident, or an attack, than a need.
    pub allow_escalations: bool,
}

/// Host paths that are root on the host by themselves: learning one would hand the client
/// the host. Compared by component (`/etc` covers `/etc/shadow`).
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/run",
    "/var/run",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
];

fn sensitive(path: &str) -> bool {
    let clean = host::clean(path);
    clean == "/"
        || clean.ends_with(".sock")
        || SENSITIVE_HOST_PATHS.iter().any(|s| host::within(&clean, s))
}

/// Why a record was not learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// Not the client asked for (`--client`).
    OtherClient,
    /// `deny` or `refused`: the client was turned away and did not need it.
    Denied,
    /// A path dockerd routes nowhere: no endpoint to allow.
    Unrouted,
    /// The caller could not be identified: a rule for it would match everyone.
    Unidentified,
    /// An operation with a body, recorded without a policy: sockeye did not read the body,
    /// so nothing is known of what it asked for.
    BodyUnknown,
    /// It could give root on the host, and `--allow-escalations` was not given.
    Escalation,
}

impl Skip {
    /// A few words, for a count on stderr.
    pub fn short(self) -> &'static str {
        match self {
            Skip::OtherClient => "other clients",
            Skip::Denied => "denied or refused",
            Skip::Unrouted => "unrouted",
            Skip::Unidentified => "unidentified caller",
            Skip::BodyUnknown => "body not read",
            Skip::Escalation => "escalation",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Skip::OtherClient => "of other clients",
            Skip::Denied => "denied or refused when recorded",
            Skip::Unrouted => "to paths dockerd routes nowhere",
            Skip::Unidentified => "from callers that could not be identified",
            Skip::BodyUnknown => "with a body recorded without a policy (body not read)",
            Skip::Escalation => "that could give root on the host",
        }
    }
}

/// One record, read the way the relay read the request, ready to be learned or decided on.
pub struct Replay {
    pub caller: Caller,
    pub method: String,
    pub route: Classified,
    pub query: Form,
    /// For operations with facts; from the record's `facts`.
    pub facts: Option<Facts>,
}

impl Replay {
    /// The request of `r` as the policy sees it. `None` when the record lacks what a
    /// decision needs (a TCP caller without an address).
    pub fn of(r: &Record) -> Option<Replay> {
        let caller = r.caller.caller()?;
        let (path, query) = r.path.split_once('?').unwrap_or((&r.path, ""));
        let route = classify(&r.method, path);
        // Secret query values are redacted in the record; no learned rule tests the query.
        let query = gojson::form(query).unwrap_or_default();
        let facts = route
            .operation()
            .filter(|op| FACT_OPERATIONS.contains(op))
            .map(|op| {
                let mut f: Facts =
                    serde_json::from_value(Value::Object(r.facts.clone())).unwrap_or_default();
                f.operation = op.name().to_owned();
                f
            });
        Some(Replay {
            caller,
            method: r.method.clone(),
            route,
            query,
            facts,
        })
    }

    pub fn request(&self) -> RequestFacts<'_> {
        RequestFacts {
            caller: &self.caller,
            method: &self.method,
            endpoint: &self.route,
            query: &self.query,
            facts: self.facts.as_ref(),
        }
    }

    /// The escalations of this request that are not plain host paths, and its host paths.
    fn escalations(&self) -> (Vec<Escalation>, Vec<String>) {
        let Some(f) = &self.facts else {
            return (Vec::new(), Vec::new());
        };
        let mut others = Vec::new();
        let mut paths = Vec::new();
        for e in f.escalations(&[]) {
            match e {
                Escalation::HostPath { path } if !sensitive(&path) => paths.push(path),
                e => others.push(e),
            }
        }
        (others, paths)
    }
}

/// Decide `r` again with `policy`, as the relay would decide the request it records.
pub fn replay(policy: &Policy, r: &Record) -> Option<Decision> {
    Replay::of(r).map(|rp| policy.decide(&rp.request()))
}

/// Whether `r` is learned with `opts`, and if so the request it stands for.
pub fn learnable(r: &Record, opts: &Options) -> Result<Replay, Skip> {
    if opts.client.as_ref().is_some_and(|c| !c.matches(&r.caller)) {
        return Err(Skip::OtherClient);
    }
    if matches!(r.decision.as_deref(), Some("deny" | "refused")) {
        return Err(Skip::Denied);
    }
    if Client::of(&r.caller) == Client::Unknown {
        return Err(Skip::Unidentified);
    }
    let rp = Replay::of(r).ok_or(Skip::Unidentified)?;
    let Some(op) = rp.route.operation() else {
        return Err(Skip::Unrouted);
    };
    if FACT_OPERATIONS.contains(&op) && r.decision.is_none() {
        return Err(Skip::BodyUnknown);
    }
    if !opts.allow_escalations && !rp.escalations().0.is_empty() {
        return Err(Skip::Escalation);
    }
    Ok(rp)
}

/// When a call happened: for ordering, and as the record shows it.
#[derive(Clone, Debug)]
struct Stamp(f64, String);

#[derive(Clone, Debug, Default)]
struct Span {
    calls: u64,
    first: Option<Stamp>,
    last: Option<Stamp>,
}

impl Span {
    fn add(&mut self, r: &Record) {
        self.calls += 1;
        let t = Stamp(r.time_unix, r.time.clone());
        if self.first.as_ref().is_none_or(|f| t.0 < f.0) {
            self.first = Some(t.clone());
        }
        if self.last.as_ref().is_none_or(|l| t.0 > l.0) {
            self.last = Some(t);
        }
    }

    fn merge(&mut self, other: &Span) {
        self.calls += other.calls;
        for t in other.first.iter().chain(&other.last) {
            if self.first.as_ref().is_none_or(|f| t.0 < f.0) {
                self.first = Some(t.clone());
            }
            if self.last.as_ref().is_none_or(|l| t.0 > l.0) {
                self.last = Some(t.clone());
            }
        }
    }

    /// `3 calls, 2026-… to 2026-…`
    fn describe(&self) -> String {
        let calls = plural(self.calls, "call");
        match (&self.first, &self.last) {
            (Some(f), Some(l)) if f.1 == l.1 => format!("{calls}, {}", f.1),
            (Some(f), Some(l)) => format!("{calls}, {} to {}", f.1, l.1),
            _ => calls,
        }
    }
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Example actions kept per endpoint, for the comments.
const EXAMPLES: usize = 2;
/// Distinct objects remembered per kind; a client naming more is not restricted by name.
const MAX_OBJECTS: usize = 64;
/// Objects listed one by one in a rule; more of them need a shared prefix.
const MAX_LISTED_OBJECTS: usize = 5;

#[derive(Debug, Default)]
struct EndpointSeen {
    span: Span,
    methods: BTreeSet<String>,
    examples: Vec<String>,
    /// The kind of object the path names (`containers`, `images`, `exec`, …).
    kind: Option<&'static str>,
}

#[derive(Debug, Default)]
struct ObjectsSeen {
    names: BTreeSet<String>,
    /// Named by ID at least once, or too many names: not restricted.
    unstable: bool,
}

#[derive(Debug, Default)]
struct FactsSeen {
    /// Boolean facts of [`body_facts`] seen true.
    set: BTreeSet<String>,
    /// Values of the string and list facts conditions are built from ([`body_facts`]).
    values: BTreeMap<String, BTreeSet<String>>,
    /// Host paths that are not sensitive (learned as an allowlist).
    host_paths: BTreeSet<String>,
    /// Other escalations (learned only with `allow_escalations`), described.
    escalations: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
struct ClientSeen {
    span: Span,
    uids: BTreeSet<u32>,
    processes: BTreeSet<String>,
    exes: BTreeSet<String>,
    endpoints: BTreeMap<Operation, EndpointSeen>,
    objects: BTreeMap<&'static str, ObjectsSeen>,
    facts: BTreeMap<Operation, FactsSeen>,
    /// Calls not learned because of an escalation: (description, action) examples.
    escalations: BTreeMap<String, (u64, String)>,
}

#[derive(Debug, Default)]
struct SkipSeen {
    calls: u64,
    examples: Vec<String>,
}

/// Folds records into what each client did.
#[derive(Debug, Default)]
pub struct Learner {
    opts: Options,
    records: Span,
    clients: BTreeMap<Client, ClientSeen>,
    skipped: BTreeMap<Skip, SkipSeen>,
}

/// The learned policy and what went into it.
#[derive(Debug)]
pub struct Learned {
    /// The policy file.
    pub text: String,
    pub records: u64,
    pub learned: u64,
    pub clients: usize,
    pub rules: usize,
    /// Records not learned, by reason (`--client` filtering included).
    pub skipped: Vec<(Skip, u64)>,
}

impl Learner {
    pub fn new(opts: Options) -> Learner {
        Learner {
            opts,
            ..Learner::default()
        }
    }

    pub fn add(&mut self, r: &Record) {
        self.records.add(r);
        let rp = match learnable(r, &self.opts) {
            Ok(rp) => rp,
            Err(skip) => {
                if skip == Skip::Escalation {
                    self.note_escalation(r);
                }
                let s = self.skipped.entry(skip).or_default();
                s.calls += 1;
                let example = example(r);
                if s.examples.len() < EXAMPLES && !s.examples.contains(&example) {
                    s.examples.push(example);
                }
                return;
            }
        };
        let op = rp.route.operation().expect("learnable requests are routed");
        let client = self.clients.entry(Client::of(&r.caller)).or_default();
        client.span.add(r);
        client.uids.extend(r.caller.uid);
        client.processes.extend(r.caller.process.clone());
        client.exes.extend(r.caller.exe.clone());

        let kind = rp
            .route
            .object()
            .and_then(|_| rp.route.route())
            .map(|route| object_kind(route.template));
        let seen = client.endpoints.entry(op).or_default();
        seen.span.add(r);
        seen.methods.insert(r.method.clone());
        seen.kind = kind;
        let example = example(r);
        if seen.examples.len() < EXAMPLES && !seen.examples.contains(&example) {
            seen.examples.push(example);
        }
        if let (Some(kind), Some(object)) = (kind, rp.route.object()) {
            let objects = client.objects.entry(kind).or_default();
            if id_like(object) || object.contains(['*', '?']) {
                objects.unstable = true;
            } else if objects.names.len() < MAX_OBJECTS {
                objects.names.insert(object.to_owned());
            } else if !objects.names.contains(object) {
                objects.unstable = true;
            }
        }

        if let Some(facts) = &rp.facts {
            let (others, paths) = rp.escalations();
            let seen = client.facts.entry(op).or_default();
            seen.host_paths.extend(paths);
            for e in others {
                *seen.escalations.entry(e.to_string()).or_default() += 1;
            }
            // Only the facts a condition is built from: commands, environment names and
            // the like differ on every call and would grow without bound over a long log.
            let Value::Object(mut map) = facts.to_value() else {
                return;
            };
            for (name, _) in body_facts(op) {
                match map.remove(*name) {
                    Some(Value::Bool(true)) => {
                        seen.set.insert((*name).to_owned());
                    }
                    Some(Value::String(s)) => {
                        seen.values.entry((*name).to_owned()).or_default().insert(s);
                    }
                    Some(Value::Array(items)) => {
                        let values = seen.values.entry((*name).to_owned()).or_default();
                        values.extend(items.into_iter().filter_map(|i| match i {
                            Value::String(s) => Some(s),
                            _ => None,
                        }));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Remember a call that was not learned for its escalations, to say so in the rule of
    /// its client.
    fn note_escalation(&mut self, r: &Record) {
        let Some(rp) = Replay::of(r) else { return };
        let (others, _) = rp.escalations();
        let why = others
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let client = self.clients.entry(Client::of(&r.caller)).or_default();
        let entry = client
            .escalations
            .entry(why)
            .or_insert_with(|| (0, example(r)));
        entry.0 += 1;
    }

    /// The policy file. `sources` names what was read, for the header.
    pub fn finish(self, sources: &[String]) -> Learned {
        let mut out = String::new();
        let mut names = BTreeSet::new();
        let mut rules = 0;
        let learned: u64 = self.clients.values().map(|c| c.span.calls).sum();
        let clients = self.clients.values().filter(|c| c.span.calls > 0).count();

        let _ = writeln!(
            out,
            "# Learned by `sockeye policy learn` from {}.",
            if sources.is_empty() {
                "standard input".to_owned()
            } else {
                one_line(&sources.join(", "))
            }
        );
        let _ = writeln!(
            out,
            "# {} record(s){}: {} learned, for {}.",
            self.records.calls,
            match (&self.records.first, &self.records.last) {
                (Some(f), Some(l)) => format!(", {} to {}", f.1, l.1),
                _ => String::new(),
            },
            learned,
            plural(clients as u64, "client"),
        );
        for (skip, s) in &self.skipped {
            let _ = write!(
                out,
                "# Not learned: {} {}",
                plural(s.calls, "call"),
                skip.describe()
            );
            if *skip != Skip::OtherClient && !s.examples.is_empty() {
                let _ = write!(out, ", e.g. {}", s.examples.join("; "));
            }
            out.push('\n');
        }
        if let Some(c) = &self.opts.client {
            let _ = writeln!(
                out,
                "# Only the calls of --client {}.",
                one_line(&c.to_string())
            );
        }
        out.push_str(
            "# Each client may do what it did while recorded, and nothing else: anything new\n\
             # is denied by the default. Review the rules, then try them with\n\
             # `sockeye proxy --policy FILE --mode audit` before enforcing them.\n",
        );
        out.push_str("version = 1\ndefault = \"deny\"\n");

        for (client, seen) in &self.clients {
            rules += client_rules(&mut out, &mut names, client, seen, &self.opts);
        }
        Learned {
            text: out,
            records: self.records.calls,
            learned,
            clients,
            rules,
            skipped: self.skipped.iter().map(|(k, s)| (*k, s.calls)).collect(),
        }
    }
}

/// An action for a comment: one line, and the request itself when there is no CLI action.
fn example(r: &Record) -> String {
    let s = if r.endpoint == "Unknown" || r.action.starts_with('(') {
        format!("{} {}", r.method, r.path)
    } else {
        r.action.clone()
    };
    let s = one_line(&s);
    if s.chars().count() > 100 {
        format!("{}…", s.chars().take(100).collect::<String>())
    } else {
        s
    }
}

/// The first segment of a route template: what kind of object its first variable names.
fn object_kind(template: &'static str) -> &'static str {
    template
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
}

/// An ID, or a digest: what the CLI sends once it has looked a name up, and what changes
/// when the object is recreated.
fn id_like(s: &str) -> bool {
    s.starts_with("sha256:")
        || (s.len() >= 12 && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The object patterns a client's names allow, if stable: names sharing a prefix up to a
/// separator (`web-1`, `web-2` → `web-*`), or a few names listed one by one.
fn object_globs(seen: &ObjectsSeen) -> Option<Vec<String>> {
    if seen.unstable || seen.names.is_empty() {
        return None;
    }
    if seen.names.len() >= 2 {
        let mut names = seen.names.iter();
        let first = names.next()?;
        let mut prefix = first.as_str();
        for n in names {
            let common = prefix
                .char_indices()
                .zip(n.chars())
                .find(|((_, a), b)| a != b)
                .map_or(prefix.len().min(n.len()), |((i, _), _)| i);
            prefix = &prefix[..common];
        }
        // Cut back to a separator, so `web-1`, `web-2` give `web-` and not `web-` plus
        // whatever digits happen to be shared.
        if let Some(i) = prefix.rfind(['-', '_', '.', '/', ':']) {
            let prefix = &prefix[..=i];
            if prefix.len() >= 3 {
                return Some(vec![format!("{prefix}*")]);
            }
        }
    }
    (seen.names.len() <= MAX_LISTED_OBJECTS).then(|| seen.names.iter().cloned().collect())
}

/// How a body condition is derived from the facts seen.
#[derive(Clone, Copy)]
enum How {
    /// A boolean: `= false` unless it was seen true.
    False,
    /// Host paths: `within` the ones seen, or `empty`.
    Within,
    /// `subset_of` the values seen, or `empty` when none were.
    Subset,
    /// `subset_of` the values seen; nothing when none were (unset means the default).
    SubsetSeen,
}

/// The body conditions worth learning per operation, beyond `escalations`: what a reader
/// checks first (privileged, host paths, capabilities, images) and what picks the code that
/// runs (images, plugins, sources).
fn body_facts(op: Operation) -> &'static [(&'static str, How)] {
    use How::*;
    use Operation as O;
    match op {
        O::ContainerCreate => &[
            ("privileged", False),
            ("user_is_root", False),
            ("host_paths", Within),
            ("cap_add", Subset),
            ("image", SubsetSeen),
            ("network_mode", SubsetSeen),
        ],
        O::ContainerStart | O::ContainerUpdate => &[("privileged", False), ("host_paths", Within)],
        O::ContainerExec => &[("privileged", False), ("user_is_root", False)],
        O::ServiceCreate | O::ServiceUpdate => &[
            ("host_paths", Within),
            ("cap_add", Subset),
            ("image", SubsetSeen),
        ],
        O::ImageCreate => &[
            ("from_image", SubsetSeen),
            ("tag", SubsetSeen),
            ("from_src", Subset),
        ],
        O::ImageBuild => &[("build_remote", Subset)],
        O::VolumeCreate => &[("driver", SubsetSeen), ("host_paths", Within)],
        O::NetworkCreate => &[("driver", SubsetSeen)],
        O::PluginPull | O::PluginUpgrade => &[("plugin_remote", SubsetSeen)],
        _ => &[],
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(quote).collect();
    format!("[{}]", items.join(", "))
}

/// A rule name from a client: letters, digits, `-`, `_`, `.`; unique in the file.
fn rule_name(names: &mut BTreeSet<String>, wanted: &str) -> String {
    let mut base: String = wanted
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if base.is_empty() || base == crate::guard::policy::DEFAULT_RULE {
        base = format!("client-{base}");
    }
    let mut name = base.clone();
    let mut n = 2;
    while !names.insert(name.clone()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

fn slug(client: &Client) -> String {
    match client {
        Client::Container { name } => format!("container-{name}"),
        Client::Cert { cn } => format!("cert-{cn}"),
        Client::CertSan { san } => format!("cert-{san}"),
        Client::Exe { uid, exe } => {
            format!("uid{uid}-{}", exe.rsplit('/').next().unwrap_or(exe))
        }
        Client::Process { uid, process } => format!("uid{uid}-{process}"),
        Client::Uid { uid } => format!("uid{uid}"),
        Client::Tcp { ip } => format!("tcp-{ip}"),
        Client::Unknown => "unknown".into(),
    }
}

/// The `client.*` lines that pick out this client and nobody else we know of.
fn client_lines(client: &Client) -> String {
    match client {
        Client::Container { name } => {
            format!("client.container_name = {}\n", list([name.as_str()]))
        }
        Client::Exe { uid, exe } => {
            format!(
                "client.uid = [{uid}]\nclient.exe = {}\n",
                list([exe.as_str()])
            )
        }
        Client::Process { uid, process } => format!(
            "client.uid = [{uid}]\nclient.process = {}\n",
            list([process.as_str()])
        ),
        Client::Cert { cn } => format!("client.cert_subject = {}\n", list([cn.as_str()])),
        Client::CertSan { san } => format!("client.cert_san = {}\n", list([san.as_str()])),
        Client::Uid { uid } => format!("client.uid = [{uid}]\n"),
        Client::Tcp { ip } => format!("client.source = {}\n", list([ip.as_str()])),
        Client::Unknown => unreachable!("unidentified callers are never learned"),
    }
}

/// Who the client is, in words, for its comments.
fn describe_client(client: &Client, seen: &ClientSeen) -> String {
    let others = |label: &str, set: &BTreeSet<String>| {
        (!set.is_empty()).then(|| {
            format!(
                "{label} {}",
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    };
    let mut parts = vec![client.to_string()];
    match client {
        Client::Exe { .. } => parts.extend(others("process", &seen.processes)),
        Client::Container { .. } | Client::Tcp { .. } => {
            parts.extend(others("exe", &seen.exes));
        }
        _ => {}
    }
    parts.join(", ")
}

/// One client's rules; returns how many.
fn client_rules(
    out: &mut String,
    names: &mut BTreeSet<String>,
    client: &Client,
    seen: &ClientSeen,
    opts: &Options,
) -> usize {
    // Comments end at a line break, and TOML allows no control characters in them: names
    // chosen by the client (its process name) must not spill into the policy.
    let who = one_line(&describe_client(client, seen));
    let base = slug(client);
    let _ = writeln!(out, "\n# ---- {who}: {}", seen.span.describe());
    match client {
        Client::Uid { .. } => out.push_str(
            "# WARNING: neither executable nor process name was recorded: these rules hold for\n\
             # every process of this uid.\n",
        ),
        Client::Process { .. } => out.push_str(
            "# The process name is the caller's own choice; the executable was not recorded.\n",
        ),
        Client::Exe { .. } => out
            .push_str("# Matched by uid and executable, not by pid: every run gets another one.\n"),
        Client::Container { .. } => out.push_str(
            "# Matched by container name: whoever may create containers can create one with\n\
             # this name.\n",
        ),
        Client::Tcp { .. } => out
            .push_str("# Matched by source address: anyone who can send from it is this client.\n"),
        Client::Cert { .. } | Client::CertSan { .. } => out.push_str(
            "# Matched by its verified client certificate: any certificate the client CA signs\n\
             # with this name is this client.\n",
        ),
        Client::Unknown => {}
    }
    for (why, (n, example)) in &seen.escalations {
        let _ = writeln!(
            out,
            "# Not learned (--allow-escalations would): {} that could give root on the host \
             ({}), e.g. {example}",
            plural(*n, "call"),
            one_line(why),
        );
    }
    if seen.span.calls == 0 {
        out.push_str("# Nothing else was learned for this client.\n");
        return 0;
    }
    let who_lines = client_lines(client);
    let mut rules = 0;

    // Objects, by kind, where they are stable.
    let restricted: BTreeMap<&'static str, Vec<String>> = if opts.endpoints_only {
        BTreeMap::new()
    } else {
        seen.objects
            .iter()
            .filter_map(|(kind, o)| object_globs(o).map(|g| (*kind, g)))
            .collect()
    };
    let mut plain: Vec<(&Operation, &EndpointSeen)> = Vec::new();
    let mut by_kind: BTreeMap<&'static str, Vec<(&Operation, &EndpointSeen)>> = BTreeMap::new();
    for (op, ep) in &seen.endpoints {
        if FACT_OPERATIONS.contains(op) {
            continue;
        }
        match ep.kind.filter(|k| restricted.contains_key(k)) {
            Some(kind) => by_kind.entry(kind).or_default().push((op, ep)),
            None => plain.push((op, ep)),
        }
    }

    for (kind, eps) in &by_kind {
        let globs = &restricted[kind];
        let name = rule_name(names, &format!("{base}-{kind}"));
        let mut span = Span::default();
        for (_, ep) in eps {
            span.merge(&ep.span);
        }
        let _ = writeln!(
            out,
            "\n# {} on {kind} named only {}: {}",
            plural(eps.len() as u64, "endpoint"),
            one_line(
                &seen.objects[kind]
                    .names
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            span.describe(),
        );
        endpoint_rule(out, &name, &who_lines, eps, Some(globs));
        rules += 1;
    }

    for (op, facts) in &seen.facts {
        let ep = &seen.endpoints[op];
        let name = rule_name(names, &format!("{base}-{}", op.name()));
        let _ = writeln!(
            out,
            "\n# {}: {}, e.g. {}",
            op.name(),
            ep.span.describe(),
            ep.examples.join("; ")
        );
        let globs = ep.kind.and_then(|k| restricted.get(k));
        let body = body_lines(*op, facts, out);
        let _ = writeln!(
            out,
            "[[rules]]\nname = {}\naction = \"allow\"",
            quote(&name)
        );
        out.push_str(&who_lines);
        let _ = writeln!(out, "request.endpoint = {}", list([op.name()]));
        let _ = writeln!(
            out,
            "request.method = {}",
            list(ep.methods.iter().map(String::as_str))
        );
        if let Some(globs) = globs {
            let _ = writeln!(
                out,
                "request.object = {}",
                list(globs.iter().map(String::as_str))
            );
        }
        out.push_str(&body);
        rules += 1;
    }

    if !plain.is_empty() {
        let name = rule_name(names, &base);
        let mut span = Span::default();
        for (_, ep) in &plain {
            span.merge(&ep.span);
        }
        let _ = writeln!(
            out,
            "\n# {}: {}",
            plural(plain.len() as u64, "endpoint"),
            span.describe()
        );
        endpoint_rule(out, &name, &who_lines, &plain, None);
        rules += 1;
    }
    rules
}

/// A rule allowing endpoints, with one comment line per endpoint.
fn endpoint_rule(
    out: &mut String,
    name: &str,
    who_lines: &str,
    eps: &[(&Operation, &EndpointSeen)],
    objects: Option<&Vec<String>>,
) {
    let width = eps.iter().map(|(op, _)| op.name().len()).max().unwrap_or(0);
    for (op, ep) in eps {
        let methods: Vec<&str> = ep.methods.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "#   {:<width$}  {:<4}  {:>9}  e.g. {}",
            op.name(),
            methods.join(","),
            plural(ep.span.calls, "call"),
            ep.examples.join("; ")
        );
    }
    let _ = writeln!(out, "[[rules]]\nname = {}\naction = \"allow\"", quote(name));
    out.push_str(who_lines);
    let _ = writeln!(
        out,
        "request.endpoint = {}",
        list(eps.iter().map(|(op, _)| op.name()))
    );
    let methods: BTreeSet<&str> = eps
        .iter()
        .flat_map(|(_, ep)| ep.methods.iter().map(String::as_str))
        .collect();
    let _ = writeln!(out, "request.method = {}", list(methods));
    if let Some(globs) = objects {
        let _ = writeln!(
            out,
            "request.object = {}",
            list(globs.iter().map(String::as_str))
        );
    }
}

/// The body conditions of one operation; what they mean goes into `comments`.
fn body_lines(op: Operation, seen: &FactsSeen, comments: &mut String) -> String {
    let mut out = String::new();
    let mut said = Vec::new();
    let paths: Vec<&str> = seen.host_paths.iter().map(String::as_str).collect();
    if seen.escalations.is_empty() {
        if paths.is_empty() {
            out.push_str("body.escalations = false\n");
            said.push("no escalation".to_owned());
        } else {
            let _ = writeln!(
                out,
                "body.escalations = {{ present = false, allowed_host_paths = {} }}",
                list(paths.iter().copied())
            );
            said.push("no escalation beyond these host paths".to_owned());
        }
    } else {
        let list: Vec<String> = seen
            .escalations
            .iter()
            .map(|(e, n)| format!("{e} ({})", plural(*n, "call")))
            .collect();
        let _ = writeln!(
            comments,
            "# WARNING: learned with --allow-escalations: these calls could give root on the \
             host: {}",
            one_line(&list.join("; "))
        );
    }
    for (fact, how) in body_facts(op) {
        let values: Vec<&str> = seen
            .values
            .get(*fact)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        match how {
            How::False => {
                if !seen.set.contains(*fact) {
                    let _ = writeln!(out, "body.{fact} = false");
                    said.push(format!("never {fact}"));
                }
            }
            How::Within => {
                // Every path seen, sensitive ones too when --allow-escalations let them in:
                // the escalation test above says nothing about those then.
                if values.is_empty() {
                    let _ = writeln!(out, "body.{fact} = {{ empty = true }}");
                    said.push("no host paths".to_owned());
                } else {
                    let _ = writeln!(
                        out,
                        "body.{fact} = {{ within = {} }}",
                        list(values.iter().copied())
                    );
                    said.push(format!("host paths {}", values.join(", ")));
                }
            }
            How::Subset => {
                if values.is_empty() {
                    let _ = writeln!(out, "body.{fact} = {{ empty = true }}");
                    said.push(format!("no {fact}"));
                } else {
                    let _ = writeln!(
                        out,
                        "body.{fact} = {{ subset_of = {} }}",
                        list(values.iter().copied())
                    );
                    said.push(format!("{fact} {}", values.join(", ")));
                }
            }
            How::SubsetSeen => {
                if !values.is_empty() {
                    let _ = writeln!(
                        out,
                        "body.{fact} = {{ subset_of = {} }}",
                        list(values.iter().copied())
                    );
                    said.push(format!("{fact} {}", values.join(", ")));
                }
            }
        }
    }
    let _ = writeln!(comments, "# Body as seen: {}", one_line(&said.join("; ")));
    out
}

#[cfg(test)]
mod tests;
