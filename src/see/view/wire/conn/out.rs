//! What one chunk's rendering is written to: raw bytes made visible, the view's own lines,
//! and counts of what is not shown.

use super::{Style, SHOW};
use crate::see::view::wire::visible;

/// What one chunk's rendering is being written to.
pub(super) struct Out<'a> {
    pub(super) text: &'a mut Vec<u8>,
    pub(super) style: &'a Style,
    /// Bytes left out and not yet reported, and why.
    pub(super) hidden: Option<(u64, &'static str)>,
    /// Escaped tunnel or garbage bytes shown for this chunk.
    pub(super) raw_shown: usize,
}

impl Out<'_> {
    pub(super) fn flush_hidden(&mut self) {
        if let Some((n, why)) = self.hidden.take() {
            self.note(&format!("({n} bytes not shown: {why})"));
        }
    }

    pub(super) fn start_line(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with(b"\n") {
            self.text.push(b'\n');
        }
    }

    /// Bytes as they were on the wire, escaped.
    pub(super) fn raw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.flush_hidden();
        self.text.extend_from_slice(&visible(bytes));
    }

    /// A line of the view's own (a redacted head line, a JSON body), with the line ending
    /// the wire had.
    pub(super) fn line(&mut self, s: &str, ending: &[u8]) {
        self.flush_hidden();
        self.start_line();
        self.text.extend_from_slice(&visible(s.as_bytes()));
        self.text.extend_from_slice(&visible(ending));
        if !ending.ends_with(b"\n") {
            self.text.push(b'\n');
        }
    }

    pub(super) fn note(&mut self, s: &str) {
        if self.hidden.is_some() {
            self.flush_hidden();
        }
        self.start_line();
        self.text.extend_from_slice(self.style.dim(s).as_bytes());
        self.text.push(b'\n');
    }

    pub(super) fn hide(&mut self, n: u64, why: &'static str) {
        if n == 0 {
            return;
        }
        match &mut self.hidden {
            Some((m, w)) if *w == why => *m += n,
            _ => {
                self.flush_hidden();
                self.hidden = Some((n, why));
            }
        }
    }

    /// Escaped bytes of a tunnel or of garbage, at most `SHOW` per chunk.
    pub(super) fn capped(&mut self, bytes: &[u8], why: &'static str) {
        let n = SHOW.saturating_sub(self.raw_shown).min(bytes.len());
        self.raw_shown += n;
        self.raw(&bytes[..n]);
        self.hide((bytes.len() - n) as u64, why);
    }
}
