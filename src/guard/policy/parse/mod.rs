//! The TOML policy file, checked key by key.
//!
//! `toml` parses the text; the tree is then walked by hand rather than deserialized with
//! `#[derive(Deserialize)]`, because serde stops at the first problem and a policy author
//! fixing a file deserves every problem at once, each with its key path. The walk is as
//! strict as `deny_unknown_fields`: every table lists the keys it accepts.
//!
//! Here: the document's top level (`version`, `default`, `base`, `rules` and the rule names
//! across them). Each rule is read in `rule` (its client and request conditions) and
//! `body` (its fact conditions), all through the `walker`, which collects the errors.

mod body;
mod rule;
mod walker;

use std::collections::HashSet;

use toml::{Table, Value};

use super::profile::{self, ProfileParams};
use super::{Action, Policy, PolicyError, Rule};
use crate::docker::shape::Redact;
use walker::{kind, Walker};

pub(crate) use rule::METHODS;

const TOP_KEYS: &[&str] = &["version", "base", "default", "redact", "rules"];
const BASE_KEYS: &[&str] = &["name", "allowed_host_paths"];

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
        Some(Value::Integer(n)) => {
            w.err("version", format!("unsupported version {n}; only 1 exists"))
        }
        Some(v) => w.err("version", format!("must be the number 1, not {}", kind(v))),
    }
    let default = match top.get("default") {
        None => Action::Deny,
        Some(v) => w.action(v, "default").unwrap_or(Action::Deny),
    };
    let base = top.get("base").and_then(|v| w.base(v));
    let redact = match top.get("redact") {
        None => Redact::NONE,
        Some(v) => w.redact(v, "redact").unwrap_or_default(),
    };

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
    Ok(Policy::from_parts(rules, default).with_redact(redact))
}

impl Walker {
    /// What answers hide: a list of `env`, `mounts`, `addresses` (a lone name counts as a
    /// list of one). Unlike a condition's list, `[]` means something: hide nothing.
    pub(super) fn redact(&mut self, v: &Value, path: &str) -> Option<Redact> {
        let items = match v {
            Value::String(_) => std::slice::from_ref(v),
            Value::Array(items) => items.as_slice(),
            other => {
                self.err(
                    path,
                    format!("must be a list of names, not {}", kind(other)),
                );
                return None;
            }
        };
        let before = self.errs.len();
        let mut redact = Redact::NONE;
        for (i, item) in items.iter().enumerate() {
            let at = match v {
                Value::Array(_) => format!("{path}[{i}]"),
                _ => path.to_owned(),
            };
            let Some(name) = self.string(item, &at) else {
                continue;
            };
            match Redact::from_name(&name) {
                Some(r) => redact = redact.union(r),
                None => {
                    let known: Vec<&str> = Redact::NAMES.iter().map(|(n, _)| *n).collect();
                    self.err(
                        &at,
                        format!("unknown {name:?}; known: {}", known.join(", ")),
                    );
                }
            }
        }
        (self.errs.len() == before).then_some(redact)
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
}
