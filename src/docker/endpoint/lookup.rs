//! Routing a clean path through the table: by the index, and (for tests) by trying every
//! route in turn, which the index must agree with.

use super::index;
use super::operation::Operation;
use super::table::{Daemons, Route, ROUTES};
use super::template::Captures;

/// What matched: the route, its captures, and which daemons route the request there.
pub(crate) struct Found {
    pub route: &'static Route,
    pub captures: Captures,
    pub daemons: Daemons,
}

/// Route a decoded, clean path on each `wanted` daemon; `None` if none routes it.
pub(crate) fn lookup(method: &str, path: &str, wanted: Daemons) -> Option<Found> {
    let index = index::get();
    let candidates = index.candidates(method, path).map(|c| (c.position, c));
    first_match(candidates, method, wanted, |c| index.capture(c, path))
}

/// [`lookup`] by trying every route in turn: the definition the index must agree with.
#[cfg(test)]
pub(crate) fn lookup_linear(method: &str, path: &str, wanted: Daemons) -> Option<Found> {
    let candidates = (0..ROUTES.len()).map(|i| (i, i));
    first_match(candidates, method, wanted, |i| ROUTES[i].capture(path))
}

/// The first route per wanted daemon among `candidates` (positions in [`ROUTES`], in
/// table order, each with what `capture` needs to match it) whose method allows `method`
/// and whose template matches.
fn first_match<C>(
    candidates: impl Iterator<Item = (usize, C)>,
    method: &str,
    wanted: Daemons,
    capture: impl Fn(C) -> Option<Captures>,
) -> Option<Found> {
    let mut first: Option<(&'static Route, Captures)> = None;
    let mut on_20_10: Option<Operation> = None;
    let mut on_master: Option<Operation> = None;
    for (i, candidate) in candidates {
        let route = &ROUTES[i];
        let for_20_10 = wanted.v20_10 && route.daemons.v20_10 && on_20_10.is_none();
        let for_master = wanted.master && route.daemons.master && on_master.is_none();
        if !(for_20_10 || for_master) || !route.method.allows(method) {
            continue;
        }
        if let Some(captures) = capture(candidate) {
            first.get_or_insert((route, captures));
            if for_20_10 {
                on_20_10 = Some(route.operation);
            }
            if for_master {
                on_master = Some(route.operation);
            }
            if on_20_10.is_some() && on_master.is_some() {
                break;
            }
        }
    }
    if let (Some(a), Some(b)) = (on_20_10, on_master) {
        // The daemons never disagree on this table (a test routes every sample on both);
        // should an edit make them, refuse to pick one.
        if a != b {
            return None;
        }
    }
    let (route, captures) = first?;
    let daemons = Daemons {
        v20_10: on_20_10.is_some(),
        master: on_master.is_some(),
    };
    Some(Found {
        route,
        captures,
        daemons,
    })
}
