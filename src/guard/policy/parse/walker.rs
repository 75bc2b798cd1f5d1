//! The walk over a policy file's tree: where each problem is (its key path), every problem
//! collected rather than the first, and the readers of the value types rules are made of.

use toml::{Table, Value};

use crate::guard::policy::cond::Glob;
use crate::guard::policy::{Action, PolicyError};

/// The problems found so far: every reader reports into it, with the key path, and answers
/// `None` for a value it could not read.
#[derive(Default)]
pub(super) struct Walker {
    pub(super) errs: Vec<PolicyError>,
}

/// `path.key`, or `key` at the top.
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A value's type, as an error names it.
pub(super) fn kind(v: &Value) -> &'static str {
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
    pub(super) fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errs.push(PolicyError::new(path, message));
    }

    pub(super) fn keys(&mut self, t: &Table, path: &str, allowed: &[&str]) {
        for k in t.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(
                    &join(path, k),
                    format!("unknown key; expected one of {}", allowed.join(", ")),
                );
            }
        }
    }

    pub(super) fn table<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Table> {
        match v {
            Value::Table(t) => Some(t),
            other => {
                self.err(path, format!("must be a table, not {}", kind(other)));
                None
            }
        }
    }

    pub(super) fn string(&mut self, v: &Value, path: &str) -> Option<String> {
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
    pub(super) fn strings(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
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

    pub(super) fn globs(&mut self, v: &Value, path: &str) -> Option<Vec<Glob>> {
        self.strings(v, path)
            .map(|v| v.into_iter().map(Glob).collect())
    }

    pub(super) fn ids(&mut self, v: &Value, path: &str) -> Option<Vec<u32>> {
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

    pub(super) fn action(&mut self, v: &Value, path: &str) -> Option<Action> {
        match self.string(v, path)?.as_str() {
            "allow" => Some(Action::Allow),
            "deny" => Some(Action::Deny),
            other => {
                self.err(path, format!("unknown action {other:?}; use allow or deny"));
                None
            }
        }
    }

    pub(super) fn host_paths(&mut self, v: &Value, path: &str) -> Option<Vec<String>> {
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
}
