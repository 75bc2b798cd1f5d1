//! What happened, as plain data, and the channel it travels on.
//!
//! The relay records raw facts cheaply (counts, and capped prefixes of bodies as refcounted
//! `Bytes`) and never waits on consumers. Naming, decoding and redaction happen in the
//! consumers (`view`, `trace`), on their own task, through the one `redact` module.
//! A live view is lossy by design (a slow terminal must not slow `docker cp`); drops are
//! counted and shown.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Version};

use crate::caller::{Caller, Peer};
use crate::docker::endpoint::Classified;
use crate::docker::facts::Facts;
use crate::guard::policy::{Denial, Permit};

mod channel;
mod record;

pub use crate::guard::error::Fault;

pub use channel::{Detail, Events, Feed, Sink, Watcher};
pub use record::{Flow, Recorder, Tap};

/// Connection number and request number on that connection (both from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct CallId {
    pub conn: u64,
    pub req: u64,
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.conn, self.req)
    }
}

/// Which way bytes travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    /// Client to daemon: request bodies, and stdin of a hijacked session.
    ToDaemon,
    /// Daemon to client: response bodies, and output of a hijacked session.
    ToClient,
}

/// A request as it arrived (raw: consumers redact before showing anything).
#[derive(Debug)]
pub struct RequestHead {
    pub id: CallId,
    pub start: SystemTime,
    pub caller: Arc<Caller>,
    pub method: Method,
    /// Path and query exactly as sent.
    pub target: String,
    pub version: Version,
    pub headers: HeaderMap,
    pub route: Classified,
}

/// The daemon's (or sockeye's) answer head.
#[derive(Debug)]
pub struct ResponseHead {
    pub id: CallId,
    pub status: u16,
    pub version: Version,
    pub headers: HeaderMap,
}

/// A body captured up to a limit.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    pub bytes: Bytes,
    /// Everything was captured (the body was not longer than the limit and it ended).
    pub whole: bool,
}

/// One finished call: request and response, or a hijacked session when it ends.
#[derive(Debug)]
pub struct Call {
    pub head: Arc<RequestHead>,
    pub response: Option<Arc<ResponseHead>>,
    pub answered_by: AnsweredBy,
    /// Request body bytes (for a hijacked session, plus the bytes client → daemon).
    pub bytes_in: u64,
    /// Response body bytes (for a hijacked session, the bytes daemon → client).
    pub bytes_out: u64,
    pub hijacked: bool,
    /// The body or tunnel ended before its natural end.
    pub incomplete: bool,
    pub duration: Duration,
    pub error: Option<String>,
    pub request_body: Captured,
    pub response_body: Captured,
    /// The policy's decision, when a policy is set and got to decide.
    pub verdict: Option<Verdict>,
    /// The security-relevant content the decision looked at, for operations that have it.
    pub facts: Option<Arc<Facts>>,
    /// Whose fault it was when the call did not end as the daemon answered it.
    pub fault: Option<Fault>,
}

/// What the policy decided about one call.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub decision: Decision,
    /// The deciding rule (`default` when none matched).
    pub rule: String,
    /// Why it was denied (or would have been).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the client's answer was rewritten to hide (`env`, `mounts`, `addresses`): set
    /// only when the relay did rewrite it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<&'static str>,
    /// The revision of the policy bundle in force when the call was decided
    /// (`--policy-rego-bundle`); `None` without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_revision: Option<Arc<str>>,
    /// The rules tried and the Rego policy's word, as `policy explain` prints them: only
    /// when a consumer asked for it ([`crate::event::Detail::explain`], the inspector), and
    /// only for it (not in the JSON object, the audit log or the exports).
    #[serde(skip)]
    pub trace: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
    /// Denied by the policy but forwarded, because sockeye runs in audit mode.
    WouldDeny,
}

impl Verdict {
    /// What a permit records: nothing for an open guard's (no policy, no verdict).
    pub fn of(permit: &Permit) -> Option<Verdict> {
        if permit.is_open() {
            return None;
        }
        Some(match permit.overruled() {
            Some(denial) => Verdict {
                decision: Decision::WouldDeny,
                rule: denial.rule.clone(),
                reason: Some(denial.reason.clone()),
                redacted: Vec::new(),
                policy_revision: None,
                trace: Vec::new(),
            },
            None => Verdict {
                decision: Decision::Allow,
                rule: permit.rule().to_owned(),
                reason: None,
                redacted: Vec::new(),
                policy_revision: None,
                trace: Vec::new(),
            },
        })
    }

    /// The same verdict, naming the policy bundle revision that decided it.
    pub fn by_revision(mut self, revision: Option<&Arc<str>>) -> Verdict {
        self.policy_revision = revision.cloned();
        self
    }

    pub fn denied(denial: &Denial) -> Verdict {
        Verdict {
            decision: Decision::Deny,
            rule: denial.rule.clone(),
            reason: Some(denial.reason.clone()),
            redacted: Vec::new(),
            policy_revision: None,
            trace: Vec::new(),
        }
    }
}

impl Call {
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnsweredBy {
    Daemon,
    Sockeye,
}

/// Something about a connection rather than a call: refused, malformed, timed out.
#[derive(Clone, Debug)]
pub struct Notice {
    pub conn: u64,
    pub peer: Arc<Peer>,
    pub message: String,
}

#[derive(Debug)]
pub enum Event {
    /// A request head arrived (only when `Detail::heads`).
    Request(Arc<RequestHead>),
    /// A response head was sent (only when `Detail::heads`).
    Response(Arc<ResponseHead>),
    /// A call that may outlast its answer head (a session, `logs -f`, `events`, `wait`) got
    /// it: the live view shows that the call began, since its [`Event::Call`] comes only when
    /// it ends. Only on the live channel: the sinks (audit, metrics) still see one record per
    /// call, at its end.
    Begun {
        head: Arc<RequestHead>,
        response: Arc<ResponseHead>,
    },
    /// Body or tunnel bytes as they pass (only when `Detail::stream`).
    Data {
        id: CallId,
        dir: Dir,
        bytes: Bytes,
    },
    /// Bytes on a client connection as they cross the socket (only when `Detail::wire`).
    /// `offset` counts the bytes sent before these in the same direction, so a consumer
    /// can tell when the lossy channel dropped some.
    Wire {
        conn: u64,
        dir: Dir,
        at: SystemTime,
        offset: u64,
        bytes: Bytes,
    },
    /// A call ended.
    Call(Box<Call>),
    Notice(Notice),
}

/// A finished call for tests: `peer` asked `method target` and got `status` (`None`: no
/// answer), as call `#1.2000` at a fixed time, with no bodies, bytes or verdict.
#[cfg(test)]
pub(crate) fn sample_call(peer: Peer, method: &str, target: &str, status: Option<u16>) -> Call {
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let head = Arc::new(RequestHead {
        id: CallId { conn: 1, req: 2000 },
        start: std::time::UNIX_EPOCH + Duration::new(1_795_395_208, 650_874_100),
        caller: Arc::new(Caller::bare(peer)),
        method: method.parse::<Method>().unwrap(),
        target: target.into(),
        version: Version::HTTP_11,
        headers: HeaderMap::new(),
        route: crate::docker::endpoint::classify(method, path),
    });
    Call {
        response: status.map(|status| {
            Arc::new(ResponseHead {
                id: head.id,
                status,
                version: Version::HTTP_11,
                headers: HeaderMap::new(),
            })
        }),
        head,
        answered_by: AnsweredBy::Daemon,
        bytes_in: 0,
        bytes_out: 0,
        hijacked: false,
        incomplete: false,
        duration: Duration::from_micros(700),
        error: None,
        request_body: Captured::default(),
        response_body: Captured::default(),
        verdict: None,
        fault: None,
        facts: None,
    }
}
