//! `-v`: each call's heads, bodies and decoded streams, as they happen.
//!
//! Lines of concurrent calls interleave; each carries the call's id (`#conn.req`).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use crate::event::{Call, CallId, Captured, Dir, Event, RequestHead, ResponseHead};
use crate::see::decode::{self, Decoder, Direction, Label, Line};

use super::line::{call_line, clock, status_text};
use super::{Style, ViewOptions};

struct Open {
    head: Arc<RequestHead>,
    responded: bool,
    /// Request body bytes seen before the response (shown, decoded, with the response).
    request_body: Vec<u8>,
    request_total: usize,
    to_client: Stream,
    to_daemon: Stream,
}

/// One direction of a call's body or session, decoded and capped.
#[derive(Default)]
struct Stream {
    decoder: Option<Decoder>,
    /// A body that may hold secrets is kept (up to the limit) and shown redacted at its end.
    held: Option<Vec<u8>>,
    shown: usize,
    capped: bool,
}

pub struct Verbose {
    opts: ViewOptions,
    open: HashMap<CallId, Open>,
}

impl Verbose {
    pub fn new(opts: &ViewOptions) -> Self {
        Verbose {
            opts: opts.clone(),
            open: HashMap::new(),
        }
    }

    pub fn show(&mut self, event: &Event, out: &mut Vec<u8>) {
        match event {
            Event::Request(head) => self.request(head, out),
            Event::Response(resp) => self.response(resp, out),
            Event::Data { id, dir, bytes } => self.data(*id, *dir, bytes, out),
            Event::Call(call) => self.end(call, out),
            Event::Wire { .. } | Event::Notice(_) | Event::Begun { .. } => {}
        }
    }

    fn request(&mut self, head: &Arc<RequestHead>, out: &mut Vec<u8>) {
        let s = &self.opts.style;
        let _ = writeln!(
            out,
            "{} {}  {}  {} {} {:?}",
            s.bold(&format!("▶ {}", head.id)),
            s.dim(&clock(head.start)),
            head.caller.peer,
            head.method,
            crate::see::describe::shown_target(head),
            head.version
        );
        write_headers(out, &head.headers, s);
        self.open.insert(
            head.id,
            Open {
                head: head.clone(),
                responded: false,
                request_body: Vec::new(),
                request_total: 0,
                to_client: Stream::default(),
                to_daemon: Stream::default(),
            },
        );
    }

    fn response(&mut self, resp: &Arc<ResponseHead>, out: &mut Vec<u8>) {
        let limit = self.opts.body_limit;
        let s = self.opts.style;
        let Some(open) = self.open.get_mut(&resp.id) else {
            return;
        };
        request_body(open, limit, out, &s);
        open.responded = true;
        let _ = writeln!(
            out,
            "{} {}",
            s.bold(&format!("◀ {}", resp.id)),
            s.status(Some(resp.status), &status_text(Some(resp.status)))
        );
        write_headers(out, &resp.headers, &s);
        let op = open.head.route.operation();
        let tty = decode::tty_in_body(&open.request_body);
        let ct = resp
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let (down, up) = if resp.status == 101 {
            (Direction::TunnelToClient, Direction::TunnelToDaemon)
        } else {
            (Direction::Response, Direction::Request)
        };
        if down == Direction::Response && crate::see::redact::body_may_hold_secrets(op) {
            open.to_client.held = Some(Vec::new());
        } else {
            open.to_client.decoder = Some(decode::choose(op, down, ct, tty).decoder());
        }
        open.to_daemon.decoder = Some(decode::choose(op, up, None, tty).decoder());
    }

    fn data(&mut self, id: CallId, dir: Dir, bytes: &[u8], out: &mut Vec<u8>) {
        let limit = self.opts.body_limit;
        let s = self.opts.style;
        let Some(open) = self.open.get_mut(&id) else {
            return;
        };
        if dir == Dir::ToDaemon && !open.responded {
            open.request_total += bytes.len();
            let room = limit.saturating_sub(open.request_body.len());
            open.request_body
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
            return;
        }
        let (stream, arrow) = match dir {
            Dir::ToClient => (&mut open.to_client, "◀"),
            Dir::ToDaemon => (&mut open.to_daemon, "▶"),
        };
        if stream.capped {
            return;
        }
        if let Some(held) = stream.held.as_mut() {
            let take = bytes.len().min(limit.saturating_sub(held.len()));
            held.extend_from_slice(&bytes[..take]);
            stream.capped = take < bytes.len();
            return;
        }
        let Some(decoder) = stream.decoder.as_mut() else {
            return;
        };
        let take = bytes.len().min(limit.saturating_sub(stream.shown));
        stream.shown += take;
        let mut lines = decoder.push(&bytes[..take]);
        // Interactive output (a shell prompt) has no newline: show it now, not at the end.
        lines.extend(decoder.flush());
        write_lines(out, arrow, id, &lines, &s);
        if take < bytes.len() {
            stream.capped = true;
            let note = Line {
                label: Label::Note,
                text: format!("… more than --body-limit {limit} bytes; the rest is not shown"),
            };
            write_lines(out, arrow, id, &[note], &s);
        }
    }

    fn end(&mut self, call: &Call, out: &mut Vec<u8>) {
        let s = self.opts.style;
        let id = call.head.id;
        if let Some(mut open) = self.open.remove(&id) {
            // A call sockeye answered itself never had a response event; show its body now.
            request_body(&mut open, self.opts.body_limit, out, &s);
            if let Some(held) = open.to_client.held.take() {
                let op = open.head.route.operation();
                let lines = redacted_json(op, &held, open.to_client.capped || call.incomplete);
                write_lines(out, "◀", id, &lines, &s);
            }
            for (arrow, stream) in [("◀", &mut open.to_client), ("▶", &mut open.to_daemon)] {
                if let Some(d) = stream.decoder.as_mut() {
                    if stream.shown > 0 {
                        let lines = d.finish();
                        write_lines(out, arrow, id, &lines, &s);
                    }
                }
            }
        }
        let _ = writeln!(
            out,
            "{} {}",
            s.bold(&format!("■ {id}")),
            call_line(call, &s)
        );
    }
}

/// The request body, decoded, once it has (mostly) arrived: JSON redacted and indented,
/// tar summarized, anything else escaped.
fn request_body(open: &mut Open, limit: usize, out: &mut Vec<u8>, s: &Style) {
    if open.request_body.is_empty() || open.responded {
        return;
    }
    let whole = open.request_total <= limit;
    let captured = Captured {
        bytes: open.request_body.clone().into(),
        whole,
    };
    let d = crate::see::describe::describe(&open.head, &captured);
    let lines: Vec<Line> = match d.request_json {
        Some(v) => serde_json::to_string_pretty(&v)
            .unwrap_or_default()
            .lines()
            .map(|l| Line { label: Label::Text, text: l.to_string() })
            .collect(),
        None if crate::see::redact::body_may_hold_secrets(open.head.route.operation()) => vec![Line {
            label: Label::Note,
            text: format!(
                "{} bytes, not shown: a body of this kind may hold secrets and could not be read as JSON",
                open.request_total
            ),
        }],
        None => {
            let ct = open.head.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let op = open.head.route.operation();
            let mut dec = decode::choose(op, Direction::Request, ct, None).decoder();
            let mut lines = dec.push(&open.request_body);
            if whole {
                lines.extend(dec.finish());
            } else {
                lines.extend(dec.flush());
                lines.push(Line {
                    label: Label::Note,
                    text: format!("… {} bytes in all", open.request_total),
                });
            }
            lines
        }
    };
    write_lines(out, "▶", open.head.id, &lines, s);
}

/// A body that may hold secrets: shown only as parsed, redacted JSON.
fn redacted_json(
    op: Option<crate::docker::endpoint::Operation>,
    body: &[u8],
    cut: bool,
) -> Vec<Line> {
    if body.is_empty() {
        return Vec::new();
    }
    let parsed = (!cut)
        .then(|| serde_json::from_slice::<serde_json::Value>(body).ok())
        .flatten();
    match parsed {
        Some(mut v) => {
            crate::see::redact::json_body(op, &mut v);
            serde_json::to_string_pretty(&v)
                .unwrap_or_default()
                .lines()
                .map(|l| Line {
                    label: Label::Text,
                    text: l.to_string(),
                })
                .collect()
        }
        None => vec![Line {
            label: Label::Note,
            text: format!(
                "{} bytes, not shown: a body of this kind may hold secrets and it could not be \
                 read whole as JSON (raise --body-limit to see it)",
                body.len()
            ),
        }],
    }
}

fn write_lines(out: &mut Vec<u8>, arrow: &str, id: CallId, lines: &[Line], s: &Style) {
    for line in lines {
        let label = format!("{:>8}", line.label.as_str());
        let label = match line.label {
            Label::Stderr | Label::Error | Label::System => s.stderr(&label),
            _ => s.dim(&label),
        };
        let _ = writeln!(
            out,
            "  {} {} {}",
            s.dim(&format!("{arrow} {id}")),
            label,
            line.text
        );
    }
}

fn write_headers(out: &mut Vec<u8>, headers: &http::HeaderMap, s: &Style) {
    for (name, value) in headers {
        let shown = crate::see::redact::header_value(name.as_str(), value.as_bytes());
        let _ = writeln!(out, "  {} {}: {}", s.dim("│"), name, shown);
    }
}
