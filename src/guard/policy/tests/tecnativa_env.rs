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
