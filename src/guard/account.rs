//! What one decision went through, for whoever must explain it (`policy explain`, and
//! `trace` with a policy): the facts as read and after the daemon lookups, every TOML rule
//! tried, and the Rego policy's word.
//!
//! The relay and `policy explain` decide through the same [`crate::guard::Guard::judge`];
//! only the explainer passes an [`Account`] to be filled, so the relay pays nothing for it
//! and the explanation cannot drift from what the relay does.

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;

use crate::docker::facts::Facts;
use crate::guard::policy::{Denial, Step};

/// The body of a request to decide on.
pub enum Body<'a> {
    /// On the wire (the relay): read whole only when the decision needs it, up to the
    /// guard's limit.
    Wire(&'a mut Option<Incoming>),
    /// In hand (`policy explain --body`): held to the same need and the same limit.
    Given(Option<Bytes>),
}

/// What one decision went through.
#[derive(Debug, Default)]
pub struct Account {
    /// The request was read (the refusals before the policy did not happen).
    pub read: bool,
    /// The request's own facts, before the daemon lookups added to them.
    pub facts_read: Option<Arc<Facts>>,
    /// The facts the policy decided on, after the lookups.
    pub facts: Option<Arc<Facts>>,
    /// The request target forwarded instead of the client's, pinned to what was resolved.
    pub pinned: Option<http::Uri>,
    /// The TOML policy's rules, in the order tried, up to the one that decided.
    pub steps: Vec<Step>,
    /// Whether the TOML policy was asked (a guard with only a Rego policy has none).
    pub toml: bool,
    /// The Rego policy's word, when it was asked: its rule's name, or its denial.
    pub rego: Option<Result<String, Denial>>,
}

/// Most lines of a decision's trace kept for the inspector: a policy of hundreds of rules
/// tried in order must not make every call it decides that large.
pub const TRACE_LINES: usize = 64;

impl Account {
    /// The Rego policy's line of `policy explain`, when the guard has one (`rego` is its name).
    pub fn rego_line(&self, rego: Option<&str>) -> Option<String> {
        let name = rego?;
        Some(match &self.rego {
            Some(Ok(rule)) => format!("rego {name}: allowed by rule {rule}"),
            Some(Err(denial)) => format!("rego {name}: {denial}"),
            None => format!("rego {name}: not asked (the rules above denied first)"),
        })
    }

    /// What the decision went through, one line each as `policy explain` prints them (the
    /// rules tried, then the Rego policy's word), at most [`TRACE_LINES`].
    pub fn trace(&self, rego: Option<&str>) -> Vec<String> {
        let mut lines: Vec<String> = self.steps.iter().map(ToString::to_string).collect();
        lines.extend(self.rego_line(rego));
        if lines.len() > TRACE_LINES {
            let more = lines.len() - (TRACE_LINES - 1);
            lines.truncate(TRACE_LINES - 1);
            lines.push(format!("… {more} more"));
        }
        lines
    }
}
