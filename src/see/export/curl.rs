//! A POSIX sh script of curl commands that replays recorded calls against a socket.

use std::fmt::Write;

use crate::docker::endpoint::{classify, Operation, Streaming};
use crate::see::decode::escape;

use super::{bool_value, header, query_pairs, Exchange};

/// Bodies up to this size go on the command line; larger ones through `printf | curl
/// --data-binary @-`, since Linux caps one exec argument at 128 KiB (printf is a builtin).
const MAX_INLINE: usize = 64 * 1024;

/// Headers curl writes itself from its own framing; copying the recorded ones would
/// contradict it (a stale Content-Length, a chunked body curl does not send).
const TRANSPORT: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "keep-alive",
    "te",
    "trailer",
    "proxy-connection",
    "expect",
];

/// `calls` as `curl --unix-socket "$sock" -sS -X METHOD -H … 'http://docker/PATH?QUERY'`
/// lines, in order, one commented paragraph each, with `sock` set to `socket` at the top.
///
/// Calls that curl cannot replay faithfully are commented out with the reason: hijacked
/// streams, and bodies that were not captured whole or are binary (their size is given).
/// Long polls (`wait`) run in the background as the CLI runs them, so a later `start` is
/// not blocked; endless streams (events, `logs -f`, streamed stats) stop after the time
/// they ran when recorded.
pub fn curl_script(calls: &[Exchange], socket: &str) -> String {
    let mut s = String::from("#!/bin/sh\n");
    let _ = writeln!(
        s,
        "# {} Docker Engine API call{} recorded by sockeye, replayed with curl.",
        calls.len(),
        if calls.len() == 1 { "" } else { "s" }
    );
    s.push_str(
        "# Headers and bodies are as recorded: what sockeye redacted stays redacted, so calls\n\
         # that carried credentials will not authenticate as they did.\n",
    );
    let _ = writeln!(s, "sock={}", quote(socket));
    let mut background = false;
    for (i, call) in calls.iter().enumerate() {
        s.push('\n');
        background |= command(&mut s, i + 1, call);
    }
    if background {
        s.push_str("\n# Collect the long polls started in the background.\nwait\n");
    }
    s
}

/// Appends one call's paragraph; true if it was sent to the background.
fn command(s: &mut String, n: usize, call: &Exchange) -> bool {
    let op = classify(&call.method, call.path()).operation();
    let outcome = match call.status {
        Some(status) => format!("{status} in {} ms", call.duration.as_millis()),
        None => "no response".to_owned(),
    };
    let _ = writeln!(
        s,
        "# {n}. {} {} {} -> {outcome}",
        crate::docker::time::rfc3339_millis(call.started),
        escape(call.method.as_bytes()),
        escape(call.target.as_bytes()),
    );

    let mut why_not: Vec<String> = Vec::new();
    let mut args: Vec<String> = vec!["curl --unix-socket \"$sock\" -sS".into()];
    if has_dot_segment(call.path()) {
        // curl would resolve `/../` itself and send a different path than was recorded.
        args.push("--path-as-is".into());
    }
    if call.target.contains(['[', ']', '{', '}']) {
        // Unencoded brackets (raw filters JSON) would be read as curl URL globs.
        args.push("-g".into());
    }
    if call.method.eq_ignore_ascii_case("HEAD") {
        // `-X HEAD` would make curl wait for a body that never comes.
        args.push("--head".into());
    } else {
        args.push(format!("-X {}", word(&call.method)));
    }
    for (k, v) in &call.request_headers {
        if TRANSPORT.iter().any(|t| k.eq_ignore_ascii_case(t)) {
            continue;
        }
        // `-H 'K:'` would delete the header; `K;` is curl's spelling for an empty one.
        let h = if v.is_empty() {
            format!("{k};")
        } else {
            format!("{k}: {v}")
        };
        args.push(format!("-H {}", quote(&h)));
    }

    let mut stdin = None;
    let size = call.request_body_size;
    let captured = call.request_body.as_deref().unwrap_or_default();
    if size > 0 || !captured.is_empty() {
        let ct = header(&call.request_headers, "content-type");
        if ct.is_none() {
            // Otherwise curl labels the body application/x-www-form-urlencoded.
            args.push("-H 'Content-Type:'".into());
        }
        match (&call.request_body, std::str::from_utf8(captured)) {
            (Some(_), Ok(text)) if captured.len() as u64 >= size && shows_as_text(text) => {
                // `--data-binary @x` reads the file x: a body starting with @ goes via stdin.
                if text.len() > MAX_INLINE || text.starts_with('@') {
                    stdin = Some(quote(text));
                    args.push("--data-binary @-".into());
                } else {
                    args.push(format!("--data-binary {}", quote(text)));
                }
            }
            (body, _) => {
                let what = match body {
                    None => format!("{size} bytes, not captured"),
                    Some(b) if (b.len() as u64) < size => {
                        format!("only {} of {size} bytes were captured", b.len())
                    }
                    Some(_) => format!(
                        "{} bytes of binary data{}",
                        size.max(captured.len() as u64),
                        ct.map(|c| format!(" ({})", escape(c.as_bytes())))
                            .unwrap_or_default()
                    ),
                };
                why_not.push(format!(
                    "request body not included: {what}; save it as request-{n}.body to replay"
                ));
                args.push(format!("--data-binary @request-{n}.body"));
            }
        }
    }
    if call.hijacked {
        why_not.push(
            "hijacked: after the 101 the connection carried a raw stream, which curl cannot replay"
                .into(),
        );
    }

    let streaming = op.map(Operation::streaming);
    if let Some(secs) = endless(op, call) {
        args.push(format!("--max-time {secs}"));
    }
    if streaming == Some(Streaming::TarResponse) && call.status.is_some_and(|s| s < 300) {
        args.push(format!("-o {}", quote(&format!("response-{n}.tar"))));
    }
    args.push(quote(&format!("http://docker{}", url_path(&call.target))));

    let mut line = String::new();
    if let Some(body) = stdin {
        let _ = write!(line, "printf '%s' {body} | ");
    }
    line.push_str(&args.join(" "));
    let background = why_not.is_empty() && streaming == Some(Streaming::LongPoll);
    if background {
        s.push_str("# long poll: runs in the background, as the CLI runs it\n");
        line.push_str(" &");
    }
    if why_not.is_empty() {
        s.push_str(&line);
        s.push('\n');
    } else {
        for reason in &why_not {
            let _ = writeln!(s, "# {reason}");
        }
        for l in line.split('\n') {
            let _ = writeln!(s, "# {l}");
        }
    }
    background
}

/// Seconds to let a stream run that would otherwise never end: the recorded duration,
/// rounded up, plus one.
fn endless(op: Option<Operation>, call: &Exchange) -> Option<u64> {
    let q = query_pairs(call.query());
    let get = |k: &str| {
        q.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    let endless = match op? {
        Operation::SystemEvents => get("until").is_none_or(str::is_empty),
        Operation::ContainerLogs | Operation::ServiceLogs | Operation::TaskLogs => {
            get("follow").is_some_and(bool_value)
        }
        Operation::ContainerStats => get("stream").is_none_or(bool_value),
        _ => false,
    };
    endless.then(|| call.duration.as_secs() + u64::from(call.duration.subsec_nanos() > 0) + 1)
}

fn url_path(target: &str) -> String {
    if target.starts_with('/') {
        target.to_owned()
    } else {
        format!("/{target}")
    }
}

fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|seg| seg == "." || seg == "..")
}

/// Text that reads the same in a terminal or editor as it will be sent: no control
/// characters but newline and tab, nothing invisible or reordering.
fn shows_as_text(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\n' | '\t' | '\r') || !(c.is_control() || crate::see::decode::hides_text(c))
    })
}

/// One sh word, in single quotes: nothing inside is special but `'` itself.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A word that needs no quotes stays bare (`-X GET`), anything else is quoted.
fn word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        s.to_owned()
    } else {
        quote(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::see::export::tests::{call, docker_ps_a};
    use bytes::Bytes;
    use std::time::Duration;

    #[test]
    fn docker_ps_a_becomes_two_curl_lines_against_the_given_socket() {
        let script = curl_script(&docker_ps_a(), "/var/run/docker.sock");
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
        let script = curl_script(&[c], "/tmp/s'ock");
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
        let script = curl_script(&[c], "/s");
        assert!(
            script
                .contains("printf '%s' '@/etc/shadow' | curl --unix-socket \"$sock\" -sS -X POST"),
            "{script}"
        );
        assert!(script.contains("--data-binary @- 'http://docker/v1.41/auth'"));
    }

    #[test]
    fn a_hijacked_exec_start_is_commented_out_with_the_reason() {
        // trace exec: `POST /exec/{id}/start` with `{"Detach":false,"Tty":false}`, 101.
        let mut c = call("POST", "/v1.41/exec/706048e3ecbc/start", 101);
        c.request_headers.extend([
            ("Connection".into(), "Upgrade".into()),
            ("Content-Type".into(), "application/json".into()),
            ("Upgrade".into(), "tcp".into()),
        ]);
        c.request_body = Some(Bytes::from_static(br#"{"Detach":false,"Tty":false}"#));
        c.request_body_size = 28;
        c.hijacked = true;
        let script = curl_script(&[c], "/s");
        let tail: Vec<&str> = script.lines().skip(7).collect();
        assert_eq!(
            tail,
            [
                "# hijacked: after the 101 the connection carried a raw stream, which curl cannot replay",
                "# curl --unix-socket \"$sock\" -sS -X POST -H 'User-Agent: Docker-Client/28.2.2 (linux)' \
                 -H 'Content-Type: application/json' --data-binary '{\"Detach\":false,\"Tty\":false}' \
                 'http://docker/v1.41/exec/706048e3ecbc/start'",
            ]
        );
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
        let script = curl_script(&[put, load, bin], "/s");
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
        let script = curl_script(&[wait, start, events, bounded, logs, stats], "/s");
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
        let script = curl_script(&[traversal, filters, export], "/s");
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
        let script = curl_script(&[c, odd], "/s");
        assert!(script.contains("-X OPTIONS -H 'X-Empty;' "), "{script}");
        assert!(script.contains("-X 'G$T' "), "{script}");
        assert!(script.contains("G$T /_ping -> no response"), "{script}");
    }
}
