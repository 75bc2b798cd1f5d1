//! A policy learned from an audit log: each client may do what it did while it was
//! recorded, and nothing else (`sockeye policy learn`, docs/policy.md).
//!
//! Pure: records come in one at a time ([`Learner::add`]), so a log of any size can be
//! learned from; only counters, sets of endpoints and the facts seen are kept. The text that
//! comes out is a policy file, commented so that a person can review it: every rule says
//! which calls it stands for, when they happened and what they looked like.
//!
//! What is learned, per client ([`Client`]: container name, else executable and uid, else
//! process name and uid; TCP clients by address):
//! - the endpoints it called, with their methods: one rule;
//! - the objects it named, split into their own rule, only where that is stable: the
//!   client only ever named a few objects by name (never by ID, which changes when the
//!   object is recreated), or names that share a prefix (`web-*`);
//! - for each operation with a body ([`FACT_OPERATIONS`]), one rule with body conditions
//!   built from what was seen: no escalation, never privileged, these host paths only, these
//!   images only, … so that a privileged `docker run` stays denied.
//!
//! What is not learned: calls that were denied or refused (enforcement turned them away: the
//! client does not need them), requests dockerd routes nowhere, bodies recorded without a
//! policy (sockeye did not read them, so nothing is known about them), and, unless asked
//! for, calls that could give root on the host. Host paths are learned as an allowlist of
//! the paths seen, except those that are root on the host by themselves (`/`, `/etc`, the
//! Docker socket, …).
//!
//! Where each part lives:
//! - `replay.rs`: a record read back into the request the policy decides on ([`Replay`]), and
//!   whether it is learned ([`learnable`]);
//! - `aggregate.rs`: what each client did, folded in record by record ([`Learner`]);
//! - `write.rs`: the policy file, its header and each client's rules ([`Learner::finish`]);
//! - `client.rs`: how a client is named, matched and described in the file;
//! - `body.rs`: the body conditions learned per operation.
//!
//! [`Client`]: crate::remember::audit::query::Client
//! [`FACT_OPERATIONS`]: crate::guard::policy::FACT_OPERATIONS

mod aggregate;
mod body;
mod client;
mod replay;
mod write;

pub use aggregate::Learner;
pub use replay::{learnable, replay, Replay};
pub use write::Learned;

use crate::remember::audit::query::CallerSpec;

/// What to learn.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only the records of this caller.
    pub client: Option<CallerSpec>,
    /// Endpoints (and body facts) only: never restrict which objects a client may name.
    pub endpoints_only: bool,
    /// Also learn calls that could give root on the host (privileged, host namespaces,
    /// dangerous capabilities, sensitive host paths, …). Off by default: a recording that
    /// contains one is more likely an accident, or an attack, than a need.
    pub allow_escalations: bool,
}

/// Why a record was not learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// Not the client asked for (`--client`).
    OtherClient,
    /// `deny` or `refused`: the client was turned away and did not need it.
    Denied,
    /// A path dockerd routes nowhere: no endpoint to allow.
    Unrouted,
    /// The caller could not be identified: a rule for it would match everyone.
    Unidentified,
    /// An operation with a body, recorded without a policy: sockeye did not read the body,
    /// so nothing is known of what it asked for.
    BodyUnknown,
    /// It could give root on the host, and `--allow-escalations` was not given.
    Escalation,
}

impl Skip {
    /// A few words, for a count on stderr.
    pub fn short(self) -> &'static str {
        match self {
            Skip::OtherClient => "other clients",
            Skip::Denied => "denied or refused",
            Skip::Unrouted => "unrouted",
            Skip::Unidentified => "unidentified caller",
            Skip::BodyUnknown => "body not read",
            Skip::Escalation => "escalation",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Skip::OtherClient => "of other clients",
            Skip::Denied => "denied or refused when recorded",
            Skip::Unrouted => "to paths dockerd routes nowhere",
            Skip::Unidentified => "from callers that could not be identified",
            Skip::BodyUnknown => "with a body recorded without a policy (body not read)",
            Skip::Escalation => "that could give root on the host",
        }
    }
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(test)]
mod tests;
