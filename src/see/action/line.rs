//! A command line under construction, and shell-style quoting for it.

use std::borrow::Cow;

use crate::see::redact::MARKER;

/// Words of one command line. The object (container, image, network …) is remembered so
/// that [`super::summarize`] can fold `docker rm -f a`, `docker rm -f b` into `docker rm -f a b`.
///
/// Command words and flags are mostly literals: kept borrowed, a line like `docker ps`
/// costs one allocation for its words and one for the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    words: Vec<Cow<'static, str>>,
    object: Option<usize>,
    /// Further objects folded in after the first (already quoted).
    more: Vec<String>,
}

impl Line {
    /// `docker` followed by the given words, unquoted (`"network create"`).
    pub fn docker(command: impl Into<Cow<'static, str>>) -> Line {
        let mut words = Vec::with_capacity(8);
        words.push(Cow::Borrowed("docker"));
        match command.into() {
            Cow::Borrowed(command) => words.extend(
                command
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(Cow::Borrowed),
            ),
            Cow::Owned(command) => words.extend(
                command
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(|w| Cow::Owned(w.to_owned())),
            ),
        }
        Line {
            words,
            object: None,
            more: Vec::new(),
        }
    }

    /// A line that is not a docker command (`(unknown endpoint)`).
    pub fn note(text: impl Into<Cow<'static, str>>) -> Line {
        Line {
            words: vec![text.into()],
            object: None,
            more: Vec::new(),
        }
    }

    /// A word written as it is: flags and sockeye's own parenthesised notes.
    pub fn raw(&mut self, word: impl Into<Cow<'static, str>>) -> &mut Line {
        self.words.push(word.into());
        self
    }

    /// A value the client chose, quoted as a shell would need it.
    pub fn arg(&mut self, value: &str) -> &mut Line {
        self.words.push(Cow::Owned(quote(value).into_owned()));
        self
    }

    pub fn args<'v>(&mut self, values: impl IntoIterator<Item = &'v str>) -> &mut Line {
        for v in values {
            self.arg(v);
        }
        self
    }

    /// `--flag value`.
    pub fn opt(&mut self, flag: &'static str, value: &str) -> &mut Line {
        self.raw(flag).arg(value)
    }

    /// `--flag value` for each value.
    pub fn args_flagged<'v>(
        &mut self,
        flag: &'static str,
        values: impl IntoIterator<Item = &'v str>,
    ) {
        for v in values {
            self.opt(flag, v);
        }
    }

    /// `--flag value` when there is a non-empty value.
    pub fn opt_some(&mut self, flag: &'static str, value: Option<&str>) -> &mut Line {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.opt(flag, v);
        }
        self
    }

    /// The flag alone when `on`.
    pub fn flag_if(&mut self, on: bool, flag: &'static str) -> &mut Line {
        if on {
            self.raw(flag);
        }
        self
    }

    /// The object acted on.
    pub fn object(&mut self, name: &str) -> &mut Line {
        self.object = Some(self.words.len());
        self.arg(name)
    }

    /// The second word (`create` in `docker create`), to turn a create into a run.
    pub fn set_command(&mut self, command: &'static str) {
        if let Some(w) = self.words.get_mut(1) {
            *w = Cow::Borrowed(command);
        }
    }

    /// Put a flag right after the command word (`docker run -d …`).
    pub fn insert_flag(&mut self, flag: &'static str) {
        let at = 2.min(self.words.len());
        self.words.insert(at, Cow::Borrowed(flag));
        if let Some(o) = self.object.as_mut().filter(|o| **o >= at) {
            *o += 1;
        }
    }

    /// Whether two lines differ at most in their object.
    pub fn same_but_object(&self, other: &Line) -> bool {
        self.object.is_some()
            && self.object == other.object
            && self.words.len() == other.words.len()
            && self
                .words
                .iter()
                .zip(&other.words)
                .enumerate()
                .all(|(i, (a, b))| Some(i) == self.object || a == b)
    }

    pub fn object_word(&self) -> Option<&str> {
        self.object.map(|i| &*self.words[i])
    }

    /// Add an object (a word from [`Line::object_word`]) after the ones there, once.
    pub fn add_object(&mut self, word: &str) {
        if self.object_word() != Some(word) && !self.more.iter().any(|m| m == word) {
            self.more.push(word.to_owned());
        }
    }

    /// The words joined by spaces, the folded objects after the first.
    pub fn finish(&self) -> String {
        let (before, after) = match self.object {
            Some(i) => self.words.split_at(i + 1),
            None => (&self.words[..], &[][..]),
        };
        let words = || {
            before
                .iter()
                .map(|w| &**w)
                .chain(self.more.iter().map(String::as_str))
                .chain(after.iter().map(|w| &**w))
        };
        let len = words().map(|w| w.len() + 1).sum::<usize>();
        let mut out = String::with_capacity(len);
        for (i, w) in words().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(w);
        }
        out
    }
}

/// Quote a word the way a POSIX shell would need it, so `sh -c 'echo hi; exit'` reads as one
/// argument. Control characters and invisible bidirectional overrides are written as
/// `$'\n'`-style escapes: a crafted argument must not rewrite the terminal or the log line it
/// is shown in. [`MARKER`] is left bare where the rest needs no quoting (`-e KEY=<redacted>`).
pub(crate) fn quote(word: &str) -> Cow<'_, str> {
    if word.contains(MARKER) && word.split(MARKER).all(|part| part.chars().all(safe)) {
        return Cow::Borrowed(word);
    }
    if !word.is_empty() && word.chars().all(safe) {
        return Cow::Borrowed(word);
    }
    if word.chars().any(unprintable) {
        let mut out = String::from("$'");
        for c in word.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c if (c as u32) < 0x80 && unprintable(c) => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c if unprintable(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        return Cow::Owned(out);
    }
    Cow::Owned(format!("'{}'", word.replace('\'', "'\\''")))
}

fn safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c)
}

fn unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_like_a_shell_needs() {
        assert_eq!(quote("local/busybox:1"), "local/busybox:1");
        assert_eq!(quote("echo hi; exit"), "'echo hi; exit'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a$b"), "'a$b'");
    }

    #[test]
    fn a_crafted_argument_cannot_forge_a_log_line() {
        assert_eq!(quote("x\ndocker ps"), "$'x\\ndocker ps'");
        assert_eq!(quote("\u{1b}[2J"), "$'\\x1b[2J'");
        assert_eq!(quote("a\u{202e}b"), "$'a\\u202eb'");
    }

    #[test]
    fn the_redaction_marker_stays_readable() {
        assert_eq!(quote("TOKEN=<redacted>"), "TOKEN=<redacted>");
        assert_eq!(
            quote("o=a=<redacted>,b=<redacted>"),
            "o=a=<redacted>,b=<redacted>"
        );
        assert_eq!(quote("MY KEY=<redacted>"), "'MY KEY=<redacted>'");
    }
}
