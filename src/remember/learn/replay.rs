//! A record read back into the request the relay decided on, for the policy to decide again
//! or for the learner to learn.

use serde_json::Value;

use super::{Options, Skip};
use crate::caller::Caller;
use crate::docker::endpoint::{classify, Classified};
use crate::docker::facts::{host, Escalation, Facts};
use crate::docker::gojson::{self, Form};
use crate::guard::policy::{Decision, Policy, RequestFacts, FACT_OPERATIONS};
use crate::remember::audit::query::Client;
use crate::remember::audit::Record;

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
    pub(super) fn escalations(&self) -> (Vec<Escalation>, Vec<String>) {
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
