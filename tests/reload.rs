//! Policy reload on SIGHUP, seen from the docker CLI: a new policy takes effect without a
//! restart, a broken one leaves the old one in force and says why, a call in flight keeps
//! the decision it got, and the audit log and the startup line name each policy by digest.
//!
//! Needs a Docker daemon (see `common`).

mod common;

use common::{docker_at as docker, output_text as text};

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;

fn digest(file: &Path) -> String {
    format!("sha256:{}", &sha256_file(file)[..16])
}

const READ_ONLY: &str = "version = 1\nbase = \"read-only\"\n";

const NO_WATCHING: &str = r#"version = 1
base = "read-only"

[[rules]]
name = "no-watching"
action = "deny"
reason = "nobody lists or watches containers any more"
request.endpoint = ["ContainerList", "SystemEvents"]
"#;

#[test]
fn sighup_puts_a_new_policy_in_force_keeps_the_old_when_broken_and_spares_calls_in_flight() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    let audit = dir.path().join("audit.log");
    std::fs::write(&policy, READ_ONLY).unwrap();
    let first = digest(&policy);
    let s = Sockeye::start_with(
        &d.socket,
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--audit",
            audit.to_str().unwrap(),
        ],
    );
    let start = s.wait_for_log(&[
        "relaying ",
        &format!("({first}); mode enforce: denied calls never reach the daemon; audit "),
    ]);
    assert!(start.contains("; fd limit "), "{start}");
    let host = s.host();

    // A call in flight: an event stream the first policy allowed.
    let label = format!("sockeye-reload-{}", std::process::id());
    let mut events = Command::new("docker")
        .env("DOCKER_HOST", &host)
        .args(["events", "--filter", &format!("label={label}")])
        .args(["--format", "{{.Action}}"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = events.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // An event it delivers proves the stream was decided, under the first policy.
    let create = || {
        let made = docker(
            &d.host,
            &[
                "create",
                "--label",
                &label,
                "sockeye-test/busybox:1",
                "true",
            ],
        );
        assert!(made.status.success(), "{}", text(&made));
        String::from_utf8_lossy(&made.stdout).trim().to_owned()
    };
    let mut made = vec![create()];
    let action = rx.recv_timeout(Duration::from_secs(60));
    assert_eq!(action.as_deref(), Ok("create"));

    // A broken policy: refused, the old one stays.
    std::fs::write(&policy, "version = 1\nbase = \"read-nothing\"\n").unwrap();
    s.signal("-HUP");
    let why = s.wait_for_log(&["policy not reloaded"]);
    assert!(
        why.contains("unknown profile \"read-nothing\"")
            && why.contains(&format!("the policy in force ({first}) is unchanged")),
        "{why}"
    );
    let ps = docker(&host, &["ps"]);
    assert!(ps.status.success(), "{}", text(&ps));

    // A good one: in force for the next call.
    std::fs::write(&policy, NO_WATCHING).unwrap();
    let second = digest(&policy);
    s.signal("-HUP");
    s.wait_for_log(&["policy reloaded", &second]);
    let ps = docker(&host, &["ps"]);
    assert!(
        String::from_utf8_lossy(&ps.stderr).contains("denied by rule no-watching"),
        "{}",
        text(&ps)
    );

    // The stream that started under the first policy still delivers.
    made.push(create());
    let action = rx.recv_timeout(Duration::from_secs(60));
    for id in &made {
        let _ = docker(&d.host, &["rm", "-f", id]);
    }
    let _ = events.kill();
    let _ = events.wait();
    assert_eq!(action.as_deref(), Ok("create"));

    // The audit log has both reloads, each with the digest in force after it.
    let log = std::fs::read_to_string(&audit).unwrap();
    let reloads: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "reload")
        .collect();
    assert_eq!(reloads.len(), 2, "{log}");
    assert_eq!(reloads[0]["ok"], false);
    assert_eq!(reloads[0]["policy_digest"], first.as_str());
    assert!(reloads[0]["error"]
        .as_str()
        .unwrap()
        .contains("read-nothing"));
    assert_eq!(reloads[1]["ok"], true);
    assert_eq!(reloads[1]["policy_digest"], second.as_str());
    assert_eq!(reloads[1]["previous_digest"], first.as_str());
    // ... and `sockeye audit` reads past them as what they are, not damage.
    let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .arg("audit")
        .arg(&audit)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("not an audit record"),
        "{}",
        text(&out)
    );
}

#[test]
fn sighup_without_anything_to_reload_still_stops_sockeye() {
    let Some(d) = daemon() else { return };
    let mut s = Sockeye::start_with(&d.socket, &["--quiet"]);
    s.signal("-HUP");
    assert!(s.wait_exit(Duration::from_secs(30)).is_some());
}
