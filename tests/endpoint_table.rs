//! sockeye's endpoint table against the reference tables (copied into tests/data) and the
//! routing behaviour verified against a live dockerd 20.10 (dockerd-behaviour.md 2.2–2.8).
//!
//! Each test names the mistake it prevents: a proxy that classifies a request differently
//! from dockerd lets a policy allow one thing while the daemon does another.

use sockeye::docker::endpoint::{
    classify, classify_for, ApiVersion, Daemons, Disposition, Hijack, Method, Operation, PathError,
    Section, Streaming, ROUTES,
};

const ENDPOINTS_TSV: &str = include_str!("data/docker-engine-endpoints.tsv");
const ROUTE_TABLE_TSV: &str = include_str!("data/dockerd-route-table.tsv");
/// Podman's libpod routes in its match order, from scripts/podman-libpod-routes.py.
const LIBPOD_TSV: &str = include_str!("data/podman-libpod-routes.tsv");

/// Names sockeye gives the routes the endpoints TSV lists with operationId `(none)`.
const SOCKEYE_NAMES: &[(&str, &str, &str)] = &[
    ("GET", "/containers/{name:.*}/checkpoints", "CheckpointList"),
    (
        "POST",
        "/containers/{name:.*}/checkpoints",
        "CheckpointCreate",
    ),
    (
        "DELETE",
        "/containers/{name}/checkpoints/{checkpoint}",
        "CheckpointDelete",
    ),
    ("OPTIONS", "/{anyroute:.*}", "Options"),
    ("POST", "/build/cancel", "BuildCancel"),
    ("GET", "/networks/", "NetworkList"),
    ("GET", "/debug/vars", "DebugVars"),
    ("GET", "/debug/pprof/", "DebugPprofIndex"),
    ("GET", "/debug/pprof/cmdline", "DebugPprofCmdline"),
    ("GET", "/debug/pprof/profile", "DebugPprofProfile"),
    ("GET", "/debug/pprof/symbol", "DebugPprofSymbol"),
    ("GET", "/debug/pprof/trace", "DebugPprofTrace"),
    ("GET", "/debug/pprof/{name}", "DebugPprof"),
    ("POST", "/grpc", "Grpc"),
    ("POST", "/containers/{name:.*}/copy", "ContainerCopy"),
];

/// Sample values for template variables: `.*` / `.+` may hold slashes and colons (image
/// references), `[^/]+` is one segment.
const SLASHY: &str = "localhost:5000/a/b:1";
const SEGMENT: &str = "x1y2-z3_";
const PREFIXES: &[&str] = &["", "/v1.41", "/v1.44"];

struct EndpointRow {
    method: &'static str,
    spec_path: &'static str,
    operation: &'static str,
    tag: &'static str,
    streaming: &'static str,
    mux_template: &'static str,
    min_api: &'static str,
    in_20_10: bool,
    /// The spec documents it (the TSV gives an operationId rather than `(none)`).
    documented: bool,
}

fn endpoint_rows() -> Vec<EndpointRow> {
    let rows: Vec<EndpointRow> = ENDPOINTS_TSV
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 9, "{line}");
            let (method, spec_path, id) = (f[0], f[1], f[2]);
            let operation = if id == "(none)" {
                sockeye_name(method, spec_path)
            } else {
                id
            };
            // The 20.10-only copy route has no master template; its path is the template.
            let mux_template = if f[5] == "(removed)" { spec_path } else { f[5] };
            EndpointRow {
                method,
                spec_path,
                operation,
                tag: f[3],
                streaming: f[4],
                mux_template,
                min_api: f[6],
                in_20_10: f[7] == "yes",
                documented: id != "(none)",
            }
        })
        .collect();
    assert_eq!(
        rows.len(),
        123,
        "the TSV has 108 spec operations and 15 extra routes"
    );
    rows
}

fn sockeye_name(method: &str, path: &str) -> &'static str {
    SOCKEYE_NAMES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, name)| *name)
        .unwrap_or_else(|| panic!("no sockeye name for {method} {path}"))
}

/// Substitute sample values into a mux template; returns the path and the expected params.
fn instantiate(template: &str) -> (String, Vec<(String, String)>) {
    let mut path = String::new();
    let mut params = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = open + rest[open..].find('}').unwrap();
        let var = &rest[open + 1..close];
        let (name, value) = match var.split_once(':') {
            Some((name, ".*" | ".+")) if name == "anyroute" => (name, "containers/json"),
            Some((name, ".*" | ".+")) => (name, SLASHY),
            Some((_, other)) => panic!("unexpected pattern {other} in {template}"),
            None => (var, SEGMENT),
        };
        path.push_str(value);
        params.push((name.to_string(), value.to_string()));
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    (path, params)
}

fn operation(name: &str) -> Operation {
    Operation::from_name(name).unwrap_or_else(|| panic!("sockeye has no operation {name}"))
}

fn expected_section(row: &EndpointRow) -> Section {
    if row.spec_path.starts_with("/build") {
        return Section::Build;
    }
    match row.tag {
        "Container" | "container" => Section::Containers,
        "Image" => Section::Images,
        "System" => Section::System,
        "Exec" => Section::Exec,
        "Volume" => Section::Volumes,
        "Network" => Section::Networks,
        "Plugin" => Section::Plugins,
        "Node" => Section::Nodes,
        "Swarm" => Section::Swarm,
        "Service" => Section::Services,
        "Task" => Section::Tasks,
        "Secret" => Section::Secrets,
        "Config" => Section::Configs,
        "Distribution" => Section::Distribution,
        "Session" => Section::Session,
        "Checkpoint (experimental)" => Section::Checkpoints,
        "Debug" => Section::Debug,
        "BuildKit" => Section::Grpc,
        other => panic!("unmapped tag {other}"),
    }
}

/// The TSV's free-text streaming column, read into sockeye's classes.
fn expected_streaming(text: &str) -> Streaming {
    let rules: &[(&str, Streaming)] = &[
        ("HIJACK: h2c", Streaming::H2c),
        ("HIJACK", Streaming::RawHijack),
        ("WEBSOCKET", Streaming::WebSocket),
        ("LONG-POLL", Streaming::LongPoll),
        ("HEAD:", Streaming::HeadOnly),
        ("REQUEST tar build context", Streaming::TarRequestProgress),
        (
            "REQUEST tar body (possibly compressed",
            Streaming::TarRequestProgress,
        ),
        ("REQUEST tar", Streaming::TarRequest),
        (
            "STREAM: chunked JSON progress messages; request body is image tar",
            Streaming::TarRequestProgress,
        ),
        ("STREAM: chunked JSON progress", Streaming::Progress),
        ("STREAM: chunked JSON object per interval", Streaming::Stats),
        ("STREAM: chunked JSON lines", Streaming::Events),
        ("STREAM: tar", Streaming::TarResponse),
        ("STREAM: chunked", Streaming::Logs),
        ("expvar / pprof", Streaming::Debug),
        ("plain", Streaming::Plain),
        ("CORS pre-flight", Streaming::Plain),
        ("alias of GET /networks", Streaming::Plain),
        ("20.10 only: deprecated copy", Streaming::Plain),
    ];
    rules
        .iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("unmapped streaming class {text:?}"))
}

fn expected_hijack(operation: &str) -> Hijack {
    match operation {
        "ContainerAttach" => Hijack::Always,
        "ExecStart" => Hijack::UnlessDetached,
        "Session" | "Grpc" | "ContainerAttachWebsocket" => Hijack::OnUpgrade,
        _ => Hijack::No,
    }
}

#[test]
fn every_endpoint_row_is_classified_as_its_operation_with_and_without_a_version_prefix() {
    for row in endpoint_rows() {
        let (path, params) = instantiate(row.mux_template);
        for prefix in PREFIXES {
            let target = format!("{prefix}{path}");
            let c = classify(row.method, &target);
            let what = format!("{} {target}", row.method);
            assert_eq!(c.name(), row.operation, "{what}");
            let got: Vec<(String, String)> = c
                .params()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            assert_eq!(got, params, "{what}: path variables");
            assert_eq!(
                c.version().map(|v| v.as_str()),
                prefix.strip_prefix("/v"),
                "{what}: version"
            );
            assert_eq!(c.hijack(), expected_hijack(row.operation), "{what}: hijack");
        }
    }
}

#[test]
fn image_references_with_registry_port_path_and_tag_stay_whole() {
    for prefix in PREFIXES {
        for (method, suffix, op) in [
            ("GET", "/json", Operation::ImageInspect),
            ("GET", "/history", Operation::ImageHistory),
            ("GET", "/get", Operation::ImageGet),
            ("POST", "/push", Operation::ImagePush),
            ("POST", "/tag", Operation::ImageTag),
            ("DELETE", "", Operation::ImageDelete),
        ] {
            for image in [
                "localhost:5000/a/b:1",
                "busybox",
                "library/busybox:latest",
                "a/b@sha256:0123abcd",
            ] {
                let c = classify(method, &format!("{prefix}/images/{image}{suffix}"));
                assert_eq!(c.operation(), Some(op), "{method} {image}{suffix}");
                assert_eq!(c.param("name"), Some(image));
                assert_eq!(c.object(), Some(image));
            }
        }
    }
}

#[test]
fn operation_facts_agree_with_the_endpoints_table() {
    let rows = endpoint_rows();
    for row in &rows {
        let op = operation(row.operation);
        assert_eq!(op.section(), expected_section(row), "{}", row.operation);
        assert_eq!(
            op.streaming(),
            expected_streaming(row.streaming),
            "{}",
            row.operation
        );
        let documented = rows
            .iter()
            .any(|r| r.operation == row.operation && r.documented);
        assert_eq!(op.in_spec(), documented, "{}", row.operation);
        if row.spec_path != "/networks/" {
            assert_eq!(op.spec_path(), row.spec_path, "{}", row.operation);
        }
        // The route that serves the row carries its minimum version and its 20.10 presence.
        let (path, _) = instantiate(row.mux_template);
        let c = classify(row.method, &path);
        let route = c.route().unwrap();
        assert_eq!(
            route.min_api.map(|v| v.as_str()).unwrap_or(""),
            row.min_api,
            "{}",
            row.operation
        );
        assert_eq!(
            c.daemons().v20_10,
            row.in_20_10,
            "{} on 20.10",
            row.operation
        );
        assert!(
            c.daemons().master || row.operation == "ContainerCopy",
            "{} on master",
            row.operation
        );
    }
}

#[test]
fn every_operation_sockeye_knows_is_in_the_endpoints_table() {
    let rows = endpoint_rows();
    // Podman's own operations are checked against their own table below.
    for &op in Operation::ALL
        .iter()
        .filter(|op| op.section() != Section::Libpod)
    {
        assert!(
            rows.iter().any(|r| r.operation == op.name()),
            "{op} is not in the TSV"
        );
    }
}

struct RouteRow {
    method: &'static str,
    template: &'static str,
    min_api: &'static str,
    experimental: bool,
    versioned: bool,
}

fn route_rows(daemon: &str) -> Vec<RouteRow> {
    let rows: Vec<RouteRow> = ROUTE_TABLE_TSV
        .lines()
        .skip(1)
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|f| f[0] == daemon)
        .enumerate()
        .map(|(i, f)| {
            assert_eq!(f[1], (i + 1).to_string(), "rows are in match order");
            RouteRow {
                method: f[3],
                template: f[4],
                min_api: f[5],
                experimental: f[6] == "yes",
                versioned: f[8].starts_with("both"),
            }
        })
        .collect();
    assert!(rows.len() > 100, "{daemon}");
    rows
}

fn check_route_order(daemon_label: &str, daemons: Daemons, compare_min_api: bool) {
    let expected = route_rows(daemon_label);
    let ours: Vec<_> = ROUTES
        .iter()
        .filter(|r| (daemons.v20_10 && r.daemons.v20_10) || (daemons.master && r.daemons.master))
        .collect();
    assert_eq!(ours.len(), expected.len(), "{daemon_label}: route count");
    for (i, (route, row)) in ours.iter().zip(&expected).enumerate() {
        let at = format!("{daemon_label} route #{}: {route}", i + 1);
        let method = match route.method {
            Method::Exact(m) => m,
            Method::Any => "ANY",
        };
        assert_eq!((method, route.template), (row.method, row.template), "{at}");
        assert_eq!(route.experimental, row.experimental, "{at}");
        assert_eq!(route.versioned, row.versioned, "{at}");
        if compare_min_api {
            assert_eq!(
                route.min_api.map(|v| v.as_str()).unwrap_or(""),
                row.min_api,
                "{at}"
            );
        } else {
            assert_eq!(row.min_api, "", "{at}: 20.10 registers no route minimum");
        }
    }
}

#[test]
fn routes_are_tried_in_moby_master_order() {
    check_route_order("moby master (API 1.56)", Daemons::MASTER, true);
}

#[test]
fn routes_are_tried_in_docker_20_10_order() {
    check_route_order("docker 20.10 (API 1.41)", Daemons::V20_10, false);
}

#[test]
fn each_route_serves_the_operation_the_endpoints_table_gives_it() {
    let rows = endpoint_rows();
    for route in ROUTES.iter().filter(|r| !r.daemons.podman) {
        // 20.10's any-method debug routes are the GET rows of the table.
        let method = match route.method {
            Method::Exact(m) => m,
            Method::Any => "GET",
        };
        let row = rows
            .iter()
            .find(|r| r.method == method && r.mux_template == route.template)
            .unwrap_or_else(|| panic!("{route} is not in the endpoints table"));
        assert_eq!(route.operation.name(), row.operation, "{route}");
    }
}

/// Requests the other tests use, plus every row's sample, for cross-daemon checks.
fn sample_requests() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let methods = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "get",
    ];
    for row in endpoint_rows() {
        let (path, _) = instantiate(row.mux_template);
        for prefix in PREFIXES {
            for m in methods {
                out.push((m.to_string(), format!("{prefix}{path}")));
            }
        }
    }
    out
}

#[test]
fn the_two_daemons_never_route_one_request_to_different_endpoints() {
    for (method, path) in sample_requests() {
        let old = classify_for(Daemons::V20_10, &method, &path).operation();
        let new = classify_for(Daemons::MASTER, &method, &path).operation();
        let union = classify(&method, &path);
        if let (Some(a), Some(b)) = (old, new) {
            assert_eq!(a, b, "{method} {path}");
        }
        assert_eq!(union.operation(), old.or(new), "{method} {path}");
        assert_eq!(
            union.daemons(),
            Daemons {
                v20_10: old.is_some(),
                master: new.is_some(),
                podman: false,
            },
            "{method} {path}"
        );
    }
}

// ---- literal routes and match order (dockerd-behaviour.md 2.2) ----

#[test]
fn literal_routes_registered_first_win_over_variable_ones() {
    let cases = [
        ("GET", "/images/json", "ImageList", None),
        ("GET", "/images/search", "ImageSearch", None),
        ("GET", "/images/get", "ImageGetAll", None),
        ("POST", "/containers/create", "ContainerCreate", None),
        (
            "POST",
            "/containers/create/start",
            "ContainerStart",
            Some("create"),
        ),
        (
            "GET",
            "/containers/json/json",
            "ContainerInspect",
            Some("json"),
        ),
        (
            "DELETE",
            "/containers/json",
            "ContainerDelete",
            Some("json"),
        ),
        ("DELETE", "/images/json", "ImageDelete", Some("json")),
        ("GET", "/networks/create", "NetworkInspect", Some("create")),
        ("GET", "/plugins/privileges", "GetPluginPrivileges", None),
        ("POST", "/build/prune", "BuildPrune", None),
        ("POST", "/build/cancel", "BuildCancel", None),
        (
            "DELETE",
            "/containers/c/checkpoints/k",
            "CheckpointDelete",
            Some("c"),
        ),
        (
            "GET",
            "/containers/a/b/json",
            "ContainerInspect",
            Some("a/b"),
        ),
        (
            "DELETE",
            "/containers/a/checkpoints/b/c",
            "ContainerDelete",
            Some("a/checkpoints/b/c"),
        ),
    ];
    for prefix in PREFIXES {
        for (method, path, name, object) in cases {
            let c = classify(method, &format!("{prefix}{path}"));
            assert_eq!(
                (c.name(), c.object()),
                (name, object),
                "{method} {prefix}{path}"
            );
        }
    }
}

#[test]
fn networks_with_trailing_slash_is_the_explicit_list_route() {
    for path in ["/networks", "/networks/", "/v1.41/networks/"] {
        assert_eq!(
            classify("GET", path).operation(),
            Some(Operation::NetworkList),
            "{path}"
        );
    }
    assert_eq!(
        classify("GET", "/networks/").route().unwrap().template,
        "/networks/"
    );
}

#[test]
fn empty_names_match_dot_star_variables_as_in_dockerd() {
    let c = classify("DELETE", "/containers/");
    assert_eq!(
        (c.operation(), c.param("name")),
        (Some(Operation::ContainerDelete), Some(""))
    );
    let c = classify("DELETE", "/v1.41/networks/");
    assert_eq!(
        (c.operation(), c.param("id")),
        (Some(Operation::NetworkDelete), Some(""))
    );
    assert_eq!(classify("GET", "/volumes/").param("name"), Some(""));
    // `{id}` is `[^/]+`: never empty.
    assert_eq!(classify("GET", "/services/").operation(), None);
}

#[test]
fn methods_are_exact_case_sensitive_and_head_is_not_get() {
    for (method, path) in [
        ("HEAD", "/containers/json"),
        ("get", "/containers/json"),
        ("POST", "/v1.41/containers/json"),
        ("HEAD", "/containers/c/json"),
        ("GET", "/containers/c/attach"),
        ("GET", "/session"),
        ("GET", "/grpc"),
    ] {
        assert_eq!(
            classify(method, path).disposition(),
            Disposition::NotFound,
            "{method} {path}"
        );
    }
    assert_eq!(
        classify("HEAD", "/_ping").operation(),
        Some(Operation::SystemPingHead)
    );
    assert_eq!(
        classify("HEAD", "/v1.41/containers/c/archive").operation(),
        Some(Operation::ContainerArchiveInfo)
    );
}

#[test]
fn options_on_any_path_is_the_cors_preflight() {
    for path in [
        "/v1.41/containers/create",
        "/debug/vars",
        "/anything/at/all",
        "/",
        "/v1.41",
        "/v1.41/",
    ] {
        let c = classify("OPTIONS", path);
        assert_eq!(c.operation(), Some(Operation::Options), "{path}");
        assert_eq!(c.hijack(), Hijack::No);
    }
    // Versioned form first: the prefix is a version, not part of `anyroute`.
    let c = classify("OPTIONS", "/v1.41/containers/create");
    assert_eq!(
        (c.version().map(|v| v.as_str()), c.param("anyroute")),
        (Some("1.41"), Some("containers/create"))
    );
    assert_eq!(
        classify("OPTIONS", "/v1.41").param("anyroute"),
        Some("v1.41")
    );
}

#[test]
fn debug_routes_on_20_10_are_unversioned_and_accept_any_method() {
    for method in ["GET", "POST", "DELETE", "HEAD"] {
        for (path, op) in [
            ("/debug/vars", Operation::DebugVars),
            ("/debug/pprof/", Operation::DebugPprofIndex),
            ("/debug/pprof/cmdline", Operation::DebugPprofCmdline),
            ("/debug/pprof/heap", Operation::DebugPprof),
        ] {
            assert_eq!(
                classify_for(Daemons::V20_10, method, path).operation(),
                Some(op),
                "{method} {path}"
            );
        }
    }
    let versioned = classify_for(Daemons::V20_10, "GET", "/v1.41/debug/vars");
    assert_eq!(versioned.disposition(), Disposition::NotFound);
    // master serves them as ordinary GET routes, versioned too.
    assert_eq!(
        classify_for(Daemons::MASTER, "GET", "/v1.41/debug/vars").operation(),
        Some(Operation::DebugVars)
    );
    assert_eq!(
        classify_for(Daemons::MASTER, "POST", "/debug/vars").operation(),
        None
    );
}

#[test]
fn routes_one_daemon_lacks_are_not_found_when_classifying_for_it() {
    assert_eq!(
        classify_for(Daemons::V20_10, "PUT", "/volumes/v").operation(),
        None
    );
    assert_eq!(
        classify_for(Daemons::V20_10, "GET", "/images/i/attestations").operation(),
        None
    );
    assert_eq!(
        classify_for(Daemons::MASTER, "POST", "/containers/c/copy").operation(),
        None
    );
    assert_eq!(
        classify_for(Daemons::NONE, "GET", "/containers/json").operation(),
        None
    );
}

// ---- path cleaning and decoding (dockerd-behaviour.md 2.3, verified in 2.8) ----

#[test]
fn encoded_version_prefix_is_decoded_before_matching() {
    let c = classify("GET", "/%76%31%2e%34%31/containers/json");
    assert_eq!(c.operation(), Some(Operation::ContainerList));
    assert_eq!(c.version().unwrap().as_str(), "1.41");
    assert!(c.percent_encoded());
}

#[test]
fn percent_encoded_letters_route_like_plain_ones() {
    for path in ["/%63ontainers/json", "/v1.41/%63ontainers/json"] {
        assert_eq!(
            classify("GET", path).operation(),
            Some(Operation::ContainerList),
            "{path}"
        );
    }
    let c = classify("GET", "/v1.41/containers/fake%63ontainer/json");
    assert_eq!(
        (c.operation(), c.object()),
        (Some(Operation::ContainerInspect), Some("fakecontainer"))
    );
}

#[test]
fn double_encoding_is_decoded_only_once() {
    let c = classify("GET", "/%2563ontainers/json");
    assert_eq!(c.disposition(), Disposition::NotFound);
    assert_eq!(c.decoded_path(), Some("/%63ontainers/json"));
}

#[test]
fn encoded_slash_is_a_real_separator_and_is_flagged() {
    let c = classify("GET", "/v1.41%2Fcontainers/json");
    assert_eq!(c.operation(), Some(Operation::ContainerList));
    assert!(c.encoded_slash());
    let c = classify("GET", "/v1.41/containers/fakecontainer%2Fjson");
    assert_eq!(
        (c.operation(), c.object()),
        (Some(Operation::ContainerInspect), Some("fakecontainer"))
    );
    assert!(c.encoded_slash());
    // An encoded slash inside a name joins the name to the path, as dockerd reads it.
    let c = classify("GET", "/images/a%2Fb/json");
    assert_eq!(c.param("name"), Some("a/b"));
    assert!(c.encoded_slash());
}

#[test]
fn paths_and_the_version_v_are_case_sensitive() {
    for path in [
        "/CONTAINERS/json",
        "/V1.41/containers/json",
        "/containers/JSON",
    ] {
        assert_eq!(
            classify("GET", path).disposition(),
            Disposition::NotFound,
            "{path}"
        );
    }
}

#[test]
fn trailing_slash_is_not_tolerated() {
    for path in [
        "/containers/json/",
        "/v1.41/containers/json/",
        "/v1.41/containers/fakecontainer/json/",
        "/_ping/",
    ] {
        let c = classify("GET", path);
        assert_eq!(c.disposition(), Disposition::NotFound, "{path}");
        assert_eq!(c.name(), "Unknown");
    }
}

#[test]
fn dot_segments_and_double_slashes_get_a_redirect_not_a_route() {
    let cases = [
        ("//containers/json", "/containers/json"),
        ("/v1.41//containers/json", "/v1.41/containers/json"),
        ("/v1.41/containers//json", "/v1.41/containers/json"),
        ("/v1.41/../containers/json", "/containers/json"),
        ("/v1.41/./containers/json", "/v1.41/containers/json"),
        ("/v1.41/containers/./json", "/v1.41/containers/json"),
        ("/v1.41/foo/../containers/json", "/v1.41/containers/json"),
        ("/v1.41/%2e%2e/containers/json", "/containers/json"),
        ("/v1.41/containers/json/..", "/v1.41/containers"),
        ("/containers/x/..%2F..%2Fjson", "/json"),
        (
            "//docker/v1.41/containers/json",
            "/docker/v1.41/containers/json",
        ),
    ];
    for method in ["GET", "POST", "OPTIONS"] {
        for (path, to) in cases {
            let c = classify(method, path);
            assert_eq!(
                c.disposition(),
                Disposition::Redirect(to),
                "{method} {path}"
            );
            assert_eq!(c.operation(), None);
            assert_eq!(c.hijack(), Hijack::No);
        }
    }
}

#[test]
fn nothing_that_only_looks_like_a_version_prefix_routes() {
    for path in [
        "/v/containers/json",
        "/vx/containers/json",
        "/v1.41",
        "/v1.41/",
        "/v1.41/v1.41/containers/json",
        "/v-1/containers/json",
    ] {
        assert_eq!(
            classify("GET", path).disposition(),
            Disposition::NotFound,
            "{path}"
        );
    }
}

#[test]
fn query_and_fragment_lookalikes_inside_the_path_are_literal_characters() {
    for path in [
        "/v1.41/containers/json#x",
        "/v1.41/containers/json%23x",
        "/v1.41/containers/json%3Fall=1",
        "/v1.41/containers/json;x=1",
        "/v1.41\\containers\\json",
        "/v1.41/containers/%00json",
    ] {
        assert_eq!(
            classify("GET", path).disposition(),
            Disposition::NotFound,
            "{path}"
        );
    }
    // …which makes them part of a name where a variable spans them.
    assert_eq!(
        classify("GET", "/containers/a#b/json").object(),
        Some("a#b")
    );
    assert_eq!(
        classify("GET", "/containers/a;b/json").object(),
        Some("a;b")
    );
}

#[test]
fn a_newline_in_a_name_does_not_match_dot_star() {
    // Go's `.` excludes `\n`, so dockerd answers 404 rather than inspecting "a\nb".
    assert_eq!(
        classify("GET", "/containers/a%0Ab/json").disposition(),
        Disposition::NotFound
    );
    // `[^/]+` does match it.
    assert_eq!(classify("GET", "/services/a%0Ab").param("id"), Some("a\nb"));
}

#[test]
fn paths_go_would_reject_are_rejected() {
    for (path, err) in [
        ("/containers/json%", PathError::BadEscape),
        ("/containers/%zzjson", PathError::BadEscape),
        ("*", PathError::NotOriginForm),
        ("v1.41/containers/json", PathError::NotOriginForm),
        ("/containers/%ff/json", PathError::NotUtf8),
    ] {
        let c = classify("GET", path);
        assert_eq!(c.disposition(), Disposition::Rejected(err), "{path}");
        assert_eq!((c.operation(), c.decoded_path()), (None, None));
    }
}

// ---- versions (dockerd-behaviour.md 2.4) ----

#[test]
fn version_prefixes_compare_like_dockerd() {
    let min = ApiVersion::new("1.12");
    let max = ApiVersion::new("1.41");
    let ok = ["1.12", "1.24", "1.040", "1.41.0", "01.041", "1.41"];
    let too_new = ["99", "1.99", "2", "1.41.1"];
    let too_old = ["1.11", "1", "1..41", ".", ".41"];
    for (versions, want) in [
        (&ok[..], "ok"),
        (&too_new[..], "too new"),
        (&too_old[..], "too old"),
    ] {
        for v in versions {
            let c = classify("GET", &format!("/v{v}/containers/json"));
            assert_eq!(
                c.operation(),
                Some(Operation::ContainerList),
                "v{v} still routes"
            );
            let got = c.version().unwrap();
            assert_eq!(got.as_str(), *v);
            let verdict = if got < min {
                "too old"
            } else if got > max {
                "too new"
            } else {
                "ok"
            };
            assert_eq!(verdict, want, "v{v}");
        }
    }
    assert_eq!(ApiVersion::new("1.41.0"), ApiVersion::new("1.41"));
    assert_eq!(ApiVersion::new("1.040"), ApiVersion::new("1.40"));
    assert!(ApiVersion::new("1..41") < ApiVersion::new("1.12"));
}

#[test]
fn unversioned_requests_have_no_version() {
    assert_eq!(classify("GET", "/containers/json").version(), None);
    assert_eq!(classify("POST", "/session").version(), None);
}

// ---- unknown stays unknown ----

#[test]
fn unknown_paths_are_unknown() {
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/containers"),
        ("GET", "/images"),
        ("GET", "/v1.41/containers"),
        ("GET", "/exec/abc"),
        ("POST", "/exec/abc"),
        ("GET", "/foo"),
        ("GET", "/v1.41/foo/bar"),
        ("POST", "/containers/c/copy/extra"),
        ("GET", "/swarm/"),
        ("GET", "/plugins/"),
        ("PATCH", "/containers/c"),
    ] {
        let c = classify(method, path);
        assert_eq!(c.operation(), None, "{method} {path}");
        assert_eq!(
            (c.name(), c.section(), c.streaming()),
            ("Unknown", None, None)
        );
    }
}

// ---- Podman's libpod routes (scripts/podman-libpod-routes.py) ----

struct LibpodRow {
    method: &'static str,
    template: &'static str,
    bare: bool,
    operation: &'static str,
}

fn libpod_rows() -> Vec<LibpodRow> {
    let rows: Vec<LibpodRow> = LIBPOD_TSV
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            LibpodRow {
                method: f[0],
                template: f[1],
                bare: f[2].split(',').any(|x| x == "bare"),
                operation: f[3],
            }
        })
        .collect();
    assert!(rows.len() > 100);
    rows
}

#[test]
fn libpod_routes_are_podmans_in_its_order() {
    let rows = libpod_rows();
    let ours: Vec<_> = ROUTES.iter().filter(|r| r.daemons.podman).collect();
    assert_eq!(ours.len(), rows.len(), "libpod route count");
    for (route, row) in ours.iter().zip(&rows) {
        assert_eq!(route.method, Method::Exact(row.method), "{route}");
        assert_eq!(route.template, row.template, "{route}");
        assert_eq!(route.operation.name(), row.operation, "{route}");
        assert_eq!(route.bare, row.bare, "{route}");
        assert!(route.versioned, "{route}");
        assert_eq!(route.operation.section(), Section::Libpod, "{route}");
    }
}

#[test]
fn every_libpod_route_classifies_as_its_operation_behind_any_podman_version() {
    for row in libpod_rows() {
        let (path, params) = instantiate(row.template);
        for prefix in ["/v4.3.1", "/v5.0.0-dev", "/v1.41"] {
            let target = format!("{prefix}{path}");
            let got = classify(row.method, &target);
            assert_eq!(got.name(), row.operation, "{} {target}", row.method);
            assert_eq!(got.daemons(), Daemons::PODMAN, "{} {target}", row.method);
            for (name, value) in &params {
                assert_eq!(got.param(name), Some(value.as_str()), "{target}");
            }
        }
        let bare = classify(row.method, &path);
        assert_eq!(
            bare.operation().map(|o| o.name()),
            row.bare.then_some(row.operation),
            "{} {path}: podman registers it bare only for _ping",
            row.method
        );
    }
}
