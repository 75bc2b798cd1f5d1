//! Turn a recorded call into what views show: its endpoint, the docker command a person
//! would have typed, and its target and body with secrets redacted.

use std::borrow::Cow;

use bytes::Bytes;

use crate::event::{Call, Captured, RequestHead};
use crate::see::export::Exchange;

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
    let (action, target, request_json) = described(head, body);
    Described {
        endpoint: head.route.name(),
        section: head.route.section().map(|s| s.to_string()),
        action,
        target: target.into_owned(),
        request_json,
    }
}

/// The action and target of [`describe`], which is all the audit log needs; the target is
/// borrowed when there was no query to redact.
pub fn action_and_target<'h>(head: &'h RequestHead, body: &Captured) -> (String, Cow<'h, str>) {
    let (action, target, _) = described(head, body);
    (action, target)
}

/// Action, target and redacted body. The query is redacted once, for both the action and
/// the target.
fn described<'h>(
    head: &'h RequestHead,
    body: &Captured,
) -> (String, Cow<'h, str>, Option<serde_json::Value>) {
    let op = head.route.operation();
    let request_json = json_body(head, body).map(|mut v| {
        crate::see::redact::json_body(op, &mut v);
        v
    });
    let (shown_query, target) = shown(head);
    let action =
        crate::see::action::redacted_action(&head.route, &shown_query, request_json.as_ref());
    (action, target, request_json)
}

/// Path and query as sent, with secret query values (build args) redacted.
pub fn shown_target(head: &RequestHead) -> String {
    shown(head).1.into_owned()
}

/// The request's query with secret values redacted (`""` when it has none), and the target
/// as shown: borrowed when there was no query to redact; an empty query is dropped with its
/// `?`. The target is split at its `?` once, for both.
fn shown(head: &RequestHead) -> (Cow<'_, str>, Cow<'_, str>) {
    let Some((path, query)) = head.target.split_once('?') else {
        return (Cow::Borrowed(""), Cow::Borrowed(head.target.as_str()));
    };
    let shown_query = crate::see::action::redacted_query(head.route.operation(), query);
    let target = if query.is_empty() {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("{path}?{shown_query}"))
    };
    (shown_query, target)
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
    // The bytes as sent, to the last one (Go's encoder ends a body with a newline), unless
    // redaction changed the JSON: then the redacted JSON, marked as such.
    let sent = || serde_json::from_slice::<serde_json::Value>(&call.request_body.bytes).ok();
    let request_body_redacted = d
        .request_json
        .as_ref()
        .is_some_and(|v| sent().as_ref() != Some(v));
    let request_body = match &d.request_json {
        Some(_) if !request_body_redacted => Some(call.request_body.bytes.clone()),
        Some(v) => Some(Bytes::from(serde_json::to_vec(v).unwrap_or_default())),
        // A body that may hold secrets is exported only as the redacted JSON above.
        None if crate::see::redact::body_may_hold_secrets(op) => None,
        None => (!call.request_body.bytes.is_empty()).then(|| call.request_body.bytes.clone()),
    };
    let response_body = call.response.as_ref().and_then(|_| {
        let bytes = &call.response_body.bytes;
        if bytes.is_empty() {
            return None;
        }
        if crate::see::redact::body_may_hold_secrets(op) {
            // e.g. `/auth` answers with an identity token: export the redacted JSON or nothing.
            let mut v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            crate::see::redact::json_body(op, &mut v);
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
        request_body_redacted,
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
                crate::see::redact::header_value(k.as_str(), v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use http::{HeaderMap, HeaderValue, Method, Version};

    use super::*;
    use crate::caller::{Caller, Peer};
    use crate::event::CallId;

    fn head(method: &str, target: &str) -> RequestHead {
        let path = target.split_once('?').map_or(target, |(p, _)| p);
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        RequestHead {
            id: CallId { conn: 1, req: 1 },
            start: SystemTime::now(),
            caller: Arc::new(Caller::bare(Peer::Tcp {
                addr: "127.0.0.1:1".parse().unwrap(),
            })),
            method: method.parse::<Method>().unwrap(),
            target: target.into(),
            version: Version::HTTP_11,
            headers,
            route: crate::docker::endpoint::classify(method, path),
        }
    }

    /// `describe` redacts the query once for both; it must say what the action and the
    /// target say on their own.
    #[test]
    fn action_and_target_are_what_each_says_alone() {
        let body = Captured {
            bytes: Bytes::from_static(br#"{"Image":"img","Env":["A=secret"]}"#),
            whole: true,
        };
        for (method, target) in [
            ("GET", "/v1.41/containers/json"),
            ("GET", "/v1.41/containers/json?"),
            (
                "GET",
                "/containers/json?all=1&filters=%7B%22name%22%3A%5B%22x%22%5D%7D",
            ),
            ("POST", "/containers/create?name=web"),
            ("POST", "/build?t=a&buildargs=%7B%22K%22%3A%22secret%22%7D"),
            (
                "POST",
                "/images/create?fromImage=https%3A%2F%2Fu%3Ap%40r.example%2Fi",
            ),
            ("POST", "/commit?changes=ENV+A%3Dsecret&container=c"),
            ("GET", "/nothing?x=%zz&y"),
        ] {
            let head = head(method, target);
            let d = describe(&head, &body);
            assert_eq!(d.target, shown_target(&head), "{target}");
            let query = target.split_once('?').map_or("", |(_, q)| q);
            let alone = crate::see::action::action(&crate::see::action::CallFacts {
                method,
                route: &head.route,
                query,
                body: d.request_json.as_ref(),
            });
            assert_eq!(d.action, alone, "{target}");
            assert!(!d.target.contains("secret"), "{target}");
            assert_eq!(action_and_target(&head, &body), (d.action, d.target.into()));
        }
    }

    /// "only 180 of 181 bytes captured": the export re-serialized the JSON body and lost
    /// the newline Go's encoder ends it with, so curl left exec create out of the replay.
    #[test]
    fn an_export_carries_the_body_as_sent_to_the_last_byte_unless_it_was_redacted() {
        let peer = Peer::Tcp {
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        let sent = "{\"AttachStdout\":true,  \"Cmd\":[\"echo\",\"hi\"]}\n";
        let mut call =
            crate::event::sample_call(peer.clone(), "POST", "/v1.41/containers/x/exec", Some(201));
        call.request_body = Captured {
            bytes: Bytes::from(sent),
            whole: true,
        };
        call.bytes_in = sent.len() as u64;
        let e = exchange(&call);
        assert_eq!(e.request_body.as_deref(), Some(sent.as_bytes()));
        assert!(!e.request_body_redacted);

        let secret = "{\"Image\":\"i\",\"Env\":[\"TOKEN=hunter2\"]}\n";
        let mut call =
            crate::event::sample_call(peer, "POST", "/v1.41/containers/create", Some(201));
        call.request_body = Captured {
            bytes: Bytes::from(secret),
            whole: true,
        };
        call.bytes_in = secret.len() as u64;
        let e = exchange(&call);
        let body = String::from_utf8(e.request_body.unwrap().to_vec()).unwrap();
        assert!(!body.contains("hunter2"), "{body}");
        assert!(body.contains("TOKEN="), "{body}");
        assert!(e.request_body_redacted);
    }
}
