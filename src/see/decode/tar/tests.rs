//! Tar bodies built the way Go's archive/tar writes them, summarised at every chunk boundary.

use super::header::number;
use super::*;
use crate::see::decode::tests::{every_split, lines};
use crate::see::decode::Label;

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
