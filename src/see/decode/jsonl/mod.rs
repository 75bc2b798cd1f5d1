//! Streams of JSON objects: image progress, build output, events, stats.

mod events;
mod progress;
mod stats;

use serde_json::Value;

use super::escape::{escape, escape_into, Style};
use super::lines::LineBuf;
use super::{Label, Line};

/// A record longer than this is not parsed (stats objects are ~2 KiB, progress ~200 B);
/// without a bound, a stream with no newline would be buffered forever.
pub const MAX_RECORD: usize = 1 << 20;

/// Compact renderings of whole objects are cut here.
const MAX_COMPACT: usize = 300;

/// Which stream the objects come from, so each becomes the line that matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonKind {
    /// Pull, push, load, import, build, plugin pull/upgrade/push: `status`/`progress`,
    /// build `stream` text, `aux`, in-band `error`.
    Progress,
    /// `GET /events`.
    Events,
    /// `GET /containers/{id}/stats`.
    Stats,
    /// Any other JSON-lines body: one compact object per line.
    Plain,
}

/// Objects separated by LF, CRLF or the json-seq RS byte → one line each; what does not
/// parse is shown as escaped text, so a stream that is not what its route promised is
/// still visible.
#[derive(Debug)]
pub struct JsonLines {
    kind: JsonKind,
    pending: Vec<u8>,
    /// Discarding the rest of an over-long record, up to its newline.
    skipping: bool,
    /// Build output arrives as text fragments (`"Step 1/3 : FROM x"`, then `"\n"`);
    /// they are joined into the lines the CLI would print.
    text: LineBuf,
}

impl JsonLines {
    pub fn new(kind: JsonKind) -> JsonLines {
        JsonLines {
            kind,
            pending: Vec::new(),
            skipping: false,
            text: LineBuf::new(Label::Stream),
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            if self.skipping {
                self.skipping = false;
            } else if self.pending.is_empty() {
                self.record(&bytes[..i], &mut out);
            } else {
                self.pending.extend_from_slice(&bytes[..i]);
                let record = std::mem::take(&mut self.pending);
                self.record(&record, &mut out);
            }
            bytes = &bytes[i + 1..];
        }
        if !self.skipping {
            self.pending.extend_from_slice(bytes);
            if self.pending.len() > MAX_RECORD {
                self.pending = Vec::new();
                self.skipping = true;
                self.text.flush(&mut out);
                out.push(Line::note(format!(
                    "record longer than {MAX_RECORD} bytes not shown"
                )));
            }
        }
        out
    }

    /// Show unfinished build text now.
    pub fn flush(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        self.text.flush(&mut out);
        out
    }

    /// End of stream: a last record without newline (a Go encoder always writes one, but
    /// a cut stream may not) and unfinished build text.
    pub fn finish(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        let record = std::mem::take(&mut self.pending);
        if !self.skipping {
            self.record(&record, &mut out);
        }
        self.skipping = false;
        self.text.flush(&mut out);
        out
    }

    fn record(&mut self, line: &[u8], out: &mut Vec<Line>) {
        let line = line.trim_ascii_start();
        // json-seq (RFC 7464) puts RS before each record.
        let line = line.strip_prefix(b"\x1e").unwrap_or(line).trim_ascii();
        if line.is_empty() {
            return;
        }
        let mut values = serde_json::Deserializer::from_slice(line).into_iter::<Value>();
        loop {
            match values.next() {
                Some(Ok(v)) => self.value(&v, out),
                Some(Err(_)) => {
                    let rest = line[values.byte_offset()..].trim_ascii();
                    self.text.flush(out);
                    out.push(Line {
                        label: Label::Text,
                        text: escape(rest),
                    });
                    break;
                }
                None => break,
            }
        }
    }

    fn value(&mut self, v: &Value, out: &mut Vec<Line>) {
        if let (JsonKind::Progress, Some(text)) = (self.kind, v.get("stream")) {
            if let Some(text) = text.as_str() {
                self.text.push(text.as_bytes(), out);
                return;
            }
        }
        // Anything else stands on its own line, after the build text it followed.
        self.text.flush(out);
        let (label, text) = match error_message(v) {
            Some(msg) => (Label::Error, msg),
            None => match self.kind {
                JsonKind::Progress => progress::progress(v),
                JsonKind::Events => events::event(v),
                JsonKind::Stats => stats::stats(v),
                JsonKind::Plain => None,
            }
            .unwrap_or_else(|| (Label::Text, compact(v))),
        };
        out.push(Line { label, text });
    }
}

/// An error the daemon reported in-band (`error` / `errorDetail` in progress streams) or
/// as the whole body (`{"message": …}` before streaming started).
fn error_message(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    let detail = o
        .get("errorDetail")
        .and_then(|d| d.get("message"))
        .and_then(Value::as_str);
    let msg = detail
        .or_else(|| o.get("error").and_then(Value::as_str))
        .or_else(|| {
            // A `message` alone is an error body; a `message` among other fields is data.
            (o.len() == 1).then(|| o.get("message")?.as_str()).flatten()
        })?;
    Some(escape(msg.as_bytes()))
}

/// Full 64-hex ids shortened to 12 like the CLI prints them; anything else unchanged.
fn short_id(id: &str) -> &str {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..12]
    } else {
        id
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// One object on one line, cut to a readable length; JSON escapes kept as they were.
fn compact(v: &Value) -> String {
    let json = cut(&v.to_string(), MAX_COMPACT);
    let mut out = String::with_capacity(json.len());
    escape_into(
        &mut out,
        json.as_bytes(),
        Style {
            newlines: false,
            backslash: false,
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::decode::tests::lines;

    pub(super) fn decode_all(kind: JsonKind, chunks: &[&[u8]]) -> Vec<Line> {
        let mut d = JsonLines::new(kind);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.push(c));
        }
        out.extend(d.finish());
        out
    }

    #[test]
    fn what_is_not_json_in_a_json_stream_is_shown_as_text() {
        let got = decode_all(
            JsonKind::Plain,
            &[b"{\"a\":1}\r\n\x1e{\"b\":2}\nnot json \x1b[31m\n{\"a\":1} tail\n"],
        );
        assert_eq!(
            lines(&got),
            [
                (Label::Text, r#"{"a":1}"#),
                (Label::Text, r#"{"b":2}"#),
                (Label::Text, "not json \\x1b[31m"),
                (Label::Text, r#"{"a":1}"#),
                (Label::Text, "tail"),
            ]
        );
    }

    #[test]
    fn a_record_that_never_ends_is_dropped_not_buffered() {
        let mut d = JsonLines::new(JsonKind::Plain);
        let chunk = vec![b'x'; MAX_RECORD / 2 + 1];
        assert!(d.push(&chunk).is_empty());
        let got = d.push(&chunk);
        assert_eq!(
            lines(&got),
            [(Label::Note, "record longer than 1048576 bytes not shown")]
        );
        assert!(d.push(&chunk).is_empty());
        assert_eq!(
            lines(&d.push(b"x\n{\"ok\":true}\n")),
            [(Label::Text, r#"{"ok":true}"#)]
        );
    }
}
