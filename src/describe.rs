//! Turn a recorded call into what views show: its endpoint, the docker command a person
//! would have typed, and its target and body with secrets redacted.

use bytes::Bytes;

use crate::event::{Call, Captured, RequestHead};
use crate::export::Exchange;

/// A call as views show it. Everything here is already redacted.
#[derive(Clone, Debug)]
pub struct Described {
    /// The endpoint's operation name (`ContainerList`), or `Unknown`.
    pub endpoint: &'static str,
    /// The API section (`containers`, `images`, ...), if known.
    pub section: Option<String>,
    /// The docker CLI action, e.g. `docker ps -a`.
    pub action: String,
    /// Path and query as sent, with secret query values redacted.
    pub target: String,
    /// The request's JSON body, parsed and redacted, when it was captured whole.
    pub request_json: Option<serde_json::Value>,
}

pub fn describe(head: &RequestHead, body: &Captured) -> Described {
    let op = head.route.operation();
    let query = head.target.split_once('?').map_or("", |(_, q)| q);
    let request_json = json_body(head, body).map(|mut v| {
        crate::redact::json_body(op, &mut v);
        v
    });
    let action = crate::action::action(&crate::action::CallFacts {
        method: head.method.as_str(),
        route: &head.route,
        query,
        body: request_json.as_ref(),
    });
    Described {
        endpoint: head.route.name(),
        section: head.route.section().map(|s| s.to_string()),
        action,
        target: shown_target(head),
        request_json,
    }
}

/// Path and query as sent, with secret query values (build args) redacted.
pub fn shown_target(head: &RequestHead) -> String {
    match head.target.split_once('?') {
        Some((path, "")) => path.to_string(),
        Some((path, query)) => {
            format!(
                "{path}?{}",
                crate::redact::query(head.route.operation(), query)
            )
        }
        None => head.target.clone(),
    }
}

/// A request body that is JSON by content type (or by shape, since some clients omit it).
fn json_body(head: &RequestHead, body: &Captured) -> Option<serde_json::Value> {
    if !body.whole || body.bytes.is_empty() {
        return None;
    }
    let ct = head
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let looks_json = ct.contains("json") || matches!(body.bytes.first(), Some(b'{') | Some(b'['));
    if !looks_json {
        return None;
    }
    serde_json::from_slice(&body.bytes).ok()
}

/// A finished call as an export record, redacted like every view.
pub fn exchange(call: &Call) -> Exchange {
    let head = &call.head;
    let op = head.route.operation();
    let d = describe(head, &call.request_body);
    let request_body = match &d.request_json {
        Some(v) => Some(Bytes::from(serde_json::to_vec(v).unwrap_or_default())),
        // A body that may hold secrets is exported only as the redacted JSON above.
        None if crate::redact::body_may_hold_secrets(op) => None,
        None => (!call.request_body.bytes.is_empty()).then(|| call.request_body.bytes.clone()),
    };
    let response_body = call.response.as_ref().and_then(|_| {
        let bytes = &call.response_body.bytes;
        if bytes.is_empty() {
            return None;
        }
        if crate::redact::body_may_hold_secrets(op) {
            // e.g. `/auth` answers with an identity token: export the redacted JSON or nothing.
            let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            crate::redact::json_body(op, &mut v);
            return Some(Bytes::from(serde_json::to_vec(&v).unwrap_or_default()));
        }
        Some(bytes.clone())
    });
    Exchange {
        started: head.start,
        duration: call.duration,
        method: head.method.to_string(),
        target: d.target,
        http_version: format!("{:?}", head.version),
        request_headers: headers(&head.headers),
        request_body,
        request_body_size: call.bytes_in,
        status: call.status(),
        response_headers: call
            .response
            .as_ref()
            .map(|r| headers(&r.headers))
            .unwrap_or_default(),
        response_body,
        response_body_size: call.bytes_out,
        hijacked: call.hijacked,
    }
}

fn headers(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                crate::redact::header_value(k.as_str(), v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
