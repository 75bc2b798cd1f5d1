use super::*;

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
