//! Errors sockeye answers on the wire itself: one mapping to an HTTP answer.
//!
//! Every answer is shaped like dockerd's own errors (`{"message": "..."}`) so the docker CLI
//! prints it as one line: `Error response from daemon: sockeye: ...`.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};

pub use crate::guard::error::ProxyError;
use crate::relay::body::RelayBody;

/// A refusal as the answer the client gets.
pub trait IntoResponse {
    fn into_response(self) -> Response<RelayBody>;
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response<RelayBody> {
        match self {
            // The daemon's own answer, word for word: the client cannot tell it from the one
            // the request would have got (and, with ownership, from a hidden object's).
            ProxyError::NoSuchObject { message } => docker_error(StatusCode::NOT_FOUND, message),
            other => json_error(other.status(), &other.to_string()),
        }
    }
}

/// A Docker-shaped JSON error response: `{"message":"sockeye: <message>"}`.
pub fn json_error(status: StatusCode, message: &str) -> Response<RelayBody> {
    docker_error(status, format!("sockeye: {message}"))
}

/// `{"message": …}` exactly, as dockerd writes its errors.
fn docker_error(status: StatusCode, message: String) -> Response<RelayBody> {
    let body = serde_json::json!({ "message": message }).to_string();
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
