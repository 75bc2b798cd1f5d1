//! Whole JSON bodies, indented for reading, exactly as sent.

use serde::de::IgnoredAny;

use super::escape::{escape_into, Style};
use super::lines::char_boundary_at_or_before;

/// `bytes` indented two spaces per level when it is JSON, at most about `cap` bytes of
/// output, then `… (N more bytes)` counting the input not shown.
///
/// Only whitespace changes: members keep their order, duplicates and escapes. A request
/// that says `"Privileged":false,"Privileged":true` is shown saying both — dockerd acts on
/// the last — where re-serialising a parsed value would show one. A body that ends inside
/// a JSON document (a capture cut short) is indented as far as it goes, with a note; any
/// other body is shown as escaped text.
pub fn pretty_json(bytes: &[u8], cap: usize) -> String {
    render(bytes, cap, 0)
}

/// [`pretty_json`] of the first bytes of a body whose other `unseen` bytes were not kept.
pub(crate) fn render(bytes: &[u8], cap: usize, unseen: u64) -> String {
    match serde_json::from_slice::<IgnoredAny>(bytes) {
        Ok(_) => indent(bytes, cap, unseen, None),
        Err(e) if e.is_eof() && starts_like_json(bytes) => indent(
            bytes,
            cap,
            unseen,
            Some("(body ends inside the JSON document)"),
        ),
        Err(_) => text(bytes, cap, unseen),
    }
}

fn starts_like_json(bytes: &[u8]) -> bool {
    matches!(bytes.trim_ascii_start().first(), Some(b'{' | b'['))
}

const STYLE: Style = Style {
    newlines: true,
    backslash: false,
};

fn indent(bytes: &[u8], cap: usize, unseen: u64, ends_early: Option<&str>) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len().min(cap) + 64);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.resize(out.len() + depth * 2, b' ');
    };
    // Inside strings output and input match byte for byte; past the cap, finish the
    // character so it is not shown as two `\x..` escapes.
    let continues = |i: usize| bytes.get(i).is_some_and(|&b| b & 0xc0 == 0x80);
    while i < bytes.len() && (out.len() < cap || (in_string && continues(i))) {
        let b = bytes[i];
        i += 1;
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let next = bytes[i..].iter().position(|c| !c.is_ascii_whitespace());
                if let Some(j) = next.filter(|&j| bytes[i + j] == close) {
                    out.extend([b, close]);
                    i += j + 1;
                } else {
                    out.push(b);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend(b": "),
            _ => out.push(b),
        }
    }
    let rest = (bytes.len() - i) as u64 + unseen;
    let mut s = String::with_capacity(out.len() + 32);
    escape_into(&mut s, &out, STYLE);
    if rest > 0 {
        s.push_str(&format!("\n… ({rest} more bytes)"));
    } else if let Some(note) = ends_early {
        s.push('\n');
        s.push_str(note);
    }
    s
}

fn text(bytes: &[u8], cap: usize, unseen: u64) -> String {
    let shown = if bytes.len() > cap {
        char_boundary_at_or_before(bytes, cap)
    } else {
        bytes.len()
    };
    let mut s = String::with_capacity(shown + 32);
    escape_into(
        &mut s,
        &bytes[..shown],
        Style {
            newlines: true,
            backslash: true,
        },
    );
    let rest = (bytes.len() - shown) as u64 + unseen;
    if rest > 0 {
        s.push_str(&format!("\n… ({rest} more bytes)"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exec_create_body_is_indented() {
        // trace exec: `docker exec probe-x echo hi`.
        let body = br#"{"User":"","Privileged":false,"Tty":false,"Env":null,"Cmd":["echo","hi"],"Labels":{},"Ids":[ ]}"#;
        assert_eq!(
            pretty_json(body, 4096),
            r#"{
  "User": "",
  "Privileged": false,
  "Tty": false,
  "Env": null,
  "Cmd": [
    "echo",
    "hi"
  ],
  "Labels": {},
  "Ids": []
}"#
        );
    }

    #[test]
    fn a_duplicate_key_smuggling_privileged_is_shown_not_merged() {
        let body = br#"{"HostConfig":{"Privileged":false,"privileged":true}}"#;
        let shown = pretty_json(body, 4096);
        assert!(
            shown.contains("\"Privileged\": false,\n    \"privileged\": true"),
            "{shown}"
        );
    }

    #[test]
    fn strings_keep_their_escapes_and_structure_characters_inside_them() {
        let body = br#"{"Cmd":["sh","-c","echo {a,b}: [x] \"q\" \u003e \\"]}"#;
        assert_eq!(
            pretty_json(body, 4096),
            "{\n  \"Cmd\": [\n    \"sh\",\n    \"-c\",\n    \"echo {a,b}: [x] \\\"q\\\" \\u003e \\\\\"\n  ]\n}"
        );
    }

    #[test]
    fn a_big_inspect_body_is_cut_at_the_cap_and_says_how_much_is_left() {
        let body = br#"{"Id":"6336c44b261a","Name":"/probe-x"}"#;
        let shown = pretty_json(body, 12);
        assert_eq!(shown, "{\n  \"Id\": \"6\n… (31 more bytes)");
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        let body = "[\"éé\"]".as_bytes();
        // `[\n  "` is 5 bytes, é is 2: a cap of 8 falls inside the second é.
        assert_eq!(pretty_json(body, 8), "[\n  \"éé\n… (2 more bytes)");
    }

    #[test]
    fn a_capture_cut_inside_the_json_is_indented_with_a_note() {
        assert_eq!(
            pretty_json(br#"{"Image":"busybox","Cmd":["s"#, 4096),
            "{\n  \"Image\": \"busybox\",\n  \"Cmd\": [\n    \"s\n(body ends inside the JSON document)"
        );
    }

    #[test]
    fn text_bodies_are_escaped_and_capped() {
        assert_eq!(pretty_json(b"page not found\n", 100), "page not found\n");
        assert_eq!(
            pretty_json(b"\x1b]0;pwned\x07 and more", 10),
            "\\x1b]0;pwned\\x07\n… (9 more bytes)"
        );
        assert_eq!(pretty_json(b"", 10), "");
    }

    #[test]
    fn bidi_controls_inside_json_strings_are_made_visible() {
        let body = "{\"Name\":\"ab\u{202e}cd\"}".as_bytes();
        assert_eq!(
            pretty_json(body, 100),
            "{\n  \"Name\": \"ab\\u{202e}cd\"\n}"
        );
    }
}
