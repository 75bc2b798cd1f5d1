//! One 512-byte header block: its checksum, its numeric fields, and the entry line it
//! becomes.

use std::fmt::Write;

use super::meta::Meta;
use super::{compression, plural, State, TarSummary, BLOCK};
use crate::see::decode::escape::escape;
use crate::see::decode::{Label, Line};

impl TarSummary {
    pub(super) fn header(&mut self, out: &mut Vec<Line>) {
        let at = self.pos - BLOCK as u64;
        let h = &*self.block;
        if h.iter().all(|&b| b == 0) {
            self.seen_header = true;
            self.zero_blocks += 1;
            if self.zero_blocks == 2 {
                self.state = State::End;
            }
            return;
        }
        if !checksum_ok(h) {
            self.state = if self.seen_header {
                State::Corrupt(at)
            } else if let Some(kind) = compression(h) {
                out.push(Line::note(format!(
                    "{kind}-compressed tar (entries not listed)"
                )));
                State::Compressed(kind)
            } else {
                State::NotTar
            };
            return;
        }
        self.zero_blocks = 0;
        self.seen_header = true;
        let typeflag = h[156];
        let size = number(&h[124..136]).unwrap_or(0);
        let padding = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        if matches!(typeflag, b'L' | b'K' | b'x' | b'g') {
            self.meta = Some(Meta {
                kind: typeflag,
                buf: Vec::new(),
                remaining: size,
                padding,
            });
            self.state = State::Meta;
            if size == 0 {
                self.meta_bytes(&[]);
            }
            return;
        }

        let next = std::mem::take(&mut self.next);
        let name = next.path.unwrap_or_else(|| {
            let name = trim_nul(&h[0..100]);
            // POSIX ustar splits long paths into prefix + name; GNU uses that area for
            // other fields, so only "ustar\0" archives have a prefix.
            let prefix = trim_nul(&h[345..500]);
            if &h[257..263] == b"ustar\0" && !prefix.is_empty() {
                [prefix, b"/", name].concat()
            } else {
                name.to_vec()
            }
        });
        let link = next.link.unwrap_or_else(|| trim_nul(&h[157..257]).to_vec());
        let size = next.size.unwrap_or(size);
        let mode = number(&h[100..108]).unwrap_or(0);
        let uid = number(&h[108..116]).unwrap_or(0);
        let gid = number(&h[116..124]).unwrap_or(0);

        let kind = match typeflag {
            b'0' | b'\0' | b'7' if name.ends_with(b"/") => 'd',
            b'0' | b'\0' | b'7' | b'S' => '-',
            b'1' => 'h',
            b'2' => 'l',
            b'3' => 'c',
            b'4' => 'b',
            b'5' => 'd',
            b'6' => 'p',
            _ => '?',
        };
        let mut text = String::new();
        text.push(kind);
        text.push_str(&permissions(mode));
        let _ = write!(text, " {uid}/{gid} {size} {}", escape(&name));
        match kind {
            'l' => {
                let _ = write!(text, " -> {}", escape(&link));
            }
            'h' => {
                let _ = write!(text, " link to {}", escape(&link));
            }
            _ => {}
        }
        out.push(Line {
            label: Label::Tar,
            text,
        });
        self.entries += 1;

        // Go's archive/tar (which dockerd uses) reads no data for these types, whatever
        // their size field says.
        let data = if matches!(typeflag, b'1' | b'2' | b'3' | b'4' | b'5' | b'6') {
            0
        } else {
            size + (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
        };
        self.skip = data;
        self.state = if self.entries >= self.max_entries {
            out.push(Line::note(format!(
                "listing stops after {}",
                plural(self.entries, "entry", "entries")
            )));
            State::Capped
        } else if data > 0 {
            State::Data
        } else {
            State::Header
        };
    }
}

pub(super) fn trim_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// A numeric header field: octal text, or GNU base-256 for values octal can't hold.
pub(super) fn number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        if field[0] == 0xff {
            return None; // negative
        }
        let mut v: u64 = (field[0] & 0x7f) as u64;
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(b as u64)?;
        }
        return Some(v);
    }
    let text = std::str::from_utf8(trim_nul(field)).ok()?.trim();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// The header checksum: the sum of its bytes with the checksum field read as spaces
/// (some old tars summed signed bytes, so that is accepted too).
fn checksum_ok(h: &[u8; BLOCK]) -> bool {
    let Some(want) = number(&h[148..156]) else {
        return false;
    };
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += b as u64;
        signed += b as i8 as i64;
    }
    want == unsigned || want as i64 == signed
}

/// `rwxr-xr-x`, with setuid/setgid/sticky shown as `ls` does: a setuid-root file going
/// into a container is exactly what a reader should notice.
fn permissions(mode: u64) -> String {
    let bit = |b: u64, c: char| if mode & b != 0 { c } else { '-' };
    let special = |exec: bool, set: bool, lower: char, upper: char| match (set, exec) {
        (true, true) => lower,
        (true, false) => upper,
        (false, true) => 'x',
        (false, false) => '-',
    };
    let mut s = String::with_capacity(9);
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(mode & 0o100 != 0, mode & 0o4000 != 0, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(mode & 0o010 != 0, mode & 0o2000 != 0, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(mode & 0o001 != 0, mode & 0o1000 != 0, 't', 'T'));
    s
}
