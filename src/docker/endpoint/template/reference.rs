//! The matcher as it was before routing was tuned: it scans characters and looks for a
//! variable's end without the tuned shortcuts. Tests hold the tuned matcher and the route
//! index to it; both parse templates with the same [`Template::parse`].

use super::{Capture, Captures, Part, Prefix, Template};

/// Match `path` against `template`, behind this version prefix if any.
pub(crate) fn matches_with(
    template: &'static str,
    prefix: Option<Prefix>,
    path: &str,
) -> Option<Captures> {
    let parsed = Template::parse_with(template, prefix)?;
    let mut captures = Captures::default();
    match_parts(parsed.parts.as_slice(), path, 0, 0, &mut captures).then_some(captures)
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
            let longest = tail.find(|c| !pattern.allows(c)).unwrap_or(tail.len());
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
            let only = match rest {
                [] => Some(tail.len()),
                [Part::Literal(lit)] => tail.len().checked_sub(lit.len()),
                [Part::Literal(lit), ..] if lit.starts_with(|c| !pattern.allows(c)) => {
                    Some(longest)
                }
                _ => None,
            };
            let found = match only {
                Some(end) => fits(end) && try_end(end, caps),
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
