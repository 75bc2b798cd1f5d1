//! The policy step of one exchange: read the request exactly as dockerd will, decide on
//! that reading, and hand back what may be forwarded.
//!
//! The reading is narrowed until only one is left (see `gojson`): a path dockerd would
//! redirect or reject, a query Go would refuse, a body that two JSON readers could read
//! differently, or one larger than sockeye will hold, is refused here and never forwarded.
//! A body that is read is forwarded re-serialized from what the policy saw, with its own
//! `Content-Length`: dockerd then decodes exactly what was decided on, whatever framing,
//! spelling or duplicate keys the client used.

mod buildkit;
pub mod current;
pub mod error;
pub mod isolate;
pub mod pin;
pub mod policy;
pub mod rego;
pub mod state;

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::Value;

use crate::caller::Caller;
use crate::docker::endpoint::{Classified, Disposition, Operation};
use crate::docker::facts::{self, Facts};
use crate::docker::gojson::{self, Form};
use crate::guard::error::ProxyError;
use crate::guard::isolate::Isolation;
use crate::guard::policy::{Decision, Mode, Permit, Policy, RequestFacts, FACT_OPERATIONS};
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
        let first = match &self.policy {
            Some(p) => p.decide(req),
            None => Decision::Allow(Permit::unconditional()),
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
                match rego::decide_rego(rego, &input) {
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
            Some(
                read_whole(body.take(), self.body_limit, what)
                    .await
                    .map_err(refuse)?,
            )
        } else {
            None
        };
        let mut reading = read(parts, route, bytes).map_err(refuse)?;
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
        match self
            .mode
            .apply(self.decide(&req, parts, reading.json.as_ref()))
        {
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

/// A request read as dockerd will read it.
#[derive(Debug)]
pub struct Reading {
    /// The query, with a form body's values merged in as Go's `ParseForm` does.
    pub query: Form,
    pub facts: Option<Arc<Facts>>,
    /// The body to forward, when it was read.
    pub forward: Option<Bytes>,
    /// The JSON body as dockerd will decode it, when one was read.
    pub json: Option<Value>,
}

impl Reading {
    /// Everything the policy may look at.
    pub fn facts_for<'a>(
        &'a self,
        caller: &'a Caller,
        parts: &'a http::request::Parts,
        route: &'a Classified,
    ) -> RequestFacts<'a> {
        RequestFacts {
            caller,
            method: parts.method.as_str(),
            endpoint: route,
            query: &self.query,
            facts: self.facts.as_deref(),
        }
    }
}

/// Whether the body must be read whole before deciding (and refuse a request whose path
/// or content type sockeye will not decide on).
/// `any_json`: read every JSON body, not only those with facts (a Rego policy sees them all,
/// as Docker's authorization plugins do).
pub fn needs_body(
    parts: &http::request::Parts,
    route: &Classified,
    any_json: bool,
) -> Result<bool, ProxyError> {
    check_path(parts, route)?;
    let form_body = body_kind(&parts.headers, &parts.method)?;
    Ok(form_body
        || route.operation().is_some_and(reads_json_body)
        || (any_json && is_json(&parts.headers)))
}

/// A JSON media type (`application/json`, `…+json`), as a body a policy may read.
fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers)
        .ok()
        .flatten()
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"))
}

/// The Content-Type's media type, lower-cased, without parameters; an error when the header
/// is not text.
fn media_type(headers: &HeaderMap) -> Result<Option<String>, ProxyError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ProxyError::BadContentType)?;
    let media = text.split(';').next().unwrap_or("");
    Ok(Some(media.trim().to_ascii_lowercase()))
}

/// Read the request as dockerd will: the query, a form body, the JSON body of an operation
/// with facts. `body` is the whole body when [`needs_body`] said so. Pure.
pub fn read(
    parts: &http::request::Parts,
    route: &Classified,
    body: Option<Bytes>,
) -> Result<Reading, ProxyError> {
    let what = || format!("the request body of {}", route.name());
    let mut query =
        gojson::form(parts.uri.query().unwrap_or("")).map_err(|reason| ProxyError::Ambiguous {
            what: "the query".into(),
            reason,
        })?;
    let form = body.is_some() && body_kind(&parts.headers, &parts.method)?;
    if form {
        let bytes = body.as_deref().unwrap_or_default();
        // Go's ParseForm puts a form body's values before the query's.
        let from_body = std::str::from_utf8(bytes)
            .map_err(|_| gojson::Ambiguity::QueryNotUtf8 {
                text: "(form body)".into(),
            })
            .and_then(gojson::form)
            .map_err(|reason| ProxyError::Ambiguous {
                what: what(),
                reason,
            })?;
        query = query.with_body(from_body);
    }
    let op = route.operation();
    let Some(op) = op.filter(|op| FACT_OPERATIONS.contains(op)) else {
        // A JSON body read for a Rego policy: decided on and forwarded in one reading too.
        let (json, forward) = match &body {
            Some(bytes) if is_json(&parts.headers) && !form => {
                let (value, canonical) =
                    canonical_body(op, bytes).map_err(|reason| ProxyError::Ambiguous {
                        what: what(),
                        reason,
                    })?;
                ((!value.is_null()).then_some(value), canonical.or(body))
            }
            _ => (None, body),
        };
        return Ok(Reading {
            query,
            facts: None,
            forward,
            json,
        });
    };
    if op == Operation::ContainerStart {
        refuse_start_body(body.as_deref().unwrap_or_default())?;
    }
    let (value, canonical) = match &body {
        Some(bytes) if reads_json_body(op) => {
            canonical_body(Some(op), bytes).map_err(|reason| ProxyError::Ambiguous {
                what: what(),
                reason,
            })?
        }
        _ => (Value::Null, None),
    };
    let facts = Arc::new(facts::facts(Some(op), &value, &query));
    Ok(Reading {
        query,
        facts: Some(facts),
        forward: canonical.or(body),
        json: (!value.is_null()).then_some(value),
    })
}

/// Operations whose JSON body the policy reads. The others' bodies (tar archives, images,
/// plugin data) are streamed untouched: their facts come from the query.
pub fn reads_json_body(op: Operation) -> bool {
    FACT_OPERATIONS.contains(&op) && gojson::body_shape(op).is_some()
}

/// Refuse a path that dockerd would not route as written: whatever sockeye decided about
/// it, a redirect or a rejection is not what the client will end up doing.
fn check_path(parts: &http::request::Parts, route: &Classified) -> Result<(), ProxyError> {
    let path = parts.uri.path();
    let why = match route.disposition() {
        Disposition::Redirect(to) => format!("dockerd would redirect it to {to}"),
        Disposition::Rejected(e) => e.to_string(),
        Disposition::Routed(_) | Disposition::NotFound if route.encoded_slash() => {
            "it encodes a '/' as %2F, which dockerd reads as a separator".into()
        }
        Disposition::Routed(_) | Disposition::NotFound => return Ok(()),
    };
    Err(ProxyError::UnroutablePath {
        path: path.to_owned(),
        why,
    })
}

/// Whether Go's `ParseForm` would read the body as form values (it does for
/// `application/x-www-form-urlencoded` on POST, PUT and PATCH). A multipart body is
/// refused: dockerd's handlers never expect one, and `FormValue` would read it.
fn body_kind(headers: &HeaderMap, method: &http::Method) -> Result<bool, ProxyError> {
    let Some(media) = media_type(headers)? else {
        return Ok(false);
    };
    match media.as_str() {
        "multipart/form-data" => Err(ProxyError::BadContentType),
        "application/x-www-form-urlencoded" => Ok(matches!(
            *method,
            http::Method::POST | http::Method::PUT | http::Method::PATCH
        )),
        _ => Ok(false),
    }
}

/// The whole body (empty when there is none), or why not: larger than `limit`, or cut.
/// `what` names it in the error.
pub async fn read_whole(
    body: Option<Incoming>,
    limit: usize,
    what: impl Fn() -> String,
) -> Result<Bytes, ProxyError> {
    let Some(body) = body else {
        return Ok(Bytes::new());
    };
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ProxyError::BodyTooLarge {
            what: what(),
            limit,
        }),
        Err(e) => Err(ProxyError::UnreadableBody {
            what: what(),
            reason: e.to_string(),
        }),
    }
}

/// The body as dockerd will decode it, and the bytes to forward. A body of only
/// whitespace is no body to Go's decoder (`io.EOF`, which handlers treat as absent): it
/// is forwarded as it came.
fn canonical_body(
    op: Option<Operation>,
    bytes: &[u8],
) -> Result<(Value, Option<Bytes>), gojson::Ambiguity> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((Value::Null, None));
    }
    let tree = gojson::parse(bytes)?;
    let value = gojson::canonical(op, &tree)?;
    let forward = Bytes::from(serde_json::to_vec(&value).expect("a JSON value serializes"));
    Ok((value, Some(forward)))
}

/// A start body that could carry a configuration is refused. Below API 1.24, dockerd 20.10
/// decodes a non-trivial start body (longer than 7 bytes, or chunked) as a whole create body
/// in which a nested `HostConfig` wins over top-level fields, and replaces the container's
/// stored HostConfig with it; from 1.24 on it refuses such a body. No current client sends
/// one: the configuration belongs in the create request, where the policy reads it.
fn refuse_start_body(bytes: &[u8]) -> Result<(), ProxyError> {
    let text = std::str::from_utf8(bytes).unwrap_or("?").trim();
    if matches!(text, "" | "{}" | "null") {
        return Ok(());
    }
    Err(ProxyError::UnreadableBody {
        what: "the request body of ContainerStart".into(),
        reason: "a start body carrying a configuration (API < 1.24) is not relayed under a \
                 policy; give the configuration when creating the container"
            .into(),
    })
}

/// Make `headers` describe `body`, which replaces whatever the client sent.
pub fn set_body(headers: &mut HeaderMap, body: &Bytes) {
    headers.remove(header::TRANSFER_ENCODING);
    // The body is already here; the daemon's go-ahead would only cost a round trip.
    headers.remove(header::EXPECT);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
}

#[cfg(test)]
mod tests;
