//! Who may do what on the socket: a policy of ordered rules, decided on the request exactly
//! as dockerd will act on it.
//!
//! Pure: the caller reads the policy file and hands over its text ([`Policy::from_toml`]),
//! the environment ([`Policy::from_tecnativa_env`]) or a profile name ([`Policy::profile`]),
//! and asks [`Policy::decide`] about each request it has classified
//! ([`crate::docker::endpoint::classify`]) and, for requests whose body or query matters, reduced to
//! [`Facts`]. The format and its semantics are documented in `docs/policy.md`.
//!
//! Evaluation is first match: the policy's rules in file order, then the base profile's
//! rules, then `default`. The relay may forward only with a [`Permit`], and only `decide`
//! makes one, so a code path that forgets to ask cannot compile into a forward.
//!
//! A Rego policy written for opa-docker-authz (`guard::rego`) decides through `guard::rego::decide_rego`,
//! which mints permits the same way.

mod cond;
mod parse;
mod profile;
mod tecnativa;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::caller::Caller;
use crate::docker::endpoint::Classified;
use crate::docker::facts::{Escalation, Facts};
use crate::docker::gojson::Form;
use crate::docker::shape::Redact;

use cond::Mismatch;
pub use cond::{BodyCond, Cidr, ClientMatch, Glob, RequestMatch, Scalar, FACT_OPERATIONS};
pub use profile::{ProfileParams, PROFILES};
pub use tecnativa::{Exposure, Flavor};

/// Allow or deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a rule came from, for `explain` and for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The policy file (or the Tecnativa environment), by position.
    Policy,
    /// A built-in profile, by name.
    Profile(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Policy => f.write_str("policy"),
            Origin::Profile(name) => write!(f, "profile {name}"),
        }
    }
}

/// One rule: it matches when every condition it states holds (an unstated one always holds).
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub action: Action,
    pub reason: String,
    pub origin: Origin,
    pub client: ClientMatch,
    pub request: RequestMatch,
    /// Conditions on request facts, by fact name (or `escalations`).
    pub body: BTreeMap<String, BodyCond>,
    /// What an allow rule hides of the daemon's answer; `None`: the policy's `redact`.
    pub redact: Option<Redact>,
}

/// Everything a decision may look at, borrowed from the relay's view of one request.
#[derive(Clone, Copy, Debug)]
pub struct RequestFacts<'a> {
    pub caller: &'a Caller,
    /// As sent; dockerd compares methods case-sensitively.
    pub method: &'a str,
    pub endpoint: &'a Classified,
    /// The query as dockerd reads it (with a form body merged in, if any).
    pub query: &'a Form,
    /// `None` when the relay did not read the body. Rules with body conditions then fail
    /// closed on operations that have facts (see [`FACT_OPERATIONS`]).
    pub facts: Option<&'a Facts>,
}

/// The rule name of an open guard's permits; no policy rule can be named so (names are
/// words, not in parentheses).
const OPEN_RULE: &str = "(open)";

/// Proof that the guard allowed one request. Deliberately neither `Clone` nor
/// constructible outside the guard: the daemon side takes a request only as a
/// [`crate::guard::Permitted`], which carries one, so a permit cannot be minted or reused for
/// another request by accident, and forgetting the guard does not compile.
///
/// ```compile_fail,E0451
/// let forged = sockeye::guard::policy::Permit { rule: String::new() };
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Permit {
    /// Borrowed for the fixed names (the open guard's, `default`): a permit on every request
    /// of a relay without a policy costs no allocation.
    rule: Cow<'static, str>,
    /// In [`Mode::Audit`], the denial this permit overrules.
    overruled: Option<Denial>,
    /// What the relay must hide of the daemon's answer (the decision said so, so it travels
    /// with the permit to the daemon side and back).
    redact: Redact,
}

impl Permit {
    /// The permit of an open guard (no policy at all): every request is relayed, and no
    /// verdict is recorded.
    pub(in crate::guard) fn open() -> Permit {
        Permit {
            rule: Cow::Borrowed(OPEN_RULE),
            overruled: None,
            redact: Redact::NONE,
        }
    }

    /// Whether this permit comes from an open guard rather than a decision.
    pub fn is_open(&self) -> bool {
        self.rule == OPEN_RULE && self.overruled.is_none()
    }

    /// The permit of a guard with no TOML policy, only a Rego one, which then decides alone.
    pub(in crate::guard) fn unconditional() -> Permit {
        Permit::by("none".to_owned())
    }

    /// Allowed by `rule` (of a TOML policy or a Rego one): only the guard decides.
    pub(in crate::guard) fn by(rule: String) -> Permit {
        Permit {
            rule: rule.into(),
            overruled: None,
            redact: Redact::NONE,
        }
    }

    /// The same permit, hiding `redact` of the answer (the TOML policy's shaping kept when a
    /// Rego policy also allowed; a policy's own when audit mode overruled its denial).
    pub(in crate::guard) fn with_redact(self, redact: Redact) -> Permit {
        Permit { redact, ..self }
    }

    /// What the relay must hide of the daemon's answer.
    pub fn redact(&self) -> Redact {
        self.redact
    }

    /// The rule that allowed the request.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// What enforcement would have answered: `Some` only for a request that audit mode let
    /// through although a rule denies it.
    pub fn overruled(&self) -> Option<&Denial> {
        self.overruled.as_ref()
    }
}

/// Whether denials are carried out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Denied requests are answered 403 and never reach the daemon.
    #[default]
    Enforce,
    /// Every request is forwarded; denials are only reported (for rolling a policy out).
    Audit,
}

impl Mode {
    /// Apply the mode to a decision. The one place a denial can turn into a permit, and it
    /// keeps the denial inside the permit so nobody loses sight of it.
    pub fn apply(self, decision: Decision) -> Decision {
        match (self, decision) {
            (Mode::Audit, Decision::Deny(denial)) => Decision::Allow(Permit {
                rule: denial.rule.clone().into(),
                overruled: Some(denial),
                // The guard adds the policy's own shaping (`Policy::redact`).
                redact: Redact::NONE,
            }),
            (_, decision) => decision,
        }
    }
}

/// Why a request was refused, in the words the client will see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub rule: String,
    pub reason: String,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "denied by rule {}: {}", self.rule, self.reason)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Allow(Permit),
    Deny(Denial),
}

impl Decision {
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The deciding rule's name.
    pub fn rule(&self) -> &str {
        match self {
            Decision::Allow(p) => p.rule(),
            Decision::Deny(d) => &d.rule,
        }
    }
}

/// A policy problem, located by key path (`rules[3].request.method`); the caller prefixes
/// the file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
        PolicyError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PolicyError {}

/// A loaded policy: ordered rules (the file's, then its base profile's) and a default.
#[derive(Clone, Debug)]
pub struct Policy {
    rules: Vec<Rule>,
    default: Action,
    /// What every allowed answer hides unless its rule says otherwise.
    redact: Redact,
}

/// One rule considered by [`Policy::explain`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub rule: String,
    pub origin: String,
    pub action: Action,
    /// `None` when the rule matched; otherwise the first condition that did not hold.
    pub mismatch: Option<String>,
}

/// The rules considered for one request, in order, and the outcome.
#[derive(Debug)]
pub struct Explanation {
    pub steps: Vec<Step>,
    pub decision: Decision,
}

/// `rule (origin, action): matched`, or `…: no, <the condition that failed>`.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mismatch {
            None => write!(
                f,
                "{} ({}, {}): matched",
                self.rule, self.origin, self.action
            ),
            Some(why) => write!(
                f,
                "{} ({}, {}): no, {}",
                self.rule, self.origin, self.action, why
            ),
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.steps {
            writeln!(f, "  {s}")?;
        }
        match &self.decision {
            Decision::Allow(p) if !p.redact().is_empty() => write!(
                f,
                "allowed by rule {}; the answer is shown with {} redacted",
                p.rule(),
                p.redact()
            ),
            Decision::Allow(p) => write!(f, "allowed by rule {}", p.rule()),
            Decision::Deny(d) => write!(f, "{d}"),
        }
    }
}

/// The name the decision carries when no rule matched.
pub const DEFAULT_RULE: &str = "default";

impl Policy {
    /// Parse a policy file's text. Every problem is reported, each with its key path.
    pub fn from_toml(text: &str) -> Result<Policy, Vec<PolicyError>> {
        parse::policy(text)
    }

    /// A built-in profile used alone (`--profile NAME`).
    pub fn profile(name: &str, params: &ProfileParams) -> Result<Policy, Vec<PolicyError>> {
        profile::check_params(name, params).map_err(|e| vec![PolicyError::new("", e)])?;
        let rules = profile::rules(name, params).unwrap_or_default();
        Ok(Policy {
            rules,
            default: Action::Deny,
            redact: Redact::NONE,
        })
    }

    /// The environment of Tecnativa's docker-socket-proxy, with its defaults, as a policy.
    /// Variables it does not read are ignored (the process environment holds many).
    pub fn from_tecnativa_env(
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<Policy, Vec<PolicyError>> {
        tecnativa::policy(vars).map(|(policy, _)| policy)
    }

    /// The same, for `sockeye drop-in`: with which image's meaning the variables were read
    /// (`SOCKEYE_COMPAT`, see [`Flavor`]) and what they open.
    pub fn from_socket_proxy_env(
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<(Policy, Exposure), Vec<PolicyError>> {
        tecnativa::policy(vars)
    }

    pub(crate) fn from_parts(rules: Vec<Rule>, default: Action) -> Policy {
        Policy {
            rules,
            default,
            redact: Redact::NONE,
        }
    }

    /// The same policy, hiding `redact` of every allowed answer whose rule does not say
    /// otherwise (the file's top-level `redact`).
    pub fn with_redact(self, redact: Redact) -> Policy {
        Policy { redact, ..self }
    }

    /// What an allowed answer hides when its rule does not say.
    pub fn redact(&self) -> Redact {
        self.redact
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn default_action(&self) -> Action {
        self.default
    }

    pub fn decide(&self, req: &RequestFacts) -> Decision {
        self.evaluate(req, None)
    }

    pub fn explain(&self, req: &RequestFacts) -> Explanation {
        let mut steps = Vec::new();
        let decision = self.evaluate(req, Some(&mut steps));
        Explanation { steps, decision }
    }

    fn evaluate(&self, req: &RequestFacts, mut steps: Option<&mut Vec<Step>>) -> Decision {
        let ctx = cond::Ctx::new(req, steps.is_some());
        for rule in &self.rules {
            let outcome = cond::rule_matches(rule, &ctx);
            if let Some(steps) = steps.as_deref_mut() {
                steps.push(Step {
                    rule: rule.name.clone(),
                    origin: rule.origin.to_string(),
                    action: rule.action,
                    mismatch: outcome
                        .as_ref()
                        .err()
                        .cloned()
                        .and_then(Mismatch::into_reason),
                });
            }
            let Ok(detail) = outcome else { continue };
            return match rule.action {
                Action::Allow => Decision::Allow(Permit {
                    rule: rule.name.clone().into(),
                    overruled: None,
                    redact: rule.redact.unwrap_or(self.redact),
                }),
                Action::Deny => Decision::Deny(Denial {
                    rule: rule.name.clone(),
                    reason: match detail {
                        Some(detail) => format!("{} ({detail})", rule.reason),
                        None => rule.reason.clone(),
                    },
                }),
            };
        }
        match self.default {
            Action::Allow => Decision::Allow(Permit {
                rule: Cow::Borrowed(DEFAULT_RULE),
                overruled: None,
                redact: self.redact,
            }),
            Action::Deny => Decision::Deny(Denial {
                rule: DEFAULT_RULE.to_owned(),
                reason: match self.closest(req) {
                    Some((rule, why)) => format!(
                        "no rule allows {} (closest: rule {rule}, which failed on {why})",
                        req.endpoint.name()
                    ),
                    None => format!("no rule allows {}", req.endpoint.name()),
                },
            }),
        }
    }

    /// The allow rule that came nearest to allowing a request no rule allowed: the first rule
    /// for this call and this caller of which only a body condition failed. Its name and that
    /// condition, for the denial: "no rule allows ContainerCreate" is a riddle when the
    /// caller's ContainerCreate rule is right there. Rules for other callers are never
    /// named: the denial goes to the caller, and who else may do what is none of its business.
    /// Worded only for a denial, which is rare.
    fn closest(&self, req: &RequestFacts) -> Option<(&str, String)> {
        // Body conditions apply only to operations with facts; on any other, every rule with
        // one fails on it, and naming one says nothing.
        if !req
            .endpoint
            .operation()
            .is_some_and(|op| FACT_OPERATIONS.contains(&op))
        {
            return None;
        }
        let ctx = cond::Ctx::new(req, true);
        self.rules
            .iter()
            .filter(|r| r.action == Action::Allow)
            .find_map(|rule| match cond::near_miss(rule, &ctx) {
                Some((true, why)) => Some((rule.name.as_str(), why)),
                _ => None,
            })
    }
}

/// Escalations as a denial detail: `privileged; host path / outside the allowlist`.
struct EscalationList<'a>(&'a [Escalation]);

impl fmt::Display for EscalationList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, escalation) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{escalation}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
