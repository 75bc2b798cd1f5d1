//! `sockeye trace` with a policy (`--profile`, `--policy`, `--policy-rego`) and with
//! `--learn`: the trace's private relay decides every call as `proxy --mode audit` would, so
//! the traced command runs as it would without a policy while each call it made is marked
//! with what the policy would have answered; and the trace's own records, read as `policy
//! learn` reads an audit log, give the smallest policy under which the command works.
//!
//! Kept apart from `trace.rs`, which only builds the relay and calls in here.

use std::sync::Arc;

use crate::cmd::args::PolicyArgs;
use crate::config::UpstreamAddr;
use crate::event::{Call, Decision as Verdict};
use crate::guard::error::Fault;
use crate::guard::policy::{Decision, Mode, Policy, ProfileParams};
use crate::guard::state::DaemonState;
use crate::guard::Guard;
use crate::relay::identity::Resolver;
use crate::relay::lookup::LookupClient;
use crate::remember::audit::Record;
use crate::remember::learn::{self, Learner, Options};

/// What a trace decides with, and what it says about it at the end.
pub struct Watch {
    /// `None`: no policy, no learning; the relay is open, as a plain trace's.
    guard: Option<Arc<Guard>>,
    /// A policy was given (not only the learning's `full` profile).
    judged: bool,
    learn: bool,
}

impl Watch {
    /// Read the policy asked for as `proxy` reads it. `--learn` alone decides with the
    /// built-in `full` profile, which allows everything but reads every body: a call is
    /// learned only with the facts its body gave.
    pub fn new(source: &PolicyArgs, learn: bool) -> Result<Watch, String> {
        let loaded = source.load_digested()?;
        let judged = loaded.policy.is_some() || loaded.rego.is_some();
        let policy = match (loaded.policy, learn) {
            (None, true) if loaded.rego.is_none() => Some(
                Policy::profile("full", &ProfileParams::default())
                    .map_err(|_| "the built-in profile full does not load (a bug in sockeye)")?,
            ),
            (policy, _) => policy,
        };
        let guard = (policy.is_some() || loaded.rego.is_some()).then(|| {
            Arc::new(Guard::new(
                policy,
                loaded.rego,
                // Denials are reported, never carried out: the traced command runs as it
                // would without the policy.
                Mode::Audit,
                crate::config::Limits::default().max_inspected_body,
            ))
        });
        Ok(Watch {
            guard,
            judged,
            learn,
        })
    }

    /// The guard of the trace's relay, asking `upstream` about the objects requests name as
    /// `proxy` does; an open one without a policy.
    pub fn guard(&self, upstream: &UpstreamAddr) -> Arc<Guard> {
        match &self.guard {
            Some(guard) => {
                let client = LookupClient::new(upstream.clone(), None);
                guard.connect_state(Arc::new(DaemonState::new(Box::new(client))));
                guard.clone()
            }
            None => Arc::new(Guard::open()),
        }
    }

    /// Who runs in which container, for a policy's `client.container_*` (as `proxy` finds it).
    pub fn resolver(&self, upstream: &UpstreamAddr) -> Option<Resolver> {
        self.guard
            .as_ref()
            .map(|_| Resolver::new(upstream.clone(), None))
    }

    /// What to print after the summary: the calls the policy would have denied or refused,
    /// and the learned policy (or why none can be given).
    pub fn report(&self, calls: &[Box<Call>]) -> String {
        let mut out = String::new();
        if self.judged {
            out.push_str(&would_deny(calls));
        }
        if self.learn {
            match learned(calls) {
                Ok(text) => out.push_str(&text),
                Err(e) => out.push_str(&format!("sockeye: {e}\n")),
            }
        }
        out
    }
}

/// The calls the policy would deny (or that the relay would refuse before deciding), one
/// line each with the rule and the reason.
fn would_deny(calls: &[Box<Call>]) -> String {
    let mut lines = Vec::new();
    for c in calls {
        let d = crate::see::describe::describe(&c.head, &c.request_body);
        match &c.verdict {
            Some(v) if v.decision != Verdict::Allow => lines.push(format!(
                "  {}  [{}]  denied by rule {}: {}",
                d.action,
                d.endpoint,
                v.rule,
                v.reason.as_deref().unwrap_or("")
            )),
            // Refused before the policy: a request sockeye will not read as dockerd will,
            // or one the daemon could not say enough about. (A 404 from a lookup is the
            // daemon's own answer, and no refusal.)
            None if matches!(c.fault, Some(Fault::Unreadable | Fault::LookupFailed)) => {
                lines.push(format!(
                    "  {}  [{}]  refused: {}",
                    d.action,
                    d.endpoint,
                    c.error.as_deref().unwrap_or("")
                ))
            }
            _ => {}
        }
    }
    if lines.is_empty() {
        return "policy: every call would be allowed\n".into();
    }
    format!(
        "policy: {} of {} call(s) would be denied:\n{}\n",
        lines.len(),
        calls.len(),
        lines.join("\n")
    )
}

/// The smallest policy under which the traced command works: `policy learn` on the trace's
/// own records (each call as the audit log would record it), checked as `policy learn`
/// checks it (every learned call allowed again).
fn learned(calls: &[Box<Call>]) -> Result<String, String> {
    let records: Vec<Record> = calls
        .iter()
        .filter_map(|c| {
            Record::with_call(c, |r| serde_json::to_value(r).ok())
                .and_then(|v| serde_json::from_value(v).ok())
        })
        .collect();
    let opts = Options::default();
    let mut learner = Learner::new(opts.clone());
    for r in &records {
        learner.add(r);
    }
    let learned = learner.finish(&["this trace".to_owned()]);
    if learned.learned == 0 {
        return Err(format!(
            "--learn: nothing to learn from {} call(s): a policy that denies everything",
            records.len()
        ));
    }
    let policy = Policy::from_toml(&learned.text).map_err(|errs| {
        let errs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        format!(
            "the learned policy does not parse (a bug in sockeye): {}",
            errs.join("; ")
        )
    })?;
    let denied: Vec<String> = records
        .iter()
        .filter(|r| learn::learnable(r, &opts).is_ok())
        .filter_map(|r| match learn::replay(&policy, r) {
            Some(Decision::Deny(d)) => Some(format!("{} {}: {d}", r.method, r.path)),
            _ => None,
        })
        .collect();
    if !denied.is_empty() {
        return Err(format!(
            "{} learned call(s) would be denied by the learned policy (a bug in sockeye), \
             e.g. {}",
            denied.len(),
            denied[0]
        ));
    }
    Ok(format!(
        "# ── the smallest policy under which this command works ({} rule(s) from {} of {} \
         call(s); save it and run `sockeye proxy --policy FILE`) ──\n{}",
        learned.rules, learned.learned, learned.records, learned.text
    ))
}
