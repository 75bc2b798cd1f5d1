//! The route table bucketed by the path segment each route can match, built once.
//!
//! Trying every template in turn was most of what classifying a request cost. A template
//! whose first segment is a literal (`/containers/…`, `/_ping`) can only match a path with
//! that first segment, or, behind the `/v{version}` prefix, that second segment (the
//! prefix's `[0-9.]+` cannot span the `/` every template starts with). So a lookup tries
//! only the one or two buckets its path names, still in table order: first-match semantics
//! are those of the full scan. Templates that start with a variable (`/{anyroute:.*}`)
//! could match anything and sit in every bucket. Each method has its own buckets, so a
//! `GET` does not walk past the `POST` routes of its section; routes registered without a
//! method matcher sit in all of them.

use std::sync::LazyLock;

use super::table::{Method, Route, ROUTES};
use super::template::{Captures, Template};

static INDEX: LazyLock<Index> = LazyLock::new(|| Index::build(ROUTES));

pub(super) fn get() -> &'static Index {
    &INDEX
}

pub(super) struct Index {
    /// Per route, in table order.
    forms: Vec<Forms>,
    /// The first literal segments of all routes, [`packed`] and sorted: a segment's
    /// position here picks its bucket.
    keys: Vec<u128>,
    /// The methods routes name exactly; a request's method picks its [`Buckets`] by
    /// position here, any other method the last ones (the any-method routes only).
    methods: Vec<&'static str>,
    by_method: Vec<Buckets>,
}

/// The routes that accept one method, bucketed by their first literal segment.
struct Buckets {
    /// Per key, the routes with that literal together with `everywhere`, in table order.
    lists: Vec<Vec<u16>>,
    /// Routes whose first segment is not a literal (or too long to pack), in table order.
    everywhere: Vec<u16>,
}

/// A route's templates, parsed: the versioned form (if registered) and the bare one.
struct Forms {
    versioned: Option<Template>,
    bare: Option<Template>,
}

/// A route that could match a path, and which of its forms could.
#[derive(Clone, Copy, Debug)]
pub(super) struct Candidate {
    /// Position in [`ROUTES`].
    pub position: usize,
    bare: bool,
    versioned: bool,
}

impl Index {
    fn build(routes: &[Route]) -> Index {
        let forms = routes
            .iter()
            .map(|r| Forms {
                versioned: r
                    .versioned
                    .then(|| Template::parse_with(r.template, Some(r.prefix())))
                    .flatten(),
                bare: r.bare.then(|| Template::parse(r.template, false)).flatten(),
            })
            .collect();
        let mut methods: Vec<&'static str> = Vec::new();
        for route in routes {
            if let Method::Exact(m) = route.method {
                if !methods.contains(&m) {
                    methods.push(m);
                }
            }
        }
        let keys: Vec<Option<u128>> = routes
            .iter()
            .map(|r| literal_key(r.template).and_then(packed))
            .collect();
        let mut sorted: Vec<u128> = keys.iter().flatten().copied().collect();
        sorted.sort_unstable();
        sorted.dedup();
        // One pass per method: a route with a literal joins its bucket, any other route
        // joins every bucket, so each list stays in table order.
        let buckets = |method: Option<&str>| {
            let mut lists: Vec<Vec<u16>> = vec![Vec::new(); sorted.len()];
            let mut everywhere = Vec::new();
            for (i, route) in routes.iter().enumerate() {
                let accepts = match route.method {
                    Method::Exact(m) => Some(m) == method,
                    Method::Any => true,
                };
                if !accepts {
                    continue;
                }
                let position = u16::try_from(i).expect("route table fits u16 indices");
                match keys[i] {
                    Some(key) => {
                        let at = sorted.binary_search(&key).expect("every key is listed");
                        lists[at].push(position);
                    }
                    None => {
                        everywhere.push(position);
                        lists.iter_mut().for_each(|list| list.push(position));
                    }
                }
            }
            Buckets { lists, everywhere }
        };
        let by_method = methods
            .iter()
            .map(|&m| buckets(Some(m)))
            .chain([buckets(None)])
            .collect();
        Index {
            forms,
            keys: sorted,
            methods,
            by_method,
        }
    }

    /// Every route that could match `method` and `path`, in table order.
    pub fn candidates<'a>(
        &'a self,
        method: &str,
        path: &str,
    ) -> impl Iterator<Item = Candidate> + 'a {
        let known = self.methods.iter().position(|m| *m == method);
        let buckets = &self.by_method[known.unwrap_or(self.methods.len())];
        let Some(rest) = path.strip_prefix('/') else {
            return Union(&buckets.everywhere, &[]);
        };
        let (first, after) = split_segment(rest);
        let behind_version = match after {
            Some(after) if is_version_segment(first) => {
                buckets.list(self.key(split_segment(after).0))
            }
            _ => &[],
        };
        // A route only in the first list cannot match behind a version prefix (its literal
        // is not the second segment), and one only in the second cannot match bare.
        Union(buckets.list(self.key(first)), behind_version)
    }

    /// The position in `keys` of a path segment, if some route has it as its literal.
    fn key(&self, segment: &str) -> Option<usize> {
        self.keys.binary_search(&packed(segment)?).ok()
    }

    /// The candidate matched against `path`: behind the version prefix first, then bare, as
    /// dockerd registers the two forms (see `Route::capture`), skipping a form that cannot
    /// match.
    pub fn capture(&self, candidate: Candidate, path: &str) -> Option<Captures> {
        let forms = &self.forms[candidate.position];
        if candidate.versioned {
            if let Some(found) = forms.versioned.as_ref().and_then(|t| t.matches(path)) {
                return Some(found);
            }
        }
        if candidate.bare {
            return forms.bare.as_ref()?.matches(path);
        }
        None
    }
}

impl Buckets {
    fn list(&self, key: Option<usize>) -> &[u16] {
        key.map_or(&self.everywhere, |i| &self.lists[i])
    }
}

/// The template's first segment if it is all literal (`containers` for
/// `/containers/{name:.*}/json`); `None` when a variable could stand there.
fn literal_key(template: &'static str) -> Option<&'static str> {
    let segment = first_segment(template.strip_prefix('/')?);
    (!segment.contains('{')).then_some(segment)
}

/// A segment of at most 15 bytes as one integer, its bytes then its length in the top
/// byte, so that finding a bucket compares integers rather than strings. Longer segments
/// do not pack; routes with such a literal are tried on every path.
fn packed(segment: &str) -> Option<u128> {
    let bytes = segment.as_bytes();
    let len = u8::try_from(bytes.len()).ok().filter(|&n| n < 16)?;
    let mut buf = [0u8; 16];
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[15] = len;
    Some(u128::from_le_bytes(buf))
}

fn first_segment(s: &str) -> &str {
    split_segment(s).0
}

/// `s` up to its first `/`, and what follows that `/` if there is one. A byte search:
/// paths are short, and a `char` searcher costs more than it saves on them.
fn split_segment(s: &str) -> (&str, Option<&str>) {
    match s.bytes().position(|b| b == b'/') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Whether a whole segment is `v` and a match of a version prefix: dockerd's `[0-9.]+` or
/// Podman's `[0-9][0-9A-Za-z.-]*`.
fn is_version_segment(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|v| {
        let docker = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let podman = v.starts_with(|c: char| c.is_ascii_digit())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        docker || podman
    })
}

/// The bare list and the versioned list (both ascending positions) as one sequence of
/// candidates, each saying which list it came from.
struct Union<'a>(&'a [u16], &'a [u16]);

impl Iterator for Union<'_> {
    type Item = Candidate;

    fn next(&mut self) -> Option<Candidate> {
        let a = self.0.first().copied();
        let b = self.1.first().copied();
        let position = match (a, b) {
            (Some(a), Some(b)) => a.min(b),
            (Some(p), None) | (None, Some(p)) => p,
            (None, None) => return None,
        };
        let bare = a == Some(position);
        let versioned = b == Some(position);
        if bare {
            self.0 = &self.0[1..];
        }
        if versioned {
            self.1 = &self.1[1..];
        }
        Some(Candidate {
            position: usize::from(position),
            bare,
            versioned,
        })
    }
}

#[cfg(test)]
mod tests;
