//! A summary of who did what, on which host, and what was denied, kept as counters.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::{json, Value};

use super::client::Client;
use super::filter::is_denial;
use super::line::one_line;
use crate::remember::audit::record::Record;

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
    /// By the host records name (`-` for none).
    hosts: HashMap<String, Counts>,
    /// A caller on one host is another than the same on another host.
    callers: HashMap<Caller, Counts>,
    endpoints: HashMap<String, Counts>,
    /// (rule, caller) → denials; the rule is `(refused)` for a request refused before the
    /// policy.
    denials: HashMap<(String, Caller), u64>,
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
        let host = r.host();
        match self.hosts.get_mut(host) {
            Some(c) => c.add(denied),
            None => self.hosts.entry(host.to_owned()).or_default().add(denied),
        }
        let client = Caller {
            client: Client::of(&r.caller),
            host: host.to_owned(),
        };
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

    fn top_denials(&self, top: usize) -> Vec<(String, Caller, u64)> {
        let mut v: Vec<(String, Caller, u64)> = self
            .denials
            .iter()
            .map(|((rule, client), n)| (rule.clone(), client.clone(), *n))
            .collect();
        v.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then_with(|| a.0.cmp(&b.0))
                .then_with(|| a.1.to_string().cmp(&b.1.to_string()))
        });
        v.truncate(top);
        v
    }

    /// A caller as a table names it: with its host once there are several.
    fn name(&self, c: &Caller) -> String {
        if self.hosts.len() > 1 {
            format!("{} on {}", c.client, one_line(&c.host))
        } else {
            c.client.to_string()
        }
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
        table(
            &mut out,
            "hosts",
            "host",
            Self::top(&self.hosts, top)
                .into_iter()
                .map(|(k, c)| (one_line(&k), c))
                .collect(),
            self.hosts.len(),
        );
        let callers = Self::top(&self.callers, top)
            .into_iter()
            .map(|(k, c)| (self.name(&k), c))
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
                let client = self.name(&client);
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
            "hosts": rows(Self::top(&self.hosts, top), "host"),
            "callers": Self::top(&self.callers, top).into_iter().map(|(k, c)| {
                json!({ "caller": k.client.to_string(), "host": k.host, "calls": c.calls, "denied": c.denied })
            }).collect::<Vec<_>>(),
            "endpoints": rows(Self::top(&self.endpoints, top), "endpoint"),
            "denials": self.top_denials(top).into_iter().map(|(rule, client, n)| {
                json!({ "rule": rule, "caller": client.client.to_string(), "host": client.host, "calls": n })
            }).collect::<Vec<_>>(),
        })
    }
}

/// A caller and the host it called on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Caller {
    client: Client,
    host: String,
}

/// For ordering ties alike on every run (tables show [`Summary::name`]).
impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.client, self.host)
    }
}
