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
