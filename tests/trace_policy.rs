//! `sockeye trace` with a policy (which calls it would deny, without denying them) and with
//! `--learn` (the smallest policy under which the traced command works), driven with the real
//! docker CLI against the real daemon.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const IMAGE: &str = "sockeye-test/busybox:1";

fn trace(daemon: &Path, flags: &[&str], docker_args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .arg("trace")
        .args(flags)
        .arg("--")
        .arg("docker")
        .args(docker_args)
        .env("DOCKER_HOST", format!("unix://{}", daemon.display()))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn trace_with_a_profile_runs_the_command_unchanged_and_marks_what_the_profile_would_deny() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let out = trace(
        &daemon,
        &["--profile", "read-only"],
        &["run", "--rm", IMAGE, "echo", "hi"],
    );
    let err = text(&out.stderr);
    // Nothing was denied: the container ran.
    assert_eq!(text(&out.stdout), "hi\n", "{err}");
    assert!(out.status.success(), "{err}");
    // The create's line says what read-only would have answered...
    let create = err
        .lines()
        .find(|l| l.contains("POST /v1.41/containers/create"))
        .unwrap_or_else(|| panic!("no create line:\n{err}"));
    assert!(
        create.contains(
            "audit: would be denied by rule read-only-deny: the read-only profile allows listing \
             and inspecting only"
        ),
        "{err}"
    );
    // ...and the summary lists every call it would deny, with rule and reason, and no read.
    let summary = &err[err.find("sockeye trace:").expect("no summary")..];
    let listed = &summary[summary
        .find("would be denied:")
        .unwrap_or_else(|| panic!("{summary}"))..];
    assert!(
        listed.contains(
            "[ContainerCreate]  denied by rule read-only-deny: the read-only profile allows \
             listing and inspecting only"
        ),
        "{summary}"
    );
    assert!(listed.contains("[ContainerStart]"), "{summary}");
    assert!(!listed.contains("[SystemPing"), "{summary}");

    // A policy that allows it all says so.
    let out = trace(&daemon, &["--profile", "full"], &["ps", "-q"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("policy: every call would be allowed"), "{err}");
}

#[test]
fn trace_learn_prints_the_smallest_policy_under_which_the_command_works() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let out = trace(&daemon, &["--learn"], &["run", "--rm", IMAGE, "echo", "hi"]);
    let err = text(&out.stderr);
    assert_eq!(text(&out.stdout), "hi\n", "{err}");
    assert!(out.status.success(), "{err}");
    let at = err
        .find("── the smallest policy under which this command works")
        .unwrap_or_else(|| panic!("no learned policy:\n{err}"));
    let policy: String = err[at..]
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(policy.contains("\"ContainerCreate\""), "{policy}");
    assert!(policy.contains("body.privileged = false"), "{policy}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("learned.toml");
    std::fs::write(&file, &policy).unwrap();
    let file = file.to_str().unwrap();

    // The same command works under it (traced again with it: nothing would be denied)...
    let out = trace(
        &daemon,
        &["--policy", file],
        &["run", "--rm", IMAGE, "echo", "hi"],
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("policy: every call would be allowed"),
        "{err}\n{policy}"
    );
    // ...and what it did not do would be denied.
    let out = trace(
        &daemon,
        &["--policy", file],
        &["run", "--rm", "--privileged", IMAGE, "true"],
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("[ContainerCreate]  denied by rule default: no rule allows ContainerCreate (closest: rule"),
        "{err}\n{policy}"
    );
}
