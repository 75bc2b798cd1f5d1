//! HAR 1.2 (HTTP Archive), for browser dev tools, Postman, Insomnia and HAR viewers.

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{header, query_pairs, Exchange};
use crate::docker::time::rfc3339_millis;

/// `calls` as a HAR 1.2 document (`{"log": …}`), in the order given.
///
/// Every call is on the socket, so URLs are `http://docker/…` like the CLI's own. Bodies
/// are included as captured: UTF-8 as text, anything else base64 (`content.encoding`, and
/// for requests the `postData.encoding` HAR 1.3 proposes, since 1.2 has none); a body that
/// was not captured, or only in part, says so in a `comment`. Header sizes are unknown
/// (`-1`); all time is `wait`, as sockeye does not split sending and receiving.
pub fn har(calls: &[Exchange], creator_version: &str) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "sockeye", "version": creator_version },
            "entries": calls.iter().map(entry).collect::<Vec<_>>(),
        }
    })
}

fn entry(call: &Exchange) -> Value {
    let ms = crate::docker::time::millis(call.duration);
    let mut entry = json!({
        "startedDateTime": rfc3339_millis(call.started),
        "time": ms,
        "request": request(call),
        "response": response(call),
        "cache": {},
        "timings": { "send": 0, "wait": ms, "receive": 0 },
    });
    if call.hijacked {
        let e = entry.as_object_mut().expect("an object");
        e.insert("_hijacked".into(), true.into());
        e.insert(
            "comment".into(),
            "hijacked: the connection carried a raw stream after this response; the stream is \
             not part of this entry"
                .into(),
        );
    }
    entry
}

fn request(call: &Exchange) -> Value {
    let url = if call.target.starts_with('/') {
        format!("http://docker{}", call.target)
    } else {
        format!("http://docker/{}", call.target)
    };
    let mut req = json!({
        "method": call.method,
        "url": url,
        "httpVersion": call.http_version,
        "cookies": [],
        "headers": headers(&call.request_headers),
        "queryString": query_pairs(call.query())
            .into_iter()
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect::<Vec<_>>(),
        "headersSize": -1,
        "bodySize": call.request_body_size,
    });
    let captured = call.request_body.as_deref().unwrap_or_default();
    if call.request_body_size > 0 || !captured.is_empty() {
        let mime = header(&call.request_headers, "content-type").unwrap_or("");
        // A redacted body is whole: no "only the first N bytes" for it.
        let size = match call.request_body_redacted {
            true => captured.len() as u64,
            false => call.request_body_size,
        };
        let mut post = body(call.request_body.as_deref(), size, mime);
        if call.request_body_redacted {
            // Whole, but shorter or longer than sent: its secret values were replaced.
            post.insert(
                "comment".into(),
                "secret values redacted by sockeye: this is not the body as sent".into(),
            );
        }
        // postData requires `text` (or `params`): an uncaptured body has an empty one.
        post.entry("text").or_insert_with(|| "".into());
        post.remove("size");
        req["postData"] = Value::Object(post);
    }
    req
}

fn response(call: &Exchange) -> Value {
    let status = call.status.unwrap_or(0);
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mime = header(&call.response_headers, "content-type").unwrap_or("");
    let content = body(call.response_body.as_deref(), call.response_body_size, mime);
    let mut resp = json!({
        "status": status,
        "statusText": reason,
        "httpVersion": call.http_version,
        "cookies": [],
        "headers": headers(&call.response_headers),
        "content": content,
        "redirectURL": header(&call.response_headers, "location").unwrap_or(""),
        "headersSize": -1,
        "bodySize": call.response_body_size,
    });
    if call.status.is_none() {
        resp["comment"] = "no response was received".into();
    }
    resp
}

fn headers(headers: &[(String, String)]) -> Vec<Value> {
    headers
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

/// A HAR `content` object (and the base of `postData`): what was captured, how it is
/// encoded, and what is missing.
fn body(captured: Option<&[u8]>, size: u64, mime: &str) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("size".into(), size.into());
    c.insert("mimeType".into(), mime.into());
    match captured {
        None if size > 0 => {
            c.insert(
                "comment".into(),
                format!("body not captured ({size} bytes)").into(),
            );
        }
        None => {}
        Some(bytes) => {
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    c.insert("text".into(), text.into());
                }
                Err(_) => {
                    c.insert("text".into(), base64(bytes).into());
                    c.insert("encoding".into(), "base64".into());
                }
            }
            if (bytes.len() as u64) < size {
                c.insert(
                    "comment".into(),
                    format!(
                        "only the first {} of {size} bytes were captured",
                        bytes.len()
                    )
                    .into(),
                );
            }
        }
    }
    c
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::export::tests::{call, docker_ps_a};
    use bytes::Bytes;

    /// Checks a document against the HAR 1.2 spec's required fields and types.
    fn assert_valid_har(doc: &Value) {
        let ty = |v: &Value, path: &str, want: &str| {
            let ok = match want {
                "string" => v.is_string(),
                "number" => v.is_number(),
                "object" => v.is_object(),
                "array" => v.is_array(),
                "boolean" => v.is_boolean(),
                _ => unreachable!(),
            };
            assert!(ok, "{path} should be a {want}, is {v}");
        };
        let req = |v: &Value, path: &str, fields: &[(&str, &str)]| {
            ty(v, path, "object");
            for (k, want) in fields {
                let field = v.get(*k).unwrap_or_else(|| panic!("{path}.{k} is missing"));
                ty(field, &format!("{path}.{k}"), want);
            }
        };
        let pairs = |v: &Value, path: &str| {
            for (i, p) in v.as_array().unwrap().iter().enumerate() {
                req(
                    p,
                    &format!("{path}[{i}]"),
                    &[("name", "string"), ("value", "string")],
                );
            }
        };
        let log = &doc["log"];
        req(
            log,
            "log",
            &[
                ("version", "string"),
                ("creator", "object"),
                ("entries", "array"),
            ],
        );
        assert_eq!(log["version"], "1.2");
        req(
            &log["creator"],
            "log.creator",
            &[("name", "string"), ("version", "string")],
        );
        let date =
            regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$").unwrap();
        for (i, e) in log["entries"].as_array().unwrap().iter().enumerate() {
            let p = format!("entries[{i}]");
            req(
                e,
                &p,
                &[
                    ("startedDateTime", "string"),
                    ("time", "number"),
                    ("request", "object"),
                    ("response", "object"),
                    ("cache", "object"),
                    ("timings", "object"),
                ],
            );
            assert!(
                date.is_match(e["startedDateTime"].as_str().unwrap()),
                "{p}.startedDateTime"
            );
            let r = &e["request"];
            req(
                r,
                &format!("{p}.request"),
                &[
                    ("method", "string"),
                    ("url", "string"),
                    ("httpVersion", "string"),
                    ("cookies", "array"),
                    ("headers", "array"),
                    ("queryString", "array"),
                    ("headersSize", "number"),
                    ("bodySize", "number"),
                ],
            );
            pairs(&r["headers"], &format!("{p}.request.headers"));
            pairs(&r["queryString"], &format!("{p}.request.queryString"));
            if let Some(post) = r.get("postData") {
                req(
                    post,
                    &format!("{p}.request.postData"),
                    &[("mimeType", "string")],
                );
                assert!(
                    post.get("text").is_some_and(Value::is_string)
                        ^ post.get("params").is_some_and(Value::is_array),
                    "{p}.request.postData needs text or params, not both"
                );
            }
            let r = &e["response"];
            req(
                r,
                &format!("{p}.response"),
                &[
                    ("status", "number"),
                    ("statusText", "string"),
                    ("httpVersion", "string"),
                    ("cookies", "array"),
                    ("headers", "array"),
                    ("content", "object"),
                    ("redirectURL", "string"),
                    ("headersSize", "number"),
                    ("bodySize", "number"),
                ],
            );
            pairs(&r["headers"], &format!("{p}.response.headers"));
            let c = &r["content"];
            req(
                c,
                &format!("{p}.response.content"),
                &[("size", "number"), ("mimeType", "string")],
            );
            for opt in ["text", "encoding", "comment"] {
                if let Some(v) = c.get(opt) {
                    ty(v, &format!("{p}.response.content.{opt}"), "string");
                }
            }
            let t = &e["timings"];
            req(
                t,
                &format!("{p}.timings"),
                &[
                    ("send", "number"),
                    ("wait", "number"),
                    ("receive", "number"),
                ],
            );
            let sum: f64 = ["blocked", "dns", "connect", "send", "wait", "receive"]
                .iter()
                .filter_map(|k| t.get(*k)?.as_f64())
                .filter(|&v| v >= 0.0)
                .sum();
            assert!(
                (sum - e["time"].as_f64().unwrap()).abs() < 1e-6,
                "{p}.time is the sum of timings"
            );
        }
    }

    #[test]
    fn docker_ps_a_is_a_valid_har_with_decoded_query() {
        let doc = har(&docker_ps_a(), "0.1.0");
        assert_valid_har(&doc);
        let entries = doc["log"]["entries"].as_array().unwrap();
        assert_eq!(
            doc["log"]["creator"],
            json!({"name": "sockeye", "version": "0.1.0"})
        );
        let ping = &entries[0];
        assert_eq!(ping["startedDateTime"], "2026-11-22T19:40:58.153Z");
        assert_eq!(ping["time"], 2.253);
        assert_eq!(ping["request"]["method"], "HEAD");
        assert_eq!(ping["request"]["url"], "http://docker/_ping");
        assert!(ping["request"].get("postData").is_none());
        assert_eq!(ping["response"]["statusText"], "OK");
        assert_eq!(
            ping["response"]["content"]["mimeType"],
            "text/plain; charset=utf-8"
        );
        let list = &entries[1];
        assert_eq!(
            list["request"]["url"],
            "http://docker/v1.41/containers/json?all=1"
        );
        assert_eq!(
            list["request"]["queryString"],
            json!([{"name": "all", "value": "1"}])
        );
        assert_eq!(
            list["response"]["content"]["text"],
            r#"[{"Id":"6336c44b261a","Names":["/probe-x"],"State":"running"}]"#
        );
        assert_eq!(list["response"]["content"]["size"], 62);
        assert_eq!(list["response"]["bodySize"], 62);
    }

    #[test]
    fn binary_partial_and_missing_bodies_are_marked_not_invented() {
        // trace cp-from: a tar response; trace load: a tar upload too big to capture.
        let mut cp = call(
            "GET",
            "/v1.41/containers/probe-x/archive?path=%2Fetc%2Fhostname",
            200,
        );
        cp.response_headers = vec![("Content-Type".into(), "application/x-tar".into())];
        cp.response_body = Some(Bytes::from_static(b"hostname\0\0\xff"));
        cp.response_body_size = 2048;
        let mut load = call("POST", "/v1.41/images/load?quiet=1", 200);
        load.request_headers
            .push(("Content-Type".into(), "application/x-tar".into()));
        load.request_body = None;
        load.request_body_size = 1_704_200;
        let mut put = call("PUT", "/v1.41/containers/x/archive?path=%2F", 200);
        put.request_body = Some(Bytes::from_static(b"\x00\xff"));
        put.request_body_size = 2;
        let mut gone = call("GET", "/v1.41/events", 200);
        gone.status = None;
        gone.response_headers.clear();
        gone.response_body = None;
        let doc = har(&[cp, load, put, gone], "0.1.0");
        assert_valid_har(&doc);
        let e = &doc["log"]["entries"];
        let content = &e[0]["response"]["content"];
        assert_eq!(content["encoding"], "base64");
        assert_eq!(content["text"], "aG9zdG5hbWUAAP8=");
        assert_eq!(
            content["comment"],
            "only the first 11 of 2048 bytes were captured"
        );
        assert_eq!(
            e[0]["request"]["queryString"],
            json!([{"name": "path", "value": "/etc/hostname"}])
        );
        let post = &e[1]["request"]["postData"];
        assert_eq!(post["mimeType"], "application/x-tar");
        assert_eq!(post["text"], "");
        assert_eq!(post["comment"], "body not captured (1704200 bytes)");
        assert_eq!(e[1]["request"]["bodySize"], 1_704_200);
        assert_eq!(e[2]["request"]["postData"]["text"], "AP8=");
        assert_eq!(e[2]["request"]["postData"]["encoding"], "base64");
        assert_eq!(e[3]["response"]["status"], 0);
        assert_eq!(e[3]["response"]["comment"], "no response was received");
    }

    #[test]
    fn a_hijack_and_a_redirect_are_recorded_as_such() {
        let mut attach = call(
            "POST",
            "/v1.41/containers/d2d4/attach?stderr=1&stdout=1&stream=1",
            101,
        );
        attach.hijacked = true;
        let mut moved = call("GET", "/v1.41/containers/../info", 301);
        moved
            .response_headers
            .push(("Location".into(), "/v1.41/info".into()));
        let doc = har(&[attach, moved], "0.1.0");
        assert_valid_har(&doc);
        let e = &doc["log"]["entries"];
        assert_eq!(e[0]["_hijacked"], true);
        assert_eq!(e[0]["response"]["statusText"], "Switching Protocols");
        assert_eq!(e[1]["response"]["redirectURL"], "/v1.41/info");
    }

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }
}
