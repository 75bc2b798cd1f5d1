//! A record's JSON line: the bytes `serde_json::to_writer` writes for a [`Record`], written
//! here field by field.
//!
//! An audit line is written for every call before its answer ends, so its cost is the
//! guard's cost (issue 18, docs/benchmarks.md "The guard's cost"). Through serde, each of the
//! 26 keys was scanned for escapes and each value went through the serializer's generic
//! machinery: ≈ 4.5 k instructions a line. Here the keys are literals and the usual values
//! (strings needing no escape, integers, bools, `null`) are written directly; a string that
//! needs escaping, a float and the free-form maps go to serde_json, so every byte is still
//! serde_json's.
//!
//! [`Record`] stays the one schema: [`write`] takes the record apart with every field named
//! (no `..`), so a field added to it does not compile until it is written here, and a unit
//! test compares the bytes with `serde_json::to_vec` for every shape a field takes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::record::Record;

type Error = serde_json::Error;

/// Append `record`'s JSON line (without its newline) to `out`: the bytes of
/// `serde_json::to_writer(out, record)`.
pub fn write<S: AsRef<str>, C: Serialize>(
    out: &mut Vec<u8>,
    record: &Record<S, C>,
) -> Result<(), Error> {
    let Record {
        v,
        time,
        time_unix,
        id,
        conn,
        req,
        host,
        caller,
        endpoint,
        section,
        action,
        method,
        path,
        api_version,
        params,
        decision,
        rule,
        reason,
        redacted,
        policy_revision,
        status,
        answered_by,
        bytes_in,
        bytes_out,
        duration_ms,
        hijacked,
        incomplete,
        fault,
        error,
        facts,
        unrecorded,
    } = record;
    let mut w = Line { out };
    // Keys in the struct's order, as the derive writes them; the ones it skips when empty
    // are skipped here alike.
    w.key(b"{\"v\":");
    w.int(*v);
    w.key(b",\"time\":");
    w.str(time.as_ref())?;
    w.key(b",\"time_unix\":");
    w.json(time_unix)?;
    w.key(b",\"id\":");
    w.str(id.as_ref())?;
    w.key(b",\"conn\":");
    w.int(*conn);
    w.key(b",\"req\":");
    w.int(*req);
    if let Some(host) = host {
        w.key(b",\"host\":");
        w.str(host.as_ref())?;
    }
    w.key(b",\"caller\":");
    w.json(caller)?;
    w.key(b",\"endpoint\":");
    w.str(endpoint.as_ref())?;
    w.key(b",\"section\":");
    w.opt(section)?;
    w.key(b",\"action\":");
    w.str(action.as_ref())?;
    w.key(b",\"method\":");
    w.str(method.as_ref())?;
    w.key(b",\"path\":");
    w.str(path.as_ref())?;
    w.key(b",\"api_version\":");
    w.opt(api_version)?;
    w.key(b",\"params\":");
    w.map(params)?;
    w.key(b",\"decision\":");
    w.opt(decision)?;
    w.key(b",\"rule\":");
    w.opt(rule)?;
    w.key(b",\"reason\":");
    w.opt(reason)?;
    if !redacted.is_empty() {
        w.key(b",\"redacted\":[");
        for (i, what) in redacted.iter().enumerate() {
            if i > 0 {
                w.key(b",");
            }
            w.str(what.as_ref())?;
        }
        w.key(b"]");
    }
    if let Some(revision) = policy_revision {
        w.key(b",\"policy_revision\":");
        w.str(revision.as_ref())?;
    }
    w.key(b",\"status\":");
    match status {
        Some(status) => w.int(*status),
        None => w.key(b"null"),
    }
    w.key(b",\"answered_by\":");
    w.str(answered_by.as_ref())?;
    w.key(b",\"bytes_in\":");
    w.int(*bytes_in);
    w.key(b",\"bytes_out\":");
    w.int(*bytes_out);
    w.key(b",\"duration_ms\":");
    w.json(duration_ms)?;
    w.key(if *hijacked {
        b",\"hijacked\":true"
    } else {
        b",\"hijacked\":false"
    });
    w.key(if *incomplete {
        b",\"incomplete\":true"
    } else {
        b",\"incomplete\":false"
    });
    if let Some(fault) = fault {
        w.key(b",\"fault\":");
        w.str(fault.as_ref())?;
    }
    w.key(b",\"error\":");
    w.opt(error)?;
    w.key(b",\"facts\":");
    if facts.is_empty() {
        w.key(b"{}");
    } else {
        w.json(facts)?;
    }
    if *unrecorded != 0 {
        w.key(b",\"unrecorded\":");
        w.int(*unrecorded);
    }
    w.key(b"}");
    Ok(())
}

/// The line being written.
struct Line<'a> {
    out: &'a mut Vec<u8>,
}

impl Line<'_> {
    /// A key (with the comma and colon around it) or any other fixed text.
    fn key(&mut self, text: &'static [u8]) {
        self.out.extend_from_slice(text);
    }

    /// A string, between quotes; through serde_json when it needs escaping.
    fn str(&mut self, s: &str) -> Result<(), Error> {
        if !needs_no_escape(s.as_bytes()) {
            return serde_json::to_writer(&mut *self.out, s);
        }
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
        Ok(())
    }

    fn opt(&mut self, s: &Option<impl AsRef<str>>) -> Result<(), Error> {
        match s {
            Some(s) => self.str(s.as_ref()),
            None => {
                self.key(b"null");
                Ok(())
            }
        }
    }

    /// An integer as serde_json writes it (itoa).
    fn int(&mut self, n: impl itoa::Integer) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    /// A map of strings, in its (sorted) order.
    fn map<S: AsRef<str>>(&mut self, map: &BTreeMap<S, S>) -> Result<(), Error> {
        self.key(b"{");
        for (i, (k, v)) in map.iter().enumerate() {
            if i > 0 {
                self.key(b",");
            }
            self.str(k.as_ref())?;
            self.key(b":");
            self.str(v.as_ref())?;
        }
        self.key(b"}");
        Ok(())
    }

    /// Anything else, written by serde_json.
    fn json(&mut self, value: &(impl Serialize + ?Sized)) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, value)
    }
}

/// True when serde_json writes `s` between quotes as it is: no control character, quote or
/// backslash.
///
/// Eight bytes at a time in a `u64` (the last eight overlapping the ones before), with the
/// classic bit tricks for "some byte is zero" and "some byte is below n": most of a record's
/// strings are 3 to 30 bytes, too short for the compiler's vectorized loop to pay for its
/// set-up, and serde_json's byte-by-byte table costs ≈ 6 instructions a byte.
fn needs_no_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Exact as a whole: a high bit is set in the result if and only if some byte matched.
    fn bad(x: u64) -> u64 {
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
        (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
    }
    let word = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    if s.len() < 8 {
        return !s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
    }
    let mut found = bad(word(s.len() - 8));
    for at in (0..s.len() - 8).step_by(8) {
        found |= bad(word(at));
    }
    found == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remember::audit::record::Record;

    /// The bytes serde_json writes, for every shape a record's fields take: strings needing
    /// escapes, absent and present options, maps, floats, the fields left out when empty.
    #[test]
    fn a_record_line_is_the_bytes_serde_json_writes() {
        let line = r#"{"v":1,"time":"2026-12-07T18:00:00.123Z","time_unix":1796666400.123,"id":"2026-12-07T18:00:00.123Z#3.1","conn":3,"req":1,"host":"h\"q\u0001","caller":{"transport":"unix","uid":0,"pid":42,"process":"do\"cker","container":{"id":"abc","name":"web","labels":{"a":"b"}}},"endpoint":"ContainerCreate","section":"containers","action":"docker create --name \"a\\b\" busybox","method":"POST","path":"/v1.41/containers/create?name=a%5Cb","api_version":"1.41","params":{"name":"a\\b"},"decision":"deny","rule":"no-privileged","reason":"privileged\ncontainers","redacted":["env"],"policy_revision":"r1","status":403,"answered_by":"sockeye","bytes_in":120,"bytes_out":80,"duration_ms":0.25,"hijacked":false,"incomplete":true,"fault":"unreadable","error":"é ✓ \t","facts":{"privileged":true,"escalations":["privileged"]},"unrecorded":2}"#;
        let sparse = r#"{"v":1,"time":"t","time_unix":0.0,"id":"i","conn":1,"req":1,"caller":{"transport":"tcp","addr":"127.0.0.1:5000"},"endpoint":"SystemPing","section":null,"action":"docker ping","method":"GET","path":"/_ping","api_version":null,"params":{},"decision":null,"rule":null,"reason":null,"status":null,"answered_by":"daemon","bytes_in":0,"bytes_out":2,"duration_ms":1e-5,"hijacked":false,"incomplete":false,"error":null,"facts":{}}"#;
        let several = r#"{"v":1,"time":"t","time_unix":1796666400.0,"id":"i","conn":18446744073709551615,"req":0,"caller":{"transport":"unix","uid":0},"endpoint":"ContainerArchive","section":"containers","action":"docker cp","method":"PUT","path":"/containers/x/archive?path=%2F","api_version":null,"params":{"id":"x","path":"/"},"decision":"allow","rule":"r","reason":null,"redacted":["env","mounts"],"status":0,"answered_by":"daemon","bytes_in":18446744073709551615,"bytes_out":0,"duration_ms":12.0,"hijacked":true,"incomplete":false,"fault":"client_aborted","error":null,"facts":{"binds":["/:/host"],"escalations":["host_root"]}}"#;
        for text in [line, sparse, several] {
            let record: Record = serde_json::from_str(text).expect("a record");
            let mut ours = Vec::new();
            write(&mut ours, &record).expect("writes");
            let theirs = serde_json::to_vec(&record).expect("serializes");
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }

    /// Bytes of every kind, high ones included (the word tricks borrow across bytes), in
    /// every arrangement a small generator makes: the check says what a byte loop says.
    #[test]
    fn the_word_check_agrees_with_a_byte_loop() {
        let edges = [
            0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0x9f, 0xa0,
            0xdf, 0xe0, 0xfe, 0xff, b'a',
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let len = (next() % 26) as usize;
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                bytes.push(match next() % 4 {
                    0 => edges[(next() % edges.len() as u64) as usize],
                    _ => 0x20 + (next() % 0xe0) as u8,
                });
            }
            let plain = !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
            assert_eq!(needs_no_escape(&bytes), plain, "{bytes:x?}");
        }
    }

    /// Every ASCII character, alone and inside a longer string (the vectorized part of the
    /// check), and some beyond ASCII: written here only when serde_json writes it unescaped.
    #[test]
    fn a_string_is_written_here_only_when_serde_json_would_not_escape_it() {
        let mut texts: Vec<String> = (0u8..0x80)
            .flat_map(|b| {
                let c = char::from(b);
                [
                    c.to_string(),
                    format!("{}{c}{}", "a".repeat(37), "z".repeat(20)),
                ]
            })
            .collect();
        texts.extend(["é ✓", "\u{2028}\u{2029}", "\u{7f}", "<&>", ""].map(String::from));
        // Each of the characters the check looks for, and its neighbours, at every position
        // of strings of every length up to 40 (the words and the overlapping last one).
        for len in 1..=40 {
            for at in 0..len {
                for c in [
                    '\u{0}', '\u{1f}', ' ', '!', '"', '#', '[', '\\', ']', '\u{7f}', 'é',
                ] {
                    let mut text: String = "a".repeat(len);
                    text.replace_range(at..at + 1, &c.to_string());
                    texts.push(text);
                }
            }
        }
        for text in texts {
            let plain = format!("\"{text}\"") == serde_json::to_string(&text).unwrap();
            assert_eq!(needs_no_escape(text.as_bytes()), plain, "{text:?}");
            let mut ours = Vec::new();
            Line { out: &mut ours }.str(&text).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&text).unwrap()
            );
        }
    }
}
