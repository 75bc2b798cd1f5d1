use std::net::SocketAddr;

use serde_json::Value;

use super::cond::FACT_OPERATIONS;
use super::*;
use crate::caller::{Caller, ClientContainer, Peer};
use crate::docker::endpoint::classify;
use crate::docker::facts::facts;
use crate::docker::gojson::{self, form};

mod mismatches;

const EXAMPLE: &str = include_str!("../../../tests/data/policy/example.toml");
const BROKEN: &str = include_str!("../../../tests/data/policy/broken.toml");

/// One request as the relay would present it: classified path, parsed query, and facts
/// for every operation that has them (read the way dockerd reads the body).
struct Req {
    caller: Caller,
    method: String,
    endpoint: Classified,
    query: Form,
    facts: Option<Facts>,
}

impl Req {
    fn new(method: &str, target: &str, body: &str) -> Req {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let endpoint = classify(method, path);
        let query = form(query).unwrap();
        let op = endpoint.operation();
        let facts = op.filter(|op| FACT_OPERATIONS.contains(op)).map(|op| {
            let value = if body.is_empty() {
                Value::Null
            } else {
                gojson::canonical(Some(op), &gojson::parse(body.as_bytes()).unwrap()).unwrap()
            };
            facts(Some(op), &value, &query)
        });
        Req {
            caller: Caller::bare(unix(1000, "docker")),
            method: method.to_owned(),
            endpoint,
            query,
            facts,
        }
    }

    fn by(mut self, peer: Peer) -> Req {
        self.caller.peer = peer;
        self
    }

    fn rf(&self) -> RequestFacts<'_> {
        RequestFacts {
            caller: &self.caller,
            method: &self.method,
            endpoint: &self.endpoint,
            query: &self.query,
            facts: self.facts.as_ref(),
        }
    }
}

fn unix(uid: u32, process: &str) -> Peer {
    Peer::Unix {
        uid,
        gid: uid,
        pid: Some(4242),
        process: Some(process.to_owned()),
        exe: None,
    }
}

fn tcp(addr: &str) -> Peer {
    Peer::Tcp {
        addr: addr.parse::<SocketAddr>().unwrap(),
    }
}

/// `allow:<rule>` or `deny:<rule>`, to compare whole tables at once.
fn verdict(p: &Policy, req: &Req) -> String {
    match p.decide(&req.rf()) {
        Decision::Allow(permit) => format!("allow:{}", permit.rule()),
        Decision::Deny(d) => format!("deny:{}", d.rule),
    }
}

fn check_table(p: &Policy, table: &[(&str, &str, &str, &str)]) {
    let mut wrong = Vec::new();
    for (method, target, body, want) in table {
        let got = verdict(p, &Req::new(method, target, body));
        if got != *want {
            wrong.push(format!("{method} {target} {body}: want {want}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

fn profile(name: &str) -> Policy {
    Policy::profile(name, &ProfileParams::default()).unwrap()
}

fn env(vars: &[(&str, &str)]) -> Result<Policy, Vec<PolicyError>> {
    Policy::from_tecnativa_env(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
}

fn error_lines(text: &str) -> Vec<String> {
    match Policy::from_toml(text) {
        Ok(_) => panic!("policy should not load"),
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
    }
}

// Profiles.

#[test]
fn read_only_lets_dashboards_list_and_inspect_but_not_read_files_or_write() {
    let p = profile("read-only");
    const OK: &str = "allow:read-only";
    const NO: &str = "deny:read-only-deny";
    check_table(
        &p,
        &[
            ("GET", "/_ping", "", OK),
            ("HEAD", "/_ping", "", OK),
            ("GET", "/v1.41/version", "", OK),
            ("GET", "/v1.41/info", "", OK),
            ("GET", "/v1.41/events", "", OK),
            ("GET", "/v1.41/containers/json?all=1", "", OK),
            ("GET", "/v1.41/containers/web/json", "", OK),
            ("GET", "/v1.41/containers/web/logs?follow=1", "", OK),
            ("GET", "/v1.41/containers/web/top", "", OK),
            ("GET", "/v1.41/containers/web/stats", "", OK),
            ("GET", "/v1.41/images/json", "", OK),
            ("GET", "/v1.41/images/library/nginx:latest/json", "", OK),
            ("GET", "/v1.41/networks", "", OK),
            ("GET", "/v1.41/volumes", "", OK),
            ("GET", "/v1.41/system/df", "", OK),
            ("GET", "/v1.41/services", "", OK),
            // File reads and exports are reads of data, not of metadata (Tecnativa #182).
            ("GET", "/v1.41/containers/web/archive?path=/etc", "", NO),
            ("HEAD", "/v1.41/containers/web/archive?path=/etc", "", NO),
            ("GET", "/v1.41/containers/web/export", "", NO),
            ("GET", "/v1.41/images/nginx/get", "", NO),
            ("GET", "/v1.41/images/get?names=nginx", "", NO),
            // A GET that writes stdin.
            ("GET", "/v1.41/containers/web/attach/ws?stdin=1", "", NO),
            ("GET", "/v1.41/swarm/unlockkey", "", NO),
            ("GET", "/debug/pprof/", "", NO),
            ("POST", "/v1.41/containers/create", "{}", NO),
            ("POST", "/v1.41/containers/web/start", "", NO),
            (
                "POST",
                "/v1.41/containers/web/exec",
                r#"{"Cmd":["sh"]}"#,
                NO,
            ),
            ("POST", "/v1.41/containers/web/attach?stream=1", "", NO),
            ("POST", "/v1.41/containers/web/wait", "", NO),
            ("DELETE", "/v1.41/containers/web", "", NO),
            ("PUT", "/v1.41/containers/web/archive?path=/", "", NO),
            ("POST", "/v1.41/images/create?fromImage=alpine", "", NO),
            ("POST", "/session", "", NO),
            ("POST", "/grpc", "", NO),
            // Not routed by dockerd: nothing to allow.
            ("GET", "/v1.41/containers/../images/json", "", NO),
            ("GET", "/v1.41/CONTAINERS/json", "", NO),
        ],
    );
}

#[test]
fn no_escape_refuses_every_door_to_host_root_and_keeps_the_legitimate_twin() {
    let p = profile("no-escape");
    const OK: &str = "allow:no-escape-allow";
    const ESC: &str = "deny:no-escape";
    check_table(
        &p,
        &[
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"Image":"alpine"}"#,
                OK,
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"Image":"alpine","HostConfig":{"Privileged":true}}"#,
                ESC,
            ),
            // Go's decoder folds key case: dockerd reads this as Privileged.
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"Image":"alpine","hostconfig":{"PRIVILEGED":true}}"#,
                ESC,
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"Binds":["/:/host"]}}"#,
                ESC,
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"Binds":["data:/data"]}}"#,
                OK,
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"Mounts":[{"Type":"volume","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/etc"}}}}]}}"#,
                ESC,
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"NetworkMode":"host"}}"#,
                ESC,
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"CapAdd":["sys_admin"]}}"#,
                ESC,
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"CapAdd":["NET_BIND_SERVICE"]}}"#,
                OK,
            ),
            (
                "POST",
                "/v1.41/volumes/create",
                r#"{"Name":"v","DriverOpts":{"type":"none","o":"bind","device":"/"}}"#,
                ESC,
            ),
            ("POST", "/v1.41/volumes/create", r#"{"Name":"v"}"#, OK),
            (
                "POST",
                "/v1.41/containers/web/exec",
                r#"{"Cmd":["sh"],"privileged":true}"#,
                ESC,
            ),
            (
                "POST",
                "/v1.41/containers/web/exec",
                r#"{"Cmd":["sh"]}"#,
                OK,
            ),
            // A HostConfig sent to start is still applied below API 1.24.
            (
                "POST",
                "/v1.23/containers/web/start",
                r#"{"Privileged":true}"#,
                ESC,
            ),
            ("POST", "/v1.41/containers/web/start", "", OK),
            (
                "POST",
                "/v1.41/services/create",
                r#"{"TaskTemplate":{"ContainerSpec":{"Image":"a","Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]}}}"#,
                ESC,
            ),
            ("POST", "/v1.41/build?networkmode=host", "", ESC),
            ("POST", "/v1.41/build?t=app", "", OK),
            (
                "POST",
                "/v1.41/build?version=2&session=x",
                "",
                "deny:no-escape-buildkit",
            ),
            (
                "PUT",
                "/v1.41/containers/web/archive?path=/",
                "",
                "deny:no-escape-archive-upload",
            ),
            (
                "POST",
                "/v1.41/plugins/pull?remote=evil/plugin",
                "[]",
                "deny:no-escape-plugin-install",
            ),
            ("POST", "/session", "", "deny:no-escape-buildkit-api"),
            ("POST", "/grpc", "", "deny:no-escape-buildkit-api"),
            (
                "POST",
                "/v1.41/swarm/join",
                r#"{"RemoteAddrs":["evil:2377"]}"#,
                "deny:no-escape-swarm-join",
            ),
            // Reads are not escapes.
            ("GET", "/v1.41/containers/web/archive?path=/etc", "", OK),
            ("GET", "/v1.41/containers/json", "", OK),
            ("DELETE", "/v1.41/containers/web?force=1", "", OK),
        ],
    );
}

#[test]
fn no_escape_with_an_allowlist_lets_that_directory_be_bound_and_nothing_above_it() {
    let p = Policy::profile(
        "no-escape",
        &ProfileParams {
            allowed_host_paths: vec!["/srv/data".into()],
        },
    )
    .unwrap();
    check_table(
        &p,
        &[
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"Binds":["/srv/data/app:/data"]}}"#,
                "allow:no-escape-allow",
            ),
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"Binds":["/srv/data/../../etc:/data"]}}"#,
                "deny:no-escape",
            ),
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"Binds":["/srv/database:/data"]}}"#,
                "deny:no-escape",
            ),
        ],
    );
}

#[test]
fn the_denial_names_the_escalation_so_the_user_knows_what_to_drop() {
    let p = profile("no-escape");
    let req = Req::new(
        "POST",
        "/containers/create",
        r#"{"HostConfig":{"Privileged":true,"Binds":["/:/h"]}}"#,
    );
    let Decision::Deny(d) = p.decide(&req.rf()) else {
        panic!("privileged create allowed")
    };
    assert_eq!(
        d.to_string(),
        "denied by rule no-escape: the no-escape profile refuses what could give root on \
         the host (privileged; host path / outside the allowlist)"
    );
}

#[test]
fn a_body_the_relay_did_not_read_is_denied_not_waved_through() {
    let p = profile("no-escape");
    let mut req = Req::new("POST", "/containers/create", r#"{"Image":"a"}"#);
    req.facts = None;
    let Decision::Deny(d) = p.decide(&req.rf()) else {
        panic!("create without facts allowed")
    };
    assert_eq!(d.rule, "no-escape");
    assert!(d.reason.ends_with("(request body not inspected)"), "{d}");
}

#[test]
fn full_allows_everything_and_says_so() {
    let p = profile("full");
    check_table(
        &p,
        &[
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"Privileged":true}}"#,
                "allow:full",
            ),
            ("GET", "/debug/pprof/", "", "allow:full"),
            ("POST", "/session", "", "allow:full"),
        ],
    );
}

#[test]
fn unknown_profiles_and_misplaced_parameters_are_refused() {
    assert!(Policy::profile("readonly", &ProfileParams::default()).is_err());
    let errs = Policy::profile(
        "read-only",
        &ProfileParams {
            allowed_host_paths: vec!["/srv".into()],
        },
    );
    // Only no-escape reads the allowlist; elsewhere it would silently mean nothing.
    assert_eq!(
        errs.unwrap_err(),
        [PolicyError::new(
            "",
            "profile read-only takes no allowed_host_paths"
        )]
    );
    let errs = error_lines(
        "version = 1\nbase = { name = \"read-only\", allowed_host_paths = [\"/srv\"] }\n",
    );
    assert_eq!(
        errs,
        ["base: profile read-only takes no allowed_host_paths"]
    );
}

// The policy file.

#[test]
fn every_mistake_in_a_policy_file_is_reported_at_once_with_its_key_path() {
    assert_eq!(
        error_lines(BROKEN),
        [
            "defualt: unknown key; expected one of version, base, default, rules",
            "rules[0].request.endpoint: unknown endpoint \"ContainerLsit\"",
            "rules[0].request.method: unknown method \"GETT\"",
            "rules[0].request.method: unknown method \"get\" (dockerd compares methods \
             case-sensitively: write it upper-case)",
            "rules[1].reasn: unknown key; expected one of name, action, reason, client, \
             request, body",
            "rules[1].reason: missing; a deny rule must say why",
            "rules[1].client.source[0]: \"10.0.0.0/33\": prefix length must be 0 to 32",
            "rules[1].client.uid[0]: must be an integer, not a string",
            "rules[2].action: unknown action \"permit\"; use allow or deny",
            "rules[2].body.cap_add.subset: unknown key; expected one of any_of, not, subset_of, \
             within, empty",
            "rules[2].body.no_such_fact: unknown fact; see docs/policy.md for the names (or \
             use `escalations`)",
            "rules[2].body.privileged: a Bool fact cannot be compared with a string; for \
             lists use { any_of = [...] } or { subset_of = [...] }",
            "rules[2].name: \"typo-key\" is used by an earlier rule",
        ]
    );
}

#[test]
fn a_toml_syntax_error_says_where() {
    assert_eq!(
        error_lines("version = 1\n[[rules]\nname = \"x\"\n"),
        ["line 2, column 8: invalid table header\nexpected `.`, `]]`"]
    );
}

#[test]
fn a_policy_without_a_version_is_refused() {
    assert_eq!(error_lines(""), ["version: missing; write `version = 1`"]);
    assert_eq!(
        error_lines("version = 2"),
        ["version: unsupported version Integer(2); only 1 exists"]
    );
}

#[test]
fn unknown_keys_are_rejected_at_every_level() {
    let errs = error_lines(
        r#"
version = 1
colour = "blue"
[[rules]]
name = "r"
action = "allow"
[rules.client]
user = ["root"]
[rules.request]
path = "/containers/json"
param.container = ["x"]
[rules.body]
escalations = { present = false, allowed = ["/srv"] }
"#,
    );
    assert_eq!(
        errs,
        [
            "colour: unknown key; expected one of version, base, default, rules",
            "rules[0].client.user: unknown key; expected one of uid, gid, process, exe, \
             container_name, container_id, container_label, source, cert_subject, cert_san",
            "rules[0].request.path: unknown key; expected one of endpoint, section, method, \
             object, param, query, query_bool",
            "rules[0].request.param.container: unknown path variable; known: id, name, \
             checkpoint",
            "rules[0].body.escalations.allowed: unknown key; expected one of present, \
             allowed_host_paths",
        ]
    );
}

#[test]
fn the_documented_example_loads_and_decides_per_client() {
    let p = Policy::from_toml(EXAMPLE).unwrap();
    let traefik = || unix(1000, "traefik");
    let ci = || unix(1001, "gitlab-runner");
    let decide = |req: Req| verdict(&p, &req);
    assert_eq!(
        decide(Req::new("GET", "/v1.41/containers/json", "").by(traefik())),
        "allow:traefik-reads"
    );
    assert_eq!(
        decide(Req::new("POST", "/v1.41/containers/create", "{}").by(traefik())),
        "deny:traefik-nothing-else"
    );
    assert_eq!(
        decide(Req::new("POST", "/v1.41/containers/web-1/start", "").by(ci())),
        "allow:ci-web-only"
    );
    assert_eq!(
        decide(
            Req::new(
                "POST",
                "/v1.41/containers/create?name=web-2",
                r#"{"HostConfig":{"NetworkMode":"host"}}"#
            )
            .by(ci())
        ),
        "deny:ci-no-host-network"
    );
    // Not one of CI's containers: the base profile decides, and a bind outside
    // /srv/data is an escape.
    assert_eq!(
        decide(
            Req::new(
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"Binds":["/etc:/etc"]}}"#
            )
            .by(ci())
        ),
        "deny:no-escape"
    );
    assert_eq!(
        decide(
            Req::new(
                "POST",
                "/v1.41/containers/create",
                r#"{"HostConfig":{"Binds":["/srv/data:/d"]}}"#
            )
            .by(ci())
        ),
        "allow:no-escape-allow"
    );
}

#[test]
fn the_first_matching_rule_wins_even_when_a_later_one_is_more_specific() {
    let p = Policy::from_toml(
        r#"
version = 1
[[rules]]
name = "no-deletes"
action = "deny"
reason = "nobody deletes"
request.method = ["DELETE"]
[[rules]]
name = "admin-everything"
action = "allow"
client.uid = [0]
"#,
    )
    .unwrap();
    let admin_delete = Req::new("DELETE", "/containers/web", "").by(unix(0, "docker"));
    assert_eq!(verdict(&p, &admin_delete), "deny:no-deletes");
    let admin_list = Req::new("GET", "/containers/json", "").by(unix(0, "docker"));
    assert_eq!(verdict(&p, &admin_list), "allow:admin-everything");
    let other = Req::new("GET", "/containers/json", "").by(unix(1000, "docker"));
    let Decision::Deny(d) = p.decide(&other.rf()) else {
        panic!("default allowed")
    };
    assert_eq!(
        d.to_string(),
        "denied by rule default: no rule allows ContainerList"
    );
}

#[test]
fn a_body_condition_does_not_turn_into_an_allow_for_requests_without_a_body() {
    // `privileged = false` holds vacuously for a container list, whose facts are all empty;
    // the rule must not allow it.
    let p = Policy::from_toml(
        r#"
version = 1
[[rules]]
name = "unprivileged"
action = "allow"
body.privileged = false
"#,
    )
    .unwrap();
    assert_eq!(
        verdict(&p, &Req::new("GET", "/containers/json", "")),
        "deny:default"
    );
    assert_eq!(
        verdict(&p, &Req::new("POST", "/containers/create", "{}")),
        "allow:unprivileged"
    );
    assert_eq!(
        verdict(
            &p,
            &Req::new(
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"Privileged":true}}"#
            )
        ),
        "deny:default"
    );
}

#[test]
fn body_tests_cover_lists_paths_and_exclusions() {
    let p = Policy::from_toml(
        r#"
version = 1
[[rules]]
name = "tame"
action = "allow"
[rules.body]
host_paths = { within = ["/srv/data"] }
cap_add = { subset_of = ["NET_BIND_SERVICE", "CHOWN"] }
network_mode = { not = ["host", "container:*"] }
"#,
    )
    .unwrap();
    check_table(
        &p,
        &[
            ("POST", "/containers/create", "{}", "allow:tame"),
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"Binds":["/srv/data/x:/x"],"CapAdd":["CAP_CHOWN"]}}"#,
                "allow:tame",
            ),
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"Binds":["/srv:/x"]}}"#,
                "deny:default",
            ),
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"CapAdd":["SYS_ADMIN"]}}"#,
                "deny:default",
            ),
            (
                "POST",
                "/containers/create",
                r#"{"HostConfig":{"NetworkMode":"container:db"}}"#,
                "deny:default",
            ),
        ],
    );
}

#[test]
fn clients_are_matched_by_uid_process_address_and_container() {
    let p = Policy::from_toml(
        r#"
version = 1
[[rules]]
name = "by-uid"
action = "allow"
client.uid = [1000]
[[rules]]
name = "by-address"
action = "allow"
client.source = ["10.0.0.0/8", "::1"]
[[rules]]
name = "by-container"
action = "allow"
client.container_name = ["traefik*"]
client.container_label = { "com.docker.compose.project" = ["edge"] }
"#,
    )
    .unwrap();
    let list = || Req::new("GET", "/containers/json", "");
    assert_eq!(verdict(&p, &list().by(unix(1000, "x"))), "allow:by-uid");
    assert_eq!(verdict(&p, &list().by(unix(1001, "x"))), "deny:default");
    assert_eq!(
        verdict(&p, &list().by(tcp("10.1.2.3:5000"))),
        "allow:by-address"
    );
    assert_eq!(
        verdict(&p, &list().by(tcp("[::1]:5000"))),
        "allow:by-address"
    );
    assert_eq!(
        verdict(&p, &list().by(tcp("192.168.0.1:5000"))),
        "deny:default"
    );
    let mut req = list().by(unix(1001, "traefik"));
    req.caller.container = Some(ClientContainer {
        id: "abc".into(),
        name: "/traefik-1".into(),
        labels: [("com.docker.compose.project".to_owned(), "edge".to_owned())].into(),
    });
    assert_eq!(verdict(&p, &req), "allow:by-container");
    req.caller.container.as_mut().unwrap().labels.clear();
    assert_eq!(verdict(&p, &req), "deny:default");
}

fn tls(addr: &str, cn: Option<&str>, sans: &[&str]) -> Peer {
    Peer::Tls {
        addr: addr.parse::<SocketAddr>().unwrap(),
        cert: Some(crate::caller::ClientCert {
            subject: cn.map(|cn| format!("CN={cn}")).unwrap_or_default(),
            common_name: cn.map(str::to_owned),
            sans: sans.iter().map(|s| (*s).to_owned()).collect(),
        }),
    }
}

#[test]
fn tls_clients_are_matched_by_their_certificate_and_address() {
    let p = Policy::from_toml(
        r#"
version = 1
[[rules]]
name = "ops-write"
action = "allow"
client.cert_subject = ["ops-*"]
[[rules]]
name = "ci-reads"
action = "allow"
client.cert_san = ["*.ci.example"]
request.method = ["GET"]
[[rules]]
name = "lan"
action = "allow"
client.source = ["10.0.0.0/8"]
request.endpoint = ["SystemPing"]
"#,
    )
    .unwrap();
    let create = || Req::new("POST", "/containers/create", r#"{"Image":"x"}"#);
    let list = || Req::new("GET", "/containers/json", "");
    let ops = tls("192.0.2.1:5000", Some("ops-alice"), &[]);
    let dev = tls("192.0.2.1:5000", Some("dev-bob"), &["runner.ci.example"]);
    // Two certificates, the same request, different decisions.
    assert_eq!(verdict(&p, &create().by(ops.clone())), "allow:ops-write");
    assert_eq!(verdict(&p, &create().by(dev.clone())), "deny:default");
    assert_eq!(verdict(&p, &list().by(dev)), "allow:ci-reads");
    // Certificate conditions never hold without a verified certificate.
    let anonymous = Peer::Tls {
        addr: "10.0.0.9:5000".parse().unwrap(),
        cert: None,
    };
    assert_eq!(verdict(&p, &create().by(anonymous.clone())), "deny:default");
    assert_eq!(verdict(&p, &create().by(unix(0, "docker"))), "deny:default");
    assert_eq!(
        verdict(&p, &create().by(tcp("10.0.0.9:5000"))),
        "deny:default"
    );
    // A TLS client has an address like a TCP client.
    let ping = Req::new("GET", "/_ping", "").by(anonymous);
    assert_eq!(verdict(&p, &ping), "allow:lan");
    let why = p
        .explain(&list().by(tls("192.0.2.1:1", None, &["a.example"])).rf())
        .to_string();
    assert!(
        why.contains("client.cert_subject: the certificate has no CN"),
        "{why}"
    );
}

#[test]
fn path_variables_and_queries_are_matched_as_dockerd_reads_them() {
    let p = Policy::from_toml(
        r#"
version = 1
[[rules]]
name = "web-logs"
action = "allow"
request.endpoint = ["ContainerLogs"]
request.object = ["web-*"]
request.query_bool.follow = false
[[rules]]
name = "nginx-history"
action = "allow"
request.param.name = ["nginx:*"]
[[rules]]
name = "all-containers"
action = "allow"
request.endpoint = ["ContainerList"]
request.query.all = ["1", "true"]
"#,
    )
    .unwrap();
    check_table(
        &p,
        &[
            ("GET", "/containers/web-1/logs", "", "allow:web-logs"),
            // The percent-escape is decoded before dockerd looks the container up.
            ("GET", "/containers/web%2D1/logs", "", "allow:web-logs"),
            ("GET", "/containers/db/logs", "", "deny:default"),
            // dockerd's BoolValue reads `yes` as true.
            (
                "GET",
                "/containers/web-1/logs?follow=yes",
                "",
                "deny:default",
            ),
            // Image names keep their slashes; the template variable is `name`.
            (
                "GET",
                "/images/nginx:1.27/history",
                "",
                "allow:nginx-history",
            ),
            ("GET", "/images/evil/nginx:1/history", "", "deny:default"),
            ("GET", "/containers/json?all=1", "", "allow:all-containers"),
            // The first value is the one dockerd reads.
            ("GET", "/containers/json?all=0&all=1", "", "deny:default"),
        ],
    );
}

#[test]
fn rule_names_are_unique_across_the_file_and_its_base() {
    let errs = error_lines(
        r#"
version = 1
base = "read-only"
[[rules]]
name = "read-only"
action = "allow"
"#,
    );
    assert_eq!(
        errs,
        ["rules[0].name: \"read-only\" is a rule of the base profile"]
    );
}

#[test]
fn a_policy_on_a_base_tries_its_own_rules_first() {
    let p = Policy::from_toml(
        r#"
version = 1
base = "read-only"
[[rules]]
name = "watchtower-restarts"
action = "allow"
client.process = ["watchtower"]
request.endpoint = ["ContainerRestart"]
"#,
    )
    .unwrap();
    let restart = || Req::new("POST", "/containers/web/restart", "");
    assert_eq!(
        verdict(&p, &restart().by(unix(0, "watchtower"))),
        "allow:watchtower-restarts"
    );
    assert_eq!(verdict(&p, &restart()), "deny:read-only-deny");
    assert_eq!(
        verdict(&p, &Req::new("GET", "/containers/json", "")),
        "allow:read-only"
    );
}

#[test]
fn explain_lists_each_rule_tried_and_why_it_did_not_match() {
    let p = Policy::from_toml(EXAMPLE).unwrap();
    let req = Req::new("DELETE", "/v1.41/containers/db", "").by(unix(1001, "runner"));
    let e = p.explain(&req.rf());
    assert_eq!(
        e.to_string(),
        "  traefik-reads (policy, allow): no, client.process: \"runner\" not in [\"traefik\"]\n\
         \x20 traefik-nothing-else (policy, deny): no, client.process: \"runner\" not in [\"traefik\"]\n\
         \x20 ci-no-host-network (policy, deny): no, request.endpoint: ContainerDelete not listed\n\
         \x20 ci-web-only (policy, allow): no, request.object: \"db\" not in [\"web-*\"]\n\
         \x20 no-escape (profile no-escape, deny): no, body: ContainerDelete has no request facts\n\
         \x20 no-escape-plugin-install (profile no-escape, deny): no, request.endpoint: ContainerDelete not listed\n\
         \x20 no-escape-archive-upload (profile no-escape, deny): no, request.endpoint: ContainerDelete not listed\n\
         \x20 no-escape-buildkit-api (profile no-escape, deny): no, request.endpoint: ContainerDelete not listed\n\
         \x20 no-escape-buildkit (profile no-escape, deny): no, request.endpoint: ContainerDelete not listed\n\
         \x20 no-escape-swarm-join (profile no-escape, deny): no, request.endpoint: ContainerDelete not listed\n\
         \x20 no-escape-allow (profile no-escape, allow): matched\n\
         allowed by rule no-escape-allow"
    );
    assert_eq!(e.decision, p.decide(&req.rf()));
}

#[test]
fn a_permit_names_the_rule_that_granted_it() {
    let p = profile("full");
    let req = Req::new("GET", "/_ping", "");
    let Decision::Allow(permit) = p.decide(&req.rf()) else {
        panic!("full denied a ping")
    };
    assert_eq!(permit.rule(), "full");
}

// Tecnativa's environment.

#[test]
fn tecnativa_with_no_environment_allows_ping_version_and_events_only() {
    let p = env(&[("PATH", "/usr/bin"), ("HOME", "/root")]).unwrap();
    check_table(
        &p,
        &[
            ("GET", "/_ping", "", "allow:tecnativa-ping"),
            ("HEAD", "/_ping", "", "allow:tecnativa-ping"),
            ("GET", "/v1.41/version", "", "allow:tecnativa-version"),
            ("GET", "/v1.41/events", "", "allow:tecnativa-events"),
            (
                "GET",
                "/v1.41/containers/json",
                "",
                "deny:tecnativa-containers",
            ),
            ("GET", "/v1.41/info", "", "deny:tecnativa-info"),
            ("GET", "/debug/pprof/", "", "deny:default"),
            (
                "POST",
                "/v1.41/containers/create",
                "{}",
                "deny:tecnativa-post",
            ),
        ],
    );
}

#[test]
fn tecnativa_containers_without_post_is_read_only_like_the_traefik_recipe() {
    let p = env(&[("CONTAINERS", "1")]).unwrap();
    check_table(
        &p,
        &[
            (
                "GET",
                "/v1.41/containers/json",
                "",
                "allow:tecnativa-containers",
            ),
            // The recipe's known leak (Tecnativa #182), reproduced, not fixed silently.
            (
                "GET",
                "/v1.41/containers/web/archive?path=/",
                "",
                "allow:tecnativa-containers",
            ),
            (
                "POST",
                "/v1.41/containers/create",
                "{}",
                "deny:tecnativa-post",
            ),
            ("DELETE", "/v1.41/containers/web", "", "deny:tecnativa-post"),
            ("GET", "/v1.41/images/json", "", "deny:tecnativa-images"),
        ],
    );
    let Decision::Deny(d) = p.decide(&Req::new("POST", "/containers/create", "{}").rf()) else {
        panic!("create allowed with POST=0")
    };
    assert_eq!(
        d.to_string(),
        "denied by rule tecnativa-post: POST=0: only GET and HEAD requests are allowed"
    );
}

#[test]
fn tecnativa_post_opens_every_method_in_enabled_sections_including_exec_creation() {
    let p = env(&[("CONTAINERS", "1"), ("POST", "1")]).unwrap();
    check_table(
        &p,
        &[
            (
                "POST",
                "/containers/create",
                "{}",
                "allow:tecnativa-containers",
            ),
            // Tecnativa #114: exec creation lives under /containers.
            (
                "POST",
                "/containers/web/exec",
                r#"{"Cmd":["sh"]}"#,
                "allow:tecnativa-containers",
            ),
            // ... but starting it is under /exec.
            ("POST", "/exec/abc/start", "{}", "deny:tecnativa-exec"),
            (
                "POST",
                "/images/create?fromImage=a",
                "",
                "deny:tecnativa-images",
            ),
        ],
    );
}

#[test]
fn tecnativa_allow_start_needs_post_as_in_haproxy() {
    let start = || Req::new("POST", "/containers/web/start", "");
    let p = env(&[("ALLOW_START", "1")]).unwrap();
    assert_eq!(verdict(&p, &start()), "deny:tecnativa-post");
    let p = env(&[("ALLOW_START", "1"), ("POST", "1")]).unwrap();
    assert_eq!(verdict(&p, &start()), "allow:tecnativa-allow-start");
    assert_eq!(
        verdict(&p, &Req::new("POST", "/containers/web/kill", "")),
        "deny:tecnativa-containers"
    );
    let p = env(&[("ALLOW_RESTARTS", "1"), ("POST", "1")]).unwrap();
    assert_eq!(
        verdict(&p, &Req::new("POST", "/containers/web/kill", "")),
        "allow:tecnativa-allow-restarts"
    );
}

#[test]
fn tecnativa_defaults_can_be_turned_off() {
    let p = env(&[("PING", "0"), ("EVENTS", ""), ("VERSION", "0")]).unwrap();
    check_table(
        &p,
        &[
            ("GET", "/_ping", "", "deny:tecnativa-ping"),
            ("GET", "/events", "", "deny:tecnativa-events"),
            ("GET", "/version", "", "deny:tecnativa-version"),
        ],
    );
}

#[test]
fn tecnativa_values_it_would_misread_and_fork_variables_are_errors() {
    let errs = env(&[
        ("CONTAINERS", "true"),
        ("IMAGES", "yes"),
        ("ALLOW_EXEC", "0"),
        ("LOG_LEVEL", "debug"),
    ])
    .unwrap_err();
    let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "CONTAINERS: \"true\" is not 0 or 1",
            "IMAGES: \"yes\" is not 0 or 1",
            "ALLOW_EXEC: not read by Tecnativa's docker-socket-proxy (a fork's or newer \
             template's variable); write a policy file for this instead",
        ]
    );
}

#[test]
fn no_escape_refuses_each_host_root_field_of_a_create_however_it_is_spelt() {
    let p = profile("no-escape");
    let hostile = [
        r#"{"HostConfig":{"Privil\u0065ged":true}}"#,
        r#"{"HostConfig":{"privileged":true}}"#,
        r#"{"HostConfig":{"Binds":["/var/run/docker.sock:/s"]}}"#,
        r#"{"HostConfig":{"Binds":["/:/h:ro"]}}"#,
        r#"{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/etc","Target":"/e"}]}}"#,
        r#"{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/srv","Target":"/s","BindOptions":{"Propagation":"rshared"}}]}}"#,
        r#"{"HostConfig":{"PidMode":"host"}}"#,
        r#"{"HostConfig":{"PidMode":"container:db"}}"#,
        r#"{"HostConfig":{"IpcMode":"host"}}"#,
        r#"{"HostConfig":{"UTSMode":"host"}}"#,
        r#"{"HostConfig":{"UsernsMode":"host"}}"#,
        r#"{"HostConfig":{"CgroupnsMode":"host"}}"#,
        r#"{"HostConfig":{"NetworkMode":"container:db"}}"#,
        r#"{"NetworkingConfig":{"EndpointsConfig":{"host":{}}}}"#,
        r#"{"HostConfig":{"CapAdd":["ALL"]}}"#,
        r#"{"HostConfig":{"CapAdd":["CAP_SYS_PTRACE"]}}"#,
        r#"{"HostConfig":{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]}}"#,
        r#"{"HostConfig":{"DeviceCgroupRules":["b *:* rwm"]}}"#,
        r#"{"HostConfig":{"SecurityOpt":["seccomp=unconfined"]}}"#,
        r#"{"HostConfig":{"SecurityOpt":["apparmor=unconfined"]}}"#,
        r#"{"HostConfig":{"SecurityOpt":["label=disable"]}}"#,
        r#"{"HostConfig":{"SecurityOpt":["systempaths=unconfined"]}}"#,
        r#"{"HostConfig":{"MaskedPaths":[]}}"#,
        r#"{"HostConfig":{"ReadonlyPaths":[]}}"#,
        r#"{"HostConfig":{"Sysctls":{"kernel.shmmax":"1"}}}"#,
        r#"{"HostConfig":{"CgroupParent":"/"}}"#,
        r#"{"HostConfig":{"VolumesFrom":["socket-holder"]}}"#,
    ];
    let mut allowed = Vec::new();
    for body in hostile {
        let req = Req::new("POST", "/v1.41/containers/create", body);
        if verdict(&p, &req) != "deny:no-escape" {
            allowed.push(body);
        }
    }
    assert!(allowed.is_empty(), "allowed: {allowed:#?}");
}
