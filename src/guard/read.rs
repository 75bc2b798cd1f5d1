//! A request read exactly as dockerd will read it: the path dockerd routes, the query Go's
//! `ParseForm` makes (with a form body's values), and a JSON body decoded once into what is
//! decided on and forwarded. Pure but for [`read_whole`], which takes the body off the wire.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::Value;

use std::sync::Arc;

use crate::caller::Caller;
use crate::docker::endpoint::{Classified, Disposition, Operation};
use crate::docker::facts::{self, Facts};
use crate::docker::gojson::{self, Form};
use crate::guard::error::ProxyError;
use crate::guard::policy::{RequestFacts, FACT_OPERATIONS};

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
        Err(e) => Err(broken_body(what(), &*e)),
    }
}

/// A client's request body that did not arrive whole, from hyper's error reading it: the
/// client's fault either way. Cut off ([`ProxyError::BodyAborted`]): the client closed or
/// reset its connection before the body's end. Malformed ([`ProxyError::UnreadableBody`]):
/// its framing is not HTTP/1.1 (a chunk size that is not hex, negative or overflowing, chunk
/// data longer than its size), which hyper reports as invalid input or data.
pub fn broken_body(what: String, e: &(dyn std::error::Error + 'static)) -> ProxyError {
    use std::io::ErrorKind;
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                ErrorKind::UnexpectedEof => ProxyError::BodyAborted {
                    reason: "the client closed its connection before the body's end".into(),
                },
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe => ProxyError::BodyAborted {
                    reason: format!("the client's connection failed ({io})"),
                },
                _ => ProxyError::UnreadableBody {
                    what,
                    reason: io.to_string(),
                },
            };
        }
        cur = err.source();
    }
    // No I/O cause: hyper ended the body because the client's connection failed.
    ProxyError::BodyAborted {
        reason: format!("the client's connection failed ({e})"),
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
