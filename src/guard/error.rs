//! What sockeye answers itself instead of the daemon — its refusals, and a daemon it cannot
//! reach — with the status each gets and whose fault it is. Plain data: the relay writes it
//! on the wire (`relay::error`).

use http::StatusCode;

/// Something sockeye refused or failed to do for one request. The variant says whose fault
/// it is: the client's (4xx) or the path to the daemon (5xx).
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The daemon's socket could not be connected to.
    #[error("cannot reach the Docker daemon at {upstream}: {reason}")]
    UpstreamUnreachable { upstream: String, reason: String },
    /// The daemon connection broke before it answered.
    #[error("the Docker daemon at {upstream} closed the connection before answering: {reason}")]
    UpstreamFailed { upstream: String, reason: String },
    /// A body sockeye must read before forwarding is larger than it will hold.
    #[error("{what} is larger than the {limit} bytes sockeye reads to decide on it")]
    BodyTooLarge { what: String, limit: usize },
    /// A body sockeye must read could not be read or understood (for the request body it
    /// relays unread: its framing is not HTTP/1.1, such as a bad chunk size).
    #[error("cannot read {what}: {reason}")]
    UnreadableBody { what: String, reason: String },
    /// The client closed its connection (or reset it) before its request body ended.
    #[error("the request body ended early: {reason}")]
    BodyAborted { reason: String },
    /// dockerd would not route this path as written (it would redirect or reject it).
    #[error("the path {path:?} is not one dockerd routes as written: {why}")]
    UnroutablePath { path: String, why: String },
    /// Something dockerd could read differently from sockeye, or not at all.
    #[error("cannot read {what} exactly as dockerd will: {reason}")]
    Ambiguous {
        what: String,
        reason: crate::docker::gojson::Ambiguity,
    },
    /// A Content-Type sockeye cannot decide on.
    #[error("the Content-Type is not readable text or names a multipart body, which no Docker endpoint takes")]
    BadContentType,
    /// The policy refused the request.
    #[error("{0}")]
    Denied(crate::guard::policy::Denial),
    /// The audit log cannot record calls, so none are made (fail closed).
    #[error("{0}; calls are refused until it can record them")]
    NotRecorded(String),
    /// An object the request names does not exist, as the daemon said when asked before the
    /// decision: its own words, the answer the request would have got from it.
    #[error("{message}")]
    NoSuchObject { message: String },
    /// Under `--isolate`, a request no single client can own.
    #[error("{what} is forbidden under --isolate: {why}")]
    Isolated { what: String, why: String },
    /// The decision needs the daemon's state of an object, and the daemon did not give it.
    #[error("cannot decide without knowing {what} (asked the daemon: {reason})")]
    LookupFailed { what: String, reason: String },
    /// The policy hides part of this answer and sockeye could not rewrite it, so the daemon's
    /// answer is withheld rather than passed on whole.
    #[error("the daemon's answer to {what} is withheld: {reason}, and the policy redacts {redact} in it")]
    Withheld {
        what: String,
        reason: String,
        redact: crate::docker::shape::Redact,
    },
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::UpstreamUnreachable { .. } | ProxyError::UpstreamFailed { .. } => {
                StatusCode::BAD_GATEWAY
            }
            ProxyError::UnreadableBody { .. }
            | ProxyError::BodyAborted { .. }
            | ProxyError::UnroutablePath { .. }
            | ProxyError::Ambiguous { .. }
            | ProxyError::BadContentType => StatusCode::BAD_REQUEST,
            ProxyError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::Denied(_) => StatusCode::FORBIDDEN,
            ProxyError::NotRecorded(_) => StatusCode::SERVICE_UNAVAILABLE,
            ProxyError::NoSuchObject { .. } => StatusCode::NOT_FOUND,
            ProxyError::Isolated { .. } => StatusCode::FORBIDDEN,
            ProxyError::LookupFailed { .. } | ProxyError::Withheld { .. } => {
                StatusCode::BAD_GATEWAY
            }
        }
    }

    /// Whose fault the refusal is, for the record.
    pub fn fault(&self) -> Fault {
        match self {
            ProxyError::UpstreamUnreachable { .. } => Fault::UpstreamUnreachable,
            ProxyError::UpstreamFailed { .. } => Fault::UpstreamBroke,
            ProxyError::Denied(_) => Fault::Denied,
            ProxyError::NotRecorded(_) => Fault::NotRecorded,
            ProxyError::NoSuchObject { .. } => Fault::NoSuchObject,
            ProxyError::Isolated { .. } => Fault::Denied,
            ProxyError::LookupFailed { .. } => Fault::LookupFailed,
            ProxyError::Withheld { .. } => Fault::Withheld,
            ProxyError::BodyAborted { .. } => Fault::ClientAborted,
            ProxyError::UnreadableBody { .. }
            | ProxyError::BodyTooLarge { .. }
            | ProxyError::UnroutablePath { .. }
            | ProxyError::Ambiguous { .. }
            | ProxyError::BadContentType => Fault::Unreadable,
        }
    }
}

/// Why a call did not end as the daemon answered it, and so whose fault that was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The policy refused it (403): the client asked for what it may not do.
    Denied,
    /// sockeye would not read it as dockerd will (a path dockerd would not route as written,
    /// an ambiguous or oversized body, …): the client's request (4xx).
    Unreadable,
    /// The audit log cannot record calls, so none are made (503): sockeye's own state.
    NotRecorded,
    /// The daemon could not be reached (502).
    UpstreamUnreachable,
    /// The daemon broke the connection: before answering (502), or in the middle of a body
    /// or stream.
    UpstreamBroke,
    /// The client went away before the answer or stream ended, or before its request body
    /// did (an upload it broke off).
    ClientAborted,
    /// The request names an object the daemon does not have (404, in the daemon's words):
    /// found by the lookup before the decision, so the daemon never saw the request.
    NoSuchObject,
    /// The daemon did not say what an object the request names is, so nothing was decided
    /// (502).
    LookupFailed,
    /// The daemon answered, but the policy redacts part of the answer and sockeye could not
    /// rewrite it (too large to read whole, compressed, not JSON, cut short): withheld (502).
    Withheld,
}

impl Fault {
    /// The name records and views use (`client_aborted`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Denied => "denied",
            Fault::Unreadable => "unreadable",
            Fault::NotRecorded => "not_recorded",
            Fault::UpstreamUnreachable => "upstream_unreachable",
            Fault::UpstreamBroke => "upstream_broke",
            Fault::ClientAborted => "client_aborted",
            Fault::NoSuchObject => "no_such_object",
            Fault::LookupFailed => "lookup_failed",
            Fault::Withheld => "withheld",
        }
    }
}

/// An error and its causes in one line, for the `reason` of a failure: hyper's errors hide
/// their cause ("connection error" says nothing without "broken pipe" below it). Here, below
/// both the relay and the remote audit sinks, so that each reads its transport's errors alike.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
