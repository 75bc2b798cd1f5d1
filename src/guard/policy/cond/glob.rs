//! Name patterns, as every condition on a name spells them.

use std::fmt;

/// `*` matches any run of characters (slashes included), `?` one character; nothing else
/// is special. Case-sensitive, as dockerd's names are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(pub String);

impl Glob {
    pub fn matches(&self, text: &str) -> bool {
        // Iterative wildcard match with one backtrack point: linear enough for policy
        // patterns, and no recursion a hostile name could blow up. Positions are byte
        // offsets on character boundaries, so matching a name allocates nothing.
        let (p, t) = (self.0.as_str(), text);
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while let Some(tc) = t[ti..].chars().next() {
            let pc = p[pi..].chars().next();
            if let Some(pc) = pc.filter(|&pc| pc == '?' || pc == tc) {
                pi += pc.len_utf8();
                ti += tc.len_utf8();
            } else if pc == Some('*') {
                star = Some((pi, ti));
                pi += 1;
            } else if let Some((sp, st)) = star {
                let retry = st + t[st..].chars().next().map_or(0, char::len_utf8);
                pi = sp + 1;
                ti = retry;
                star = Some((sp, retry));
            } else {
                return false;
            }
        }
        p[pi..].bytes().all(|b| b == b'*')
    }
}

pub(super) fn any_glob(globs: &[Glob], text: &str) -> bool {
    globs.iter().any(|g| g.matches(text))
}

/// Globs as a mismatch shows them, `["web-*", "db"]`, written only if the reason is.
pub(super) struct Globs<'a>(pub(super) &'a [Glob]);

impl fmt::Display for Globs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|g| g.0.as_str()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names_only() {
        let g = Glob("web-*".into());
        assert!(g.matches("web-1"));
        assert!(g.matches("web-"));
        assert!(!g.matches("xweb-1"));
        assert!(Glob("a?c".into()).matches("abc"));
        assert!(!Glob("abc".into()).matches("abcd"));
        assert!(Glob("*".into()).matches(""));
        assert!(Glob("*a*b".into()).matches("xxaxxb"));
        assert!(!Glob("*a*b".into()).matches("xxaxxbc"));
    }

    /// The matcher as it was when it worked on collected `char`s.
    fn glob_on_chars(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
                pi += 1;
                ti += 1;
            } else if pi < p.len() && p[pi] == '*' {
                star = Some((pi, ti));
                pi += 1;
            } else if let Some((sp, st)) = star {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }

    #[test]
    fn globs_match_multibyte_names_as_the_char_matcher_did() {
        let pieces = ["", "a", "b", "é", "ü", "*", "?", "/"];
        let mut words = vec![String::new()];
        for _ in 0..3 {
            words = words
                .iter()
                .flat_map(|w| pieces.iter().map(move |p| format!("{w}{p}")))
                .collect();
        }
        let texts: Vec<&String> = words.iter().filter(|w| !w.contains(['*', '?'])).collect();
        for pattern in &words {
            let glob = Glob(pattern.clone());
            for text in &texts {
                assert_eq!(
                    glob.matches(text),
                    glob_on_chars(pattern, text),
                    "{pattern:?} on {text:?}"
                );
            }
        }
    }
}
