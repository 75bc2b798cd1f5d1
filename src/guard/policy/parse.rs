//! The TOML policy file, checked key by key.
//!
//! `toml` parses the text; the tree is then walked by hand rather than deserialized with
//! `#[derive(Deserialize)]`, because serde stops at the first problem and a policy author
//! fixing a file deserves every problem at once, each with its key path. The walk is as
//! strict as `deny_unknown_fields`: every table lists the keys it accepts.

use std::collections::{BTreeMap, HashSet};

use toml::{Table, Value};

use super::cond::{fact_kind, BodyCond, Cidr, ClientMatch, FactKind, Glob, RequestMatch, Scalar};
use super::profile::{self, ProfileParams};
use super::{Action, Origin, Policy, PolicyError, Rule, DEFAULT_RULE};
use crate::docker::endpoint::{Operation, Section};

/// Methods dockerd registers routes for (OPTIONS answers any path; PATCH none today, but a
/// rule naming it is not a typo).
pub(crate) const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

/// Path variables the route table captures.
const PARAMS: &[&str] = &["id", "name", "checkpoint"];

const TOP_KEYS: &[&str] = &["version", "base", "default", "rules"];
const BASE_KEYS: &[&str] = &["name", "allowed_host_paths"];
const RULE_KEYS: &[&str] = &["name", "action", "reason", "client", "request", "body"];
const CLIENT_KEYS: &[&str] = &[
    "uid",
    "gid",
    "process",
    "exe",
    "container_name",
    "container_id",
    "container_label",
    "source",
    "cert_subject",
    "cert_san",
];
const REQUEST_KEYS: &[&str] = &[
    "endpoint",
    "section",
    "method",
    "object",
    "param",
    "query",
    "query_bool",
];
const OPS_KEYS: &[&str] = &["any_of", "not", "subset_of", "within", "empty"];
const ESCALATION_KEYS: &[&str] = &["present", "allowed_host_paths"];

pub(super) fn policy(text: &str) -> Result<Policy, Vec<PolicyError>> {
    let top: Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let e: toml::de::Error = e;
            let at = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("line {line}, column {col}")
                })
                .unwrap_or_default();
            return Err(vec![PolicyError::new(at, e.message().trim().to_owned())]);
        }
    };
    let mut w = Walker::default();
    w.keys(&top, "", TOP_KEYS);

    match top.get("version") {
        None => w.err("version", "missing; write `version = 1`"),
        Some(Value::Integer(1)) => {}
        Some(v) => w.err(
            "version",
            format!("unsupported version {v:?}; only 1 exists"),
        ),
    }
    let default = match top.get("default") {
        None => Action::Deny,
        Some(v) => w.action(v, "default").unwrap_or(Action::Deny),
    };
    let base = top.get("base").and_then(|v| w.base(v));

    let mut rules = Vec::new();
    match top.get("rules") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(rule) = w.rule(item, &format!("rules[{i}]")) {
                    rules.push(rule);
                }
            }
        }
        Some(_) => w.err("rules", "must be an array of tables: write [[rules]]"),
    }

    // Names are checked on the raw file, so a clash is reported even in broken rules.
    let mut seen = HashSet::new();
    let base_names: HashSet<String> = base
        .as_ref()
        .map(|b| b.iter().map(|r| r.name.clone()).collect())
        .unwrap_or_default();
    let items = top.get("rules").and_then(Value::as_array);
    for (i, item) in items.into_iter().flatten().enumerate() {
        let Some(name) = item.get("name").and_then(Value::as_str) else {
            continue;
        };
        let path = format!("rules[{i}].name");
        if !seen.insert(name) {
            w.err(&path, format!("{name:?} is used by an earlier rule"));
        } else if base_names.contains(name) {
            w.err(&path, format!("{name:?} is a rule of the base profile"));
        }
    }

    if !w.errs.is_empty() {
        return Err(w.errs);
    }
    rules.extend(base.unwrap_or_default());
    Ok(Policy::from_parts(rules, default))
}

#[derive(Default)]
struct Walker {
    errs: Vec<PolicyError>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

impl Walker {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errs.push(PolicyError::new(path, message));
    }

    fn keys(&mut self, t: &Table, path: &str, allowed: &[&str]) {
        for k in t.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(
                    &join(path, k),
                    format!("unknown key; expected one of {}", allowed.join(", ")),
                );
            }
        }
    }

    fn table<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Table> {
        match v {
            Value::Table(t) => Some(t),
            other => {
                self.err(path, format!("must be a table, not {}", kind(other)));
                None
            }
        }
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err(path, format!("must be a string, not {}", kind(other)));
                None
            }
        }
    }

    /// A list of strings; a lone string counts as a list of one. An empty list would match
    /// nothing, which is never what was meant.
    fn strings(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
        let out = match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            self.err(
                                &format!("{path}[{i}]"),
                                format!("must be a string, not {}", kind(other)),
                            );
                            ok = false;
                        }
                    }
                }
                if !ok {
                    return None;
                }
                out
            }
            other => {
                self.err(
                    path,
                    format!("must be a list of strings, not {}", kind(other)),
                );
                return None;
            }
        };
        if out.is_empty() {
            self.err(path, "empty list matches nothing; remove the key instead");
            return None;
        }
        Some(out)
    }

    fn globs(&mut self, v: &Value, path: &str) -> Option<Vec<Glob>> {
        self.strings(v, path)
            .map(|v| v.into_iter().map(Glob).collect())
    }

    fn ids(&mut self, v: &Value, path: &str) -> Option<Vec<u32>> {
        let items: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Integer(n) => match u32::try_from(*n) {
                    Ok(n) => out.push(n),
                    Err(_) => self.err(&format!("{path}[{i}]"), format!("{n} is not a valid id")),
                },
                other => self.err(
                    &format!("{path}[{i}]"),
                    format!("must be an integer, not {}", kind(other)),
                ),
            }
        }
        if out.is_empty() && items.is_empty() {
            self.err(path, "empty list matches nothing; remove the key instead");
        }
        (out.len() == items.len() && !out.is_empty()).then_some(out)
    }

    fn action(&mut self, v: &Value, path: &str) -> Option<Action> {
        match self.string(v, path)?.as_str() {
            "allow" => Some(Action::Allow),
            "deny" => Some(Action::Deny),
            other => {
                self.err(path, format!("unknown action {other:?}; use allow or deny"));
                None
            }
        }
    }

    fn base(&mut self, v: &Value) -> Option<Vec<Rule>> {
        let (name, params) = match v {
            Value::String(s) => (s.clone(), ProfileParams::default()),
            Value::Table(t) => {
                self.keys(t, "base", BASE_KEYS);
                let name = match t.get("name") {
                    Some(n) => self.string(n, "base.name")?,
                    None => {
                        self.err("base.name", "missing");
                        return None;
                    }
                };
                let allowed_host_paths = match t.get("allowed_host_paths") {
                    None => Vec::new(),
                    Some(v) => self.host_paths(v, "base.allowed_host_paths")?,
                };
                (name, ProfileParams { allowed_host_paths })
            }
            other => {
                self.err(
                    "base",
                    format!("must be a profile name or table, not {}", kind(other)),
                );
                return None;
            }
        };
        if let Err(e) = profile::check_params(&name, &params) {
            self.err("base", e);
            return None;
        }
        profile::rules(&name, &params)
    }

    fn host_paths(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
        let list = self.strings(v, path)?;
        let mut ok = true;
        for (i, p) in list.iter().enumerate() {
            if !p.starts_with('/') {
                self.err(
                    &format!("{path}[{i}]"),
                    format!("{p:?} is not an absolute path"),
                );
                ok = false;
            }
        }
        ok.then_some(list)
    }

    fn rule(&mut self, v: &Value, path: &str) -> Option<Rule> {
        let t = self.table(v, path)?;
        self.keys(t, path, RULE_KEYS);
        let before = self.errs.len();
        let name = match t.get("name") {
            Some(v) => self.string(v, &join(path, "name")),
            None => {
                self.err(&join(path, "name"), "missing");
                None
            }
        };
        if let Some(n) = &name {
            let valid = !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !valid {
                self.err(
                    &join(path, "name"),
                    format!("{n:?}: use letters, digits, '-', '_' and '.'"),
                );
            } else if n == DEFAULT_RULE {
                self.err(
                    &join(path, "name"),
                    "\"default\" names the policy's default",
                );
            }
        }
        let action = match t.get("action") {
            Some(v) => self.action(v, &join(path, "action")),
            None => {
                self.err(&join(path, "action"), "missing; use allow or deny");
                None
            }
        };
        let reason = match t.get("reason") {
            Some(v) => self.string(v, &join(path, "reason")),
            // The reason is what the denied client reads; an empty one helps nobody.
            None if action == Some(Action::Deny) => {
                self.err(&join(path, "reason"), "missing; a deny rule must say why");
                None
            }
            None => Some(String::new()),
        };
        let client = match t.get("client") {
            Some(v) => self.client(v, &join(path, "client")),
            None => Some(ClientMatch::default()),
        };
        let request = match t.get("request") {
            Some(v) => self.request(v, &join(path, "request")),
            None => Some(RequestMatch::default()),
        };
        let body = match t.get("body") {
            Some(v) => self.body(v, &join(path, "body")),
            None => Some(BTreeMap::new()),
        };
        if self.errs.len() != before {
            return None;
        }
        Some(Rule {
            name: name?,
            action: action?,
            reason: reason?,
            origin: Origin::Policy,
            client: client?,
            request: request?,
            body: body?,
        })
    }

    fn client(&mut self, v: &Value, path: &str) -> Option<ClientMatch> {
        let t = self.table(v, path)?;
        self.keys(t, path, CLIENT_KEYS);
        let mut c = ClientMatch::default();
        for (key, v) in t {
            let p = join(path, key);
            match key.as_str() {
                "uid" => c.uid = self.ids(v, &p),
                "gid" => c.gid = self.ids(v, &p),
                "process" => c.process = self.globs(v, &p),
                "exe" => c.exe = self.globs(v, &p),
                "container_name" => c.container_name = self.globs(v, &p),
                "container_id" => c.container_id = self.globs(v, &p),
                "cert_subject" => c.cert_subject = self.globs(v, &p),
                "cert_san" => c.cert_san = self.globs(v, &p),
                "container_label" => {
                    if let Some(labels) = self.table(v, &p) {
                        for (k, v) in labels {
                            if let Some(g) = self.globs(v, &join(&p, k)) {
                                c.container_label.insert(k.clone(), g);
                            }
                        }
                    }
                }
                "source" => {
                    if let Some(list) = self.strings(v, &p) {
                        let mut blocks = Vec::new();
                        for (i, s) in list.iter().enumerate() {
                            match Cidr::parse(s) {
                                Ok(b) => blocks.push(b),
                                Err(e) => self.err(&format!("{p}[{i}]"), e),
                            }
                        }
                        c.source = Some(blocks);
                    }
                }
                _ => {}
            }
        }
        Some(c)
    }

    fn request(&mut self, v: &Value, path: &str) -> Option<RequestMatch> {
        let t = self.table(v, path)?;
        self.keys(t, path, REQUEST_KEYS);
        let mut r = RequestMatch::default();
        for (key, v) in t {
            let p = join(path, key);
            match key.as_str() {
                "endpoint" => {
                    let Some(list) = self.strings(v, &p) else {
                        continue;
                    };
                    let mut ops = Vec::new();
                    for name in &list {
                        match Operation::from_name(name) {
                            Some(op) => ops.push(op),
                            None => {
                                let hint = Operation::ALL
                                    .iter()
                                    .find(|o| o.name().eq_ignore_ascii_case(name))
                                    .map(|o| format!(" (did you mean {:?}?)", o.name()))
                                    .unwrap_or_default();
                                self.err(&p, format!("unknown endpoint {name:?}{hint}"));
                            }
                        }
                    }
                    r.endpoint = Some(ops);
                }
                "section" => {
                    let Some(list) = self.strings(v, &p) else {
                        continue;
                    };
                    let mut out = Vec::new();
                    for name in &list {
                        match name.parse::<Section>() {
                            Ok(s) => out.push(s),
                            Err(_) => {
                                let known: Vec<&str> =
                                    Section::ALL.iter().map(|s| s.as_str()).collect();
                                self.err(
                                    &p,
                                    format!(
                                        "unknown section {name:?}; known: {}",
                                        known.join(", ")
                                    ),
                                );
                            }
                        }
                    }
                    r.section = Some(out);
                }
                "method" => {
                    let Some(list) = self.strings(v, &p) else {
                        continue;
                    };
                    for m in &list {
                        if !METHODS.contains(&m.as_str()) {
                            let hint = if METHODS.contains(&m.to_ascii_uppercase().as_str()) {
                                " (dockerd compares methods case-sensitively: write it upper-case)"
                            } else {
                                ""
                            };
                            self.err(&p, format!("unknown method {m:?}{hint}"));
                        }
                    }
                    r.method = Some(list);
                }
                "object" => r.object = self.globs(v, &p),
                "param" => {
                    let Some(params) = self.table(v, &p) else {
                        continue;
                    };
                    for (name, v) in params {
                        let pp = join(&p, name);
                        if !PARAMS.contains(&name.as_str()) {
                            self.err(
                                &pp,
                                format!("unknown path variable; known: {}", PARAMS.join(", ")),
                            );
                            continue;
                        }
                        if let Some(g) = self.globs(v, &pp) {
                            r.param.insert(name.clone(), g);
                        }
                    }
                }
                "query" => {
                    let Some(q) = self.table(v, &p) else { continue };
                    for (k, v) in q {
                        if let Some(g) = self.globs(v, &join(&p, k)) {
                            r.query.insert(k.clone(), g);
                        }
                    }
                }
                "query_bool" => {
                    let Some(q) = self.table(v, &p) else { continue };
                    for (k, v) in q {
                        match v {
                            Value::Boolean(b) => {
                                r.query_bool.insert(k.clone(), *b);
                            }
                            other => self.err(
                                &join(&p, k),
                                format!("must be true or false, not {}", kind(other)),
                            ),
                        }
                    }
                }
                _ => {}
            }
        }
        Some(r)
    }

    fn body(&mut self, v: &Value, path: &str) -> Option<BTreeMap<String, BodyCond>> {
        let t = self.table(v, path)?;
        let mut out = BTreeMap::new();
        for (name, v) in t {
            let p = join(path, name);
            if name == "escalations" {
                if let Some(c) = self.escalations(v, &p) {
                    out.insert(name.clone(), c);
                }
                continue;
            }
            let Some(fk) = fact_kind(name) else {
                self.err(
                    &p,
                    "unknown fact; see docs/policy.md for the names (or use `escalations`)",
                );
                continue;
            };
            if let Some(c) = self.fact_cond(fk, v, &p) {
                out.insert(name.clone(), c);
            }
        }
        Some(out)
    }

    fn escalations(&mut self, v: &Value, path: &str) -> Option<BodyCond> {
        match v {
            Value::Boolean(present) => Some(BodyCond::Escalations {
                present: *present,
                allowed_host_paths: Vec::new(),
            }),
            Value::Table(t) => {
                self.keys(t, path, ESCALATION_KEYS);
                let present = match t.get("present") {
                    Some(Value::Boolean(b)) => *b,
                    Some(other) => {
                        self.err(
                            &join(path, "present"),
                            format!("must be true or false, not {}", kind(other)),
                        );
                        return None;
                    }
                    None => {
                        self.err(&join(path, "present"), "missing");
                        return None;
                    }
                };
                let allowed_host_paths = match t.get("allowed_host_paths") {
                    Some(v) => self.host_paths(v, &join(path, "allowed_host_paths"))?,
                    None => Vec::new(),
                };
                Some(BodyCond::Escalations {
                    present,
                    allowed_host_paths,
                })
            }
            other => {
                self.err(
                    path,
                    format!("must be true, false or a table, not {}", kind(other)),
                );
                None
            }
        }
    }

    fn fact_cond(&mut self, fk: FactKind, v: &Value, path: &str) -> Option<BodyCond> {
        let wrong = |what: &str| format!("a {fk:?} fact cannot be compared with {what}");
        match v {
            Value::Boolean(b) => match fk {
                FactKind::Bool | FactKind::OptBool => Some(BodyCond::Equals(Scalar::Bool(*b))),
                _ => {
                    self.err(path, wrong("a boolean"));
                    None
                }
            },
            Value::Integer(i) => match fk {
                FactKind::Int => Some(BodyCond::Equals(Scalar::Int(*i))),
                _ => {
                    self.err(path, wrong("an integer"));
                    None
                }
            },
            Value::String(s) => match fk {
                FactKind::Str => Some(BodyCond::Equals(Scalar::Str(s.clone()))),
                _ => {
                    self.err(
                        path,
                        format!(
                            "{}; for lists use {{ any_of = [...] }} or {{ subset_of = [...] }}",
                            wrong("a string")
                        ),
                    );
                    None
                }
            },
            Value::Table(t) => {
                if matches!(fk, FactKind::Bool | FactKind::OptBool | FactKind::Int) {
                    self.err(path, wrong("a table of tests; compare with a value"));
                    return None;
                }
                self.keys(t, path, OPS_KEYS);
                if t.is_empty() {
                    self.err(path, format!("no test given; use {}", OPS_KEYS.join(", ")));
                    return None;
                }
                let before = self.errs.len();
                let get = |w: &mut Walker, key: &str| {
                    t.get(key).and_then(|v| w.globs(v, &join(path, key)))
                };
                let any_of = get(self, "any_of");
                let not = get(self, "not");
                let subset_of = get(self, "subset_of");
                let within = t
                    .get("within")
                    .and_then(|v| self.host_paths(v, &join(path, "within")));
                let empty = match t.get("empty") {
                    None => None,
                    Some(Value::Boolean(b)) => Some(*b),
                    Some(other) => {
                        self.err(
                            &join(path, "empty"),
                            format!("must be true or false, not {}", kind(other)),
                        );
                        None
                    }
                };
                if fk == FactKind::Objects && t.keys().any(|k| k != "empty") {
                    self.err(
                        path,
                        "only `empty` applies to mounts; test host_paths, volumes or binds instead",
                    );
                }
                if fk == FactKind::Map && t.contains_key("within") {
                    self.err(&join(path, "within"), "a map's keys are not paths");
                }
                (self.errs.len() == before).then_some(BodyCond::Ops {
                    any_of,
                    not,
                    subset_of,
                    within,
                    empty,
                })
            }
            other => {
                self.err(path, wrong(kind(other)));
                None
            }
        }
    }
}
