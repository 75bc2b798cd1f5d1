//! Reading audit logs back, one line at a time.
//!
//! Logs grow without bound and rotate into several files, so nothing here holds more than
//! one line: callers fold each record into whatever they keep. A line that is not a record
//! (a hand-edited file, a foreign line, a newer schema) is handed over as such, with its
//! line number, so the caller can say where it was and carry on.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;

use super::record::{Record, VERSION};

/// One line of a log.
#[derive(Debug)]
pub enum Line {
    /// A record, and the line as written (to print it again unchanged, unknown fields and
    /// all).
    Record(Box<Record>, String),
    /// An event of sockeye's own (`"event": "reload"`), not a call: skipped by queries.
    Event,
    /// Not a record: why.
    Malformed(String),
}

/// The lines of one log, numbered from 1. Blank lines are skipped: they carry nothing and
/// are no sign of damage. Only an I/O error ends the iteration early.
pub struct Lines<R> {
    reader: R,
    number: u64,
    /// Lines that were not blank, so far.
    nonblank: u64,
    buf: Vec<u8>,
    /// Following a growing file: a last line without its newline is still being written,
    /// so it is kept (in `buf`) until the rest arrives rather than read as cut short.
    follow: bool,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            number: 0,
            nonblank: 0,
            buf: Vec::new(),
            follow: false,
        }
    }

    /// Lines of a file that is still being written (see `follow`).
    pub fn following(reader: R) -> Lines<R> {
        Lines {
            follow: true,
            ..Lines::new(reader)
        }
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// Forget a line in progress (the file it came from was truncated).
    pub fn restart(&mut self) {
        self.buf.clear();
        self.number = 0;
        self.nonblank = 0;
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = io::Result<(u64, Line)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if !self.follow || self.buf.ends_with(b"\n") {
                self.buf.clear();
            }
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) if self.follow && !self.buf.ends_with(b"\n") => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
            self.number += 1;
            let bytes = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.nonblank += 1;
            return Some(Ok((self.number, parse(bytes))));
        }
    }
}

fn parse(bytes: &[u8]) -> Line {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => return Line::Malformed("not text (not UTF-8)".into()),
    };
    match serde_json::from_str::<Record>(text) {
        Ok(r) => checked(r, text),
        Err(_) if is_event(text) => Line::Event,
        Err(e) => match ecs(text) {
            Some(line) => line,
            None => Line::Malformed(super::why::not_a_record(&e, text)),
        },
    }
}

/// New fields are added without a version bump, but a new version may change what known
/// fields mean: reading it as v1 could misstate what happened.
fn checked(r: Record, text: &str) -> Line {
    if r.v != VERSION {
        return Line::Malformed(super::why::unsupported(&r.v.to_string()));
    }
    Line::Record(Box::new(r), text.to_owned())
}

/// A line of a log written with `--audit-format ecs`, read as the record it maps; `None`
/// when it is no such document.
fn ecs(text: &str) -> Option<Line> {
    let doc = serde_json::from_str::<serde_json::Value>(text).ok()?;
    match super::ecs::from_ecs(&doc) {
        super::ecs::Read::Record(v) => Some(match serde_json::from_value::<Record>(v) {
            Ok(r) => checked(r, text),
            Err(e) => Line::Malformed(format!("an ECS document that is not a sockeye record: {e}")),
        }),
        super::ecs::Read::Event => Some(Line::Event),
        super::ecs::Read::Foreign => None,
    }
}

/// A line sockeye wrote about itself rather than a call: a JSON object of this version with
/// an `event` key.
fn is_event(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| {
        v.get("event").is_some_and(serde_json::Value::is_string)
            && v.get("v").and_then(serde_json::Value::as_u64) == Some(u64::from(VERSION))
    })
}

/// Where the lines that were not records are, for a report on stderr: every one is
/// counted, the first few are named.
#[derive(Debug, Default)]
pub struct Malformed {
    pub count: u64,
    pub shown: Vec<String>,
}

impl Malformed {
    /// Named individually; beyond this only counted.
    pub const SHOW: usize = 20;

    pub fn add(&mut self, file: &str, line: u64, why: &str) {
        self.count += 1;
        if self.shown.len() < Self::SHOW {
            self.shown
                .push(format!("{file}:{line}: not an audit record: {why}"));
        }
    }

    /// The report, one problem a line; empty when every line was a record.
    pub fn report(&self) -> String {
        let mut out = self.shown.join("\n");
        if self.count > self.shown.len() as u64 {
            out.push_str(&format!("\n… {} malformed line(s) in all", self.count));
        }
        out
    }
}

/// Logs given on the command line, `-` for standard input, in the order given (rotated
/// files oldest first: `FILE.2 FILE.1 FILE`).
pub struct Sources {
    opened: Vec<(String, Box<dyn BufRead>)>,
}

impl Sources {
    /// Open every file before reading any, so a typo in the last name fails before output
    /// has started.
    pub fn open(files: &[PathBuf]) -> Result<Sources, String> {
        let mut opened: Vec<(String, Box<dyn BufRead>)> = Vec::new();
        for f in files {
            if f.as_os_str() == "-" {
                opened.push(("(standard input)".into(), Box::new(io::stdin().lock())));
                continue;
            }
            let file = File::open(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            opened.push((f.display().to_string(), Box::new(BufReader::new(file))));
        }
        Ok(Sources { opened })
    }

    /// The names, for messages.
    pub fn names(&self) -> Vec<String> {
        self.opened.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Every record of every file, in order; lines that are not records go to `malformed`.
    /// `each` returns `false` to stop early (standard output went away).
    ///
    /// A file whose first line is not a record is not an audit log at all (a binary, the
    /// wrong file, a newer sockeye's log): that is an error, where a damaged line further
    /// on is reported and skipped.
    pub fn for_each(
        self,
        malformed: &mut Malformed,
        mut each: impl FnMut(&Record, &str) -> bool,
    ) -> Result<(), String> {
        for (name, reader) in self.opened {
            let mut lines = Lines::new(reader);
            if !each_line(&name, &mut lines, malformed, &mut each)? {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The lines `lines` has now, as [`Sources::for_each`] reads them; `Ok(false)` when `each`
/// asked to stop. Lines after the first are read as they come when `lines` is read again
/// (following a growing file).
pub fn each_line<R: BufRead>(
    name: &str,
    lines: &mut Lines<R>,
    malformed: &mut Malformed,
    each: &mut impl FnMut(&Record, &str) -> bool,
) -> Result<bool, String> {
    while let Some((r, raw)) = next_record(name, lines, malformed)? {
        if !each(&r, &raw) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The next record `lines` has now, and the line as written; `None` at the end (of what has
/// been written so far, when following). Events are skipped; a line that is not a record
/// goes to `malformed`, unless it is the file's first: then the file is no audit log at all
/// (a binary, the wrong file, a newer sockeye's log), an error.
pub fn next_record<R: BufRead>(
    name: &str,
    lines: &mut Lines<R>,
    malformed: &mut Malformed,
) -> Result<Option<(Box<Record>, String)>, String> {
    while let Some(line) = lines.next() {
        let first = lines.nonblank == 1;
        let (number, line) = line.map_err(|e| format!("cannot read {name}: {e}"))?;
        match line {
            Line::Record(r, raw) => return Ok(Some((r, raw))),
            Line::Event => {}
            Line::Malformed(why) if first => {
                return Err(format!(
                    "{name} is not a sockeye audit log: line {number}: {why}"
                ));
            }
            Line::Malformed(why) => malformed.add(name, number, &why),
        }
    }
    Ok(None)
}

/// The recorded session of tests/data/audit (see its README), older file first, as
/// rotation names them: shared by the query and learn tests.
#[cfg(test)]
pub(crate) fn recorded_session() -> Vec<super::Record> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/audit/");
    let mut out = Vec::new();
    for file in ["session.log.1", "session.log"] {
        let text = std::fs::read(format!("{dir}{file}")).unwrap();
        for line in Lines::new(&text[..]) {
            match line.unwrap().1 {
                Line::Record(r, _) => out.push(*r),
                Line::Event => {}
                Line::Malformed(why) => panic!("{file}: {why}"),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"{"v":1,"time":"2026-11-22T23:22:51.206Z","time_unix":1795389771.206,"id":"#1.1","conn":1,"req":1,"caller":{"transport":"unix","uid":0,"gid":0,"pid":7,"process":"docker"},"endpoint":"SystemPingHead","section":"system","action":"docker","method":"HEAD","path":"/_ping","answered_by":"daemon","bytes_in":0,"bytes_out":0,"duration_ms":1.0,"hijacked":false,"incomplete":false,"new_field":1}"##;

    #[test]
    fn records_malformed_lines_and_blank_lines_are_told_apart_with_line_numbers() {
        let mut bytes = Vec::new();
        for line in [
            GOOD.as_bytes(),
            b"",
            br#"{"v":1}"#,
            b"not json",
            GOOD.replace("\"v\":1", "\"v\":2").as_bytes(),
            b"\xff",
            GOOD.as_bytes(),
            br#"{"v":1,"event":"reload","what":"policy","ok":true}"#,
        ] {
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
        }
        // A last line cut short (no newline) is read, and is not a record.
        bytes.extend_from_slice(&GOOD.as_bytes()[..40]);
        let lines: Vec<(u64, Line)> = Lines::new(&bytes[..]).map(Result::unwrap).collect();
        let kinds: Vec<(u64, &str)> = lines
            .iter()
            .map(|(n, l)| {
                (
                    *n,
                    match l {
                        Line::Record(..) => "record",
                        Line::Event => "event",
                        Line::Malformed(_) => "malformed",
                    },
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (1, "record"),
                (3, "malformed"),
                (4, "malformed"),
                (5, "malformed"),
                (6, "malformed"),
                (7, "record"),
                (8, "event"),
                (9, "malformed"),
            ]
        );
        let Line::Malformed(why) = &lines[3].1 else {
            unreachable!()
        };
        assert_eq!(
            why,
            "unsupported schema version 2 (this sockeye reads version 1)"
        );
        // The raw line is kept, fields this version does not know included.
        let Line::Record(r, raw) = &lines[0].1 else {
            unreachable!()
        };
        assert_eq!(raw, GOOD);
        assert_eq!(r.endpoint, "SystemPingHead");
    }

    #[test]
    fn the_report_names_the_first_problems_and_counts_all() {
        let mut m = Malformed::default();
        for i in 0..25 {
            m.add("a.log", i + 1, "bad");
        }
        let report = m.report();
        assert!(report.starts_with("a.log:1: not an audit record: bad\n"));
        assert!(report.contains("a.log:20:"));
        assert!(!report.contains("a.log:21:"));
        assert!(report.ends_with("… 25 malformed line(s) in all"));
    }
}
