//! Routing a clean path through the table: by the index, and (for tests) by trying every
//! route in turn, which the index must agree with.

use super::index;
use super::operation::Operation;
use super::table::{Daemons, Route, ROUTES};
use super::template::{self, Captures};

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

/// A dockerd route behind a version prefix only Podman accepts (`/v4.3.0-dev/containers/create`):
/// Podman registers its Docker-compatible routes behind its own prefix, so on Podman this is
/// that route; dockerd answers 404. Podman's compatible templates are not tracked one by one:
/// the request is read as dockerd's table reads the path after the prefix, so a policy
/// decides on it as on the same call with a dockerd prefix.
pub(crate) fn lookup_podman_prefixed(method: &str, path: &str) -> Option<Found> {
    let (version, at) = template::podman_only_version(path)?;
    let found = lookup(method, &path[at..], Daemons::BOTH)?;
    if !found.route.versioned {
        return None;
    }
    Some(Found {
        route: found.route,
        captures: found.captures.behind(version, at)?,
        daemons: Daemons::PODMAN,
    })
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
    let mut on_podman: Option<Operation> = None;
    for (i, candidate) in candidates {
        let route = &ROUTES[i];
        let for_20_10 = wanted.v20_10 && route.daemons.v20_10 && on_20_10.is_none();
        let for_master = wanted.master && route.daemons.master && on_master.is_none();
        let for_podman = wanted.podman && route.daemons.podman && on_podman.is_none();
        if !(for_20_10 || for_master || for_podman) || !route.method.allows(method) {
            continue;
        }
        if let Some(captures) = capture(candidate) {
            first.get_or_insert((route, captures));
            for (wins, on) in [
                (for_20_10, &mut on_20_10),
                (for_master, &mut on_master),
                (for_podman, &mut on_podman),
            ] {
                if wins {
                    *on = Some(route.operation);
                }
            }
            // dockerd and libpod routes never match one path (a table test), so once one side
            // has matched, the other need not be looked for.
            let dockerd = on_20_10.is_some() || on_master.is_some();
            let dockerd_done = on_podman.is_some()
                || ((on_20_10.is_some() || !wanted.v20_10)
                    && (on_master.is_some() || !wanted.master));
            if dockerd_done && (dockerd || on_podman.is_some() || !wanted.podman) {
                break;
            }
        }
    }
    let routed = [on_20_10, on_master, on_podman];
    let mut ops = routed.iter().flatten();
    if let Some(a) = ops.next() {
        // The daemons never disagree on this table (a test routes every sample on each);
        // should an edit make them, refuse to pick one.
        if ops.any(|b| b != a) {
            return None;
        }
    }
    let (route, captures) = first?;
    let daemons = Daemons {
        v20_10: on_20_10.is_some(),
        master: on_master.is_some(),
        podman: on_podman.is_some(),
    };
    Some(Found {
        route,
        captures,
        daemons,
    })
}
