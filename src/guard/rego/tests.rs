use std::collections::BTreeMap;
use std::time::Instant;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use super::engine::UNAVAILABLE;
use super::*;
use crate::caller::{Caller, ClientContainer, Peer};
use crate::docker::endpoint::{classify, Classified};
use crate::docker::facts::{facts, Facts};
use crate::docker::gojson::{self, form, Form};
use crate::guard::eval_symlinks;
use crate::guard::policy::{Decision, RequestFacts, FACT_OPERATIONS};

const ALLOW_ALL: &str = include_str!("../../../examples/rego/allow-all.rego");
const DENY_PRIVILEGED: &str = include_str!("../../../examples/rego/deny-privileged.rego");
const DENY_BIND_MOUNTS: &str = include_str!("../../../examples/rego/deny-bind-mounts.rego");
const READ_ONLY_USERS: &str = include_str!("../../../examples/rego/read-only-users.rego");
const AUTHZ_EXAMPLE: &str = include_str!("../../../examples/rego/authz-example.rego");
const EXTENSIONS: &str = include_str!("../../../examples/rego/sockeye-extensions.rego");
const V0: &str = include_str!("../../../tests/data/rego/v0-deny-privileged.rego");

// Bodies the docker CLI 28.2.2 sent (shared/reference/traces, copied for the facts tests).
const DANGEROUS: &str = include_str!("../../../tests/data/facts/create-dangerous.json");
const RUN_RM: &str = include_str!("../../../tests/data/facts/run-rm.json");

fn with_query(query: &str) -> RegoOptions {
    RegoOptions {
        query: query.into(),
        ..RegoOptions::default()
    }
}

fn policy(name: &str, text: &str) -> RegoPolicy {
    RegoPolicy::from_text(name, text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One request as the relay holds it when it asks the policy.
struct Req {
    peer: Peer,
    container: Option<ClientContainer>,
    method: String,
    target: String,
    endpoint: Classified,
    query: Form,
    headers: HeaderMap,
    body: Option<Value>,
    facts: Option<Facts>,
}

impl Req {
    /// As the docker CLI sends it: `Host` and `User-Agent`, and for a body its length and
    /// `Content-Type: application/json`.
    fn new(method: &str, target: &str, body: &str) -> Req {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let endpoint = classify(method, path);
        let query = form(query).unwrap_or_default();
        let op = endpoint.operation();
        let body = (!body.is_empty())
            .then(|| gojson::canonical(op, &gojson::parse(body.as_bytes()).unwrap()).unwrap());
        let facts = op
            .filter(|op| FACT_OPERATIONS.contains(op))
            .map(|op| facts(Some(op), body.as_ref().unwrap_or(&Value::Null), &query));
        let mut req = Req {
            peer: Peer::Unix {
                uid: 1000,
                gid: 1000,
                pid: Some(4242),
                process: Some("docker".into()),
                exe: None,
            },
            container: None,
            method: method.into(),
            target: target.into(),
            endpoint,
            query,
            headers: HeaderMap::new(),
            body,
            facts,
        };
        req = req
            .header("host", "api.moby.localhost")
            .header("user-agent", "Docker-Client/28.2.2 (linux)");
        if let Some(b) = &req.body {
            let len = serde_json::to_string(b).unwrap().len().to_string();
            req = req
                .header("content-length", &len)
                .header("content-type", "application/json");
        }
        req
    }

    fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    fn by(mut self, peer: Peer) -> Req {
        self.peer = peer;
        self
    }

    fn input(&self) -> Value {
        let caller = Caller {
            peer: self.peer.clone(),
            container: self.container.clone(),
        };
        let rf = RequestFacts {
            caller: &caller,
            method: &self.method,
            endpoint: &self.endpoint,
            query: &self.query,
            facts: self.facts.as_ref(),
        };
        input(
            &rf,
            &self.target,
            &self.headers,
            self.body.as_ref(),
            &eval_symlinks,
        )
    }
}

fn create(body: &str) -> Req {
    Req::new("POST", "/v1.41/containers/create?name=probe", body)
}

/// A container create whose HostConfig holds only these members.
fn create_with(host_config: Value) -> Req {
    create(&json!({"Image": "busybox", "HostConfig": host_config}).to_string())
}

fn allowed(p: &RegoPolicy, input: &Value) -> bool {
    p.evaluate(input).unwrap().allow
}

/// The input as opa-docker-authz would hand it to OPA, without sockeye's part.
fn opa_part(input: &Value) -> Value {
    let mut doc = input.clone();
    doc.as_object_mut().unwrap().remove("sockeye");
    doc
}

#[test]
fn input_has_opa_docker_authz_keys_and_types() {
    let req = Req::new("GET", "/v1.41/containers/json?all=1&limit=5", "");
    assert_eq!(
        opa_part(&req.input()),
        json!({
            "Headers": {"User-Agent": "Docker-Client/28.2.2 (linux)"},
            "Path": "/v1.41/containers/json?all=1&limit=5",
            "PathPlain": "/v1.41/containers/json",
            "PathArr": ["", "v1.41", "containers", "json"],
            "Query": {"all": ["1"], "limit": ["5"]},
            "Method": "GET",
            "Body": null,
            "User": "",
            "AuthMethod": "",
            "BindMounts": [],
        })
    );
}

/// The decision-log entry in opa-docker-authz's README, for `docker pull` from a private
/// registry: the query decoded into lists, the version kept in `PathPlain`.
#[test]
fn input_matches_the_readme_decision_log() {
    let target = "/v1.40/images/create?fromImage=registry.company.com%3A8885%2Fbash&tag=latest";
    let req = Req::new("POST", target, "")
        .header("content-length", "0")
        .header("content-type", "text/plain");
    let doc = req.input();
    assert_eq!(doc["Path"], target);
    assert_eq!(doc["PathPlain"], "/v1.40/images/create");
    assert_eq!(doc["PathArr"], json!(["", "v1.40", "images", "create"]));
    assert_eq!(
        doc["Query"],
        json!({"fromImage": ["registry.company.com:8885/bash"], "tag": ["latest"]})
    );
    assert_eq!(
        doc["Headers"],
        json!({
            "Content-Length": "0",
            "Content-Type": "text/plain",
            "User-Agent": "Docker-Client/28.2.2 (linux)",
        })
    );
    assert_eq!(doc["Body"], Value::Null);
}

#[test]
fn headers_are_what_dockerd_hands_a_plugin() {
    let req = Req::new("POST", "/v1.41/images/create?fromImage=x", "")
        .header("x-registry-auth", "eyJwYXNzd29yZCI6InNlY3JldCJ9")
        .header("X-Registry-Config", "e30=")
        .header("authorization", "Basic c2VjcmV0")
        .header("x-custom-thing", "first")
        .header("x-custom-thing", "last")
        .header("www-authenticate", "kept")
        .header("pragma", "no-cache")
        .header("transfer-encoding", "chunked")
        .header("content-length", "12");
    assert_eq!(
        req.input()["Headers"],
        json!({
            "User-Agent": "Docker-Client/28.2.2 (linux)",
            "X-Custom-Thing": "last",
            "Www-Authenticate": "kept",
            "Pragma": "no-cache",
            "Cache-Control": "no-cache",
        })
    );
}

#[test]
fn container_create_from_the_cli() {
    let doc = create(DANGEROUS).input();
    assert_eq!(doc["Method"], "POST");
    assert_eq!(doc["Query"], json!({"name": ["probe"]}));
    assert_eq!(doc["Headers"]["Content-Type"], "application/json");
    assert_eq!(doc["Body"]["Image"], "local/busybox:1");
    assert_eq!(doc["Body"]["HostConfig"]["Privileged"], true);
    // `-v /:/host` and `--mount type=bind,src=/etc,dst=/hostetc`, resolved on this host.
    assert_eq!(
        doc["BindMounts"],
        json!([
            {"Source": "/", "ReadOnly": false, "Resolved": "/"},
            {"Source": "/etc", "ReadOnly": false, "Resolved": "/etc"},
        ])
    );
    // No binds at all: [] (see bind_mounts() for why not opa-docker-authz's null).
    assert_eq!(create(RUN_RM).input()["BindMounts"], json!([]));
}

/// The cases of opa-docker-authz's `TestListBindMounts`, and Go's `strings.Split` reading
/// of the mode field.
#[test]
fn bind_mounts_as_opa_docker_authz_lists_them() {
    let mounts = |hc: Value| create_with(hc).input()["BindMounts"].clone();
    assert_eq!(
        mounts(json!({"Binds": ["/var:/home", "volume:/var/lib/app:ro"]})),
        json!([{"Source": "/var", "ReadOnly": false, "Resolved": "/var"}])
    );
    assert_eq!(
        mounts(json!({"Binds": ["/var:/home:ro", "/var/lib:/mnt:rw", "/usr:/u:ro,Z"]})),
        json!([
            {"Source": "/var", "ReadOnly": true, "Resolved": "/var"},
            {"Source": "/var/lib", "ReadOnly": false, "Resolved": "/var/lib"},
            {"Source": "/usr", "ReadOnly": false, "Resolved": "/usr"},
        ])
    );
    assert_eq!(mounts(json!({})), json!([]));
    assert_eq!(mounts(json!({"Binds": null, "Mounts": null})), json!([]));
    assert_eq!(mounts(json!({"Binds": []})), json!([]));
    assert_eq!(
        mounts(json!({"Mounts": [
            {"Source": "/var", "Target": "/mnt", "Type": "bind", "ReadOnly": true},
            {"Source": "vol", "Target": "/vol", "Type": "volume"},
            {"Target": "/home", "Type": "bind"},
            {"Source": "/home", "Target": "/home", "Type": "bind"},
        ]})),
        json!([
            {"Source": "/var", "ReadOnly": true, "Resolved": "/var"},
            {"Source": "/home", "ReadOnly": false, "Resolved": "/home"},
        ])
    );
}

#[test]
fn bind_mounts_resolve_symlinks_and_dot_dot() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::create_dir(&target).unwrap();
    let link = dir.path().join("root");
    std::os::unix::fs::symlink("/", &link).unwrap();
    let real_target = std::fs::canonicalize(&target).unwrap();
    let binds = [
        format!("{}:/mnt", link.display()),
        format!("{}/../../../../../..:/up", target.display()),
        format!("{}:/t", target.display()),
        format!("{}/missing:/m", dir.path().display()),
    ];
    let doc = create_with(json!({"Binds": binds})).input();
    let resolved: Vec<&str> = doc["BindMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Resolved"].as_str().unwrap())
        .collect();
    assert_eq!(resolved, ["/", "/", real_target.to_str().unwrap(), ""]);
}

#[test]
fn paths_and_queries_as_go_url_parse_reads_them() {
    let doc = |target: &str| Req::new("GET", target, "").input();
    // One percent-decode, `+` kept in a path, a space in a query.
    let d = doc("/v1.41/containers/a%2Fb+c/json?filters=%7B%7D&x=a+b");
    assert_eq!(d["PathPlain"], "/v1.41/containers/a/b+c/json");
    assert_eq!(d["Query"], json!({"filters": ["{}"], "x": ["a b"]}));
    // Unversioned, repeated keys, a key without value; bad pairs dropped silently.
    let d = doc("/containers/json?a=1&a=2&flag&bad=%zz&semi=1;2&&b=");
    assert_eq!(d["PathArr"], json!(["", "containers", "json"]));
    assert_eq!(
        d["Query"],
        json!({"a": ["1", "2"], "flag": [""], "b": [""]})
    );
    // Go reads `//x/y` as host `x`, path `/y`, and a `#` as a fragment.
    assert_eq!(doc("//containers/json")["PathPlain"], "/json");
    assert_eq!(doc("///containers/json")["PathPlain"], "///containers/json");
    assert_eq!(doc("/_ping#frag?x=1")["PathPlain"], "/_ping");
    assert_eq!(doc("/_ping#frag?x=1")["Query"], json!({}));
    assert_eq!(doc("/_ping?")["Query"], json!({}));
    // An absolute-form target keeps only its path.
    assert_eq!(
        doc("http://docker:2375/v1.41/info?x=1")["PathPlain"],
        "/v1.41/info"
    );
}

#[test]
fn a_target_go_cannot_parse_fails_the_request() {
    let p = policy("allow-all.rego", ALLOW_ALL);
    for target in [
        "/v1.41/containers/%zz/json",
        "/x#%zz",
        "//host:port/x",
        "//bad host/x",
        ":/x",
    ] {
        let doc = Req::new("GET", target, "").input();
        let err = p.evaluate(&doc).unwrap_err();
        assert!(
            err.starts_with(&format!("parse {target:?}: ")),
            "{target}: {err}"
        );
        let decision = decide_rego(&p, &doc);
        assert!(!decision.is_allow(), "{target}");
    }
}

/// opa-docker-authz unmarshals the body into a Go map: the arrays of `docker plugin
/// install` and `plugin set` are an error, and dockerd refuses the request.
#[test]
fn a_body_that_is_not_an_object_fails_the_request() {
    let p = policy("allow-all.rego", ALLOW_ALL);
    let req = Req::new(
        "POST",
        "/v1.41/plugins/pull?remote=vieux/sshfs",
        r#"[{"Name":"network","Value":["host"]}]"#,
    );
    let err = p.evaluate(&req.input()).unwrap_err();
    assert_eq!(
        err,
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
}

/// dockerd never shows a plugin the body of `/auth`: it holds the registry password.
#[test]
fn the_auth_body_is_never_in_the_input() {
    let body = r#"{"username":"probeuser","password":"probe-login-password","serveraddress":"localhost:5999"}"#;
    for target in ["/v1.41/auth", "/auth", "/v1.41/authx"] {
        let doc = Req::new("POST", target, body).input();
        assert_eq!(doc["Body"], Value::Null, "{target}");
        assert!(!doc.to_string().contains("probe-login-password"));
    }
    let doc = Req::new("POST", "/v1.41/containers/create", r#"{"Image":"auth"}"#).input();
    assert_eq!(doc["Body"]["Image"], "auth");
}

/// Bodies reach the policy in the spelling dockerd decodes (gojson's canonical value), so
/// `hostconfig`/`privileged` cannot slip past a check written for `HostConfig.Privileged`.
#[test]
fn body_keys_are_canonical() {
    let p = policy("deny-privileged.rego", DENY_PRIVILEGED);
    for body in [
        r#"{"Image":"busybox","hostconfig":{"privileged":true}}"#,
        r#"{"Image":"busybox","HostConfig":{"Privil\u0065ged":true}}"#,
    ] {
        let req = create(body);
        assert_eq!(req.input()["Body"]["HostConfig"]["Privileged"], true);
        assert!(!allowed(&p, &req.input()));
    }
}

#[test]
fn sockeye_part_of_the_input() {
    let mut req = create(DANGEROUS);
    req.container = Some(ClientContainer {
        id: "abc123".into(),
        name: "ci-runner".into(),
        labels: BTreeMap::from([("team".to_owned(), "infra".to_owned())]),
    });
    let doc = req.input();
    let s = &doc["sockeye"];
    assert_eq!(s["endpoint"], "ContainerCreate");
    assert_eq!(s["section"], "containers");
    assert_eq!(s["path"], "/v1.41/containers/create");
    assert_eq!(s["version"], "1.41");
    assert_eq!(s["params"], json!({}));
    assert_eq!(s["query"], json!({"name": ["probe"]}));
    assert_eq!(
        s["client"],
        json!({
            "transport": "unix", "uid": 1000, "gid": 1000, "pid": 4242, "process": "docker", "exe": null,
            "addr": null, "cert": null,
            "container": {"id": "abc123", "name": "ci-runner", "labels": {"team": "infra"}},
        })
    );
    assert_eq!(s["facts"]["privileged"], true);
    assert_eq!(s["facts"]["host_paths"], json!(["/", "/etc"]));
    let kinds: Vec<&str> = s["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"privileged") && kinds.contains(&"host_path"));
    assert!(s.get(INPUT_ERROR).is_none());

    let doc = Req::new("DELETE", "/v1.41/containers/web?force=1", "")
        .by(Peer::Tcp {
            addr: "127.0.0.1:40000".parse().unwrap(),
        })
        .input();
    let s = &doc["sockeye"];
    assert_eq!(s["endpoint"], "ContainerDelete");
    assert_eq!(s["params"], json!({"name": "web"}));
    assert_eq!(s["client"]["transport"], "tcp");
    assert_eq!(s["client"]["addr"], "127.0.0.1:40000");
    assert_eq!(s["client"]["uid"], Value::Null);
    assert_eq!(s["client"]["container"], Value::Null);
    assert_eq!(s["facts"], Value::Null);
    assert_eq!(s["escalations"], Value::Null);
}

#[test]
fn allow_all() {
    let p = policy("allow-all.rego", ALLOW_ALL);
    for req in [create(DANGEROUS), Req::new("GET", "/v1.41/info", "")] {
        assert_eq!(
            p.evaluate(&req.input()).unwrap(),
            RegoOutcome {
                allow: true,
                reason: None
            }
        );
    }
}

#[test]
fn deny_privileged() {
    let p = policy("deny-privileged.rego", DENY_PRIVILEGED);
    assert!(allowed(&p, &create(RUN_RM).input()));
    assert!(allowed(
        &p,
        &Req::new("GET", "/v1.41/containers/json", "").input()
    ));
    let decision = decide_rego(&p, &create(DANGEROUS).input());
    let Decision::Deny(denial) = decision else {
        panic!("privileged create allowed");
    };
    assert_eq!(denial.rule, "rego:deny-privileged");
    assert_eq!(denial.reason, "privileged containers are not allowed");
    match decide_rego(&p, &create(RUN_RM).input()) {
        Decision::Allow(permit) => assert_eq!(permit.rule(), "rego:deny-privileged"),
        Decision::Deny(d) => panic!("{d}"),
    }
}

#[test]
fn deny_bind_mounts() {
    let p = policy("deny-bind-mounts.rego", DENY_BIND_MOUNTS);
    // No binds (BindMounts is null), or only named volumes.
    assert!(allowed(&p, &create(RUN_RM).input()));
    assert!(allowed(
        &p,
        &create_with(json!({"Binds": ["data:/data"]})).input()
    ));
    let outcome = p.evaluate(&create(DANGEROUS).input()).unwrap();
    assert!(!outcome.allow);
    assert_eq!(
        outcome.reason.unwrap(),
        "bind mount of / is outside /srv/data; bind mount of /etc is outside /srv/data"
    );
    // Unresolvable sources are refused whatever they say.
    let sneaky = create_with(json!({"Binds": ["/srv/data/nonexistent/../../../etc:/x"]}));
    assert!(!allowed(&p, &sneaky.input()));
}

/// Identity by `input.User`, which dockerd fills only for TLS clients: here it is set as
/// dockerd would for a client certificate with that common name.
#[test]
fn read_only_users() {
    let p = policy("read-only-users.rego", READ_ONLY_USERS);
    let as_user = |req: Req, user: &str| {
        let mut doc = req.input();
        doc["User"] = user.into();
        doc["AuthMethod"] = "TLS".into();
        p.evaluate(&doc).unwrap()
    };
    let list = || Req::new("GET", "/v1.41/containers/json", "");
    assert!(as_user(list(), "alice").allow);
    assert!(as_user(list(), "bob").allow);
    assert!(as_user(create(RUN_RM), "alice").allow);
    let bob = as_user(create(RUN_RM), "bob");
    assert!(!bob.allow);
    assert_eq!(bob.reason.as_deref(), Some("bob may only read"));
    // A Unix-socket client has no TLS user.
    let nobody = p.evaluate(&list().input()).unwrap();
    assert_eq!(nobody.reason.as_deref(), Some("unknown user"));
}

/// The decisions of opa-docker-authz's `TestEvaluate` for its example policy.
#[test]
fn authz_example() {
    let p = policy("authz-example.rego", AUTHZ_EXAMPLE);
    let busybox = |user: &str, version: &str| {
        Req::new(
            "POST",
            &format!("/{version}/containers/create"),
            r#"{"Image": "busybox"}"#,
        )
        .header("authz-user", user)
        .input()
    };
    assert!(allowed(&p, &busybox("alice", "v1.47")));
    assert!(!allowed(&p, &busybox("bob", "v1.23")));
    let get = |user: Option<&str>| {
        let req = Req::new("GET", "/v1.23/containers/json", "");
        match user {
            Some(u) => req.header("authz-user", u).input(),
            None => req.input(),
        }
    };
    assert!(allowed(&p, &get(Some("bob"))));
    assert!(!allowed(&p, &get(None)));
    // seccomp=unconfined (create-dangerous) and a prod label off the prod network.
    let dangerous = create(DANGEROUS).header("authz-user", "alice").input();
    assert!(!allowed(&p, &dangerous));
    let prod = |network: &str| {
        create(
            &json!({"Image": "busybox", "Labels": {"com.example/deployment": "prod"},
                    "HostConfig": {"NetworkMode": network}})
            .to_string(),
        )
        .header("authz-user", "alice")
        .input()
    };
    assert!(!allowed(&p, &prod("default")));
    assert!(allowed(&p, &prod("prod-network")));
}

#[test]
fn sockeye_extensions() {
    let p = policy("sockeye-extensions.rego", EXTENSIONS);
    let stranger = Peer::Unix {
        uid: 1001,
        gid: 1001,
        pid: None,
        process: None,
        exe: None,
    };
    assert!(allowed(
        &p,
        &Req::new("GET", "/v1.41/containers/json", "").input()
    ));
    assert!(allowed(
        &p,
        &Req::new("HEAD", "/_ping", "").by(stranger.clone()).input()
    ));
    assert!(allowed(&p, &create(RUN_RM).input()));
    let outcome = p.evaluate(&create(DANGEROUS).input()).unwrap();
    assert!(!outcome.allow);
    let reason = outcome.reason.unwrap();
    for kind in [
        "privileged is not allowed",
        "host_path is not allowed",
        "capability",
    ] {
        assert!(reason.contains(kind), "{reason}");
    }
    let outcome = p.evaluate(&create(RUN_RM).by(stranger).input()).unwrap();
    assert_eq!(outcome.reason.as_deref(), Some("uid 1001 may only read"));
}

#[test]
fn rego_v0_policies_are_read_as_v0() {
    let p = policy("v0-deny-privileged.rego", V0);
    assert!(p.rego_v0());
    assert!(!policy("allow-all.rego", ALLOW_ALL).rego_v0());
    assert!(allowed(&p, &create(RUN_RM).input()));
    let outcome = p.evaluate(&create(DANGEROUS).input()).unwrap();
    assert_eq!(
        outcome.reason.as_deref(),
        Some("privileged containers are not allowed; the host root may not be mounted")
    );
}

#[test]
fn syntax_errors_are_located() {
    let err = RegoPolicy::from_text(
        "/etc/sockeye/bad.rego",
        "package docker.authz\n\nallow if {\n  input.Method ==\n}\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("/etc/sockeye/bad.rego:5:1: expecting expression\n"),
        "{err}"
    );
    assert!(err.contains("5 | }"), "{err}");
    // Not v1, and not v0 either: the v0 error, saying why it was tried.
    let err = RegoPolicy::from_text(
        "old.rego",
        "package docker.authz\n\nallow {\n  input.x ==\n}\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("old.rego:3:7: expecting } (read as Rego v0, since as v1: old.rego:3:7: `if` keyword is required before rule body)\n"),
        "{err}"
    );
}

#[test]
fn a_policy_without_the_queried_rule_is_refused() {
    let err = RegoPolicy::from_text("other.rego", "package other\n\nallow := true\n").unwrap_err();
    assert_eq!(
        err,
        "other.rego: the policy defines no rule data.docker.authz.allow"
    );
}

#[test]
fn queries() {
    let text = "package my.authz\n\nok if input.Method == \"GET\"\n";
    let p = RegoPolicy::from_text("q.rego", "package docker.authz\n\nallow := true\n").unwrap();
    assert_eq!(p.query(), DEFAULT_QUERY);
    assert_eq!(p.rule(), "rego:q");
    assert_eq!(p.name(), "q.rego");
    let err = RegoPolicy::from_text("q.rego", text).unwrap_err();
    assert!(err.contains("defines no rule data.docker.authz.allow"));
    // Both of opa-docker-authz's spellings of -allowPath.
    for query in ["data.my.authz.ok", "/my/authz/ok"] {
        let p = RegoPolicy::load("q.rego", text, &with_query(query)).unwrap();
        assert_eq!(p.query(), "data.my.authz.ok");
        assert!(allowed(&p, &Req::new("GET", "/v1.41/info", "").input()));
    }
    for bad in [
        "allow",
        "data",
        "data.my.authz.ok == true",
        "data.a..b",
        "x.a",
        "/",
    ] {
        let err = RegoPolicy::load("q.rego", text, &with_query(bad)).unwrap_err();
        assert!(err.contains("is not a rule path"), "{bad}: {err}");
    }
}

/// Conflicting values for a complete rule are an evaluation error in OPA and here: the
/// request is denied with the error.
#[test]
fn runtime_errors_deny() {
    let p = policy(
        "conflict.rego",
        "package docker.authz\n\nallow := true if input.Method == \"GET\"\n\nallow := false if startswith(input.Path, \"/\")\n",
    );
    let doc = Req::new("GET", "/v1.41/info", "").input();
    let err = p.evaluate(&doc).unwrap_err();
    assert!(!err.is_empty());
    let Decision::Deny(denial) = decide_rego(&p, &doc) else {
        panic!("allowed on an error");
    };
    assert_eq!(denial.rule, "rego:conflict");
    assert!(
        denial.reason.starts_with("policy evaluation failed: "),
        "{}",
        denial.reason
    );
    // POST: only one definition holds, no conflict.
    assert!(!allowed(&p, &create(RUN_RM).input()));
    // regorus finds an unknown function only when the call is reached.
    let p = policy(
        "fn.rego",
        "package docker.authz\n\nallow if unknown_fn(1)\n",
    );
    assert_eq!(
        p.evaluate(&doc).unwrap_err(),
        "fn.rego:3:20: could not find function unknown_fn"
    );
}

/// OPA's non-strict built-ins: a type error makes the expression undefined, it does not
/// fail the evaluation. `count(null)` is one, and the CLI sends `"Binds": null`.
#[test]
fn builtin_errors_are_undefined_as_in_opa() {
    let p = policy(
        "count.rego",
        "package docker.authz\n\ndefault allow := false\n\nallow if count(input.Body.HostConfig.Binds) == 0\n",
    );
    let outcome = p.evaluate(&create(RUN_RM).input()).unwrap();
    assert!(!outcome.allow);
    assert!(allowed(&p, &create_with(json!({"Binds": []})).input()));
}

/// Where regorus differs from OPA: `some x in null` fails the evaluation (OPA iterates over
/// nothing). The request is denied, with a hint.
#[test]
fn some_in_null_fails_with_a_hint() {
    let text = "package docker.authz\n\ndefault allow := false\n\nallow if not sys_admin\n\nsys_admin if {\n\tsome cap in input.Body.HostConfig.CapAdd\n\tcap == \"SYS_ADMIN\"\n}\n";
    let p = policy("caps.rego", text);
    let err = p.evaluate(&create(RUN_RM).input()).unwrap_err();
    assert_eq!(
        err,
        "caps.rego:8:38: `some .. in collection` expects array/set/object. Got `null` (OPA iterates over nothing here; write `x := c[_]` instead of `some x in c`)"
    );
    let portable = text.replace(
        "some cap in input.Body.HostConfig.CapAdd",
        "cap := input.Body.HostConfig.CapAdd[_]",
    );
    let p = policy("caps.rego", &portable);
    assert!(allowed(&p, &create(RUN_RM).input()));
    assert!(!allowed(
        &p,
        &create_with(json!({"CapAdd": ["SYS_ADMIN"]})).input()
    ));
}

#[test]
fn answers_that_are_not_booleans() {
    let p = policy("n.rego", "package docker.authz\n\nallow := 1\n");
    let err = p.evaluate(&create(RUN_RM).input()).unwrap_err();
    assert_eq!(
        err,
        "administrative policy decision invalid: data.docker.authz.allow is a number, not a boolean"
    );
    assert!(!decide_rego(&p, &create(RUN_RM).input()).is_allow());
    // Undefined is a plain denial with opa-docker-authz's words.
    let p = policy(
        "u.rego",
        "package docker.authz\n\nallow if input.Method == \"PUT\"\n",
    );
    let Decision::Deny(d) = decide_rego(&p, &create(RUN_RM).input()) else {
        panic!()
    };
    assert_eq!(d.reason, DEFAULT_DENY_REASON);
}

/// A query whose value is `{allow, reason}`.
#[test]
fn object_answers() {
    let text = r#"package docker.authz

decision := {"allow": false, "reason": "creates are off today"} if input.Method == "POST"
decision := {"allow": true} if input.Method == "GET"
decision := {"reason": "no allow member"} if input.Method == "DELETE"
"#;
    let p = RegoPolicy::load("o.rego", text, &with_query("data.docker.authz.decision")).unwrap();
    assert_eq!(
        p.evaluate(&create(RUN_RM).input()).unwrap(),
        RegoOutcome {
            allow: false,
            reason: Some("creates are off today".into())
        }
    );
    assert!(allowed(&p, &Req::new("GET", "/v1.41/info", "").input()));
    assert!(p
        .evaluate(&Req::new("DELETE", "/v1.41/containers/x", "").input())
        .is_err());
    assert!(!allowed(
        &p,
        &Req::new("PUT", "/v1.41/containers/x/archive", "").input()
    ));
}

#[test]
fn ping_is_skipped_as_in_opa_docker_authz() {
    let deny_all = "package docker.authz\n\ndefault allow := false\n";
    let p = policy("deny.rego", deny_all);
    let head = Req::new("HEAD", "/_ping", "").input();
    assert_eq!(
        p.evaluate(&head).unwrap(),
        RegoOutcome {
            allow: true,
            reason: Some("skip-ping".into())
        }
    );
    // Only exactly `HEAD /_ping`.
    for (method, target) in [
        ("GET", "/_ping"),
        ("HEAD", "/v1.41/_ping"),
        ("HEAD", "/_ping?x"),
    ] {
        assert!(
            !allowed(&p, &Req::new(method, target, "").input()),
            "{method} {target}"
        );
    }
    let options = RegoOptions {
        skip_ping: false,
        ..RegoOptions::default()
    };
    let p = RegoPolicy::load("deny.rego", deny_all, &options).unwrap();
    assert!(!allowed(&p, &head));
}

#[test]
fn builtins_policies_use() {
    let text = r#"package docker.authz

allow if {
	regex.match(`^/v\d+\.\d+/containers/\w+$`, input.PathPlain)
	glob.match("/*/containers/*", ["/"], input.PathPlain)
	base64.decode("c29ja2V5ZQ==") == "sockeye"
	base64url.encode("?>") == "Pz4="
	hex.encode("a") == "61"
	time.now_ns() > 0
	time.parse_rfc3339_ns("2026-01-01T00:00:00Z") > 0
	json.unmarshal(input.Query.filters[0]).label[0] == "a=b"
	startswith(input.Headers["User-Agent"], "Docker-Client/")
}
"#;
    let p = policy("builtins.rego", text);
    let req = Req::new(
        "GET",
        "/v1.41/containers/json?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D",
        "",
    );
    assert!(allowed(&p, &req.input()));
}

#[test]
fn concurrent_evaluation() {
    let p = policy("deny-privileged.rego", DENY_PRIVILEGED);
    let good = create(RUN_RM).input();
    let bad = create(DANGEROUS).input();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    assert!(allowed(&p, &good));
                    assert!(!allowed(&p, &bad));
                }
            });
        }
    });
}

/// `cargo test --release --lib policy::rego::tests::timing -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, run by hand in release mode"]
fn timing() {
    const N: u32 = 2000;
    let req = create(DANGEROUS);
    let start = Instant::now();
    for _ in 0..N {
        std::hint::black_box(req.input());
    }
    println!("input(): {:?} per request", start.elapsed() / N);
    let doc = req.input();
    for (name, text) in [
        ("allow-all", ALLOW_ALL),
        ("deny-privileged", DENY_PRIVILEGED),
        ("deny-bind-mounts", DENY_BIND_MOUNTS),
        ("authz-example", AUTHZ_EXAMPLE),
        ("sockeye-extensions", EXTENSIONS),
    ] {
        let p = policy(name, text);
        let start = Instant::now();
        for _ in 0..N {
            std::hint::black_box(p.evaluate(&doc).unwrap());
        }
        println!("{name}: {:?} per evaluation", start.elapsed() / N);
    }
    let small = Req::new("GET", "/v1.41/containers/json", "").input();
    let p = policy("deny-privileged", DENY_PRIVILEGED);
    let start = Instant::now();
    for _ in 0..N {
        std::hint::black_box(p.evaluate(&small).unwrap());
    }
    println!(
        "GET /containers/json, deny-privileged: {:?}",
        start.elapsed() / N
    );
}

#[test]
fn unavailable_builtins_are_refused_at_load() {
    let text = "package docker.authz\n\n# http.send(x) in a comment is fine\nok := \"yaml.marshal(x)\"\n\nallow if {\n\tr := http.send({\"url\": \"http://x\"})\n}\n";
    let err = RegoPolicy::from_text("net.rego", text).unwrap_err();
    assert_eq!(
        err.lines().next().unwrap(),
        "net.rego:7: http.send() is an OPA built-in sockeye does not provide (no network, YAML, JSON schema, JWT, crypto, UUID, semver or URL query functions)"
    );
    for call in ["io.jwt.decode(x)", "uuid.rfc4122(x)", "yaml.unmarshal (x)"] {
        let text = format!("package docker.authz\n\nallow if {{\n\tx := \"a\"\n\t{call}\n}}\n");
        assert!(RegoPolicy::from_text("x.rego", &text).is_err(), "{call}");
    }
    // Every listed name is really missing, and nothing that is there is listed.
    let builtins: Vec<&str> = regorus::unstable::BUILTINS.keys().copied().collect();
    for name in UNAVAILABLE {
        assert!(
            !builtins.iter().any(|b| b.starts_with(name)),
            "{name} is available"
        );
    }
    for name in [
        "walk",
        "net.cidr_contains",
        "time.now_ns",
        "regex.match",
        "glob.match",
    ] {
        assert!(builtins.contains(&name), "{name} is missing");
    }
}
