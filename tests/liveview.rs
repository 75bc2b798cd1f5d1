//! The live view read in order, driven by the real docker CLI through `sockeye proxy`: a long
//! call shows when it begins and its end is tied to it, a failed call says what the daemon
//! said. sockeye's stderr is a file here, so every line is shown whole.
//!
//! Needs a Docker daemon (see `common`).

mod common;

use common::{docker_at as docker, output_text as text};

use std::process::{Command, Stdio};

use common::*;

/// The lines of `log` holding every one of `needles`, by index.
fn lines_with(log: &str, needles: &[&str]) -> Vec<usize> {
    log.lines()
        .enumerate()
        .filter(|(_, l)| needles.iter().all(|n| l.contains(n)))
        .map(|(i, _)| i)
        .collect()
}

/// `docker run`'s attach begins before its start, but showed only when it ended: the start
/// was printed first, as if it had come first.
#[test]
fn docker_run_shows_its_attach_beginning_before_its_start() {
    let Some(d) = daemon() else { return };
    let s = Sockeye::start_sockeye(["--upstream", &d.host]);
    let out = docker(&s.host(), &["run", "--rm", IMAGE, "echo", "hi"]);
    assert!(out.status.success(), "{}", text(&out));
    let end = s.wait_for_log(&["/attach?", "ended"]);
    let log = s.log();
    let started = lines_with(&log, &["/attach?", "→ 101 Switching Protocols", "started"]);
    let start = lines_with(&log, &["/start → 204"]);
    assert_eq!(started.len(), 1, "{log}");
    assert_eq!(start.len(), 1, "{log}");
    assert!(started[0] < start[0], "the attach began first:\n{log}");
    // The end line names the call its start line named.
    let id = log.lines().nth(started[0]).unwrap();
    let id = id[id.find(" #").unwrap() + 1..]
        .split_whitespace()
        .next()
        .unwrap();
    assert!(end.contains(&format!("{id} ended")), "{end}\n{log}");
    assert!(end.contains("docker attach"), "{end}");
}

/// A running `docker logs -f` showed nothing until it was stopped.
#[test]
fn a_running_logs_follow_shows_while_it_runs() {
    let Some(d) = daemon() else { return };
    let name = format!("sockeye-liveview-logs-{}", std::process::id());
    let out = docker(
        &d.host,
        &[
            "run", "-d", "--name", &name, "--label", LABEL, IMAGE, "sleep", "300",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let s = Sockeye::start_sockeye(["--upstream", &d.host]);
    let mut follow = Command::new("docker")
        .env("DOCKER_HOST", s.host())
        .args(["logs", "-f", &name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker logs -f");
    let line = s.wait_for_log(&["docker logs -f", "→ 200 OK", "started"]);
    assert!(!line.contains("ended"), "{line}");
    let _ = follow.kill();
    let _ = follow.wait();
    s.wait_for_log(&["docker logs -f", "ended"]);
    let _ = docker(&d.host, &["rm", "-f", &name]);
}

/// A failed call showed `404 Not Found` and not why.
#[test]
fn a_failed_call_shows_the_daemons_message() {
    let Some(d) = daemon() else { return };
    let s = Sockeye::start_sockeye(["--upstream", &d.host]);
    let out = docker(&s.host(), &["inspect", "nosuch"]);
    assert!(!out.status.success(), "{}", text(&out));
    let line = s.wait_for_log(&["/containers/nosuch/json", "→ 404"]);
    assert!(
        line.contains("→ 404 Not Found: No such container: nosuch"),
        "{line}\n{}",
        s.log()
    );
}

/// `sockeye trace -q -- docker ARGS` from `dir`: its stderr (the summary).
fn trace_steps(host: &str, dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args(["trace", "-q", "--", "docker"])
        .args(args)
        .current_dir(dir)
        .env("DOCKER_HOST", host)
        .env("NO_COLOR", "1")
        // The classic builder, whose context is the request body, on every engine.
        .env("DOCKER_BUILDKIT", "0")
        .stdin(Stdio::null())
        .output()
        .expect("sockeye trace");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let steps = err
        .split_once("steps:\n")
        .map(|(_, s)| s.split("endpoints:").next().unwrap_or(""))
        .unwrap_or_else(|| panic!("no steps in:\n{err}"));
    steps.trim().to_string()
}

/// Commands named as the person typed them, not as the CLI rewrote them on the wire.
#[test]
fn trace_names_commands_as_they_were_typed() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ctx")).unwrap();
    std::fs::write(
        dir.path().join("ctx/Dockerfile"),
        format!("FROM {IMAGE}\nLABEL {LABEL}=1\n"),
    )
    .unwrap();
    let tag = format!("sockeye-liveview-build:{}", std::process::id());
    // A directory's context is a tar on the wire: not stdin's `-`.
    let steps = trace_steps(&d.host, dir.path(), &["build", "-q", "-t", &tag, "ctx"]);
    assert!(steps.contains(&format!("-t {tag}")), "{steps}");
    assert!(steps.ends_with("<context>"), "{steps}");
    let _ = docker(&d.host, &["rmi", &tag]);
    // The CLI sends `--cap-add SYS_ADMIN` as CAP_SYS_ADMIN.
    let steps = trace_steps(
        &d.host,
        dir.path(),
        &["run", "--rm", "--cap-add", "SYS_ADMIN", IMAGE, "true"],
    );
    assert!(steps.contains("--cap-add SYS_ADMIN "), "{steps}");
    // `docker logs` of nothing stops at its look-up: not `docker inspect`.
    let steps = trace_steps(&d.host, dir.path(), &["logs", "sockeye-fakecontainer"]);
    assert!(!steps.starts_with("docker inspect"), "{steps}");
    assert!(steps.contains("docker logs|"), "{steps}");
    // `docker inspect` of nothing tries every kind, and asks `info`: still `docker inspect`.
    let steps = trace_steps(&d.host, dir.path(), &["inspect", "sockeye-fakecontainer"]);
    assert_eq!(steps, "docker inspect sockeye-fakecontainer");
}
