//! Untrusted bytes made safe to put on a terminal.
//!
//! Container output and request bodies are written by whoever holds the socket or runs the
//! container: raw escape sequences would drive the viewer's terminal, a lone `\r` or a
//! bidi override would let a line hide or reorder what precedes it. Everything that is not
//! plainly visible text becomes a visible escape, so what a view shows is what was sent.

use std::fmt::Write;

/// How [`escape_into`] treats the two characters that are visible in some contexts only.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    /// Keep `\n` as a real line break (multi-line blocks) rather than escaping it.
    pub newlines: bool,
    /// Double backslashes, so an escape we add can't be confused with text that already
    /// contained one. Off for JSON, whose own escapes must stay as they were.
    pub backslash: bool,
}

/// Escaping for one line of untrusted text.
pub(crate) const LINE: Style = Style {
    newlines: false,
    backslash: true,
};

/// `bytes` as one visible line: printable UTF-8 unchanged, `\r`, `\t`, `\x1b`, other
/// control characters, invalid UTF-8 (`\xff`) and invisible or reordering characters
/// (`\u{202e}`) escaped, backslashes doubled.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    escape_into(&mut out, bytes, LINE);
    out
}

pub(crate) fn escape_into(out: &mut String, bytes: &[u8], style: Style) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' if style.backslash => out.push_str("\\\\"),
                '\n' if style.newlines => out.push('\n'),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                c if (c as u32) < 0x20 || c == '\x7f' => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if c.is_control() || hides_text(c) => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// Characters that render as nothing, or change the order or flow of what follows
/// ("Trojan Source" bidi overrides, zero-width joiners, line separators, BOM).
pub(crate) fn hides_text(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_control_sequences_in_container_output_are_shown_not_executed() {
        // A container that prints "clear screen" must not clear the auditor's screen.
        assert_eq!(escape(b"\x1b[2Jgone\x07"), "\\x1b[2Jgone\\x07");
        assert_eq!(escape(b"ok\rFAKE"), "ok\\rFAKE");
        assert_eq!(escape(b"a\tb\0c\x7f"), "a\\tb\\0c\\x7f");
    }

    #[test]
    fn invalid_utf8_is_shown_byte_by_byte_and_valid_utf8_kept() {
        assert_eq!(escape(b"caf\xc3\xa9 \xff\xfe"), "café \\xff\\xfe");
    }

    #[test]
    fn a_bidi_override_cannot_reorder_the_line_it_is_in() {
        assert_eq!(
            escape("rm \u{202e}txt.exe".as_bytes()),
            "rm \\u{202e}txt.exe"
        );
        assert_eq!(escape("\u{9b}31m".as_bytes()), "\\u{9b}31m");
    }

    #[test]
    fn a_backslash_in_the_text_cannot_pass_for_one_of_our_escapes() {
        assert_eq!(escape(br"C:\x1b"), r"C:\\x1b");
        let mut json = String::new();
        escape_into(
            &mut json,
            br#"{"a":"\n"}"#,
            Style {
                newlines: true,
                backslash: false,
            },
        );
        assert_eq!(json, r#"{"a":"\n"}"#);
    }
}
