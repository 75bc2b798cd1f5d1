//! Which records to keep: by caller, endpoint, decision, host and time.

use super::caller_spec::CallerSpec;
use crate::guard::policy::Glob;
use crate::remember::audit::record::Record;

/// A decision to look for. `denied` is any of `deny`, `would_deny` and `refused`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionFilter {
    Allow,
    Deny,
    WouldDeny,
    Refused,
    /// Recorded without a policy (`"decision": null`).
    None,
    Denied,
}

impl DecisionFilter {
    pub fn parse(s: &str) -> Result<DecisionFilter, String> {
        Ok(match s {
            "allow" => DecisionFilter::Allow,
            "deny" => DecisionFilter::Deny,
            "would_deny" | "would-deny" => DecisionFilter::WouldDeny,
            "refused" => DecisionFilter::Refused,
            "none" | "null" => DecisionFilter::None,
            "denied" => DecisionFilter::Denied,
            other => {
                return Err(format!(
                    "unknown decision {other:?}; use allow, deny, would_deny, refused, none \
                     or denied"
                ))
            }
        })
    }

    pub fn matches(self, decision: Option<&str>) -> bool {
        match self {
            DecisionFilter::Allow => decision == Some("allow"),
            DecisionFilter::Deny => decision == Some("deny"),
            DecisionFilter::WouldDeny => decision == Some("would_deny"),
            DecisionFilter::Refused => decision == Some("refused"),
            DecisionFilter::None => decision.is_none(),
            DecisionFilter::Denied => is_denial(decision),
        }
    }
}

/// Whether the client was (or, in audit mode, would have been) turned away.
pub fn is_denial(decision: Option<&str>) -> bool {
    matches!(decision, Some("deny" | "would_deny" | "refused"))
}

/// Which records to keep. Each list holds when any entry matches (an empty list always
/// holds); every stated condition must hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub callers: Vec<CallerSpec>,
    /// Globs on the endpoint name (`Container*`, `SystemPing*`).
    pub endpoints: Vec<Glob>,
    pub decisions: Vec<DecisionFilter>,
    /// Globs on the host the record names (`-` for records that name none).
    pub hosts: Vec<Glob>,
    /// Seconds since the epoch, inclusive.
    pub since: Option<f64>,
    pub until: Option<f64>,
}

impl Filter {
    pub fn matches(&self, r: &Record) -> bool {
        (self.callers.is_empty() || self.callers.iter().any(|c| c.matches(&r.caller)))
            && (self.endpoints.is_empty() || self.endpoints.iter().any(|g| g.matches(&r.endpoint)))
            && (self.decisions.is_empty()
                || self
                    .decisions
                    .iter()
                    .any(|d| d.matches(r.decision.as_deref())))
            && (self.hosts.is_empty() || self.hosts.iter().any(|g| g.matches(r.host())))
            && self
                .since
                .is_none_or(|t| millis(r.time_unix) >= t_millis(t))
            && self
                .until
                .is_none_or(|t| millis(r.time_unix) <= t_millis(t))
    }
}

/// A record's time as its `time` field shows it, to the millisecond: a time copied from the
/// output into `--until` then includes that record.
fn millis(time_unix: f64) -> i64 {
    (time_unix * 1000.0).floor() as i64
}

/// A bound, rounded: `23:25:49.796` parsed as a float is a hair off either way.
fn t_millis(t: f64) -> i64 {
    (t * 1000.0).round() as i64
}
