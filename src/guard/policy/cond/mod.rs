//! Rule conditions and how each is tested against one request.
//!
//! A condition that does not apply to the caller (a `uid` for a TCP client, a
//! `container_name` for a client outside any container) does not hold: a rule says who it
//! is for, and a caller it cannot identify is not them.
//!
//! Here: one rule tested against one request, and the wording of the first condition that
//! failed. The conditions themselves: `client` (who calls), `request` (what dockerd routes),
//! `body` (the request's facts), over the `glob` patterns they share.

mod body;
mod client;
mod glob;
mod request;

use std::cell::OnceCell;
use std::fmt;

use serde_json::{Map, Value};

use super::{RequestFacts, Rule};
use crate::docker::facts::Facts;

pub(crate) use body::{fact_kind, FactKind};
pub use body::{BodyCond, Scalar, FACT_OPERATIONS};
pub use client::{Cidr, ClientMatch};
pub use glob::Glob;
pub use request::RequestMatch;

/// One request, as every rule of one evaluation tests it.
pub(super) struct Ctx<'a, 'r> {
    req: &'a RequestFacts<'r>,
    /// Whether mismatches are worded: only `explain` reads them, and wording every rule a
    /// request passes over was most of what a decision cost.
    explain: bool,
    /// The facts by name, serialized by the first condition that looks one up.
    values: OnceCell<Map<String, Value>>,
}

/// The first condition of a rule that did not hold, worded only when explaining.
#[derive(Clone)]
pub(super) struct Mismatch(Option<String>);

impl Mismatch {
    /// The wording; `None` unless the evaluation was explaining.
    pub fn into_reason(self) -> Option<String> {
        self.0
    }
}

type Outcome<T> = Result<T, Mismatch>;

impl<'a, 'r> Ctx<'a, 'r> {
    pub fn new(req: &'a RequestFacts<'r>, explain: bool) -> Self {
        Ctx {
            req,
            explain,
            values: OnceCell::new(),
        }
    }

    /// A failed condition. The arguments are formatted only when explaining, so a
    /// decision allocates nothing for the rules it passes over.
    fn miss<T>(&self, why: fmt::Arguments<'_>) -> Outcome<T> {
        Err(Mismatch(self.explain.then(|| fmt::format(why))))
    }

    fn values(&self, facts: &Facts) -> &Map<String, Value> {
        // A struct of plain data serializes to an object (a test holds it to that).
        self.values.get_or_init(|| match facts.to_value() {
            Value::Object(map) => map,
            _ => Map::new(),
        })
    }
}

/// `Ok(detail)` when the rule matches (with what to add to a denial's reason), otherwise
/// the first condition that failed.
pub(super) fn rule_matches(rule: &Rule, ctx: &Ctx) -> Outcome<Option<String>> {
    client::client(&rule.client, ctx)?;
    request::request(&rule.request, ctx)?;
    body::body(rule, ctx)
}

/// How near a rule that did not match came: `Some` when its request conditions hold (it is a
/// rule about this call), with whether its client conditions held too, and the first
/// condition that failed (of the client's, else of the body's). `ctx` must be explaining, or there is no wording to give.
pub(super) fn near_miss(rule: &Rule, ctx: &Ctx) -> Option<(bool, String)> {
    request::request(&rule.request, ctx).ok()?;
    let why = |m: Mismatch| m.into_reason().unwrap_or_default();
    match client::client(&rule.client, ctx) {
        Err(m) => Some((false, why(m))),
        Ok(()) => body::body(rule, ctx).err().map(|m| (true, why(m))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_serialize_to_an_object_so_each_fact_can_be_looked_up() {
        assert!(Facts::default().to_value().is_object());
    }
}
