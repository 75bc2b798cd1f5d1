use super::*;

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
         \x20 no-escape-libpod (profile no-escape, deny): no, request.section: containers not listed\n\
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

#[test]
fn annotations_are_a_map_tested_by_its_keys_like_sysctls() {
    let p = Policy::from_toml(
        r#"
version = 1
default = "allow"
[[rules]]
name = "no-kata-config"
action = "deny"
reason = "Kata reads host paths from these"
request.endpoint = ["ContainerCreate"]
body.annotations = { any_of = ["io.katacontainers.*"] }
"#,
    )
    .unwrap();
    check_table(
        &p,
        &[
            (
                "POST",
                "/v1.43/containers/create",
                r#"{"HostConfig":{"Annotations":{"io.katacontainers.config.hypervisor.kernel":"/k"}}}"#,
                "deny:no-kata-config",
            ),
            (
                "POST",
                "/v1.43/containers/create",
                r#"{"HostConfig":{"Annotations":{"com.example.team":"io.katacontainers.x"}}}"#,
                "allow:default",
            ),
        ],
    );
}

#[test]
fn annotation_keys_are_not_paths() {
    let lines = error_lines(
        r#"
version = 1
[[rules]]
name = "x"
action = "allow"
body.annotations = { within = ["/srv"] }
"#,
    );
    assert_eq!(
        lines,
        ["rules[0].body.annotations.within: a map's keys are not paths"]
    );
}

#[test]
fn a_default_denial_names_the_callers_rule_for_that_call_and_the_body_condition_it_failed() {
    // What `policy learn` writes for a client that ran containers: a ContainerCreate rule
    // whose body conditions keep a privileged run out.
    let p = Policy::from_toml(
        r#"
version = 1
default = "deny"
[[rules]]
name = "uid0-docker"
action = "allow"
client.uid = [0]
request.endpoint = ["SystemPingHead"]
[[rules]]
name = "ops-ContainerCreate"
action = "allow"
client.uid = [7]
request.endpoint = ["ContainerCreate"]
body.privileged = true
[[rules]]
name = "uid0-docker-ContainerCreate"
action = "allow"
client.uid = [0]
request.endpoint = ["ContainerCreate"]
body.privileged = false
"#,
    )
    .unwrap();
    let create = |body| Req::new("POST", "/v1.41/containers/create", body).by(unix(0, "docker"));
    let denied = |req: &Req| match p.decide(&req.rf()) {
        Decision::Deny(d) => d.to_string(),
        Decision::Allow(permit) => panic!("allowed by {}", permit.rule()),
    };
    assert_eq!(
        denied(&create(r#"{"Image":"x","HostConfig":{"Privileged":true}}"#)),
        "denied by rule default: no rule allows ContainerCreate (closest: rule \
         uid0-docker-ContainerCreate, which failed on body.privileged: is true)"
    );
    // Another caller's rule for the same call is never named to this one: uid 1000 has no
    // ContainerCreate rule of its own, and learns nothing about uid 0's or uid 7's.
    let other = Req::new(
        "POST",
        "/v1.41/containers/create",
        r#"{"Image":"x","HostConfig":{"Privileged":true}}"#,
    )
    .by(unix(1000, "docker"));
    assert_eq!(
        denied(&other),
        "denied by rule default: no rule allows ContainerCreate"
    );
    // A call no rule is about is denied as before.
    let list = Req::new("GET", "/containers/json", "").by(unix(0, "docker"));
    assert_eq!(
        denied(&list),
        "denied by rule default: no rule allows ContainerList"
    );
}
