//! The curl script: quoting, bodies, streams, and replaying what the daemon created.

use super::*;
use crate::see::export::tests::{call, docker_ps_a};
use bytes::Bytes;
use std::time::Duration;

fn unix(path: &str) -> Daemon {
    Daemon::Unix(path.into())
}

#[test]
fn docker_ps_a_becomes_two_curl_lines_against_the_given_socket() {
    let script = curl_script(&docker_ps_a(), &unix("/var/run/docker.sock"));
    assert_eq!(
        script,
        "#!/bin/sh\n\
         # 2 Docker Engine API calls recorded by sockeye, replayed with curl.\n\
         # Headers and bodies are as recorded: what sockeye redacted stays redacted, so calls\n\
         # that carried credentials will not authenticate as they did.\n\
         sock='/var/run/docker.sock'\n\
         \n\
         # 1. 2026-11-22T19:40:58.153Z HEAD /_ping -> 200 in 2 ms\n\
         curl --unix-socket \"$sock\" -sS --head -H 'User-Agent: Docker-Client/28.2.2 (linux)' 'http://docker/_ping'\n\
         \n\
         # 2. 2026-11-22T19:40:58.154Z GET /v1.41/containers/json?all=1 -> 200 in 2 ms\n\
         curl --unix-socket \"$sock\" -sS -X GET -H 'User-Agent: Docker-Client/28.2.2 (linux)' 'http://docker/v1.41/containers/json?all=1'\n"
    );
}

#[test]
fn a_body_with_a_single_quote_survives_sh_quoting() {
    let mut c = call("POST", "/v1.41/containers/create?name=q", 201);
    let body = r#"{"Image":"busybox","Cmd":["sh","-c","echo it's ok"]}"#;
    c.request_headers
        .push(("Content-Type".into(), "application/json".into()));
    c.request_headers
        .push(("Content-Length".into(), body.len().to_string()));
    c.request_body = Some(Bytes::from(body));
    c.request_body_size = body.len() as u64;
    let script = curl_script(&[c], &unix("/tmp/s'ock"));
    assert!(script.contains("sock='/tmp/s'\\''ock'\n"), "{script}");
    assert!(
        script.contains(
            r#" -H 'Content-Type: application/json' --data-binary '{"Image":"busybox","Cmd":["sh","-c","echo it'\''s ok"]}' 'http://docker/v1.41/containers/create?name=q'"#
        ),
        "{script}"
    );
    assert!(!script.contains("Content-Length"), "curl sets its own");
}

#[test]
fn a_body_starting_with_at_is_not_read_as_a_file_name() {
    let mut c = call("POST", "/v1.41/auth", 200);
    c.request_headers
        .push(("Content-Type".into(), "application/json".into()));
    c.request_body = Some(Bytes::from_static(b"@/etc/shadow"));
    c.request_body_size = 12;
    let script = curl_script(&[c], &unix("/s"));
    assert!(
        script.contains("printf '%s' '@/etc/shadow' | curl --unix-socket \"$sock\" -sS -X POST"),
        "{script}"
    );
    assert!(script.contains("--data-binary @- 'http://docker/v1.41/auth'"));
}

/// `docker exec probe-x echo hi`: the exec's ID comes from the exec-create answer.
fn docker_exec(attach_stdin: bool) -> Vec<Exchange> {
    let exec_id = "706048e3ecbc5c7f1c2b2b8e0e5d9a8b6f0e4c3d2a1b0c9d8e7f6a5b4c3d2e1f";
    let mut create = call("POST", "/v1.41/containers/probe-x/exec", 201);
    create
        .request_headers
        .push(("Content-Type".into(), "application/json".into()));
    let body = format!(
        "{{\"User\":\"\",\"AttachStdin\":{attach_stdin},\"AttachStderr\":true,\"AttachStdout\":true,\"Cmd\":[\"echo\",\"hi\"]}}\n"
    );
    create.request_body_size = body.len() as u64;
    create.request_body = Some(Bytes::from(body));
    create.response_body = Some(Bytes::from(format!("{{\"Id\":\"{exec_id}\"}}\n")));
    let mut start = call("POST", &format!("/v1.41/exec/{exec_id}/start"), 101);
    start.request_headers.extend([
        ("Connection".into(), "Upgrade".into()),
        ("Content-Type".into(), "application/json".into()),
        ("Upgrade".into(), "tcp".into()),
    ]);
    start.request_body = Some(Bytes::from_static(b"{\"Detach\":false,\"Tty\":false}\n"));
    start.request_body_size = 29;
    start.hijacked = true;
    let inspect = call("GET", &format!("/v1.41/exec/{exec_id}/json"), 200);
    vec![create, start, inspect]
}

#[test]
fn an_exec_replays_on_the_exec_its_own_create_made() {
    let script = curl_script(&docker_exec(false), &unix("/s"));
    let tail: Vec<&str> = script
        .lines()
        .skip_while(|l| !l.starts_with("# 1."))
        .collect();
    assert_eq!(
        tail,
        [
            "# 1. 2026-11-22T19:40:58.153Z POST /v1.41/containers/probe-x/exec -> 201 in 2 ms",
            "answer=$(curl --unix-socket \"$sock\" -sS -X POST -H 'User-Agent: Docker-Client/28.2.2 (linux)' \
             -H 'Content-Type: application/json' --data-binary '{\"User\":\"\",\"AttachStdin\":false,\"AttachStderr\":true,\
             \"AttachStdout\":true,\"Cmd\":[\"echo\",\"hi\"]}",
            "' 'http://docker/v1.41/containers/probe-x/exec')",
            "printf '%s\\n' \"$answer\"",
            "exec_1=$(id_of \"$answer\")",
            "",
            "# 2. 2026-11-22T19:40:58.153Z POST /v1.41/exec/706048e3ecbc5c7f1c2b2b8e0e5d9a8b6f0e4c3d2a1b0c9d8e7f6a5b4c3d2e1f/start -> 101 in 2 ms",
            "# hijacked: replayed without the upgrade, dockerd streams the output (multiplexed with \
             8-byte frame headers unless there is a TTY) until it ends",
            "curl --unix-socket \"$sock\" -sS -X POST -H 'User-Agent: Docker-Client/28.2.2 (linux)' \
             -H 'Content-Type: application/json' --data-binary '{\"Detach\":false,\"Tty\":false}",
            "' -N -o - 'http://docker/v1.41/exec/'\"$exec_1\"'/start'",
            "",
            "# 3. 2026-11-22T19:40:58.153Z GET /v1.41/exec/706048e3ecbc5c7f1c2b2b8e0e5d9a8b6f0e4c3d2a1b0c9d8e7f6a5b4c3d2e1f/json -> 200 in 2 ms",
            "curl --unix-socket \"$sock\" -sS -X GET -H 'User-Agent: Docker-Client/28.2.2 (linux)' \
             'http://docker/v1.41/exec/'\"$exec_1\"'/json'",
        ]
    );
    assert!(script.contains("\nid_of() {"), "{script}");
}

#[test]
fn hijacked_calls_that_need_stdin_are_commented_out_with_the_reason() {
    // `docker exec -i`: the exec reads stdin, which was not recorded.
    let script = curl_script(&docker_exec(true), &unix("/s"));
    assert!(
        script.contains("\n# hijacked: after the 101 the connection carried a raw stream"),
        "{script}"
    );
    assert!(
        script.contains("\n# curl --unix-socket \"$sock\" -sS -X POST"),
        "{script}"
    );
    // `docker run -i` attaches stdin; BuildKit's session is a protocol of its own.
    let mut attach = call(
        "POST",
        "/v1.41/containers/c/attach?stdin=1&stream=1&stdout=1",
        101,
    );
    attach.hijacked = true;
    let mut session = call("POST", "/session", 101);
    session.hijacked = true;
    let script = curl_script(&[attach, session], &unix("/s"));
    assert!(!script.lines().any(|l| l.starts_with("curl")), "{script}");
}

#[test]
fn docker_run_replays_on_the_container_its_own_create_made() {
    let id = "d2d49cdd9fd6a8d2b3c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a";
    let mut create = call("POST", "/v1.41/containers/create", 201);
    create
        .request_headers
        .push(("Content-Type".into(), "application/json".into()));
    let body = "{\"Image\":\"busybox\",\"Cmd\":[\"echo\",\"hi\"]}\n";
    create.request_body = Some(Bytes::from(body));
    create.request_body_size = body.len() as u64;
    create.response_body = Some(Bytes::from(format!(
        "{{\"Id\":\"{id}\",\"Warnings\":[]}}\n"
    )));
    let mut attach = call(
        "POST",
        &format!("/v1.41/containers/{id}/attach?stderr=1&stdout=1&stream=1"),
        101,
    );
    attach.hijacked = true;
    let wait = call(
        "POST",
        &format!("/v1.41/containers/{id}/wait?condition=removed"),
        200,
    );
    let start = call("POST", &format!("/v1.41/containers/{id}/start"), 204);
    let script = curl_script(&[create, attach, wait, start], &unix("/s"));
    let cmds: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("curl") || l.starts_with("answer=") || l.contains("=$(id_of"))
        .collect();
    assert_eq!(cmds.len(), 5, "{script}");
    assert!(cmds[0].starts_with("answer=$(curl "), "{script}");
    assert_eq!(cmds[1], "container_1=$(id_of \"$answer\")");
    assert!(
        cmds[2].ends_with(" -D \"$heads_2\" -N -o - 'http://docker/v1.41/containers/'\"$container_1\"'/attach?stderr=1&stdout=1&stream=1' &"),
        "{script}"
    );
    // The start waits until the attach is in place, as the CLI's does.
    assert!(
        script.contains("\nheads_2=$(mktemp)\ncurl --unix-socket \"$sock\" -sS -X POST"),
        "{script}"
    );
    assert!(
        script.contains(
            " &\nuntil [ -s \"$heads_2\" ] || ! kill -0 $! 2>/dev/null; do sleep 0.1; done\n\
             rm -f \"$heads_2\"\n"
        ),
        "{script}"
    );
    assert!(
        cmds[3].ends_with(
            " 'http://docker/v1.41/containers/'\"$container_1\"'/wait?condition=removed' &"
        ),
        "{script}"
    );
    assert!(
        cmds[4].ends_with(" 'http://docker/v1.41/containers/'\"$container_1\"'/start'"),
        "{script}"
    );
    // Only the comments keep the recorded ID.
    assert!(
        !script
            .lines()
            .any(|l| !l.starts_with('#') && l.contains(id)),
        "{script}"
    );
    assert!(script.ends_with("\nwait\n"));
}

#[test]
fn a_tcp_daemon_is_reached_by_its_url() {
    let script = curl_script(&docker_ps_a(), &Daemon::Tcp("127.0.0.1:2375".into()));
    assert!(
        script.contains("\nurl='http://127.0.0.1:2375'\n"),
        "{script}"
    );
    assert!(
        script.contains("\ncurl -sS -X GET -H 'User-Agent: Docker-Client/28.2.2 (linux)' \"$url\"'/v1.41/containers/json?all=1'\n"),
        "{script}"
    );
    assert!(!script.contains("unix-socket"), "{script}");
}

#[test]
fn binary_and_uncaptured_bodies_are_described_not_sent() {
    // trace cp-to: a tar labelled text/plain, chunked.
    let mut put = call(
        "PUT",
        "/v1.41/containers/probe-x/archive?noOverwriteDirNonDir=true&path=%2Fetc",
        200,
    );
    put.request_headers.extend([
        ("Transfer-Encoding".into(), "chunked".into()),
        ("Content-Type".into(), "text/plain".into()),
    ]);
    put.request_body = Some(Bytes::from_static(b"hostfile.txt\0\0\0"));
    put.request_body_size = 2048;
    let mut load = call("POST", "/v1.41/images/load?quiet=1", 200);
    load.request_body = None;
    load.request_body_size = 1_704_200;
    let mut bin = call("POST", "/v1.41/build", 200);
    bin.request_body = Some(Bytes::from_static(b"\x1f\x8b\x08\0"));
    bin.request_body_size = 4;
    let script = curl_script(&[put, load, bin], &unix("/s"));
    for want in [
        "# request body not included: only 15 of 2048 bytes were captured; save it as request-1.body to replay",
        "# request body not included: 1704200 bytes, not captured; save it as request-2.body to replay",
        "# request body not included: 4 bytes of binary data; save it as request-3.body to replay",
        "# curl --unix-socket \"$sock\" -sS -X POST -H 'User-Agent: Docker-Client/28.2.2 (linux)' -H 'Content-Type:' --data-binary @request-3.body 'http://docker/v1.41/build'",
    ] {
        assert!(script.contains(want), "missing {want:?} in\n{script}");
    }
    assert!(!script.contains("chunked"));
    assert!(!script.lines().any(|l| l.starts_with("curl")), "{script}");
}

#[test]
fn docker_run_waits_in_the_background_and_endless_streams_get_a_time_limit() {
    // trace run-rm: the CLI opens `wait` before `start`; replayed in order it would block.
    let wait = call(
        "POST",
        "/v1.41/containers/d2d49cdd9fd6/wait?condition=removed",
        200,
    );
    let start = call("POST", "/v1.41/containers/d2d49cdd9fd6/start", 204);
    let mut events = call("GET", "/v1.41/events", 200);
    events.duration = Duration::from_millis(2_980);
    let bounded = call("GET", "/v1.41/events?until=1795376480", 200);
    let mut logs = call("GET", "/v1.41/containers/x/logs?follow=1&stdout=1", 200);
    logs.duration = Duration::from_secs(3);
    let stats = call("GET", "/v1.41/containers/x/stats?stream=0", 200);
    let script = curl_script(&[wait, start, events, bounded, logs, stats], &unix("/s"));
    let cmds: Vec<&str> = script.lines().filter(|l| l.starts_with("curl")).collect();
    assert!(
        cmds[0].ends_with("/wait?condition=removed' &"),
        "{}",
        cmds[0]
    );
    assert!(!cmds[1].ends_with('&'));
    assert!(
        cmds[2].contains(" --max-time 4 'http://docker/v1.41/events'"),
        "{}",
        cmds[2]
    );
    assert!(!cmds[3].contains("--max-time"));
    assert!(cmds[4].contains(" --max-time 4 "), "{}", cmds[4]);
    assert!(!cmds[5].contains("--max-time"));
    assert!(script.ends_with("\nwait\n"));
}

#[test]
fn paths_and_queries_go_out_exactly_as_recorded() {
    let traversal = call("GET", "/v1.41/containers/../../info", 301);
    let filters = call(
        "GET",
        r#"/v1.41/containers/json?filters={"label":["a"]}"#,
        200,
    );
    let export = call("GET", "/v1.41/containers/probe-x/export", 200);
    let script = curl_script(&[traversal, filters, export], &unix("/s"));
    let cmds: Vec<&str> = script.lines().filter(|l| l.starts_with("curl")).collect();
    assert!(cmds[0].contains(" --path-as-is "), "{}", cmds[0]);
    assert!(cmds[1].contains(" -g "), "{}", cmds[1]);
    assert!(cmds[2].contains(" -o 'response-3.tar' "), "{}", cmds[2]);
}

#[test]
fn empty_headers_and_odd_methods_keep_their_meaning_in_curl() {
    let mut c = call("OPTIONS", "/_ping", 200);
    c.request_headers = vec![("X-Empty".into(), String::new())];
    let mut odd = call("G$T", "/_ping", 404);
    odd.status = None;
    let script = curl_script(&[c, odd], &unix("/s"));
    assert!(script.contains("-X OPTIONS -H 'X-Empty;' "), "{script}");
    assert!(script.contains("-X 'G$T' "), "{script}");
    assert!(script.contains("G$T /_ping -> no response"), "{script}");
}
