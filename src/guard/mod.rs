//! The policy step of one exchange: read the request exactly as dockerd will, decide on
//! that reading, and hand back what may be forwarded.
//!
//! The reading is narrowed until only one is left (see `gojson`): a path dockerd would
//! redirect or reject, a query Go would refuse, a body that two JSON readers could read
//! differently, or one larger than sockeye will hold, is refused here and never forwarded.
//! A body that is read is forwarded re-serialized from what the policy saw, with its own
//! `Content-Length`: dockerd then decodes exactly what was decided on, whatever framing,
//! spelling or duplicate keys the client used.

pub mod account;
mod buildkit;
pub mod current;
pub mod error;
pub mod isolate;
pub mod pin;
pub mod policy;
mod read;
pub mod rego;
pub mod state;

pub use account::{Account, Body};
pub use read::{broken_body, needs_body, read, read_whole, reads_json_body, set_body, Reading};

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use serde_json::Value;

use crate::caller::Caller;
use crate::docker::endpoint::Classified;
use crate::docker::facts::Facts;
use crate::guard::error::ProxyError;
use crate::guard::isolate::Isolation;
use crate::guard::policy::{Decision, Mode, Permit, Policy, RequestFacts};
use crate::guard::rego::RegoPolicy;
use crate::guard::state::{DaemonState, Unresolved};

/// A policy and how to apply it, shared by every connection. Without a policy it is
/// [`Guard::open`]: it clears every request unread, but a request still goes to the daemon
/// only as a [`Permitted`] the guard made.
#[derive(Debug)]
pub struct Guard {
    /// No policy at all: clear everything, read nothing.
    open: bool,
    /// The TOML policy (file, profile or Tecnativa environment).
    pub policy: Option<Policy>,
    /// A Rego policy; with both, a request needs both to allow it.
    pub rego: Option<RegoPolicy>,
    pub mode: Mode,
    /// Largest body read whole to decide on it.
    pub body_limit: usize,
    /// Where decisions learn what the objects a request names are (`None`: a request that
    /// names one is refused, since it cannot be decided without).
    state: std::sync::OnceLock<Arc<DaemonState>>,
    /// `--isolate`: each client sees and touches only what it created.
    pub isolation: Option<Isolation>,
}

/// A request the guard let through: its permit, and what it read. Only the guard makes one,
/// and only [`Cleared::forward`] turns it into something the daemon can be sent.
#[derive(Debug)]
pub struct Cleared {
    permit: Permit,
    /// The body to forward instead of the client's, when the guard read it.
    pub body: Option<Bytes>,
    /// What the decision looked at, for the record.
    pub facts: Option<Arc<Facts>>,
    /// The request target to forward instead of the client's: the path pinned to the full ID
    /// of the object the decision resolved, so a rename or re-create in between cannot
    /// redirect the request to another object.
    pub pinned: Option<http::Uri>,
}

impl Cleared {
    /// The decision that cleared the request.
    pub fn permit(&self) -> &Permit {
        &self.permit
    }

    /// The request to send in place of the one checked (its body replaced by
    /// [`Cleared::body`] when the guard read it), with this permit: the only way to
    /// [`Upstream::send`](crate::relay::upstream::Upstream::send) anything.
    pub fn forward<T>(self, request: T) -> Permitted<T> {
        Permitted {
            request,
            permit: self.permit,
        }
    }
}

/// A request the guard cleared, with the permit that cleared it: what the daemon side
/// takes, so that forgetting the guard does not compile.
///
/// A request nobody checked cannot be sent:
///
/// ```compile_fail,E0308
/// # use sockeye::relay::{body::RelayBody, upstream::Upstream};
/// async fn unchecked(up: &mut Upstream, req: http::Request<RelayBody>) {
///     let _ = up.send(req).await;
/// }
/// ```
///
/// and a permit cannot be made up outside the guard:
///
/// ```compile_fail,E0451
/// # use sockeye::relay::body::RelayBody;
/// fn forged(request: http::Request<RelayBody>, permit: sockeye::guard::policy::Permit) {
///     let _ = sockeye::guard::Permitted { request, permit };
/// }
/// ```
#[derive(Debug)]
pub struct Permitted<T> {
    request: T,
    permit: Permit,
}

impl<T> Permitted<T> {
    pub fn permit(&self) -> &Permit {
        &self.permit
    }

    /// The request itself, for the daemon connection to write.
    pub fn into_request(self) -> T {
        self.request
    }
}

/// A request the guard refused.
#[derive(Debug)]
pub struct Refused {
    pub error: ProxyError,
    pub facts: Option<Arc<Facts>>,
    /// The body as read, when the refusal came after reading it (for the record).
    pub body: Option<Bytes>,
}

impl Guard {
    pub fn new(
        policy: Option<Policy>,
        rego: Option<RegoPolicy>,
        mode: Mode,
        body_limit: usize,
    ) -> Guard {
        Guard {
            open: false,
            policy,
            rego,
            mode,
            body_limit,
            state: std::sync::OnceLock::new(),
            isolation: None,
        }
    }

    /// The same guard, isolating clients from each other's objects.
    pub fn isolating(mut self, isolation: Isolation) -> Guard {
        self.isolation = Some(isolation);
        self
    }

    /// Ask `state` about the objects requests name (once, when the relay starts; later
    /// calls change nothing).
    pub fn connect_state(&self, state: Arc<DaemonState>) {
        let _ = self.state.set(state);
    }

    /// The guard of a relay with no policy: every request is cleared as it is.
    pub fn open() -> Guard {
        Guard {
            open: true,
            policy: None,
            rego: None,
            mode: Mode::Enforce,
            body_limit: 0,
            state: std::sync::OnceLock::new(),
            isolation: None,
        }
    }

    /// The revision of the policy bundle this guard decides with (`--policy-rego-bundle`).
    pub fn revision(&self) -> Option<&Arc<str>> {
        self.rego.as_ref().and_then(RegoPolicy::revision)
    }

    /// Whether this guard clears everything without reading it.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The decision before the mode applies: the TOML policy's, then the Rego policy's.
    pub fn decide(
        &self,
        req: &RequestFacts,
        parts: &http::request::Parts,
        json: Option<&Value>,
    ) -> Decision {
        self.decide_accounted(req, parts, json, None)
    }

    /// [`Guard::decide`], telling `account` (when given) each rule tried and the Rego
    /// policy's word.
    fn decide_accounted(
        &self,
        req: &RequestFacts,
        parts: &http::request::Parts,
        json: Option<&Value>,
        mut account: Option<&mut Account>,
    ) -> Decision {
        let first = match (&self.policy, account.as_deref_mut()) {
            (Some(p), Some(account)) => {
                let explained = p.explain(req);
                account.toml = true;
                account.steps = explained.steps;
                explained.decision
            }
            (Some(p), None) => p.decide(req),
            (None, _) => Decision::Allow(Permit::unconditional()),
        };
        let first_redact = match &first {
            Decision::Allow(p) => p.redact(),
            Decision::Deny(_) => Default::default(),
        };
        match (&first, &self.rego) {
            (Decision::Allow(_), Some(rego)) => {
                let target = parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.to_string(), |pq| pq.as_str().to_owned());
                let input = rego::input(req, &target, &parts.headers, json, &eval_symlinks);
                let decided = rego::decide_rego(rego, &input);
                if let Some(account) = account {
                    account.rego = Some(match &decided {
                        Decision::Allow(p) => Ok(p.rule().to_owned()),
                        Decision::Deny(d) => Err(d.clone()),
                    });
                }
                match decided {
                    // The TOML rule's shaping of the answer holds whoever else allowed.
                    Decision::Allow(permit) => Decision::Allow(permit.with_redact(first_redact)),
                    deny => deny,
                }
            }
            _ => first,
        }
    }

    /// Read what must be read of one request and decide on it. On success the caller
    /// forwards `Cleared::body` if set (fixing the framing headers with [`set_body`]),
    /// else the client's body untouched.
    pub async fn check(
        &self,
        caller: &Caller,
        parts: &http::request::Parts,
        route: &Classified,
        body: &mut Option<Incoming>,
    ) -> Result<Cleared, Refused> {
        self.judge(caller, parts, route, Body::Wire(body), None)
            .await
    }

    /// [`Guard::check`] for a body on the wire or in hand: the one path from a request to
    /// its decision, for the relay and for `policy explain` (which passes an [`Account`] to
    /// learn what the decision went through).
    pub async fn judge(
        &self,
        caller: &Caller,
        parts: &http::request::Parts,
        route: &Classified,
        body: Body<'_>,
        mut account: Option<&mut Account>,
    ) -> Result<Cleared, Refused> {
        if self.open {
            return Ok(Cleared {
                permit: Permit::open(),
                body: None,
                facts: None,
                pinned: None,
            });
        }
        let refuse = |error| Refused {
            error,
            facts: None,
            body: None,
        };
        let bytes = if needs_body(parts, route, self.rego.is_some()).map_err(refuse)? {
            let what = || format!("the request body of {}", route.name());
            Some(match body {
                Body::Wire(body) => read_whole(body.take(), self.body_limit, what)
                    .await
                    .map_err(refuse)?,
                Body::Given(bytes) => {
                    let bytes = bytes.unwrap_or_default();
                    if bytes.len() > self.body_limit {
                        return Err(refuse(ProxyError::BodyTooLarge {
                            what: what(),
                            limit: self.body_limit,
                        }));
                    }
                    bytes
                }
            })
        } else {
            None
        };
        let mut reading = read(parts, route, bytes).map_err(refuse)?;
        if let Some(account) = account.as_deref_mut() {
            account.read = true;
            account.facts_read = reading.facts.clone();
        }
        let isolated = match &self.isolation {
            Some(iso) => iso
                .apply(
                    self.state.get().map(|s| &**s),
                    caller,
                    parts,
                    route,
                    &mut reading,
                )
                .await
                .map_err(|error| Refused {
                    error,
                    facts: reading.facts.clone(),
                    body: None,
                })?,
            None => None,
        };
        let pinned = self
            .consult_state(parts, route, &mut reading)
            .await
            .map_err(|error| Refused {
                error,
                facts: reading.facts.clone(),
                body: None,
            })?
            .or(isolated);
        let req = reading.facts_for(caller, parts, route);
        let decided =
            self.decide_accounted(&req, parts, reading.json.as_ref(), account.as_deref_mut());
        if let Some(account) = account {
            account.facts = reading.facts.clone();
            account.pinned = pinned.clone();
        }
        match self.mode.apply(decided) {
            Decision::Allow(permit) => Ok(Cleared {
                permit: self.shaped(permit),
                body: reading.forward,
                facts: reading.facts,
                pinned,
            }),
            Decision::Deny(denial) => Err(Refused {
                error: ProxyError::Denied(denial),
                facts: reading.facts,
                body: reading.forward,
            }),
        }
    }
}

impl Guard {
    /// A permit audit mode made of a denial shapes its answer as the policy does by default:
    /// the client gets what an allowed one would, never more.
    fn shaped(&self, permit: Permit) -> Permit {
        match (&self.policy, permit.overruled()) {
            (Some(policy), Some(_)) => {
                let redact = policy.redact();
                permit.with_redact(redact)
            }
            _ => permit,
        }
    }

    /// Ask the daemon about the objects the request names, add what it says to the facts,
    /// and pin the request to what was resolved: the body's references rewritten to full IDs
    /// (re-serialized with the rest), and the path returned when its object must be.
    pub async fn consult_state(
        &self,
        parts: &http::request::Parts,
        route: &Classified,
        reading: &mut Reading,
    ) -> Result<Option<http::Uri>, ProxyError> {
        let (Some(op), Some(facts)) = (route.operation(), reading.facts.as_mut()) else {
            return Ok(None);
        };
        let refs = crate::docker::state::references(op, route.object(), facts);
        if refs.is_empty() {
            return Ok(None);
        }
        let Some(state) = self.state.get() else {
            return Err(ProxyError::LookupFailed {
                what: format!("{} {}", refs[0].kind.as_str(), refs[0].name),
                reason: "this guard has no connection to the daemon to ask".into(),
            });
        };
        let answers = state.resolve(&refs).await.map_err(|u| match u {
            Unresolved::Missing { message } => ProxyError::NoSuchObject { message },
            Unresolved::Failed { what, reason } => ProxyError::LookupFailed { what, reason },
        })?;
        crate::docker::state::apply(op, Arc::make_mut(facts), &answers);
        if let Some(json) = reading.json.as_mut() {
            if pin::body(json, &answers) {
                let bytes = serde_json::to_vec(json).expect("a JSON value serializes");
                reading.forward = Some(Bytes::from(bytes));
            }
        }
        pin::path(parts, route, &answers)
    }
}

/// The file system's answer for a Rego input's bind sources ([`rego::EvalSymlinks`]):
/// `realpath(3)`, which follows every link and yields a clean absolute path, as Go's
/// `filepath.EvalSymlinks` does for an absolute one. A blocking call on the request's task,
/// made only for a Rego policy's input and only for the absolute bind sources of a body.
pub fn eval_symlinks(path: &str) -> Option<String> {
    std::fs::canonicalize(path)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests;
