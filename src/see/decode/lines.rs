//! Splitting a byte stream into lines when it arrives in arbitrary pieces.

use super::escape::{escape_into, LINE};
use super::{Label, Line};

/// A line longer than this is shown in pieces: output with no newline at all (a binary
/// dump, a progress bar redrawn with `\r`) must not grow a buffer without bound.
pub(crate) const MAX_LINE: usize = 4096;

/// Bytes of one labelled stream, cut at `\n`; the unterminated tail is kept for the next
/// push.
#[derive(Debug)]
pub(crate) struct LineBuf {
    label: Label,
    pending: Vec<u8>,
}

impl LineBuf {
    pub fn new(label: Label) -> LineBuf {
        LineBuf {
            label,
            pending: Vec::new(),
        }
    }

    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Line>) {
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            if self.pending.is_empty() {
                emit(self.label, &bytes[..i], out);
            } else {
                self.pending.extend_from_slice(&bytes[..i]);
                emit(self.label, &self.pending, out);
                self.pending.clear();
            }
            bytes = &bytes[i + 1..];
        }
        self.pending.extend_from_slice(bytes);
        while self.pending.len() > MAX_LINE {
            let cut = char_boundary_at_or_before(&self.pending, MAX_LINE);
            emit(self.label, &self.pending[..cut], out);
            self.pending.drain(..cut);
        }
    }

    /// Show the unterminated tail now (end of stream, or an idle interactive session
    /// whose prompt has no newline).
    pub fn flush(&mut self, out: &mut Vec<Line>) {
        if !self.pending.is_empty() {
            emit(self.label, &self.pending, out);
            self.pending.clear();
        }
    }
}

fn emit(label: Label, line: &[u8], out: &mut Vec<Line>) {
    // CR before LF is a line ending (TTYs send CRLF) and moves nothing on screen; a CR
    // anywhere else can overwrite text, so it stays visible.
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut text = String::with_capacity(line.len());
    escape_into(&mut text, line, LINE);
    out.push(Line { label, text });
}

/// `at`, moved back over at most three UTF-8 continuation bytes so a character split
/// across the cut is shown whole in the next piece instead of as two `\x..` escapes.
pub(crate) fn char_boundary_at_or_before(bytes: &[u8], at: usize) -> usize {
    (at.saturating_sub(3)..=at)
        .rev()
        .find(|&i| bytes.get(i).is_none_or(|&b| b & 0xc0 != 0x80))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn a_line_split_across_pushes_comes_out_once_complete() {
        let mut buf = LineBuf::new(Label::Stdout);
        let mut out = Vec::new();
        buf.push(b"ti", &mut out);
        assert!(out.is_empty());
        buf.push(b"ck\r\ntock\nta", &mut out);
        assert_eq!(texts(&out), ["tick", "tock"]);
        buf.flush(&mut out);
        assert_eq!(texts(&out), ["tick", "tock", "ta"]);
    }

    #[test]
    fn endless_output_without_newline_is_shown_in_bounded_pieces() {
        let mut buf = LineBuf::new(Label::Stdout);
        let mut out = Vec::new();
        for _ in 0..3 {
            buf.push(&[b'x'; MAX_LINE], &mut out);
        }
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|l| l.text.len() == MAX_LINE));
        assert_eq!(buf.pending.len(), MAX_LINE);
    }

    #[test]
    fn a_long_line_is_not_cut_inside_a_character() {
        let mut buf = LineBuf::new(Label::Stdout);
        let mut out = Vec::new();
        let mut bytes = vec![b'x'; MAX_LINE - 1];
        bytes.extend_from_slice("é!".as_bytes());
        buf.push(&bytes, &mut out);
        buf.flush(&mut out);
        assert_eq!(out[0].text.len(), MAX_LINE - 1);
        assert_eq!(out[1].text, "é!");
    }
}
