//! Header lines shown through the redaction, and what they say about framing and upgrades.

use super::head::Line;
use super::{Out, Redactor};

/// What the headers say about framing and upgrades.
#[derive(Default)]
pub(super) struct Facts {
    /// `Err` when invalid or contradictory (dockerd answers 400).
    pub(super) content_length: Option<Result<u64, ()>>,
    /// All Transfer-Encoding values, joined.
    pub(super) transfer_encoding: Option<String>,
    pub(super) content_type: String,
    pub(super) upgrade: Option<String>,
}

impl Facts {
    fn note(&mut self, name: &str, value: &[u8]) {
        let text = String::from_utf8_lossy(value);
        if name.eq_ignore_ascii_case("content-length") {
            let parsed = if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                text.parse::<u64>().map_err(|_| ())
            } else {
                Err(())
            };
            self.content_length = match (self.content_length, parsed) {
                (None, p) => Some(p),
                (Some(Ok(a)), Ok(b)) if a == b => Some(Ok(a)),
                _ => Some(Err(())),
            };
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.transfer_encoding = Some(match self.transfer_encoding.take() {
                Some(before) => format!("{before}, {text}"),
                None => text.into_owned(),
            });
        } else if name.eq_ignore_ascii_case("content-type") && self.content_type.is_empty() {
            self.content_type = text.into_owned();
        } else if name.eq_ignore_ascii_case("upgrade") && self.upgrade.is_none() {
            self.upgrade = Some(text.into_owned());
        }
    }
}

/// Show header lines (and the blank line ending them), each value through the redaction:
/// a line whose value it leaves alone is shown as it was sent.
pub(super) fn headers(lines: &[Line], out: &mut Out, r: &Redactor) -> Facts {
    let mut facts = Facts::default();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        // obs-fold: continuation lines belong to this header's value.
        let mut j = i + 1;
        while j < lines.len() && matches!(lines[j].content.first(), Some(b' ' | b'\t')) {
            j += 1;
        }
        let group = &lines[i..j];
        i = j;
        let Some(colon) = line.content.iter().position(|&b| b == b':') else {
            group.iter().for_each(|l| out.raw(l.full));
            continue;
        };
        let raw_name = &line.content[..colon];
        let name = String::from_utf8_lossy(raw_name);
        let name = name.trim();
        let mut value = line.content[colon + 1..].trim_ascii().to_vec();
        for more in &group[1..] {
            value.push(b' ');
            value.extend_from_slice(more.content.trim_ascii());
        }
        facts.note(name, &value);
        let shown = (r.header)(name, &value);
        if shown == String::from_utf8_lossy(&value) {
            group.iter().for_each(|l| out.raw(l.full));
        } else {
            let raw_name = String::from_utf8_lossy(raw_name);
            out.line(&format!("{raw_name}: {shown}"), line.ending());
        }
    }
    facts
}

pub(super) fn is_json(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default();
    media.to_ascii_lowercase().contains("json")
}

pub(super) fn names_h2c(upgrade: &str) -> bool {
    upgrade.to_ascii_lowercase().contains("h2c")
}
