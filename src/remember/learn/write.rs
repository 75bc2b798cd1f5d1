//! The policy file: a header saying what was read and what was not learned, then each
//! client's rules, commented so that a person can review them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::aggregate::{object_globs, ClientSeen, EndpointSeen, Learner, Span};
use super::body::body_lines;
use super::client::{client_lines, describe_client, slug};
use super::{plural, Options, Skip};
use crate::docker::endpoint::Operation;
use crate::guard::policy::FACT_OPERATIONS;
use crate::remember::audit::query::{one_line, Client};

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
        if learned > 0 {
            names.insert(PING_RULE.to_owned());
            out.push_str(PINGS);
            rules += 1;
        }

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

/// The name of the rule every learned policy starts with.
const PING_RULE: &str = "ping";

/// Every client may ping, both ways: the docker CLI pings (`HEAD`, then `GET` if that fails)
/// before anything else, a container healthcheck (`sockeye health --listen`) pings with
/// `GET` from an executable no recording saw, and a ping says only the API version. Without
/// it, a healthcheck of a sockeye enforcing a learned policy fails for ever.
const PINGS: &str = "\n# Every client may ping (GET or HEAD /_ping): clients ping before anything else, and\n\
                     # healthchecks (`sockeye health --listen`) ping; a ping tells only the API version.\n\
                     [[rules]]\n\
                     name = \"ping\"\n\
                     action = \"allow\"\n\
                     request.endpoint = [\"SystemPing\", \"SystemPingHead\"]\n\
                     request.method = [\"GET\", \"HEAD\"]\n";

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

/// A TOML basic string.
pub(super) fn quote(s: &str) -> String {
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

pub(super) fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
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
