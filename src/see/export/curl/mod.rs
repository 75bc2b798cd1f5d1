//! A POSIX sh script of curl commands that replays recorded calls against a daemon.

mod ids;

use std::fmt::Write;

use crate::docker::endpoint::{classify, Operation, Streaming};
use crate::see::decode::escape;

use super::{bool_value, header, query_pairs, Exchange};
use ids::Ids;

/// The daemon a script talks to: the one that was traced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Daemon {
    /// A unix socket's path.
    Unix(String),
    /// `host:port` of a plain-HTTP daemon.
    Tcp(String),
}

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
/// lines (for TCP, `curl -sS … "$url"'/PATH?QUERY'`), in order, one commented paragraph
/// each, with `sock` (or `url`) set to `daemon` at the top.
///
/// Calls that curl cannot replay faithfully are commented out with the reason: hijacked
/// streams that need the client's stdin (or are not attach/exec), and bodies that were not
/// captured whole or are binary (their size is given). An attach or exec start that only
/// reads is replayed without the upgrade: dockerd then answers 200 and streams the output
/// (multiplexed, with 8-byte frame headers, unless it has a TTY). Long polls (`wait`) and
/// attaches run in the background as the CLI runs them, so a later `start` is not blocked;
/// endless streams (events, `logs -f`, streamed stats) stop after the time they ran when
/// recorded. IDs that answers created and later calls use are read into variables.
pub fn curl_script(calls: &[Exchange], daemon: &Daemon) -> String {
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
    match daemon {
        Daemon::Unix(path) => {
            let _ = writeln!(s, "sock={}", quote(path));
        }
        Daemon::Tcp(hostport) => {
            let _ = writeln!(s, "url={}", quote(&format!("http://{hostport}")));
        }
    }
    let wanted: Vec<Option<(String, &str)>> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| Ids::wanted(c, op_of(c), &calls[i + 1..]))
        .collect();
    if wanted.iter().any(Option::is_some) {
        s.push_str(
            "# IDs the daemon creates are new on every run: each is read from its answer into a\n\
             # variable, which later calls use in place of the recorded ID.\n",
        );
        s.push_str(ids::ID_OF);
    }
    let mut ids = Ids::default();
    let mut background = false;
    for (i, (call, wanted)) in calls.iter().zip(wanted).enumerate() {
        s.push('\n');
        let n = i + 1;
        let capture = wanted.map(|(id, stem)| (id, format!("{stem}_{n}")));
        background |= command(&mut s, n, call, daemon, &mut ids, capture);
    }
    if background {
        s.push_str("\n# Collect the calls started in the background.\nwait\n");
    }
    s
}

fn op_of(call: &Exchange) -> Option<Operation> {
    classify(&call.method, call.path()).operation()
}

/// Appends one call's paragraph; true if it was sent to the background. `capture`: the ID
/// its answer holds, and the variable to read it into.
fn command(
    s: &mut String,
    n: usize,
    call: &Exchange,
    daemon: &Daemon,
    ids: &mut Ids,
    capture: Option<(String, String)>,
) -> bool {
    let op = op_of(call);
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
    let mut args: Vec<String> = vec![match daemon {
        Daemon::Unix(_) => "curl --unix-socket \"$sock\" -sS".into(),
        Daemon::Tcp(_) => "curl -sS".into(),
    }];
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
        let whole = captured.len() as u64 >= size || call.request_body_redacted;
        match (&call.request_body, std::str::from_utf8(captured)) {
            (Some(_), Ok(text)) if whole && shows_as_text(text) => {
                // `--data-binary @x` reads the file x: a body starting with @ goes via stdin.
                if text.len() > MAX_INLINE || text.starts_with('@') {
                    stdin = Some(ids.word(text));
                    args.push("--data-binary @-".into());
                } else {
                    args.push(format!("--data-binary {}", ids.word(text)));
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
    let stream = call.hijacked && reads_only(op, call, ids);
    if call.hijacked && !stream {
        why_not.push(
            "hijacked: after the 101 the connection carried a raw stream (stdin, or a protocol \
             of its own), which curl cannot replay"
                .into(),
        );
    }
    let attach = stream && op == Some(Operation::ContainerAttach);
    if attach {
        // Its answer's headers, to know when it is in place (see below).
        args.push(format!("-D \"$heads_{n}\""));
    }
    if stream {
        // Binary frames on a terminal: curl refuses them without `-o -`.
        args.push("-N -o -".into());
    }

    let streaming = op.map(Operation::streaming);
    if let Some(secs) = endless(op, call) {
        args.push(format!("--max-time {secs}"));
    }
    if streaming == Some(Streaming::TarResponse) && call.status.is_some_and(|s| s < 300) {
        args.push(format!("-o {}", quote(&format!("response-{n}.tar"))));
    }
    args.push(match daemon {
        Daemon::Unix(_) => ids.word(&format!("http://docker{}", url_path(&call.target))),
        Daemon::Tcp(_) => format!("\"$url\"{}", ids.word(&url_path(&call.target))),
    });

    let mut line = String::new();
    if let Some(body) = stdin {
        let _ = write!(line, "printf '%s' {body} | ");
    }
    line.push_str(&args.join(" "));
    let background = why_not.is_empty() && (streaming == Some(Streaming::LongPoll) || attach);
    if stream {
        s.push_str(
            "# hijacked: replayed without the upgrade, dockerd streams the output (multiplexed \
             with 8-byte frame headers unless there is a TTY) until it ends\n",
        );
    }
    if background {
        s.push_str(if attach {
            "# attach: runs in the background, as the CLI runs it, before the start\n"
        } else {
            "# long poll: runs in the background, as the CLI runs it\n"
        });
        line.push_str(" &");
        if attach {
            // The CLI starts the container only once its attach is in place, or the first
            // output would be lost: wait for the attach's answer (curl writes its headers
            // as they arrive), or for curl to give up.
            line = format!(
                "heads_{n}=$(mktemp)\n{line}\n\
                 until [ -s \"$heads_{n}\" ] || ! kill -0 $! 2>/dev/null; do sleep 0.1; done\n\
                 rm -f \"$heads_{n}\""
            );
        }
    }
    let capture = capture.filter(|_| why_not.is_empty() && !background);
    if let Some((_, var)) = &capture {
        line = format!("answer=$({line})\nprintf '%s\\n' \"$answer\"\n{var}=$(id_of \"$answer\")");
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
    if let Some((id, var)) = capture {
        ids.learn(id, var, call, op);
    }
    background
}

/// A hijacked call that curl can replay: an attach or exec start that only reads (the
/// client's stdin is not recorded, and a process waiting on it would never end).
fn reads_only(op: Option<Operation>, call: &Exchange, ids: &Ids) -> bool {
    let stdin = query_pairs(call.query())
        .iter()
        .rev()
        .find(|(k, _)| k == "stdin")
        .is_some_and(|(_, v)| bool_value(v));
    match op {
        Some(Operation::ContainerAttach) => !stdin,
        Some(Operation::ExecStart) => !ids.starts_stdin_exec(call),
        _ => false,
    }
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
mod tests;
