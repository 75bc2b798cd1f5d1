//! `sockeye audit` and `sockeye policy learn` from the command line: a dashboard-like script
//! recorded in audit mode, a policy learned from that log, and the script run again under
//! the policy (it must pass, and a container run must be denied); the query command on the
//! recorded logs of tests/data/audit.
//!
//! The learning round trip needs a Docker daemon (see `common`); the query tests do not.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

const SOCKEYE: &str = env!("CARGO_BIN_EXE_sockeye");

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sockeye(args: &[&str]) -> Output {
    Command::new(SOCKEYE)
        .args(args)
        .output()
        .expect("run sockeye")
}

fn docker(host: &str, args: &[&str]) -> Output {
    Command::new("docker")
        .env("DOCKER_HOST", host)
        .env("DOCKER_CLI_HINTS", "false")
        .env_remove("DOCKER_CONTEXT")
        .args(args)
        .output()
        .expect("run docker")
}

/// What a dashboard does, as a shell script of docker CLI calls: list, inspect, logs,
/// events, stats, images, version, info. `set -e`: any refused call fails it.
const DASHBOARD: &str = r#"set -e
c="$1"
docker version >/dev/null
docker ps --format '{{.Names}}' >/dev/null
docker ps -a -q >/dev/null
docker inspect "$c" >/dev/null
docker container inspect -f '{{.State.Status}}' "$c" >/dev/null
docker logs --tail 5 "$c" >/dev/null
now=$(date +%s)
docker events --since $((now - 60)) --until "$now" >/dev/null
docker stats --no-stream "$c" >/dev/null
docker images >/dev/null
docker info >/dev/null
echo dashboard done
"#;

fn dashboard(host: &str, script: &Path, container: &str) -> Output {
    Command::new("sh")
        .arg(script)
        .arg(container)
        .env("DOCKER_HOST", host)
        .env("DOCKER_CLI_HINTS", "false")
        .env_remove("DOCKER_CONTEXT")
        .output()
        .expect("run sh")
}

/// A running container for the dashboard to look at, removed on drop.
struct Watched {
    host: String,
    name: String,
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = docker(&self.host, &["rm", "-f", &self.name]);
    }
}

#[test]
fn a_policy_learned_from_a_dashboard_lets_it_run_again_and_denies_container_runs() {
    let Some(d) = daemon() else { return };
    // `sk<pid>-`: the harness sweeps it up if this process dies before the drop.
    let watched = Watched {
        host: d.host.clone(),
        name: format!("sk{}-learn-web", std::process::id()),
    };
    let _ = docker(&d.host, &["rm", "-f", &watched.name]);
    let out = docker(
        &d.host,
        &[
            "run",
            "-d",
            "--name",
            &watched.name,
            "--network",
            "none",
            IMAGE,
            "sh",
            "-c",
            "echo hello from the dashboard's container; sleep 300",
        ],
    );
    assert!(out.status.success(), "fixture: {}", text(&out));

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("dashboard.sh");
    std::fs::write(&script, DASHBOARD).unwrap();
    let recorded = dir.path().join("recorded.log");
    let learned = dir.path().join("learned.toml");
    let rerun = dir.path().join("rerun.log");

    // 1. Record: every call is forwarded, and written to the audit log.
    {
        let s = Sockeye::start_with(
            &d.socket,
            &[
                "--profile",
                "full",
                "--mode",
                "audit",
                "--audit",
                recorded.to_str().unwrap(),
            ],
        );
        let out = dashboard(&s.host(), &script, &watched.name);
        assert!(out.status.success(), "recording: {}", text(&out));
    }

    // 2. Learn.
    let out = sockeye(&[
        "policy",
        "learn",
        recorded.to_str().unwrap(),
        "-o",
        learned.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "learn: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("checked: every learned call is allowed again"),
        "{stderr}"
    );
    let policy = std::fs::read_to_string(&learned).unwrap();
    eprintln!("--- learned policy:\n{policy}");
    assert!(policy.contains("client.exe = ["), "{policy}");
    assert!(!policy.contains("ContainerCreate"), "{policy}");
    let out = sockeye(&["policy", "check", learned.to_str().unwrap()]);
    assert!(out.status.success(), "check: {}", text(&out));

    // 3. Enforce the learned policy: the same script passes (other pids, other
    // connections), and what the dashboard never did is denied.
    let s = Sockeye::start_with(
        &d.socket,
        &[
            "--policy",
            learned.to_str().unwrap(),
            "--audit",
            rerun.to_str().unwrap(),
        ],
    );
    let host = s.host();
    let out = dashboard(&host, &script, &watched.name);
    assert!(
        out.status.success(),
        "rerun under the learned policy: {}\n--- policy:\n{policy}",
        text(&out)
    );
    for run in [
        &["run", "--rm", "--privileged", IMAGE, "true"][..],
        &["run", "--rm", IMAGE, "true"][..],
    ] {
        let out = docker(&host, run);
        assert!(!out.status.success(), "{run:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("sockeye: denied by rule default: no rule allows ContainerCreate"),
            "{run:?}: {}",
            text(&out)
        );
    }
    let out = docker(&host, &["rm", "-f", &watched.name]);
    assert!(!out.status.success(), "rm: {}", text(&out));
    drop(s);

    // 4. The rerun's log says the same: only the three new calls were denied.
    let out = sockeye(&["audit", rerun.to_str().unwrap(), "--decision", "denied"]);
    assert!(out.status.success(), "audit: {}", text(&out));
    let denied = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = denied.lines().collect();
    assert_eq!(lines.len(), 3, "{denied}");
    assert!(
        lines[0].contains("docker create --rm --privileged"),
        "{denied}"
    );
    assert!(lines[0].ends_with("deny/default  403"), "{denied}");
    assert!(lines[2].contains("docker rm"), "{denied}");
    let out = sockeye(&["audit", rerun.to_str().unwrap(), "--summary"]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("decisions: allow "), "{summary}");
    assert!(summary.contains(", deny 3\n"), "{summary}");
}

fn data(file: &str) -> String {
    format!("{}/tests/data/audit/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn audit_filters_records_and_prints_lines_json_or_a_summary() {
    let (old, new) = (data("session.log.1"), data("session.log"));
    let out = sockeye(&["audit", &old, &new]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 41);

    let out = sockeye(&[
        "audit",
        &old,
        &new,
        "--caller",
        "process=curl",
        "--decision",
        "allow",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "2026-11-22T23:25:48.117Z  -             uid=0 curl        docker ps  allow/read-only  200\n\
         2026-11-22T23:25:48.177Z  -             uid=65534 curl    docker info  allow/read-only  200\n",
        "{}",
        text(&out)
    );

    // --json prints the lines as they are in the log.
    let out = sockeye(&["audit", &old, &new, "--endpoint", "Container*", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let original = std::fs::read_to_string(&old).unwrap();
    assert_eq!(stdout.lines().count(), 20, "{stdout}");
    for line in stdout.lines().take(18) {
        assert!(original.contains(line), "{line}");
    }

    let out = sockeye(&[
        "audit",
        &old,
        &new,
        "--since",
        "2026-11-22T23:25:47Z",
        "--until",
        "2026-11-22T23:25:48Z",
        "--summary",
        "--top",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "5 record(s), 2026-11-22T23:25:47.414Z to 2026-11-22T23:25:47.473Z\n\
             decisions: allow 1, would_deny 4\n"
        ),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("top endpoints (2 of 5):"), "{stdout}");
    let out = sockeye(&["audit", &new, "--summary", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["records"], 5);
    // One each, ties by rule name.
    assert_eq!(json["denials"][0]["rule"], "(refused)");
    assert_eq!(json["denials"][1]["rule"], "read-only-deny");
}

#[test]
fn audit_reports_malformed_lines_with_their_numbers_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let good = std::fs::read_to_string(data("session.log")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(1, "{\"v\":1,\"half\":");
    lines.insert(3, "garbage");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let out = sockeye(&["audit", log.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 5);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let path = log.display();
    assert!(
        stderr.contains(&format!("sockeye: {path}:2: not an audit record: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("sockeye: {path}:4: not an audit record: ")),
        "{stderr}"
    );
    // The summary counts them too.
    let out = sockeye(&["audit", log.to_str().unwrap(), "--summary"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("2 malformed line(s) skipped (listed on stderr)"),
        "{}",
        text(&out)
    );

    // Bad arguments and missing files are errors (exit 2), before any output.
    for args in [
        &["audit", "/nonexistent/audit.log"][..],
        &["audit", log.to_str().unwrap(), "--caller", "user=root"][..],
        &["audit", log.to_str().unwrap(), "--decision", "maybe"][..],
        &["audit", log.to_str().unwrap(), "--since", "yesterday"][..],
    ] {
        let out = sockeye(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out));
    }
}

#[test]
fn learn_writes_a_checked_policy_and_fails_when_nothing_is_learned() {
    let (old, new) = (data("session.log.1"), data("session.log"));
    let out = sockeye(&["policy", "learn", &old, &new]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("name = \"uid0-docker-ContainerCreate\""),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "sockeye: learned 7 rule(s) for 3 client(s) from 38 of 41 record(s); not learned: \
             2 denied or refused, 1 escalation (see the comments)"
        ),
        "{stderr}"
    );

    let out = sockeye(&["policy", "learn", &new, "--client", "uid=4242"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing was learned"),
        "{}",
        text(&out)
    );
    let out = sockeye(&["policy", "learn", &new, "--client", "bogus=1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn audit_of_a_file_that_is_not_an_audit_log_fails_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(
        &garbage,
        b"\x7fELF\x02\x01\x01\0\0\0\xff\xfe\n\x03\x00binary",
    )
    .unwrap();
    // A newer sockeye's log: its records may lack fields this one knows.
    let newer = dir.path().join("newer.log");
    std::fs::write(
        &newer,
        "{\"v\":2,\"when\":\"2026-11-22T23:25:49.748Z\",\"call\":{}}\n",
    )
    .unwrap();
    let foreign = dir.path().join("foreign.json");
    std::fs::write(&foreign, "{\"v\":1,\"time\":42}\n").unwrap();
    for (file, why) in [
        (&garbage, "line 1: not text (not UTF-8)"),
        (
            &newer,
            "line 1: unsupported schema version 2 (this sockeye reads version 1)",
        ),
        (
            &foreign,
            "line 1: \"time\" is the number 42 where text belongs",
        ),
    ] {
        let out = sockeye(&["audit", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(out.stdout.is_empty(), "{}", text(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "sockeye: {} is not a sockeye audit log: {why}\n",
                file.display()
            )
        );
    }
}

#[test]
fn audit_endpoint_names_that_match_nothing_get_a_hint_and_empty_results_say_so() {
    let new = data("session.log");
    let out = sockeye(&["audit", &new, "--endpoint", "ContainerCreat"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sockeye: --endpoint ContainerCreat: no endpoint has that name; did you mean \
         ContainerCreate?\n"
    );
    let out = sockeye(&["audit", &new, "--endpoint", "Frobnicate*"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // A real name that no record has: nothing printed, and said so.
    let out = sockeye(&["audit", &new, "--endpoint", "VolumePrune"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sockeye: 0 of 5 records matched\n"
    );
}

/// Lines of a child's stdout, as they come, on a channel.
fn stdout_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn audit_follow_prints_records_as_they_are_written_and_across_rotation() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let old = std::fs::read_to_string(data("session.log.1")).unwrap();
    let records: Vec<&str> = old.lines().collect();
    std::fs::write(&log, format!("{}\n", records[0])).unwrap();
    let mut child = Command::new(SOCKEYE)
        .args(["audit", "--follow", "--json", "--endpoint", "Container*"])
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stdout_lines(&mut child);
    // A bound for a loaded machine, not a timing expectation: records appear within a poll.
    let next = || {
        lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("a record was written but not followed")
    };
    let append = |path: &Path, text: &str| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    let wanted: Vec<&str> = records
        .iter()
        .copied()
        .filter(|r| r.contains("\"endpoint\":\"Container"))
        .collect();
    assert!(wanted.len() >= 4);
    // Written in two parts: a half line is held until its end arrives.
    let (head, tail) = wanted[0].split_at(40);
    append(&log, head);
    append(&log, &format!("{tail}\n"));
    assert_eq!(next(), wanted[0]);
    append(&log, &format!("{}\n{}\n", records[0], wanted[1]));
    assert_eq!(next(), wanted[1]);
    // Rotation as sockeye and logrotate do it: the file is renamed, a new one started.
    append(&log, &format!("{}\n", wanted[2]));
    std::fs::rename(&log, dir.path().join("audit.log.1")).unwrap();
    append(&log, &format!("{}\n", wanted[3]));
    assert_eq!(next(), wanted[2]);
    assert_eq!(next(), wanted[3]);
    // Truncated in place (copytruncate): read again from its start. (It is first made
    // longer than what comes after, so that the truncation shows.)
    append(&log, &format!("{}\n", records[0]).repeat(5));
    append(&log, &format!("{}\n", wanted[1]));
    assert_eq!(next(), wanted[1]);
    std::fs::write(&log, "").unwrap();
    append(&log, &format!("{}\n", wanted[0]));
    assert_eq!(next(), wanted[0]);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The audit records of `log`, as JSON values.
fn records(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn under_a_policy_learned_from_the_docker_cli_health_passes_and_a_denial_names_the_rule_it_missed()
{
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let recorded = dir.path().join("recorded.log");
    let learned = dir.path().join("learned.toml");
    let rerun = dir.path().join("rerun.log");

    // Record what the CLI does to run a container (it pings with HEAD).
    {
        let s = Sockeye::start_with(
            &d.socket,
            &[
                "--profile",
                "full",
                "--mode",
                "audit",
                "--audit",
                recorded.to_str().unwrap(),
            ],
        );
        let out = docker(&s.host(), &["run", "--rm", IMAGE, "true"]);
        assert!(out.status.success(), "recording: {}", text(&out));
    }
    let out = sockeye(&[
        "policy",
        "learn",
        recorded.to_str().unwrap(),
        "-o",
        learned.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "learn: {}", text(&out));
    let policy = std::fs::read_to_string(&learned).unwrap();
    assert!(policy.contains("SystemPingHead"), "{policy}");

    let s = Sockeye::start_with(
        &d.socket,
        &[
            "--policy",
            learned.to_str().unwrap(),
            "--audit",
            rerun.to_str().unwrap(),
        ],
    );
    // A container healthcheck of this sockeye passes: it may ping as the CLI did.
    let out = sockeye(&["health", "--listen", &s.host()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "health: {}\n{policy}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("healthy: "),
        "{}",
        text(&out)
    );

    // A privileged run is denied, and the denial says by which condition of which rule.
    let out = docker(&s.host(), &["run", "--rm", "--privileged", IMAGE, "true"]);
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rule = policy
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"'))
        .find(|n| n.ends_with("-ContainerCreate"))
        .unwrap_or_else(|| panic!("no ContainerCreate rule:\n{policy}"));
    let why = format!(
        "denied by rule default: no rule allows ContainerCreate (closest: rule {rule}, which \
         failed on body.escalations: privileged)"
    );
    assert!(
        stderr.contains(&format!("sockeye: {why}")),
        "{}",
        text(&out)
    );
    drop(s);

    // The audit record gives the same reason.
    let denied: Vec<_> = records(&rerun)
        .into_iter()
        .filter(|r| r["decision"] == "deny")
        .collect();
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(
        format!(
            "denied by rule {}: {}",
            denied[0]["rule"].as_str().unwrap(),
            denied[0]["reason"].as_str().unwrap()
        ),
        why
    );
}
