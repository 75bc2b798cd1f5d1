//! gorilla/mux path templates, matched the way mux's compiled regexps match them.
//!
//! mux turns `/containers/{name:.*}/json` into `^/containers/(?P<v0>.*)/json$` and runs Go's
//! regexp on the decoded path. Two details of Go's regexp decide real cases:
//! * `.` does not match `\n` (no `s` flag), while a negated class like `[^/]` does;
//! * submatches are leftmost-first with greedy quantifiers, i.e. what a backtracking matcher
//!   that tries the longest span first reports.
//!
//! Only the variable patterns dockerd uses are understood; a template with any other pattern
//! never matches (never guessed), and a unit test keeps the table free of them.

/// The most variables one match can capture: the version prefix plus two in
/// `/containers/{name}/checkpoints/{checkpoint}`.
pub(crate) const MAX_VARS: usize = 3;
const MAX_PARTS: usize = 2 * MAX_VARS + 1;

/// A captured variable: its name in the template and its byte span in the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Capture {
    pub name: &'static str,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    /// `.*`
    Any,
    /// `.+`
    NonEmpty,
    /// default `[^/]+`
    Segment,
    /// `[0-9.]+`, dockerd's version prefix
    Version,
    /// `[0-9][0-9A-Za-z.-]*`, Podman's version prefix (`/v4.3.0-dev/libpod/…`)
    PodmanVersion,
}

/// The `/v{version}` prefix a route is registered behind: dockerd's, or Podman's wider one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefix {
    Docker,
    Podman,
}

impl Pattern {
    fn parse(regex: Option<&str>) -> Option<Pattern> {
        match regex {
            None => Some(Pattern::Segment),
            Some(".*") => Some(Pattern::Any),
            Some(".+") => Some(Pattern::NonEmpty),
            Some("[^/]+") => Some(Pattern::Segment),
            Some("[0-9.]+") => Some(Pattern::Version),
            Some("[0-9][0-9A-Za-z.-]*") => Some(Pattern::PodmanVersion),
            Some(_) => None,
        }
    }

    fn allows(self, c: char) -> bool {
        match self {
            Pattern::Any | Pattern::NonEmpty => c != '\n',
            Pattern::Segment => c != '/',
            Pattern::Version => c.is_ascii_digit() || c == '.',
            Pattern::PodmanVersion => c.is_ascii_alphanumeric() || c == '.' || c == '-',
        }
    }

    /// Whether a span starting `tail` may begin here: Podman's version starts with a digit.
    fn starts(self, tail: &str) -> bool {
        self != Pattern::PodmanVersion || tail.starts_with(|c: char| c.is_ascii_digit())
    }

    fn may_be_empty(self) -> bool {
        self == Pattern::Any
    }

    /// The length of the longest start of `tail` the pattern allows. Each pattern stops
    /// only at ASCII characters, which UTF-8 never uses inside another character, so a
    /// byte scan stops where a scan over characters would, without decoding them.
    fn longest(self, tail: &str) -> usize {
        let stops = |b: u8| match self {
            Pattern::Any | Pattern::NonEmpty => b == b'\n',
            Pattern::Segment => b == b'/',
            Pattern::Version => !(b.is_ascii_digit() || b == b'.'),
            Pattern::PodmanVersion => !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
        };
        tail.bytes().position(stops).unwrap_or(tail.len())
    }
}

#[derive(Clone, Copy, Debug)]
enum Part {
    Literal(&'static str),
    Var(&'static str, Pattern),
}

/// A parsed template: at most `MAX_PARTS` parts, no allocation.
#[derive(Clone, Copy, Debug)]
struct Parts {
    parts: [Part; MAX_PARTS],
    len: usize,
}

impl Parts {
    fn new() -> Parts {
        Parts {
            parts: [Part::Literal(""); MAX_PARTS],
            len: 0,
        }
    }

    fn push(&mut self, part: Part) -> Option<()> {
        *self.parts.get_mut(self.len)? = part;
        self.len += 1;
        Some(())
    }

    fn as_slice(&self) -> &[Part] {
        &self.parts[..self.len]
    }

    /// Append a mux template; `None` if it uses a pattern this module does not know.
    fn append(&mut self, template: &'static str) -> Option<()> {
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                self.push(Part::Literal(&rest[..open]))?;
            }
            let close = open + rest[open..].find('}')?;
            let var = &rest[open + 1..close];
            let (name, regex) = match var.split_once(':') {
                Some((name, regex)) => (name, Some(regex)),
                None => (var, None),
            };
            self.push(Part::Var(name, Pattern::parse(regex)?))?;
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            self.push(Part::Literal(rest))?;
        }
        Some(())
    }
}

#[cfg(test)]
pub(crate) mod reference;

/// Whether a template uses only patterns this module understands.
#[cfg(test)]
pub(crate) fn is_supported(template: &'static str) -> bool {
    Parts::new().append(template).is_some()
}

/// Captures of a successful match, in template order.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Captures {
    slots: [Option<Capture>; MAX_VARS],
}

impl Captures {
    pub fn iter(&self) -> impl Iterator<Item = Capture> + '_ {
        self.slots.iter().flatten().copied()
    }

    /// These captures, made in a path that followed a version prefix, as captures in the
    /// whole path: `version` first, every span moved by `by`. `None` if there is no room.
    pub fn behind(self, version: Capture, by: usize) -> Option<Captures> {
        let mut out = Captures::default();
        out.slots[0] = Some(version);
        for (slot, c) in out.slots.iter_mut().skip(1).zip(self.slots) {
            *slot = c.map(|c| Capture {
                start: c.start + by,
                end: c.end + by,
                ..c
            });
        }
        (self.slots[MAX_VARS - 1].is_none()).then_some(out)
    }
}

/// The segment after `/v` if it is a version only Podman's prefix takes
/// (`[0-9][0-9A-Za-z.-]*`, not dockerd's `[0-9.]+`), as a capture, and where the rest begins.
pub(crate) fn podman_only_version(path: &str) -> Option<(Capture, usize)> {
    let rest = path.strip_prefix("/v")?;
    let len = Pattern::PodmanVersion.longest(rest);
    let version = &rest[..len];
    let docker = version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if len == 0 || docker || !Pattern::PodmanVersion.starts(rest) || !rest[len..].starts_with('/') {
        return None;
    }
    let capture = Capture {
        name: "version",
        start: 2,
        end: 2 + len,
    };
    Some((capture, 2 + len))
}

/// A template parsed once, in one of its two registered forms, so that routing a request
/// does not re-parse every template it tries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Template {
    parts: Parts,
}

impl Template {
    /// `template`, behind mux's `/v{version:[0-9.]+}` prefix if `versioned`; `None` if it uses
    /// a pattern this module does not know (such a template never matches).
    pub fn parse(template: &'static str, versioned: bool) -> Option<Template> {
        Template::parse_with(template, versioned.then_some(Prefix::Docker))
    }

    /// `template`, behind this version prefix if any.
    pub fn parse_with(template: &'static str, prefix: Option<Prefix>) -> Option<Template> {
        let mut parts = Parts::new();
        if let Some(prefix) = prefix {
            parts.push(Part::Literal("/v"))?;
            parts.push(Part::Var(
                "version",
                match prefix {
                    Prefix::Docker => Pattern::Version,
                    Prefix::Podman => Pattern::PodmanVersion,
                },
            ))?;
        }
        parts.append(template)?;
        Some(Template { parts })
    }

    pub fn matches(&self, path: &str) -> Option<Captures> {
        let mut captures = Captures::default();
        match_parts(self.parts.as_slice(), path, 0, 0, &mut captures).then_some(captures)
    }
}

/// Match `path` against `template`, behind mux's `/v{version:[0-9.]+}` prefix if `versioned`.
pub(crate) fn matches(template: &'static str, versioned: bool, path: &str) -> Option<Captures> {
    Template::parse(template, versioned)?.matches(path)
}

fn match_parts(parts: &[Part], path: &str, at: usize, var: usize, caps: &mut Captures) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return at == path.len();
    };
    let tail = &path[at..];
    match *first {
        Part::Literal(lit) => {
            tail.starts_with(lit) && match_parts(rest, path, at + lit.len(), var, caps)
        }
        Part::Var(name, pattern) => {
            let longest = pattern.longest(tail);
            let fits = |end: usize| {
                end <= longest
                    && tail.is_char_boundary(end)
                    && (end > 0 || pattern.may_be_empty())
                    && pattern.starts(tail)
            };
            let try_end = |end: usize, caps: &mut Captures| {
                caps.slots[var] = Some(Capture {
                    name,
                    start: at,
                    end: at + end,
                });
                match_parts(rest, path, at + end, var + 1, caps)
            };
            // Every template in dockerd's table leaves a single possible end for each
            // variable; finding it directly keeps matching linear in the path length.
            // `Some(None)`: no end can work, such as a closing literal longer than the path.
            let only = match rest {
                [] => Some(Some(tail.len())),
                [Part::Literal(lit)] => Some(tail.len().checked_sub(lit.len())),
                [Part::Literal(lit), ..] if lit.starts_with(|c| !pattern.allows(c)) => {
                    Some(Some(longest))
                }
                _ => None,
            };
            let found = match only {
                Some(end) => end.is_some_and(|end| fits(end) && try_end(end, caps)),
                // Otherwise backtrack greedily: longest span first, then shorter ones.
                None => std::iter::once(longest)
                    .chain(tail[..longest].char_indices().rev().map(|(i, _)| i))
                    .filter(|&end| fits(end))
                    .any(|end| try_end(end, caps)),
            };
            if !found {
                caps.slots[var] = None;
            }
            found
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(template: &'static str, versioned: bool, path: &str) -> Option<Vec<(String, String)>> {
        matches(template, versioned, path).map(|c| {
            c.iter()
                .map(|c| (c.name.to_string(), path[c.start..c.end].to_string()))
                .collect()
        })
    }

    fn one(template: &'static str, path: &str) -> Option<String> {
        let mut all = caps(template, false, path)?;
        assert_eq!(all.len(), 1);
        Some(all.remove(0).1)
    }

    #[test]
    fn dot_star_spans_slashes_and_may_be_empty() {
        assert_eq!(
            one(
                "/images/{name:.*}/json",
                "/images/localhost:5000/a/b:1/json"
            )
            .unwrap(),
            "localhost:5000/a/b:1"
        );
        assert_eq!(one("/containers/{name:.*}", "/containers/").unwrap(), "");
        assert_eq!(
            one("/containers/{name:.*}/json", "/containers/a/json/json").unwrap(),
            "a/json"
        );
        assert_eq!(one("/containers/{name:.*}/json", "/containers/json"), None);
    }

    #[test]
    fn dot_does_not_match_newline_but_negated_class_does() {
        assert_eq!(
            one("/containers/{name:.*}/json", "/containers/a\nb/json"),
            None
        );
        assert_eq!(one("/services/{id}", "/services/a\nb").unwrap(), "a\nb");
    }

    #[test]
    fn dot_plus_needs_at_least_one_character() {
        assert_eq!(one("/networks/{id:.+}", "/networks/"), None);
        assert_eq!(one("/networks/{id:.+}", "/networks/a/b").unwrap(), "a/b");
    }

    #[test]
    fn default_variable_is_one_non_empty_segment() {
        assert_eq!(one("/services/{id}", "/services/a/b"), None);
        assert_eq!(one("/services/{id}", "/services/"), None);
        assert_eq!(
            caps(
                "/containers/{name}/checkpoints/{checkpoint}",
                false,
                "/containers/c/checkpoints/k"
            )
            .unwrap(),
            vec![
                ("name".into(), "c".into()),
                ("checkpoint".into(), "k".into())
            ]
        );
    }

    #[test]
    fn version_prefix_is_digits_and_dots_only() {
        let got = caps("/containers/json", true, "/v1.41/containers/json").unwrap();
        assert_eq!(got, vec![("version".into(), "1.41".into())]);
        assert!(caps("/containers/json", true, "/v1..41/containers/json").is_some());
        assert!(caps("/containers/json", true, "/v/containers/json").is_none());
        assert!(caps("/containers/json", true, "/vx/containers/json").is_none());
        assert!(caps("/containers/json", true, "/V1.41/containers/json").is_none());
    }

    #[test]
    fn podmans_version_prefix_starts_with_a_digit_and_takes_letters_and_dashes() {
        let podman = |path: &str| {
            Template::parse_with("/libpod/_ping", Some(Prefix::Podman))
                .unwrap()
                .matches(path)
                .map(|c| {
                    path[c.iter().next().unwrap().start..c.iter().next().unwrap().end].to_owned()
                })
        };
        assert_eq!(
            podman("/v4.3.0-dev/libpod/_ping").as_deref(),
            Some("4.3.0-dev")
        );
        assert_eq!(podman("/v5/libpod/_ping").as_deref(), Some("5"));
        assert_eq!(podman("/v.5/libpod/_ping"), None);
        assert_eq!(podman("/v/libpod/_ping"), None);
        assert_eq!(podman("/vx5/libpod/_ping"), None);
        assert_eq!(podman("/v5_1/libpod/_ping"), None);
    }

    #[test]
    fn greedy_match_reports_longest_leading_variable() {
        // `.*` then `/json`: the variable takes everything up to the last `/json`.
        assert_eq!(
            one("/exec/{id:.*}/json", "/exec/a/json/b/json").unwrap(),
            "a/json/b"
        );
        assert_eq!(one("/{anyroute:.*}", "/x/y").unwrap(), "x/y");
    }

    #[test]
    fn multibyte_names_split_on_char_boundaries() {
        assert_eq!(one("/volumes/{name:.*}", "/volumes/é").unwrap(), "é");
        assert_eq!(
            one("/containers/{name:.*}/json", "/containers/ü/json").unwrap(),
            "ü"
        );
    }

    #[test]
    fn templates_outside_the_table_still_match_greedily() {
        let got = caps("/a/{x:.*}/b/{y}", false, "/a/1/b/2/b/3").unwrap();
        assert_eq!(
            got,
            vec![("x".into(), "1/b/2".into()), ("y".into(), "3".into())]
        );
        assert!(caps("/a/{x:.*}/b/{y}", false, "/a/1/b/").is_none());
    }

    #[test]
    fn long_paths_match_without_backtracking_blowup() {
        let name = "a/".repeat(30_000) + "b";
        let path = format!("/v{}/containers/{name}/json", "1".repeat(30_000));
        let got = caps("/containers/{name:.*}/json", true, &path).unwrap();
        assert_eq!(got[1].1, name);
    }

    #[test]
    fn the_tuned_matcher_agrees_with_the_reference() {
        let templates = [
            "/a/{x:.*}/b/{y}",
            "/containers/{name:.*}/json",
            "/containers/{name:.*}/checkpoints",
            "/containers/{name}/checkpoints/{checkpoint}",
            "/networks/{id:.+}",
            "/services/{id}",
            "/debug/pprof/{name}",
            "/{anyroute:.*}",
            "/x/{id:[a-z]+}",
            "/_ping",
        ];
        let pieces = [
            "",
            "/",
            "a",
            "é",
            "\n",
            "1.4",
            "/json",
            "/containers/",
            "/checkpoints",
        ];
        let mut paths = vec![String::new()];
        for _ in 0..4 {
            paths = paths
                .iter()
                .flat_map(|p| pieces.iter().map(move |x| format!("{p}{x}")))
                .collect();
        }
        for template in templates {
            for prefix in [None, Some(Prefix::Docker), Some(Prefix::Podman)] {
                let tuned = Template::parse_with(template, prefix);
                for path in &paths {
                    for path in [
                        path.clone(),
                        format!("/v1.41{path}"),
                        format!("/v4.3-dev{path}"),
                        format!("/{path}"),
                    ] {
                        let got = tuned.and_then(|t| t.matches(&path));
                        let want = reference::matches_with(template, prefix, &path);
                        assert_eq!(
                            got.map(|c| c.iter().collect::<Vec<_>>()),
                            want.map(|c| c.iter().collect::<Vec<_>>()),
                            "{template} {prefix:?} {path:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn unknown_patterns_never_match() {
        assert!(!is_supported("/x/{id:[a-z]+}"));
        assert!(matches("/x/{id:[a-z]+}", false, "/x/a").is_none());
        assert!(is_supported("/containers/{name}/checkpoints/{checkpoint}"));
    }
}
