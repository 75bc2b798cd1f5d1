//! What a tar body contains, read from its headers as it streams past.
//!
//! Archive uploads (`docker cp` into a container, build contexts, `docker load`) put files
//! on the host's daemon; the names, owners and modes are what an auditor wants to see. Only
//! one 512-byte header (and a bounded long name) is held at a time: entry data is counted
//! and skipped, never kept.

use std::fmt::Write;

use super::escape::escape;
use super::{Label, Line};

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

#[derive(Debug)]
struct Meta {
    kind: u8,
    buf: Vec<u8>,
    remaining: u64,
    padding: u64,
}

/// What GNU long-name and pax headers say about the entry that follows them.
#[derive(Debug, Default)]
struct Overrides {
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
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

    fn meta_bytes(&mut self, bytes: &[u8]) -> usize {
        let Some(meta) = &mut self.meta else {
            self.state = State::Header;
            return 0;
        };
        let n = meta.remaining.min(bytes.len() as u64) as usize;
        let room = MAX_META.saturating_sub(meta.buf.len()).min(n);
        meta.buf.extend_from_slice(&bytes[..room]);
        meta.remaining -= n as u64;
        if meta.remaining == 0 {
            let meta = self.meta.take().expect("meta is set");
            match meta.kind {
                b'L' => self.next.path = Some(trim_nul(&meta.buf).to_vec()),
                b'K' => self.next.link = Some(trim_nul(&meta.buf).to_vec()),
                b'x' => self.pax(&meta.buf),
                // Global pax headers ('g') apply to the whole archive; nothing to list.
                _ => {}
            }
            self.skip = meta.padding;
            self.state = if self.skip > 0 {
                State::Data
            } else {
                State::Header
            };
        }
        n
    }

    fn header(&mut self, out: &mut Vec<Line>) {
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

    /// pax extended header records: `"<len> <key>=<value>\n"`.
    fn pax(&mut self, mut buf: &[u8]) {
        while let Some(space) = buf.iter().position(|&b| b == b' ') {
            let Some(len) = std::str::from_utf8(&buf[..space])
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|&len| len > space && len <= buf.len())
            else {
                return;
            };
            let record = &buf[space + 1..len];
            let record = record.strip_suffix(b"\n").unwrap_or(record);
            if let Some(eq) = record.iter().position(|&b| b == b'=') {
                let (key, value) = (&record[..eq], &record[eq + 1..]);
                match key {
                    b"path" => self.next.path = Some(value.to_vec()),
                    b"linkpath" => self.next.link = Some(value.to_vec()),
                    b"size" => {
                        self.next.size =
                            std::str::from_utf8(value).ok().and_then(|s| s.parse().ok())
                    }
                    _ => {}
                }
            }
            buf = &buf[len..];
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn trim_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// A numeric header field: octal text, or GNU base-256 for values octal can't hold.
fn number(field: &[u8]) -> Option<u64> {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::see::decode::tests::{every_split, lines};

    /// A ustar header as Go's archive/tar writes it (the traces show these fields).
    pub(crate) fn header(name: &str, typeflag: u8, mode: u32, size: u64, link: &str) -> Vec<u8> {
        let mut h = vec![0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let octal = |h: &mut [u8], at: usize, width: usize, v: u64| {
            let s = format!("{v:0w$o}\0", w = width - 1);
            h[at..at + width].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, mode as u64);
        octal(&mut h, 108, 8, 0);
        octal(&mut h, 116, 8, 0);
        octal(&mut h, 124, 12, size);
        octal(&mut h, 136, 12, 0o15300642451);
        h[156] = typeflag;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| b as u64).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        h
    }

    pub(crate) fn file(name: &str, mode: u32, data: &[u8]) -> Vec<u8> {
        let mut out = header(name, b'0', mode, data.len() as u64, "");
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(BLOCK), 0);
        out
    }

    pub(crate) fn end() -> Vec<u8> {
        vec![0; 2 * BLOCK]
    }

    fn summarize(chunks: &[&[u8]], max: usize) -> Vec<Line> {
        let mut t = TarSummary::new(max);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(t.push(c));
        }
        out.extend(t.finish());
        out
    }

    /// `docker build` context (trace build-classic): one Dockerfile of 0o102 bytes.
    fn build_context() -> Vec<u8> {
        let mut tar = file(
            "Dockerfile",
            0o644,
            b"FROM local/busybox:1\nARG MYARG\nRUN echo built-$MYARG > /built.txt\n",
        );
        tar.extend(end());
        tar
    }

    #[test]
    fn a_build_context_lists_its_dockerfile_at_every_chunk_boundary() {
        let tar = build_context();
        for (a, b) in every_split(&tar) {
            assert_eq!(
                lines(&summarize(&[a, b], 10)),
                [
                    (Label::Tar, "-rw-r--r-- 0/0 66 Dockerfile"),
                    (Label::Note, "tar, 1 entry, 2048 bytes"),
                ]
            );
        }
    }

    #[test]
    fn a_setuid_root_binary_copied_into_a_container_is_visible() {
        let mut tar = header("usr/", b'5', 0o755, 0, "");
        tar.extend(file("usr/bin/sh2", 0o4755, b"\x7fELF"));
        tar.extend(header("usr/bin/sh3", b'2', 0o777, 0, "sh2"));
        tar.extend(header("usr/bin/sh4", b'1', 0o644, 0, "usr/bin/sh2"));
        tar.extend(end());
        assert_eq!(
            lines(&summarize(&[&tar], 10)),
            [
                (Label::Tar, "drwxr-xr-x 0/0 0 usr/"),
                (Label::Tar, "-rwsr-xr-x 0/0 4 usr/bin/sh2"),
                (Label::Tar, "lrwxrwxrwx 0/0 0 usr/bin/sh3 -> sh2"),
                (
                    Label::Tar,
                    "hrw-r--r-- 0/0 0 usr/bin/sh4 link to usr/bin/sh2"
                ),
                (Label::Note, "tar, 4 entries, 3584 bytes"),
            ]
        );
    }

    #[test]
    fn long_names_from_gnu_and_pax_headers_replace_the_truncated_ones() {
        let long = format!("{}/file", "d".repeat(120));
        let mut tar = header("././@LongLink", b'L', 0o644, long.len() as u64 + 1, "");
        let mut name = long.clone().into_bytes();
        name.push(0);
        name.resize(BLOCK, 0);
        tar.extend(name);
        tar.extend(file(&long[..100], 0o644, b"x"));
        let record = format!(" path=pax/{long}\n");
        let pax = format!("{}{record}", record.len() + 3);
        assert_eq!(
            pax.len(),
            record.len() + 3,
            "the length counts its own 3 digits"
        );
        tar.extend(header("PaxHeaders/x", b'x', 0o644, pax.len() as u64, ""));
        let mut data = pax.into_bytes();
        data.resize(BLOCK, 0);
        tar.extend(data);
        tar.extend(file(&long[..100], 0o644, b"yy"));
        tar.extend(end());
        for (a, b) in every_split(&tar).step_by(7) {
            assert_eq!(
                lines(&summarize(&[a, b], 10)),
                [
                    (Label::Tar, &*format!("-rw-r--r-- 0/0 1 {long}")),
                    (Label::Tar, &*format!("-rw-r--r-- 0/0 2 pax/{long}")),
                    (Label::Note, "tar, 2 entries, 5120 bytes"),
                ]
            );
        }
    }

    #[test]
    fn a_gzip_build_context_is_named_not_listed() {
        let got = summarize(&[&[0x1f, 0x8b, 8, 0], &[0; 600]], 10);
        assert_eq!(
            lines(&got),
            [
                (Label::Note, "gzip-compressed tar (entries not listed)"),
                (Label::Note, "gzip-compressed tar, 604 bytes"),
            ]
        );
        let tiny = summarize(&[b"BZh9"], 10);
        assert_eq!(
            lines(&tiny),
            [(Label::Note, "bzip2-compressed tar, 4 bytes")]
        );
    }

    #[test]
    fn text_sent_as_an_archive_is_called_out() {
        let got = summarize(&[&[b'h'; 700]], 10);
        assert_eq!(lines(&got), [(Label::Note, "not a tar archive, 700 bytes")]);
        assert_eq!(lines(&summarize(&[], 10)), [(Label::Note, "empty body")]);
    }

    #[test]
    fn an_exported_root_file_system_stops_listing_at_the_cap() {
        let mut tar = Vec::new();
        for i in 0..5 {
            tar.extend(file(&format!("f{i}"), 0o644, b"data"));
        }
        tar.extend(end());
        assert_eq!(
            lines(&summarize(&[&tar], 2)),
            [
                (Label::Tar, "-rw-r--r-- 0/0 4 f0"),
                (Label::Tar, "-rw-r--r-- 0/0 4 f1"),
                (Label::Note, "listing stops after 2 entries"),
                (
                    Label::Note,
                    "tar, listing stopped after 2 entries, 6144 bytes in all"
                ),
            ]
        );
    }

    #[test]
    fn a_cut_or_corrupt_archive_says_so() {
        let tar = file("a", 0o644, &[b'x'; 600]);
        assert_eq!(
            lines(&summarize(&[&tar[..700]], 10)),
            [
                (Label::Tar, "-rw-r--r-- 0/0 600 a"),
                (
                    Label::Note,
                    "tar, 1 entry, 700 bytes, cut off inside an entry"
                ),
            ]
        );
        let mut bad = file("a", 0o644, b"x");
        bad.extend([b'?'; BLOCK]);
        assert_eq!(
            lines(&summarize(&[&bad], 10)),
            [
                (Label::Tar, "-rw-r--r-- 0/0 1 a"),
                (
                    Label::Note,
                    "tar, 1 entry, then an invalid header at byte 1024; 1536 bytes in all"
                ),
            ]
        );
    }

    #[test]
    fn names_cannot_smuggle_terminal_escapes() {
        let mut tar = file("evil\x1b[2J\n.txt", 0o644, b"");
        tar.extend(end());
        assert_eq!(
            lines(&summarize(&[&tar], 10))[0],
            (Label::Tar, "-rw-r--r-- 0/0 0 evil\\x1b[2J\\n.txt")
        );
    }

    #[test]
    fn sizes_past_octal_range_use_base_256() {
        let mut field = [0u8; 12];
        field[0] = 0x80;
        field[7] = 0x02;
        field[11] = 0x01;
        assert_eq!(number(&field), Some((2u64 << 32) + 1));
        assert_eq!(number(b"00000000102\0"), Some(66));
        assert_eq!(number(b"     \0      "), Some(0));
    }
}
