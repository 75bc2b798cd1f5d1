//! Actions and summaries for the requests of real CLI traces (docker CLI 28.2.2 against API
//! 1.41, `shared/reference/traces/`). Request lines and bodies are copied here verbatim so the
//! tests need nothing outside the repository.

mod containers;
mod exec;
mod images;
mod networks;
mod swarm;

use serde_json::Value;

use super::*;
use crate::docker::endpoint::classify;

/// One request as the trace shows it: method, request target, JSON body.
fn call(method: &str, target: &str, body: Option<&str>) -> ActionRecord {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let route = classify(method, path);
    let body: Option<Value> = body.map(|b| serde_json::from_str(b).expect("trace body is JSON"));
    let facts = CallFacts {
        method,
        route: &route,
        query,
        body: body.as_ref(),
    };
    let record = ActionRecord::new(&facts);
    // `action` takes its own, cheaper way there; it must arrive at the same line.
    assert_eq!(action(&facts), record.action, "{method} {target}");
    record
}

fn act(method: &str, target: &str, body: Option<&str>) -> String {
    call(method, target, body).action
}

fn ping() -> ActionRecord {
    call("HEAD", "/_ping", None)
}

/// Fake credentials and values planted in the traces; no output may contain them.
const SECRETS: &[&str] = &[
    "env-secret-abc",
    "s3cr3t-buildarg",
    "argval",
    "probe-login-password",
    "probe-password-xyz",
    "cifs-password-xyz",
    "ghp_token123",
    "SWMTKN-1-join",
    "c2VjcmV0LWRhdGE=",
    "plugin-secret-1",
];

fn assert_clean(record: &ActionRecord) {
    let body = record.body().map(Value::to_string).unwrap_or_default();
    for text in [record.action.as_str(), record.query(), body.as_str()] {
        for s in SECRETS {
            assert!(!text.contains(s), "{s:?} shown in {text}");
        }
    }
}

/// `login`
const LOGIN: &str = r#"{"username":"probeuser","password":"probe-login-password","serveraddress":"localhost:5999"}"#;

#[test]
fn ps_and_images_are_the_plain_commands() {
    assert_eq!(act("GET", "/v1.41/containers/json", None), "docker ps");
    assert_eq!(
        act("GET", "/v1.41/containers/json?all=1", None),
        "docker ps -a"
    );
    assert_eq!(act("GET", "/v1.41/images/json", None), "docker images");
    let ps = [ping(), call("GET", "/v1.41/containers/json?all=1", None)];
    assert_eq!(summarize(&ps), "docker ps -a");
}

#[test]
fn the_ping_says_what_it_is_for() {
    assert_eq!(ping().action, "docker (ping: API version negotiation)");
    assert_eq!(
        summarize(&[ping()]),
        "docker (ping: API version negotiation)"
    );
    assert_eq!(summarize(&[]), "");
}

#[test]
fn query_flags_are_read_the_way_dockerd_reads_them() {
    // First value wins, keys are decoded but case-sensitive, any non-false word is true.
    assert_eq!(
        act("GET", "/containers/json?all=0&all=1", None),
        "docker ps"
    );
    assert_eq!(act("GET", "/containers/json?%61ll=1", None), "docker ps -a");
    assert_eq!(act("GET", "/containers/json?ALL=1", None), "docker ps");
    assert_eq!(act("GET", "/containers/json?all=yes", None), "docker ps -a");
    assert_eq!(act("GET", "/containers/json?all=+no+", None), "docker ps");
    assert_eq!(
        act("GET", "/containers/json?limit=3&size=1&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D", None),
        "docker ps -n 3 -s --filter status=running"
    );
}

#[test]
fn login_shows_the_server_only() {
    let login = call("POST", "/v1.41/auth", Some(LOGIN));
    assert_eq!(login.action, "docker login localhost:5999");
    assert_clean(&login);
    assert_eq!(act("POST", "/auth", Some("{}")), "docker login");
}

#[test]
fn everyday_commands_from_the_traces() {
    for (method, target, expected) in [
        ("GET", "/v1.41/version", "docker version"),
        ("GET", "/v1.41/info", "docker info"),
        ("GET", "/v1.41/system/df", "docker system df"),
        ("GET", "/v1.41/events", "docker events"),
        ("GET", "/v1.41/events?filters=%7B%22type%22%3A%7B%22volume%22%3Atrue%7D%7D", "docker events --filter type=volume"),
        ("GET", "/v1.41/containers/probe-x/stats?stream=0", "docker stats --no-stream probe-x"),
        ("GET", "/v1.41/containers/probe-x/stats?stream=1", "docker stats probe-x"),
        ("GET", "/v1.41/containers/probe-x/top", "docker top probe-x"),
        ("GET", "/v1.41/containers/probe-x/changes", "docker diff probe-x"),
        ("GET", "/v1.41/containers/probe-x/export", "docker export probe-x"),
        ("POST", "/v1.41/commit?author=&comment=&container=probe-x&repo=docker.io%2Flibrary%2Fprobe-commit&tag=1", "docker commit probe-x probe-commit:1"),
        ("POST", "/v1.41/containers/probe-x/stop?t=1", "docker stop -t 1 probe-x"),
        ("POST", "/v1.41/containers/probe-x/restart?t=1", "docker restart -t 1 probe-x"),
        ("POST", "/v1.41/containers/probe-x/kill?signal=USR1", "docker kill -s USR1 probe-x"),
        ("POST", "/v1.41/containers/probe-x/rename?name=probe-y", "docker rename probe-x probe-y"),
        ("POST", "/v1.41/containers/probe-x/pause", "docker pause probe-x"),
        ("POST", "/v1.41/containers/probe-x/unpause", "docker unpause probe-x"),
        ("GET", "/v1.41/images/get?names=local%2Fbusybox%3A1", "docker save local/busybox:1"),
        ("POST", "/v1.41/images/load?quiet=1", "docker load"),
        ("POST", "/v1.41/images/local/busybox:1/tag?repo=docker.io%2Flibrary%2Fprobe-tag&tag=1", "docker tag local/busybox:1 probe-tag:1"),
        ("DELETE", "/v1.41/images/probe-tag:1", "docker rmi probe-tag:1"),
        ("GET", "/v1.41/images/local/busybox:1/json", "docker image inspect local/busybox:1"),
        ("GET", "/v1.41/images/local/busybox:1/history", "docker history local/busybox:1"),
        ("GET", "/v1.41/plugins", "docker plugin ls"),
        ("GET", "/v1.41/secrets", "docker secret ls"),
        ("POST", "/v1.41/swarm/leave?force=1", "docker swarm leave -f"),
        ("DELETE", "/v1.41/services/web", "docker service rm web"),
    ] {
        assert_eq!(act(method, target, None), expected, "{method} {target}");
    }
}

#[test]
fn routes_dockerd_would_not_run_are_not_guessed_at() {
    assert_eq!(
        act("GET", "/v1.41/nothing/here", None),
        "(unknown endpoint)"
    );
    assert_eq!(act("GET", "//containers/json", None), "(unknown endpoint)");
    assert_eq!(act("POST", "/containers/json", None), "(unknown endpoint)");
    assert_eq!(act("GET", "/debug/vars", None), "(DebugVars)");
    assert_eq!(
        summarize(&[ping(), call("GET", "/nope", None)]),
        "(unknown endpoint)"
    );
}

#[test]
fn a_crafted_name_cannot_forge_a_second_line() {
    assert_eq!(
        act(
            "POST",
            "/containers/it's/rename?name=y%0Adocker+ps%1B%5B2J",
            None
        ),
        "docker rename 'it'\\''s' $'y\\ndocker ps\\x1b[2J'"
    );
}

#[test]
fn an_empty_query_needs_no_redaction() {
    for op in Operation::ALL.iter().copied().map(Some).chain([None]) {
        assert_eq!(redact::query(op, ""), "", "{op:?}");
        assert_eq!(redacted_query(op, ""), "", "{op:?}");
    }
    let route = classify("GET", "/containers/json");
    assert_eq!(
        redacted_query(route.operation(), "all=1&filters=%7B%7D"),
        redact::query(route.operation(), "all=1&filters=%7B%7D")
    );
}

/// A compose up is one process: its commands are listed in the order it made them, one
/// each, not the containers first and everything else after, joined by `;`.
#[test]
fn the_steps_of_one_process_are_in_the_order_it_made_them() {
    let calls = [
        ping(),
        call("GET", "/v1.41/networks?filters=%7B%7D", None),
        call(
            "POST",
            "/v1.41/networks/create",
            Some(r#"{"Name":"app_default","Driver":"bridge"}"#),
        ),
        call(
            "POST",
            "/v1.41/containers/create?name=app-web-1",
            Some(r#"{"Image":"nginx"}"#),
        ),
        call("POST", "/v1.41/containers/app-web-1/start", None),
        call("DELETE", "/v1.41/networks/app_old", None),
    ];
    let steps = crate::see::action::steps(&calls);
    let network = steps
        .iter()
        .position(|s| s.starts_with("docker network create"))
        .unwrap_or_else(|| panic!("{steps:?}"));
    let run = steps
        .iter()
        .position(|s| s.starts_with("docker run -d --name app-web-1"))
        .unwrap_or_else(|| panic!("{steps:?}"));
    let rm = steps
        .iter()
        .position(|s| s.starts_with("docker network rm"))
        .unwrap_or_else(|| panic!("{steps:?}"));
    assert!(network < run && run < rm, "{steps:?}");
    assert!(steps.iter().all(|s| !s.contains("; ")), "{steps:?}");
}
