use super::*;

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
            // A BuildKit build is decided on its query as a classic one.
            ("POST", "/v1.41/build?version=2&session=x", "", OK),
            (
                "POST",
                "/v1.41/build?version=2&session=x&networkmode=host",
                "",
                ESC,
            ),
            // Judged by the target's writable host mounts, which the guard adds from the
            // daemon's state (`docker::state`); the request alone writes nowhere on the host.
            ("PUT", "/v1.41/containers/web/archive?path=/", "", OK),
            (
                "POST",
                "/v1.41/plugins/pull?remote=evil/plugin",
                "[]",
                "deny:no-escape-plugin-install",
            ),
            // The BuildKit tunnels: `/session` carries the client's own files; each call on
            // `/grpc` is decided by the relay on its own facts (`guard::buildkit`).
            ("POST", "/session", "", OK),
            ("POST", "/grpc", "", OK),
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

/// In front of Podman, `podman --remote run --privileged -v /etc:/h …` through
/// `--profile no-escape` made a privileged container with the host's /etc mounted: libpod's
/// own create (`POST /v4.3.1/libpod/containers/create`) is no route of the Docker Engine API,
/// so sockeye read no facts from its body and no-escape's last rule allowed it. A route sockeye
/// cannot read is a door it cannot watch: no-escape refuses it. The Docker-compatible routes
/// Podman also serves are read as dockerd's.
#[test]
fn no_escape_refuses_routes_it_cannot_read_such_as_podmans_libpod_api() {
    const UNKNOWN: &str = "deny:no-escape-unknown";
    // Libpod routes are known endpoints whose bodies sockeye does not read: their own rule.
    const LIBPOD: &str = "deny:no-escape-libpod";
    check_table(
        &profile("no-escape"),
        &[
            (
                "POST",
                "/v4.3.1/libpod/containers/create",
                r#"{"image":"busybox","privileged":true,
                    "mounts":[{"destination":"/h","source":"/etc","type":"bind"}]}"#,
                LIBPOD,
            ),
            ("GET", "/v4.3.1/libpod/_ping", "", LIBPOD),
            ("GET", "/v4.3.1/libpod/containers/json", "", LIBPOD),
            // Not routed by dockerd either (a 404 there).
            ("GET", "/v1.41/CONTAINERS/json", "", UNKNOWN),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"Image":"busybox","HostConfig":{"Privileged":true}}"#,
                "deny:no-escape",
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"Image":"busybox"}"#,
                "allow:no-escape-allow",
            ),
            ("GET", "/_ping", "", "allow:no-escape-allow"),
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

#[test]
fn libpod_calls_are_refused_by_the_profiles_that_inspect_or_list() {
    // sockeye reads no libpod body: a libpod create asking for privileged must not be
    // allowed by no-escape's last rule as an ordinary request would be.
    const LIBPOD: &str = "deny:no-escape-libpod";
    check_table(
        &profile("no-escape"),
        &[
            (
                "POST",
                "/v4.3.1/libpod/containers/create",
                r#"{"image":"alpine","privileged":true}"#,
                LIBPOD,
            ),
            ("POST", "/v4.3.1/libpod/containers/web/start", "", LIBPOD),
            ("POST", "/v5.0.0-dev/libpod/kube/play", "", LIBPOD),
            ("GET", "/v4.3.1/libpod/containers/json", "", LIBPOD),
            ("GET", "/libpod/_ping", "", LIBPOD),
            // The Docker-compatible routes Podman serves are read as dockerd's, behind
            // Podman's own version prefix too.
            (
                "POST",
                "/v4.3.0-dev/containers/create",
                r#"{"Image":"alpine","HostConfig":{"Privileged":true}}"#,
                "deny:no-escape",
            ),
            (
                "POST",
                "/v1.41/containers/create",
                r#"{"Image":"alpine"}"#,
                "allow:no-escape-allow",
            ),
        ],
    );
    check_table(
        &profile("read-only"),
        &[
            (
                "GET",
                "/v4.3.1/libpod/containers/json",
                "",
                "deny:read-only-deny",
            ),
            (
                "POST",
                "/v4.3.1/libpod/containers/create",
                "{}",
                "deny:read-only-deny",
            ),
        ],
    );
    check_table(
        &profile("full"),
        &[(
            "POST",
            "/v4.3.1/libpod/containers/create",
            "{}",
            "allow:full",
        )],
    );
}
