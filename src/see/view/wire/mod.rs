//! `--raw`: the bytes on each client connection, the way `socat -v` shows them: a direction
//! line with timestamp, length and offsets, then what the bytes say, with `\r` made visible.
//!
//! Unlike socat, secrets are never shown. Each connection is parsed as HTTP/1, incrementally
//! and per direction, and what a chunk completes is shown redacted through `crate::see::redact`:
//! the request line (query), header lines, JSON bodies (buffered whole, then redacted), and
//! `/auth` and other plain JSON answers. Other bodies (tar uploads, streams) and hijacked
//! sessions are shown escaped and capped; HTTP/2 (BuildKit sessions carry build secrets and
//! registry credentials) and anything the view has lost track of are counted, not shown.

mod conn;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::docker::endpoint::Operation;
use crate::event::{Dir, Event};

use super::{Style, ViewOptions};

use conn::Conn;

/// Connections whose parsing state is kept; past this the oldest are forgotten.
const MAX_CONNS: usize = 4096;

/// The redaction the view applies: `crate::see::redact` (tests substitute their own to check the
/// plumbing whatever the redaction rules are).
#[derive(Clone, Copy)]
struct Redactor {
    header: for<'a> fn(&str, &'a [u8]) -> Cow<'a, str>,
    json: fn(Option<Operation>, &mut serde_json::Value),
    query: fn(Option<Operation>, &str) -> String,
}

const REDACT: Redactor = Redactor {
    header: crate::see::redact::header_value,
    json: crate::see::redact::json_body,
    query: crate::see::redact::query,
};

pub struct Wire {
    conns: HashMap<u64, Conn>,
    /// Connections up to this number may have been forgotten: their bytes are not shown.
    forgotten_upto: u64,
    /// Events seen, to know which connection was quiet the longest.
    tick: u64,
    redactor: Redactor,
    style: Style,
}

impl Wire {
    pub fn new(opts: &ViewOptions) -> Self {
        Wire::with(REDACT, opts.style)
    }

    fn with(redactor: Redactor, style: Style) -> Self {
        Wire {
            conns: HashMap::new(),
            forgotten_upto: 0,
            tick: 0,
            redactor,
            style,
        }
    }

    pub fn show(&mut self, event: &Event, out: &mut Vec<u8>) {
        let Event::Wire {
            conn,
            dir,
            at,
            offset,
            bytes,
        } = event
        else {
            return;
        };
        let to_daemon = *dir == Dir::ToDaemon;
        if !self.conns.contains_key(conn) && self.conns.len() >= MAX_CONNS {
            // Forget the connection quiet the longest (most likely closed: events do not say).
            let idle = self
                .conns
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(&n, _)| n);
            if let Some(idle) = idle {
                self.conns.remove(&idle);
                self.forgotten_upto = self.forgotten_upto.max(idle);
            }
        }
        // Connection numbers only grow, so an unknown one at or below a forgotten one was
        // seen before: its bytes cannot be parsed from the middle.
        let forgotten = *conn <= self.forgotten_upto;
        let state = self.conns.entry(*conn).or_insert_with(|| {
            if forgotten {
                Conn::forgotten()
            } else {
                Conn::default()
            }
        });
        self.tick += 1;
        state.used = self.tick;
        let side = usize::from(!to_daemon);
        if *offset != state.sent[side] {
            // The live channel dropped bytes of this connection: what follows can no longer
            // be parsed (a secret could look like anything), so nothing more of it is shown.
            let (used, mut sent) = (state.used, state.sent);
            sent[side] = *offset;
            *state = Conn::forgotten();
            state.used = used;
            state.sent = sent;
        }
        let start = state.sent[side];
        state.sent[side] += bytes.len() as u64;
        let _ = writeln!(
            out,
            "{} {}  length={} from={} to={}  conn={}",
            if to_daemon { '>' } else { '<' },
            timestamp(*at),
            bytes.len(),
            start,
            (start + bytes.len() as u64).saturating_sub(1),
            conn
        );
        let mut shown = Vec::new();
        state.feed(to_daemon, bytes, &self.redactor, &self.style, &mut shown);
        if shown.is_empty() && !bytes.is_empty() {
            shown.extend_from_slice(
                self.style
                    .dim("(held until what it belongs to is complete)")
                    .as_bytes(),
            );
        }
        out.extend_from_slice(&shown);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        let _ = writeln!(out, "--");
    }
}

/// socat -v style: text as is, `\r` shown as the two characters `\r`, other control and
/// non-UTF-8 bytes as `\xNN`, newlines kept.
pub fn visible(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for &b in bytes {
        match b {
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' | b'\t' => out.push(b),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out
}

/// `2026/11/22 12:00:01.234567` (UTC), as socat prints it.
fn timestamp(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    // `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    let rfc = crate::docker::time::rfc3339(secs, since.subsec_nanos(), 6);
    let date = rfc.get(..10).unwrap_or("").replace('-', "/");
    let time = rfc.get(11..rfc.len().saturating_sub(1)).unwrap_or("");
    format!("{date} {time}")
}
