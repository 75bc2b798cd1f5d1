//! What each client did, folded in one record at a time: only counters, sets of endpoints
//! and the facts a condition is built from are kept, so a log of any size can be learned.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::body::body_facts;
use super::replay::{learnable, Replay};
use super::{plural, Options, Skip};
use crate::docker::endpoint::Operation;
use crate::remember::audit::query::{one_line, Client};
use crate::remember::audit::Record;

/// When a call happened: for ordering, and as the record shows it.
#[derive(Clone, Debug)]
pub(super) struct Stamp(pub(super) f64, pub(super) String);

#[derive(Clone, Debug, Default)]
pub(super) struct Span {
    pub(super) calls: u64,
    pub(super) first: Option<Stamp>,
    pub(super) last: Option<Stamp>,
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

    pub(super) fn merge(&mut self, other: &Span) {
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
    pub(super) fn describe(&self) -> String {
        let calls = plural(self.calls, "call");
        match (&self.first, &self.last) {
            (Some(f), Some(l)) if f.1 == l.1 => format!("{calls}, {}", f.1),
            (Some(f), Some(l)) => format!("{calls}, {} to {}", f.1, l.1),
            _ => calls,
        }
    }
}

/// Example actions kept per endpoint, for the comments.
const EXAMPLES: usize = 2;
/// Distinct objects remembered per kind; a client naming more is not restricted by name.
const MAX_OBJECTS: usize = 64;
/// Objects listed one by one in a rule; more of them need a shared prefix.
const MAX_LISTED_OBJECTS: usize = 5;

#[derive(Debug, Default)]
pub(super) struct EndpointSeen {
    pub(super) span: Span,
    pub(super) methods: BTreeSet<String>,
    pub(super) examples: Vec<String>,
    /// The kind of object the path names (`containers`, `images`, `exec`, …).
    pub(super) kind: Option<&'static str>,
}

#[derive(Debug, Default)]
pub(super) struct ObjectsSeen {
    pub(super) names: BTreeSet<String>,
    /// Named by ID at least once, or too many names: not restricted.
    pub(super) unstable: bool,
}

#[derive(Debug, Default)]
pub(super) struct FactsSeen {
    /// Boolean facts of [`body_facts`] seen true.
    pub(super) set: BTreeSet<String>,
    /// Values of the string and list facts conditions are built from ([`body_facts`]).
    pub(super) values: BTreeMap<String, BTreeSet<String>>,
    /// Host paths that are not sensitive (learned as an allowlist).
    pub(super) host_paths: BTreeSet<String>,
    /// Other escalations (learned only with `allow_escalations`), described.
    pub(super) escalations: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub(super) struct ClientSeen {
    pub(super) span: Span,
    pub(super) uids: BTreeSet<u32>,
    pub(super) processes: BTreeSet<String>,
    pub(super) exes: BTreeSet<String>,
    pub(super) endpoints: BTreeMap<Operation, EndpointSeen>,
    pub(super) objects: BTreeMap<&'static str, ObjectsSeen>,
    pub(super) facts: BTreeMap<Operation, FactsSeen>,
    /// Calls not learned because of an escalation: (description, action) examples.
    pub(super) escalations: BTreeMap<String, (u64, String)>,
}

#[derive(Debug, Default)]
pub(super) struct SkipSeen {
    pub(super) calls: u64,
    pub(super) examples: Vec<String>,
}

/// Folds records into what each client did.
#[derive(Debug, Default)]
pub struct Learner {
    pub(super) opts: Options,
    pub(super) records: Span,
    pub(super) clients: BTreeMap<Client, ClientSeen>,
    pub(super) skipped: BTreeMap<Skip, SkipSeen>,
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
pub(super) fn object_globs(seen: &ObjectsSeen) -> Option<Vec<String>> {
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
