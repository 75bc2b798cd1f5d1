use super::*;

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
            ("GET", "/debug/pprof/", "", "deny:tecnativa-deny"),
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
        "denied by rule tecnativa-post: forbidden: POST=0 lets only GET and HEAD requests \
         through"
    );
}

#[test]
fn tecnativa_post_opens_every_method_in_enabled_sections_but_exec_creation_kill_and_delete() {
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
            // Tecnativa #114: exec creation lives under /containers; their newest template
            // (PR #176) denies it, kill and delete unless ALLOW_EXEC, ALLOW_KILL, ALLOW_DELETE.
            (
                "POST",
                "/containers/web/exec",
                r#"{"Cmd":["sh"]}"#,
                "deny:tecnativa-allow-exec",
            ),
            (
                "POST",
                "/containers/web/kill",
                "",
                "deny:tecnativa-allow-kill",
            ),
            (
                "DELETE",
                "/containers/web",
                "",
                "deny:tecnativa-allow-delete",
            ),
            (
                "POST",
                "/containers/web/rename?name=x",
                "",
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
        verdict(&p, &Req::new("POST", "/containers/web/restart", "")),
        "deny:tecnativa-containers"
    );
    let p = env(&[("ALLOW_RESTARTS", "1"), ("POST", "1")]).unwrap();
    assert_eq!(
        verdict(&p, &Req::new("POST", "/containers/web/restart", "")),
        "allow:tecnativa-allow-restarts"
    );
    // Their deny of kill comes before the toggles: ALLOW_RESTARTS no longer opens it.
    assert_eq!(
        verdict(&p, &Req::new("POST", "/containers/web/kill", "")),
        "deny:tecnativa-allow-kill"
    );
    let p = env(&[("ALLOW_RESTARTS", "1"), ("ALLOW_KILL", "1"), ("POST", "1")]).unwrap();
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
fn tecnativa_values_it_would_misread_and_unreleased_variables_are_errors() {
    let errs = env(&[
        ("CONTAINERS", "true"),
        ("IMAGES", "yes"),
        ("ALLOW_ATTACH", "0"),
        ("LOG_LEVEL", "debug"),
    ])
    .unwrap_err();
    let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "ALLOW_ATTACH: not read by tecnativa's docker-socket-proxy (another image's or an \
             unreleased template's variable); write a policy file for this instead",
            "CONTAINERS: \"true\" is not 0 or 1",
            "IMAGES: \"yes\" is not 0 or 1",
        ]
    );
}

#[test]
fn tecnativa_newest_variables_allow_exec_kill_and_delete_were_refused_as_unknown() {
    let p = env(&[
        ("CONTAINERS", "1"),
        ("POST", "1"),
        ("ALLOW_EXEC", "1"),
        ("ALLOW_KILL", "1"),
        ("ALLOW_DELETE", "1"),
    ])
    .unwrap();
    check_table(
        &p,
        &[
            (
                "POST",
                "/containers/web/exec",
                r#"{"Cmd":["sh"]}"#,
                "allow:tecnativa-containers",
            ),
            (
                "POST",
                "/containers/web/kill",
                "",
                "allow:tecnativa-containers",
            ),
            (
                "DELETE",
                "/containers/web",
                "",
                "allow:tecnativa-containers",
            ),
        ],
    );
    // Without POST the method gate still comes first.
    let p = env(&[("CONTAINERS", "1"), ("ALLOW_DELETE", "1")]).unwrap();
    assert_eq!(
        verdict(&p, &Req::new("DELETE", "/containers/web", "")),
        "deny:tecnativa-post"
    );
}

#[test]
fn every_refusal_says_forbidden_which_their_test_suite_counts() {
    let p = env(&[("CONTAINERS", "1")]).unwrap();
    for (method, path, body) in [
        ("POST", "/containers/create", "{}"),
        ("GET", "/info", ""),
        ("GET", "/debug/pprof/", ""),
        ("GET", "/nonsense", ""),
    ] {
        let Decision::Deny(d) = p.decide(&Req::new(method, path, body).rf()) else {
            panic!("{method} {path} allowed")
        };
        assert!(d.to_string().contains("forbidden"), "{d}");
    }
}

#[test]
fn linuxserver_toggles_work_without_post_and_its_deny_toggles_close_container_reads() {
    // A variable only linuxserver reads picks its meaning; so does SOCKEYE_COMPAT.
    for vars in [
        vec![
            ("CONTAINERS", "1"),
            ("ALLOW_START", "1"),
            ("ALLOW_LOGS", "0"),
        ],
        vec![
            ("CONTAINERS", "1"),
            ("ALLOW_START", "1"),
            ("SOCKEYE_COMPAT", "linuxserver"),
        ],
    ] {
        let p = env(&vars).unwrap();
        check_table(
            &p,
            &[
                (
                    "POST",
                    "/containers/web/start",
                    "",
                    "allow:linuxserver-allow-start",
                ),
                ("POST", "/containers/web/stop", "", "deny:linuxserver-post"),
                (
                    "GET",
                    "/containers/web/logs?stdout=1",
                    "",
                    "deny:linuxserver-allow-logs",
                ),
                (
                    "GET",
                    "/containers/web/archive?path=/",
                    "",
                    "deny:linuxserver-allow-archive",
                ),
                (
                    "GET",
                    "/containers/web/top",
                    "",
                    "deny:linuxserver-allow-top",
                ),
                (
                    "GET",
                    "/containers/web/json",
                    "",
                    "allow:linuxserver-containers",
                ),
            ],
        );
    }
    let p = env(&[("CONTAINERS", "1"), ("ALLOW_LOGS", "1")]).unwrap();
    assert_eq!(
        verdict(&p, &Req::new("GET", "/containers/web/logs", "")),
        "allow:linuxserver-containers"
    );
}

#[test]
fn linuxserver_libpod_sections_are_read_and_tecnativa_only_variables_refused() {
    let (_, exposure) = Policy::from_socket_proxy_env(
        [("LIBPOD_CONTAINERS", "1"), ("CONTAINERS", "1")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .unwrap();
    assert_eq!(exposure.flavor, Flavor::Linuxserver);
    assert_eq!(
        exposure.describe(),
        "sections CONTAINERS, EVENTS, PING, VERSION; POST=0 (GET and \
         HEAD only); LIBPOD_CONTAINERS ignored: a Docker daemon serves no /libpod API"
    );
    let errs = env(&[("LIBPOD_PING", "1"), ("ALLOW_EXEC", "1")]).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(errs[0]
        .to_string()
        .starts_with("ALLOW_EXEC: not read by linuxserver's"));
    let errs = env(&[("SOCKEYE_COMPAT", "haproxy")]).unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "SOCKEYE_COMPAT: \"haproxy\" is not tecnativa or linuxserver"
    );
}
