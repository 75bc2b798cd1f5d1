//! What a tar body contains, read from its headers as it streams past.
//!
//! Archive uploads (`docker cp` into a container, build contexts, `docker load`) put files
//! on the host's daemon; the names, owners and modes are what an auditor wants to see. Only
//! one 512-byte header (and a bounded long name) is held at a time: entry data is counted
//! and skipped, never kept.

mod header;
mod meta;
#[cfg(test)]
pub(crate) mod tests;

use super::Line;

use meta::{Meta, Overrides};

const BLOCK: usize = 512;

/// GNU long names and pax records longer than this are cut (a path is at most 4 KiB on
/// Linux); the rest of such a header is skipped like data.
const MAX_META: usize = 64 * 1024;

/// Entries listed before the summary stops reading headers (a saved image has a few
/// dozen, an exported root file system tens of thousands).
pub const DEFAULT_MAX_ENTRIES: usize = 1000;

/// Lists tar entries (type, mode, owner, size, name) as headers arrive, then a summary.
#[derive(Debug)]
pub struct TarSummary {
    max_entries: usize,
    /// Bytes pushed, including any after parsing stopped.
    total: u64,
    /// Bytes parsed (header blocks, data skipped).
    pos: u64,
    block: Box<[u8; BLOCK]>,
    have: usize,
    state: State,
    skip: u64,
    meta: Option<Meta>,
    next: Overrides,
    entries: usize,
    zero_blocks: u8,
    /// A valid header (or end-of-archive block) was seen: later garbage is corruption,
    /// not a different format.
    seen_header: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Data,
    Meta,
    End,
    Capped,
    Compressed(&'static str),
    NotTar,
    Corrupt(u64),
}

impl TarSummary {
    pub fn new(max_entries: usize) -> TarSummary {
        TarSummary {
            max_entries,
            total: 0,
            pos: 0,
            block: Box::new([0; BLOCK]),
            have: 0,
            state: State::Header,
            skip: 0,
            meta: None,
            next: Overrides::default(),
            entries: 0,
            zero_blocks: 0,
            seen_header: false,
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        self.total += bytes.len() as u64;
        while !bytes.is_empty() {
            let n = match self.state {
                State::Header => {
                    let n = (BLOCK - self.have).min(bytes.len());
                    self.block[self.have..self.have + n].copy_from_slice(&bytes[..n]);
                    self.have += n;
                    self.pos += n as u64;
                    if self.have == BLOCK {
                        self.have = 0;
                        self.header(&mut out);
                    }
                    n
                }
                State::Data => {
                    let n = self.skip.min(bytes.len() as u64) as usize;
                    self.skip -= n as u64;
                    self.pos += n as u64;
                    if self.skip == 0 {
                        self.state = State::Header;
                    }
                    n
                }
                State::Meta => {
                    let n = self.meta_bytes(bytes);
                    self.pos += n as u64;
                    n
                }
                // Parsing is over; the rest is only counted.
                _ => break,
            };
            bytes = &bytes[n..];
        }
        out
    }

    /// The summary: how many entries, how many bytes, and how the archive ended.
    pub fn finish(&mut self) -> Vec<Line> {
        let mut out = Vec::new();
        let total = self.total;
        let entries = plural(self.entries, "entry", "entries");
        let text = match self.state {
            _ if total == 0 => "empty body".to_owned(),
            State::Header if !self.seen_header => match compression(&self.block[..self.have]) {
                Some(kind) => format!("{kind}-compressed tar, {total} bytes"),
                None => format!("not a tar archive, {total} bytes"),
            },
            State::Compressed(kind) => format!("{kind}-compressed tar, {total} bytes"),
            State::NotTar => format!("not a tar archive, {total} bytes"),
            State::End => format!("tar, {entries}, {total} bytes"),
            State::Capped => format!("tar, listing stopped after {entries}, {total} bytes in all"),
            State::Corrupt(at) => {
                format!("tar, {entries}, then an invalid header at byte {at}; {total} bytes in all")
            }
            State::Header if self.have == 0 => {
                format!("tar, {entries}, {total} bytes, no end-of-archive marker")
            }
            State::Header | State::Data | State::Meta => {
                format!("tar, {entries}, {total} bytes, cut off inside an entry")
            }
        };
        out.push(Line::note(text));
        out
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The compressions `docker load`, `docker cp` and build contexts accept.
fn compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if head.starts_with(b"BZh") {
        Some("bzip2")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else {
        None
    }
}
