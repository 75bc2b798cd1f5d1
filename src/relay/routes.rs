//! The route of a request path, as [`endpoint::classify`] finds it, remembered per runtime
//! thread for the paths clients send again and again.
//!
//! Classifying a path (decode, clean, the route table's candidates and their templates) is
//! ≈ 1,100 instructions for `/_ping` and ≈ 2,400 for `/v1.41/containers/json`: a fifth of
//! what a policy and an audit log add to a call (docs/benchmarks.md, "The guard's cost").
//! Clients that call at a rate repeat their paths (a health check's ping, a dashboard's
//! listing). [`endpoint::classify`] is a pure function of the method and the path, so a
//! remembered answer for the same two strings is the answer.
//!
//! Direct-mapped: a path's hash picks one slot, and a different path with the same slot
//! replaces it. Paths longer than [`MAX_PATH`] are not kept, so a slot holds at most that
//! much text.

use std::cell::RefCell;

use crate::docker::endpoint::{self, Classified};

/// Slots per thread.
const SLOTS: usize = 64;
/// Longer paths (a long name, a whole tar path) are classified every time.
const MAX_PATH: usize = 160;
/// Longer methods (an extension method's name may take most of a 64 KiB head) likewise, so
/// that no slot holds more than a few hundred bytes.
const MAX_METHOD: usize = 16;

struct Slot {
    method: String,
    path: String,
    route: Classified,
}

thread_local! {
    static RECENT: RefCell<Vec<Option<Slot>>> =
        RefCell::new(std::iter::repeat_with(|| None).take(SLOTS).collect());
}

/// [`endpoint::classify`]`(method, path)`.
pub fn classify(method: &str, path: &str) -> Classified {
    if path.len() > MAX_PATH || method.len() > MAX_METHOD {
        return endpoint::classify(method, path);
    }
    let at = slot(method, path);
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(kept) = &recent[at] {
            if kept.path == path && kept.method == method {
                return kept.route.clone();
            }
        }
        let route = endpoint::classify(method, path);
        recent[at] = Some(Slot {
            method: method.to_owned(),
            path: path.to_owned(),
            route: route.clone(),
        });
        route
    })
}

/// FNV-1a over the method and the path: a few instructions a byte, where std's SipHash,
/// built to resist chosen collisions, costs several times that. A client that makes its
/// paths collide only makes its own calls classified afresh.
fn slot(method: &str, path: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in method.as_bytes().iter().chain(b" ").chain(path.as_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % SLOTS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &Classified, b: &Classified) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    /// Every kind of answer (routed with parameters, not found, a redirect, a rejected
    /// path), asked for again after many other paths took the slots: always the answer
    /// classify gives.
    #[test]
    fn a_remembered_route_is_the_route_classify_finds() {
        let paths = [
            ("GET", "/_ping"),
            ("HEAD", "/_ping"),
            ("GET", "/v1.41/containers/json"),
            ("POST", "/v1.41/containers/json"),
            ("GET", "/v1.41/containers/web%2F1/json"),
            ("POST", "/containers/abc/start"),
            ("GET", "/v1.41//containers/json"),
            ("GET", "/v1.41/containers/%zz/json"),
            ("GET", "/nowhere"),
            ("DELETE", "/v1.56/images/sha256:abc"),
        ];
        for round in 0..3 {
            for (method, path) in paths {
                assert!(same(
                    &classify(method, path),
                    &endpoint::classify(method, path)
                ));
            }
            // Fill every slot with other paths between rounds.
            for i in 0..SLOTS * 4 {
                let path = format!("/v1.41/containers/c{round}-{i}/json");
                assert!(same(
                    &classify("GET", &path),
                    &endpoint::classify("GET", &path)
                ));
            }
        }
        let long = format!("/containers/{}/json", "a".repeat(MAX_PATH));
        assert!(same(
            &classify("GET", &long),
            &endpoint::classify("GET", &long)
        ));
    }
}
