//! Errors sockeye answers on the wire itself, and their one mapping to HTTP.
//!
//! Every answer is shaped like dockerd's own errors (`{"message": "..."}`) so the docker CLI
//! prints it as one line: `Error response from daemon: sockeye: ...`.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};

use crate::event::Fault;
use crate::relay::body::RelayBody;

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
    /// A body sockeye must read could not be read or understood.
    #[error("cannot read {what}: {reason}")]
    UnreadableBody { what: String, reason: String },
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
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::UpstreamUnreachable { .. } | ProxyError::UpstreamFailed { .. } => {
                StatusCode::BAD_GATEWAY
            }
            ProxyError::UnreadableBody { .. }
            | ProxyError::UnroutablePath { .. }
            | ProxyError::Ambiguous { .. }
            | ProxyError::BadContentType => StatusCode::BAD_REQUEST,
            ProxyError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::Denied(_) => StatusCode::FORBIDDEN,
            ProxyError::NotRecorded(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Whose fault the refusal is, for the record.
    pub fn fault(&self) -> Fault {
        match self {
            ProxyError::UpstreamUnreachable { .. } => Fault::UpstreamUnreachable,
            ProxyError::UpstreamFailed { .. } => Fault::UpstreamBroke,
            ProxyError::Denied(_) => Fault::Denied,
            ProxyError::NotRecorded(_) => Fault::NotRecorded,
            ProxyError::UnreadableBody { .. }
            | ProxyError::BodyTooLarge { .. }
            | ProxyError::UnroutablePath { .. }
            | ProxyError::Ambiguous { .. }
            | ProxyError::BadContentType => Fault::Unreadable,
        }
    }

    pub fn into_response(self) -> Response<RelayBody> {
        json_error(self.status(), &self.to_string())
    }
}

/// A Docker-shaped JSON error response: `{"message":"sockeye: <message>"}`.
pub fn json_error(status: StatusCode, message: &str) -> Response<RelayBody> {
    let body = serde_json::json!({ "message": format!("sockeye: {message}") }).to_string();
    let mut resp = Response::new(
        Full::new(Bytes::from(body + "\n"))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unreachable_daemon_is_a_502_with_a_docker_shaped_message() {
        let err = ProxyError::UpstreamUnreachable {
            upstream: "unix:///nope.sock".into(),
            reason: "No such file or directory (os error 2)".into(),
        };
        let resp = err.into_response();
        assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["message"],
            "sockeye: cannot reach the Docker daemon at unix:///nope.sock: \
             No such file or directory (os error 2)"
        );
    }
}
