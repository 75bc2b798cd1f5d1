//! A rule's `body` table: conditions on request facts, and on the escalations they add up
//! to, each checked against what the fact can hold.

use std::collections::BTreeMap;

use toml::Value;

use super::walker::{join, kind, Walker};
use crate::guard::policy::cond::{fact_kind, BodyCond, FactKind, Scalar};

const OPS_KEYS: &[&str] = &["any_of", "not", "subset_of", "within", "empty"];
const ESCALATION_KEYS: &[&str] = &["present", "allowed_host_paths"];

impl Walker {
    pub(super) fn body(&mut self, v: &Value, path: &str) -> Option<BTreeMap<String, BodyCond>> {
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
