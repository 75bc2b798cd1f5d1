//! `sockeye audit` over several hosts' logs: records merged by time across the files (each
//! file streamed), filtered and summarized per host; ECS files read like JSON ones; standard
//! input as one more log; `--follow` on several files at once. No daemon needed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

const SOCKEYE: &str = env!("CARGO_BIN_EXE_sockeye");

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn audit(args: &[&str]) -> Output {
    let out = Command::new(SOCKEYE)
        .arg("audit")
        .args(args)
        .output()
        .expect("run sockeye");
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    out
}

/// A recorded call (tests/data/audit), renamed: on `host` (none: an older record), at
/// second `t` after an hour, denied or not.
fn record(host: Option<&str>, t: u32, denied: bool) -> Value {
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/audit/session.log"
    ))
    .unwrap();
    let mut r: Value = serde_json::from_str(template.lines().next().unwrap()).unwrap();
    let o = r.as_object_mut().unwrap();
    o.insert(
        "time".into(),
        json!(format!("2026-11-22T23:00:{t:02}.000Z")),
    );
    o.insert("time_unix".into(), json!(1795388400.0 + f64::from(t)));
    o.insert("id".into(), json!(format!("{}@{t}", host.unwrap_or("old"))));
    if let Some(h) = host {
        o.insert("host".into(), json!(h));
    }
    if denied {
        o.insert("decision".into(), json!("deny"));
        o.insert("rule".into(), json!("read-only-deny"));
        o.insert("status".into(), json!(403));
    }
    r
}

fn write(path: &Path, records: &[Value]) {
    let mut text = String::new();
    for r in records {
        text.push_str(&r.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn ids(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            // An ECS line names its record by `event.id`.
            v.get("id")
                .or_else(|| v.pointer("/event/id"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Two hosts' logs, each in its own order, interleaving in time; and an older log whose
/// records name no host.
struct Logs {
    _dir: tempfile::TempDir,
    web1: String,
    web2: String,
    old: String,
}

fn logs() -> Logs {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let (web1, web2, old) = (path("web1.log"), path("web2.log"), path("old.log"));
    write(
        Path::new(&web1),
        &[
            record(Some("web1"), 10, false),
            record(Some("web1"), 12, true),
            record(Some("web1"), 14, false),
        ],
    );
    write(
        Path::new(&web2),
        &[
            record(Some("web2"), 11, true),
            record(Some("web2"), 13, true),
            record(Some("web2"), 20, false),
        ],
    );
    write(Path::new(&old), &[record(None, 5, false)]);
    Logs {
        _dir: dir,
        web1,
        web2,
        old,
    }
}

#[test]
fn two_hosts_logs_are_merged_by_time_whatever_order_they_are_given_in() {
    let l = logs();
    let want = [
        "old@5", "web1@10", "web2@11", "web1@12", "web2@13", "web1@14", "web2@20",
    ];
    for files in [[&l.web2, &l.web1, &l.old], [&l.old, &l.web1, &l.web2]] {
        let out = audit(&[files[0], files[1], files[2], "--json"]);
        assert_eq!(ids(&out), want, "{files:?}");
    }
    // One line each, with the host after the time; `-` for a record that names none.
    let out = audit(&[&l.web2, &l.web1, &l.old]);
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 7);
    assert!(
        lines[0].starts_with("2026-11-22T23:00:05.000Z  -    "),
        "{lines:#?}"
    );
    assert!(
        lines[2].starts_with("2026-11-22T23:00:11.000Z  web2 "),
        "{lines:#?}"
    );
    assert!(lines[2].ends_with("deny/read-only-deny  403"), "{lines:#?}");
}

#[test]
fn a_host_filter_keeps_that_hosts_calls_and_dash_the_records_that_name_none() {
    let l = logs();
    let out = audit(&[&l.web1, &l.web2, &l.old, "--host", "web2", "--json"]);
    assert_eq!(ids(&out), ["web2@11", "web2@13", "web2@20"]);
    let out = audit(&[
        &l.web1, &l.web2, &l.old, "--host", "web1", "--host", "-", "--json",
    ]);
    assert_eq!(ids(&out), ["old@5", "web1@10", "web1@12", "web1@14"]);
    let out = audit(&[
        &l.web1,
        &l.web2,
        "--host",
        "web*",
        "--decision",
        "denied",
        "--json",
    ]);
    assert_eq!(ids(&out), ["web2@11", "web1@12", "web2@13"]);
}

#[test]
fn the_summary_counts_calls_and_denials_per_host() {
    let l = logs();
    let out = audit(&[&l.web1, &l.web2, &l.old, "--summary"]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(
            "hosts (3 of 3):\n   calls  denied  host\n       3       1  web1\n       3       2  web2\n       1       0  -\n"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("       2  read-only-deny  uid 0 /usr/local/bin/docker on web2\n"),
        "{summary}"
    );
    let out = audit(&[&l.web1, &l.web2, "--summary", "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["hosts"],
        json!([
            {"host": "web1", "calls": 3, "denied": 1},
            {"host": "web2", "calls": 3, "denied": 2},
        ])
    );
}

#[test]
fn an_ecs_log_and_standard_input_merge_with_the_others() {
    let l = logs();
    // web2's log as --audit-format ecs writes it, on standard input.
    let ecs: String = std::fs::read_to_string(&l.web2)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            format!("{}\n", sockeye::remember::audit::ecs::to_ecs(&v))
        })
        .collect();
    assert!(ecs.contains("\"@timestamp\""), "{ecs}");
    let mut child = Command::new(SOCKEYE)
        .args(["audit", "-", &l.web1, "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ecs.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        ids(&out),
        ["web1@10", "web2@11", "web1@12", "web2@13", "web1@14", "web2@20"]
    );
    // The summary reads the ECS records as the records they map.
    let ecs_file = Path::new(&l.web1).with_file_name("web2.ecs.log");
    std::fs::write(&ecs_file, &ecs).unwrap();
    let out = audit(&[
        ecs_file.to_str().unwrap(),
        "--host",
        "web2",
        "--summary",
        "--json",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["records"], 3, "{json:#}");
    assert_eq!(json["denials"][0]["rule"], "read-only-deny");
    assert_eq!(json["denials"][0]["calls"], 2);
}

#[test]
fn standard_input_twice_is_refused_in_one_line() {
    let out = Command::new(SOCKEYE)
        .args(["audit", "-", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sockeye: - (standard input) may be given once\n"
    );
}

#[test]
fn follow_tails_every_hosts_log_and_a_stream_at_once() {
    let l = logs();
    let mut child = Command::new(SOCKEYE)
        .args(["audit", "--follow", "--json", &l.web1, &l.web2, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let v: Value = serde_json::from_str(&line).unwrap();
            if tx.send(v["id"].as_str().unwrap().to_owned()).is_err() {
                break;
            }
        }
    });
    // A bound for a loaded machine, not a timing expectation: records appear within a poll.
    let next = || {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("a record was written but not followed")
    };
    let append = |path: &str, r: Value| {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        writeln!(f, "{r}").unwrap();
    };
    // What the files hold, merged.
    let first: Vec<String> = (0..6).map(|_| next()).collect();
    assert_eq!(
        first,
        ["web1@10", "web2@11", "web1@12", "web2@13", "web1@14", "web2@20"]
    );
    // Then each file as it grows, and the stream as it comes.
    append(&l.web2, record(Some("web2"), 30, false));
    assert_eq!(next(), "web2@30");
    append(&l.web1, record(Some("web1"), 31, false));
    assert_eq!(next(), "web1@31");
    writeln!(stdin, "{}", record(Some("web3"), 32, true)).unwrap();
    stdin.flush().unwrap();
    assert_eq!(next(), "web3@32");
    // The stream ends; the files are still followed.
    drop(stdin);
    append(&l.web1, record(Some("web1"), 33, false));
    assert_eq!(next(), "web1@33");
    child.kill().unwrap();
    child.wait().unwrap();
}
