//! A rule: its name, action and reason, and its client and request conditions.

use std::collections::BTreeMap;

use toml::Value;

use super::walker::{join, kind, Walker};
use crate::docker::endpoint::{Operation, Section};
use crate::guard::policy::cond::{Cidr, ClientMatch, RequestMatch};
use crate::guard::policy::{Action, Origin, Rule, DEFAULT_RULE};

/// Methods dockerd registers routes for (OPTIONS answers any path; PATCH none today, but a
/// rule naming it is not a typo).
pub(crate) const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

/// Path variables the route table captures.
const PARAMS: &[&str] = &["id", "name", "checkpoint"];

const RULE_KEYS: &[&str] = &[
    "name", "action", "reason", "client", "request", "body", "redact",
];
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

impl Walker {
    pub(super) fn rule(&mut self, v: &Value, path: &str) -> Option<Rule> {
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
        let redact = match t.get("redact") {
            None => None,
            // A denied client gets sockeye's own answer: there is nothing to shape.
            Some(_) if action == Some(Action::Deny) => {
                self.err(
                    &join(path, "redact"),
                    "only an allow rule's answers can be redacted",
                );
                None
            }
            Some(v) => self.redact(v, &join(path, "redact")),
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
            redact,
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
                                let hint = Operation::closest(name)
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
}
