//! One call as the inspector page shows it: a row of the timeline (the `--format json`
//! object, [`call_json`], without its body) and, on demand, its detail (heads, bodies
//! decoded, the curl command) from the redacted export record — so the page shows nothing
//! the other views and exports would not.

use std::time::SystemTime;

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::docker::endpoint::Operation;
use crate::event::{AnsweredBy, Call, Captured, RequestHead, ResponseHead};
use crate::see::decode::{self, Direction, Format};
use crate::see::export::{curl_script, Daemon, Exchange};
use crate::see::view::call_json;

/// The timeline row of `call`: its JSON object without the request body (the detail has it).
pub fn row(call: &Call) -> Map<String, Value> {
    let mut v = match call_json(call) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    v.remove("request_body");
    v
}

/// A call that began (a session, `logs -f`, `wait`) and runs on: a finished-looking call
/// with what is known so far, to be replaced by the real one when it ends.
pub fn begun(head: &std::sync::Arc<RequestHead>, response: &std::sync::Arc<ResponseHead>) -> Call {
    Call {
        head: head.clone(),
        response: Some(response.clone()),
        answered_by: AnsweredBy::Daemon,
        bytes_in: 0,
        bytes_out: 0,
        hijacked: response.status == 101,
        incomplete: false,
        duration: SystemTime::now()
            .duration_since(head.start)
            .unwrap_or_default(),
        error: None,
        request_body: Captured::default(),
        response_body: Captured::default(),
        verdict: None,
        facts: None,
        fault: None,
    }
}

/// An export record whose bodies are at most `keep` bytes: a copy, so that the inspector
/// does not hold a larger capture buffer alive through a slice of it.
pub fn kept(mut ex: Exchange, keep: usize) -> Exchange {
    let cut = |b: &mut Option<Bytes>| {
        if let Some(bytes) = b {
            if bytes.len() > keep {
                *bytes = Bytes::copy_from_slice(&bytes[..keep]);
            }
        }
    };
    cut(&mut ex.request_body);
    cut(&mut ex.response_body);
    ex
}

/// The detail of a call recorded with its heads and bodies.
pub fn detail(row: &Map<String, Value>, ex: &Exchange, daemon: &Daemon) -> Value {
    let op =
        crate::docker::endpoint::classify(&ex.method, ex.target.split('?').next().unwrap_or(""))
            .operation();
    let tty = ex.request_body.as_deref().and_then(decode::tty_in_body);
    let request_body = body(
        op,
        Direction::Request,
        header(&ex.request_headers, "content-type"),
        None,
        ex.request_body.as_ref(),
        ex.request_body_size,
    );
    let down = if ex.hijacked {
        Direction::TunnelToClient
    } else {
        Direction::Response
    };
    let response_body = body(
        op,
        down,
        header(&ex.response_headers, "content-type"),
        tty,
        ex.response_body.as_ref(),
        ex.response_body_size,
    );
    json!({
        "call": row,
        "request": {
            "line": format!("{} {} {}", ex.method, ex.target, ex.http_version),
            "headers": ex.request_headers,
            "body": request_body,
            "redacted": ex.request_body_redacted,
        },
        "response": ex.status.map(|status| json!({
            "line": format!("{} {status} {}", ex.http_version, reason(status)),
            "headers": ex.response_headers,
            "body": response_body,
        })),
        "curl": curl_script(std::slice::from_ref(ex), daemon),
    })
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A body as the page shows it: `{"json": …}` for a JSON document (folded in the page),
/// `{"lines": [[label, text], …]}` for what the stream decoders make of anything else
/// (stdout/stderr frames, progress, events, tar entries), `{"note": …}` for none.
fn body(
    op: Option<Operation>,
    dir: Direction,
    content_type: Option<&str>,
    tty: Option<bool>,
    bytes: Option<&Bytes>,
    size: u64,
) -> Value {
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return if size == 0 {
            json!({ "note": "no body", "size": 0 })
        } else {
            json!({ "note": format!("{size} bytes, not kept"), "size": size })
        };
    };
    let whole = bytes.len() as u64 >= size;
    let format = decode::choose(op, dir, content_type, tty);
    if terminal_output(op, dir, format, bytes) {
        // As the bytes came: the page plays them as a terminal would (carriage returns,
        // backspaces, colours, erasing), where the views show them escaped. JSON carries
        // every control character escaped; the page puts text, never markup, on screen.
        return json!({
            "tty": String::from_utf8_lossy(bytes),
            "size": size,
            "cut": !whole,
        });
    }
    if matches!(format, Format::Json | Format::Sniff)
        || bytes.first() == Some(&b'{')
        || bytes.first() == Some(&b'[')
    {
        if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
            return json!({ "json": v, "size": size });
        }
    }
    let mut decoder = format.decoder();
    let mut lines = decoder.push(bytes);
    if whole {
        lines.extend(decoder.finish());
    } else {
        lines.extend(decoder.flush());
        lines.push(decode::Line {
            label: decode::Label::Note,
            text: format!("… the first {} of {size} bytes", bytes.len()),
        });
    }
    let lines: Vec<(&str, String)> = lines
        .into_iter()
        .map(|l| (l.label.as_str(), l.text))
        .collect();
    json!({ "lines": lines, "size": size })
}

/// Whether `bytes` are what a container's TTY wrote: the output of an attach, exec or logs
/// whose container or exec has a TTY, or that is not framed as the multiplexed stream is
/// (`docker run -t` attaches before anything says whether there is a TTY).
fn terminal_output(op: Option<Operation>, dir: Direction, format: Format, bytes: &[u8]) -> bool {
    use Operation::*;
    let output = matches!(dir, Direction::TunnelToClient | Direction::Response)
        && matches!(op, Some(ContainerAttach | ExecStart | ContainerLogs));
    let framed = bytes.len() >= 8 && bytes[0] <= 2 && bytes[1..4] == [0, 0, 0];
    output
        && match format {
            Format::Raw(decode::Label::Stdout) => true,
            Format::Multiplexed => !framed,
            _ => false,
        }
}
