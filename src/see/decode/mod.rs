//! Body and stream bytes → readable, labelled lines, for views of live traffic.
//!
//! Every decoder is incremental: the relay hands it bytes as they stream, cut anywhere (a
//! frame header or a UTF-8 character may straddle two pushes), and it returns the lines
//! those bytes completed. Memory is bounded per decoder whatever the body's size: partial
//! lines, one tar header and one JSON record at most. Nothing here does I/O.
//!
//! All text that came off the wire is escaped ([`escape`]) before it is put in a [`Line`],
//! so a view can print lines as they are.

mod choose;
mod escape;
mod jsonl;
mod lines;
mod mux;
mod pretty;
mod tar;

use std::fmt;

pub use choose::{choose, tty_in_body, Direction, Format};
pub use escape::escape;
pub(crate) use escape::hides_text;
pub use jsonl::{JsonKind, JsonLines, MAX_RECORD};
pub use mux::{Multiplexed, Raw};
pub use pretty::pretty_json;
pub use tar::{TarSummary, DEFAULT_MAX_ENTRIES};

/// How much of a JSON body [`Format::Json`] keeps and shows.
pub const DEFAULT_JSON_CAP: usize = 64 * 1024;

/// What a line is: the stream it came from, or what kind of record it renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    /// Stream 0 of a multiplexed body, or what the client typed into a hijacked stream.
    Stdin,
    Stdout,
    Stderr,
    /// Stream 3: an error dockerd wrote into the stream itself.
    System,
    /// Build and load output text (`{"stream": …}`).
    Stream,
    /// Image/plugin progress: status, progress bar, `aux`.
    Progress,
    Event,
    Stats,
    /// A tar entry.
    Tar,
    /// A body shown as text: pretty JSON, `text/*`, what failed to parse.
    Text,
    /// An error the daemon reported in the body (`error`, `errorDetail`, `message`).
    Error,
    /// The decoder's own remark: a format switch, a cut-off, a summary.
    Note,
}

impl Label {
    pub const fn as_str(self) -> &'static str {
        match self {
            Label::Stdin => "stdin",
            Label::Stdout => "stdout",
            Label::Stderr => "stderr",
            Label::System => "system",
            Label::Stream => "stream",
            Label::Progress => "progress",
            Label::Event => "event",
            Label::Stats => "stats",
            Label::Tar => "tar",
            Label::Text => "text",
            Label::Error => "error",
            Label::Note => "note",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line to show: already escaped, no newline inside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub label: Label,
    pub text: String,
}

impl Line {
    fn note(text: impl Into<String>) -> Line {
        Line {
            label: Label::Note,
            text: text.into(),
        }
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>8} {}", self.label.as_str(), self.text)
    }
}

/// Any of the decoders, as [`Format`] picks them.
///
/// Call [`Decoder::push`] with each piece of the body, [`Decoder::flush`] when the stream
/// goes quiet (an interactive prompt has no newline), and [`Decoder::finish`] once at the
/// end (it says how the body ended; skip it for bodies that never started).
#[derive(Debug)]
pub enum Decoder {
    Multiplexed(Multiplexed),
    Raw(Raw),
    JsonLines(JsonLines),
    Tar(TarSummary),
    Json(JsonBody),
    Sniff,
    Opaque(Opaque),
}

impl Format {
    pub fn decoder(self) -> Decoder {
        match self {
            Format::Multiplexed => Decoder::Multiplexed(Multiplexed::new()),
            Format::Raw(label) => Decoder::Raw(Raw::new(label)),
            Format::JsonLines(kind) => Decoder::JsonLines(JsonLines::new(kind)),
            Format::Tar => Decoder::Tar(TarSummary::new(DEFAULT_MAX_ENTRIES)),
            Format::Json => Decoder::Json(JsonBody::new(DEFAULT_JSON_CAP)),
            Format::Sniff => Decoder::Sniff,
            Format::Opaque(what) => Decoder::Opaque(Opaque::new(what)),
        }
    }
}

impl Decoder {
    pub fn new(format: Format) -> Decoder {
        format.decoder()
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<Line> {
        match self {
            Decoder::Multiplexed(d) => d.push(bytes),
            Decoder::Raw(d) => d.push(bytes),
            Decoder::JsonLines(d) => d.push(bytes),
            Decoder::Tar(d) => d.push(bytes),
            Decoder::Json(d) => {
                d.push(bytes);
                Vec::new()
            }
            Decoder::Sniff if bytes.is_empty() => Vec::new(),
            Decoder::Sniff => {
                *self = sniff(bytes).decoder();
                self.push(bytes)
            }
            Decoder::Opaque(d) => {
                d.bytes += bytes.len() as u64;
                Vec::new()
            }
        }
    }

    /// Unfinished lines, shown now.
    pub fn flush(&mut self) -> Vec<Line> {
        match self {
            Decoder::Multiplexed(d) => d.flush(),
            Decoder::Raw(d) => d.flush(),
            Decoder::JsonLines(d) => d.flush(),
            _ => Vec::new(),
        }
    }

    /// End of body: unfinished lines, summaries, and how it ended.
    pub fn finish(&mut self) -> Vec<Line> {
        match self {
            Decoder::Multiplexed(d) => d.finish(),
            Decoder::Raw(d) => d.finish(),
            Decoder::JsonLines(d) => d.finish(),
            Decoder::Tar(d) => d.finish(),
            Decoder::Json(d) => d.finish(),
            Decoder::Sniff => Vec::new(),
            Decoder::Opaque(d) => vec![Line::note(format!(
                "{}, {} bytes (not decoded)",
                d.what, d.bytes
            ))],
        }
    }
}

/// A JSON document, shown indented once complete: the first `cap` bytes are kept, the rest
/// counted.
#[derive(Debug)]
pub struct JsonBody {
    cap: usize,
    kept: Vec<u8>,
    total: u64,
}

impl JsonBody {
    pub fn new(cap: usize) -> JsonBody {
        JsonBody {
            cap,
            kept: Vec::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.cap.saturating_sub(self.kept.len()).min(bytes.len());
        self.kept.extend_from_slice(&bytes[..room]);
    }

    pub fn finish(&mut self) -> Vec<Line> {
        let kept = std::mem::take(&mut self.kept);
        let dropped = self.total - kept.len() as u64;
        pretty::render(&kept, self.cap, dropped)
            .lines()
            .map(|l| Line {
                label: Label::Text,
                text: l.to_owned(),
            })
            .collect()
    }
}

/// A body nothing identifies: counted only.
#[derive(Debug)]
pub struct Opaque {
    what: &'static str,
    bytes: u64,
}

impl Opaque {
    pub fn new(what: &'static str) -> Opaque {
        Opaque { what, bytes: 0 }
    }
}

/// JSON if it opens like JSON, text if the first bytes read as text, else binary.
fn sniff(first: &[u8]) -> Format {
    let head = &first[..first.len().min(512)];
    match head.trim_ascii_start().first() {
        Some(b'{' | b'[') => Format::Json,
        _ => {
            let text = head.utf8_chunks().map(|c| {
                c.valid()
                    .chars()
                    .filter(|&c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\x1b'))
                    .count()
            });
            let printable: usize = text.sum();
            let chars = String::from_utf8_lossy(head).chars().count();
            if !head.contains(&0) && printable * 10 >= chars * 9 {
                Format::Raw(Label::Text)
            } else {
                Format::Opaque("binary")
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stdcopy frame as dockerd writes it.
    pub(crate) fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![stream, 0, 0, 0];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    /// `body` cut in two at every position, empty halves included.
    pub(crate) fn every_split(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
        (0..=body.len()).map(move |i| body.split_at(i))
    }

    pub(crate) fn lines(lines: &[Line]) -> Vec<(Label, &str)> {
        lines.iter().map(|l| (l.label, l.text.as_str())).collect()
    }

    fn run(format: Format, chunks: &[&[u8]]) -> Vec<Line> {
        let mut d = format.decoder();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.push(c));
        }
        out.extend(d.finish());
        out
    }

    #[test]
    fn docker_run_rm_output_reaches_the_view_through_the_chosen_decoder() {
        // trace run-rm: attach on API 1.41 says raw-stream; the bytes are one stdout frame.
        let format = choose(
            Some(crate::docker::endpoint::Operation::ContainerAttach),
            Direction::TunnelToClient,
            Some("application/vnd.docker.raw-stream"),
            None,
        );
        let body = frame(1, b"hi\n");
        assert_eq!(&body[..], b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n");
        assert_eq!(lines(&run(format, &[&body])), [(Label::Stdout, "hi")]);
    }

    #[test]
    fn a_json_body_is_shown_indented_when_complete() {
        let got = run(Format::Json, &[br#"{"StatusCode":"#, br#"0,"Error":null}"#]);
        assert_eq!(
            lines(&got),
            [
                (Label::Text, "{"),
                (Label::Text, r#"  "StatusCode": 0,"#),
                (Label::Text, r#"  "Error": null"#),
                (Label::Text, "}"),
            ]
        );
    }

    #[test]
    fn a_json_body_over_the_cap_keeps_only_the_cap() {
        let mut d = Decoder::Json(JsonBody::new(12));
        d.push(br#"{"a":"0123456789"}"#);
        assert_eq!(
            lines(&d.finish()),
            [
                (Label::Text, "{"),
                (Label::Text, r#"  "a": "01"#),
                (Label::Text, "… (10 more bytes)"),
            ]
        );
    }

    #[test]
    fn an_unlabelled_body_is_judged_by_its_first_bytes() {
        assert_eq!(sniff(b"  {\"a\":1}"), Format::Json);
        assert_eq!(sniff(b"OK"), Format::Raw(Label::Text));
        assert_eq!(
            sniff("héllo\r\n\x1b[0m".as_bytes()),
            Format::Raw(Label::Text)
        );
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\0\0\0"),
            Format::Opaque("binary")
        );
        assert_eq!(
            lines(&run(Format::Sniff, &[b"", b"OK"])),
            [(Label::Text, "OK")]
        );
        assert_eq!(
            lines(&run(Format::Sniff, &[&[0xff, 0xfe, 0, 1]])),
            [(Label::Note, "binary, 4 bytes (not decoded)")]
        );
    }
}
