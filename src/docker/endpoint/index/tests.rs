//! The index must route every path exactly as the scan over the whole table does.

use super::super::lookup::{lookup, lookup_linear, Found};
use super::super::path;
use super::super::table::{Daemons, Method, Route, ROUTES};
use super::super::template::Capture;
use super::super::Operation;
use super::Index;

const DAEMONS: [Daemons; 4] = [
    Daemons::BOTH,
    Daemons::V20_10,
    Daemons::MASTER,
    Daemons::NONE,
];

/// Values for template variables: empty, one segment, several, a reference with a port,
/// a newline (`.` does not match it), and spellings of other routes' segments.
const VALUES: &[&str] = &["", "x", "a/json", "localhost:5000/a/b:1", "a\nb", "v1.41"];

/// Version prefixes dockerd accepts, and near misses it does not.
const PREFIXES: &[&str] = &[
    "",
    "/v1.41",
    "/v1.44",
    "/v1..41",
    "/v.",
    "/v",
    "/vx",
    "/V1.41",
    "/v1.41x",
    "/v1.41/v1.41",
];

const SUFFIXES: &[&str] = &["", "/", "/x"];

fn found(f: Found) -> (Route, Vec<Capture>, Daemons) {
    (*f.route, f.captures.iter().collect(), f.daemons)
}

fn assert_same(method: &str, path: &str) {
    for wanted in DAEMONS {
        assert_eq!(
            lookup(method, path, wanted).map(found),
            lookup_linear(method, path, wanted).map(found),
            "{method} {path:?} on {wanted:?}"
        );
    }
}

/// Every way of filling the template's variables from [`VALUES`].
fn instances(template: &str) -> Vec<String> {
    let Some(open) = template.find('{') else {
        return vec![template.to_owned()];
    };
    let close = open + template[open..].find('}').unwrap();
    let rest = instances(&template[close + 1..]);
    VALUES
        .iter()
        .flat_map(|v| {
            rest.iter()
                .map(move |r| format!("{}{v}{r}", &template[..open]))
        })
        .collect()
}

#[test]
fn every_route_instance_routes_as_the_full_scan_does() {
    for route in ROUTES {
        let own = match route.method {
            Method::Exact(m) => m,
            Method::Any => "GET",
        };
        for path in instances(route.template) {
            for prefix in PREFIXES {
                for suffix in SUFFIXES {
                    let path = format!("{prefix}{path}{suffix}");
                    for method in [own, "GET", "POST", "get", "OPTIONS", "PATCH"] {
                        assert_same(method, &path);
                    }
                }
            }
        }
    }
}

#[test]
fn tricky_paths_route_as_the_full_scan_does() {
    let raw = [
        "",
        "/",
        "//",
        "containers/json",
        "/v1.41",
        "/v1.41/",
        "/v1.41//containers/json",
        "/containers",
        "/containers/",
        "/containers/json/",
        "/CONTAINERS/json",
        "/containersjson",
        "/containers/json/json",
        "/_ping/",
        "/v1.41/_ping",
        "/v1.41/v1.41/_ping",
        "/v1.41/_ping/x",
        "/networks",
        "/networks/",
        "/v1.44/networks/",
        "/debug/pprof/",
        "/debug/pprof",
        "/v1.41/debug/pprof/heap",
        "/debug/pprof/heap/x",
        "/grpc",
        "/v1.44/grpc/",
        "/session",
        "/nothing/here",
        "/v1.41/nothing/here",
        "/v1.41%2Fcontainers/json",
        "/%76%31%2e%34%31/containers/json",
        "/%63ontainers/json",
        "/%2563ontainers/json",
        "/containers/a%2Fb/json",
        "/containers/a%0Ab/json",
        "/containers/%c3%a9/json",
        "/images/localhost:5000/a/b:1/json",
        "/images/a%2e%2e/json",
        "/exec/a/json/b/json",
        "/containers/x/attach/attach",
        "/containers/c/checkpoints/k",
        "/containers/c/d/checkpoints/k",
        "/volumes/é",
        "/v1.41/volumes/",
        "/containers%00/json",
        "/v1.41/containers%00/json",
        "/distribution/x/json",
        "/distributionxxxxxxxxxxxx/x/json",
        "/v1.41/distributionxxxxxxxxxxxx/x/json",
    ];
    for raw in raw {
        let Ok(decoded) = path::decode(raw) else {
            continue;
        };
        for method in [
            "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get",
        ] {
            assert_same(method, &decoded);
            assert_same(method, raw);
        }
    }
}

#[test]
fn a_literal_too_long_to_pack_is_tried_on_every_path() {
    let long = Route {
        method: Method::Exact("GET"),
        template: "/a-segment-longer-than-fifteen/{name}",
        operation: Operation::SystemPing,
        min_api: None,
        experimental: false,
        versioned: true,
        bare: true,
        daemons: Daemons::BOTH,
    };
    let index = Index::build(&[long]);
    for path in [
        "/a-segment-longer-than-fifteen/x",
        "/v1.41/a-segment-longer-than-fifteen/x",
    ] {
        let found: Vec<_> = index
            .candidates("GET", path)
            .filter_map(|c| index.capture(c, path))
            .collect();
        assert_eq!(found.len(), 1, "{path}");
    }
}
