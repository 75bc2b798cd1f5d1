//! The audit log under pressure: thousands of concurrent calls give exactly one whole
//! record each, with no secret in them; `kill -9` leaves only whole records; a full disk
//! stops calls with a clear message until it has room again, and nothing is lost.
//!
//! Needs a Docker daemon (see `tests/common`). The full-disk case mounts a tiny tmpfs, so
//! it needs root (CI runs as root).

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::common::{tail, Sockeye};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

const SECRET: &str = "hunter2-audit-secret";

/// The calls one load client makes on one keep-alive connection, in turn.
fn request(i: usize) -> String {
    match i % 4 {
        0 => "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n".into(),
        1 => "GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: d\r\n\r\n".into(),
        2 => {
            // The daemon answers 404 (no such image); the body carries a secret value.
            let body =
                format!(r#"{{"Image":"sockeye-test/no-such-image:0","Env":["TOKEN={SECRET}"]}}"#);
            format!(
                "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        }
        _ => "GET /v1.41/version HTTP/1.1\r\nHost: d\r\n\r\n".into(),
    }
}

/// `clients` connections making `per_client` calls each; returns the calls answered.
/// (A connection that breaks ends its client; the answers it got still count.)
async fn load(socket: &Path, clients: usize, per_client: usize) -> usize {
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let socket = socket.to_owned();
        let answered = answered.clone();
        tasks.push(tokio::spawn(async move {
            let Ok(mut s) = UnixStream::connect(&socket).await else {
                return;
            };
            for i in 0..per_client {
                if s.write_all(request(c + i).as_bytes()).await.is_err() {
                    break;
                }
                support::read_response(&mut s, false).await;
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    answered.load(Ordering::SeqCst)
}

fn records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(n, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("line {}: not a whole record ({e}): {l}", n + 1))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_concurrent_calls_give_exactly_one_whole_record_each() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let s = Sockeye::start_with(
        &daemon,
        &["-q", "--profile", "full", "--audit", log.to_str().unwrap()],
    );
    let answered = load(&s.socket, 32, 100).await;
    assert_eq!(answered, 3200, "every call answered");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains(SECRET),
        "a secret value reached the audit log"
    );
    let recs = records(&log);
    assert_eq!(recs.len(), answered, "one record per call");
    let mut ids: Vec<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), answered, "no call recorded twice");
    let creates: Vec<_> = recs
        .iter()
        .filter(|r| r["endpoint"] == "ContainerCreate")
        .collect();
    assert_eq!(creates.len(), 800);
    assert_eq!(creates[0]["status"], 404);
    assert_eq!(creates[0]["decision"], "allow");
    assert_eq!(
        creates[0]["facts"]["env_keys"],
        serde_json::json!(["TOKEN"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_load_leaves_only_whole_records() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let s = Sockeye::start_with(&daemon, &["-q", "--audit", log.to_str().unwrap()]);
    let socket = s.socket.clone();
    let load = tokio::spawn(async move { load(&socket, 16, 100_000).await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed = Command::new("kill")
        .args(["-KILL", &s.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "sockeye was running");
    let answered = tokio::time::timeout(Duration::from_secs(30), load)
        .await
        .expect("the load ends when sockeye dies")
        .unwrap();
    let recs = records(&log);
    assert!(answered > 100, "the load ran: {answered}");
    // A record is written before its response completes: every answered call has one; at
    // most the calls in flight (one per connection) have a record but no complete answer.
    assert!(
        recs.len() >= answered && recs.len() <= answered + 16,
        "{} records for {answered} answered calls",
        recs.len()
    );
    drop(s);
}

fn sh(cmd: &str) {
    let st = Command::new("sh").arg("-c").arg(cmd).status().unwrap();
    assert!(st.success(), "{cmd}");
}

#[tokio::test]
async fn a_full_disk_refuses_calls_clearly_and_they_resume_with_nothing_lost() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("audit");
    std::fs::create_dir(&mnt).unwrap();
    sh(&format!(
        "mount -t tmpfs -o size=256k tmpfs {}",
        mnt.display()
    ));
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let log = mnt.join("audit.log");
    let s = Sockeye::start_with(&daemon, &["-q", "--audit", log.to_str().unwrap()]);
    let docker = |args: &[&str]| {
        Command::new("docker")
            .env("DOCKER_HOST", s.host())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(docker(&["version"]).status.success());
    let before = records(&log).len();

    // Fill the disk: the next record cannot be written.
    let _ = Command::new("dd")
        .args([
            "if=/dev/zero",
            &format!("of={}/filler", mnt.display()),
            "bs=4k",
        ])
        .output();
    let mut refused = None;
    for _ in 0..5 {
        let out = docker(&["ps"]);
        if !out.status.success() {
            refused = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            break;
        }
    }
    let refused = refused.expect("calls are refused while the audit log cannot be written");
    assert!(
        refused.contains("sockeye: the audit log")
            && refused.contains("cannot be written")
            && refused.contains("calls are refused until it can record them"),
        "{refused}\n--- sockeye log:\n{}",
        tail(&s.log(), 2000)
    );

    // Room again: calls flow, and the records kept meanwhile are all there, whole.
    std::fs::remove_file(mnt.join("filler")).unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let out = docker(&["ps"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&log);
    assert!(
        recs.len() > before + 1,
        "records kept while the disk was full are written"
    );
    let refusals = recs.iter().filter(|r| r["status"] == 503).count();
    assert!(refusals >= 1, "the refused calls are on record too");
    let mut ids: Vec<(u64, u64)> = recs
        .iter()
        .map(|r| (r["conn"].as_u64().unwrap(), r["req"].as_u64().unwrap()))
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "no record written twice");
}

/// A client that half-closes right after its request made hyper drop the exchange while the
/// daemon ran it: the call was run but never recorded. It must be on record, cut short.
#[tokio::test]
async fn a_call_whose_client_goes_away_mid_call_is_still_recorded() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let s = Sockeye::start_with(&daemon, &["-q", "--audit", log.to_str().unwrap()]);
    // `sleep` as PID 1 ignores SIGTERM: the daemon answers the stop only after its timeout,
    // long after the client is gone.
    let name = support::unique("sockeye-audit-gone");
    let _c = support::Container::run(&daemon, &name, &["sleep", "60"]);
    let mut c = UnixStream::connect(&s.socket).await.unwrap();
    let stop = format!("POST /v1.41/containers/{name}/stop?t=2 HTTP/1.1\r\nHost: d\r\n\r\n");
    c.write_all(stop.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(c);
    let mut recs = Vec::new();
    for _ in 0..100 {
        recs = records(&log);
        if !recs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["endpoint"], "ContainerStop");
    assert_eq!(recs[0]["incomplete"], true, "{}", recs[0]);
    drop(s);
}

/// Reads one response head and returns it with the bytes that came after it.
async fn head_and_rest(s: &mut UnixStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 65536];
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).into_owned();
            return (head, buf[i + 4..].to_vec());
        }
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut tmp))
            .await
            .expect("a response head within 30 s")
            .unwrap();
        assert!(n > 0, "closed before a response head: {buf:?}");
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// Once nobody reads a session's bytes (no `-v`, the audit's 64 KiB of a request body kept),
/// sockeye moves them kernel-side and only counts them: the exec session's record must still
/// say exactly how many bytes went each way, well past what it keeps, and that it ended whole.
#[tokio::test]
async fn an_exec_session_is_counted_byte_for_byte_both_ways_in_its_record() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let s = Sockeye::start_with(&daemon, &["-q", "--audit", log.to_str().unwrap()]);
    let name = support::unique("sockeye-audit-exec");
    let _c = support::Container::run(&daemon, &name, &["sleep", "60"]);

    let mut c = UnixStream::connect(&s.socket).await.unwrap();
    let create = r#"{"AttachStdin":true,"AttachStdout":true,"AttachStderr":true,"Cmd":["sh","-c","wc -c; head -c 3000000 /dev/zero"]}"#;
    let req = format!(
        "POST /v1.41/containers/{name}/exec HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{create}",
        create.len()
    );
    c.write_all(req.as_bytes()).await.unwrap();
    let (status, _, body) = support::read_response(&mut c, false).await;
    assert!(status.contains(" 201 "), "{status}");
    let id = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut c = UnixStream::connect(&s.socket).await.unwrap();
    let start = r#"{"Detach":false,"Tty":false}"#;
    let req = format!(
        "POST /v1.41/exec/{id}/start HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{start}",
        start.len()
    );
    c.write_all(req.as_bytes()).await.unwrap();
    let (head, early) = head_and_rest(&mut c).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let (mut r, mut w) = c.into_split();
    const STDIN: usize = 1_000_000;
    let writer = tokio::spawn(async move {
        w.write_all(&vec![b'x'; STDIN]).await.unwrap();
        // stdin's end, as `docker exec -i` sends it: a half-close.
        w.shutdown().await.unwrap();
        w
    });
    let mut out = early;
    tokio::time::timeout(Duration::from_secs(60), r.read_to_end(&mut out))
        .await
        .expect("the session ends")
        .unwrap();
    let _w = writer.await.unwrap();

    // Demultiplex: 8-byte headers (stream, 0, 0, 0, length big-endian), then the payload.
    let mut stdout = Vec::new();
    let mut rest = &out[..];
    while rest.len() >= 8 {
        let len = u32::from_be_bytes(rest[4..8].try_into().unwrap()) as usize;
        assert_eq!(rest[0], 1, "only stdout");
        stdout.extend_from_slice(&rest[8..8 + len]);
        rest = &rest[8 + len..];
    }
    assert!(rest.is_empty(), "whole frames");
    assert_eq!(&stdout[..8], b"1000000\n", "the process read all of stdin");
    assert_eq!(stdout.len(), 8 + 3_000_000);
    assert!(stdout[8..].iter().all(|&b| b == 0));

    drop(s);
    let recs = records(&log);
    let session = recs
        .iter()
        .find(|r| r["endpoint"] == "ExecStart")
        .unwrap_or_else(|| panic!("no ExecStart record: {recs:?}"));
    assert_eq!(session["hijacked"], true, "{session}");
    assert_eq!(session["incomplete"], false, "{session}");
    assert_eq!(session["error"], serde_json::Value::Null, "{session}");
    assert_eq!(session["bytes_in"], start.len() + STDIN, "{session}");
    assert_eq!(session["bytes_out"], out.len(), "{session}");
}

/// `sockeye audit` on a log, its stdout.
fn audit_query(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .arg("audit")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn records_name_their_host_and_an_ecs_log_is_queried_like_a_json_one() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (json_log, ecs_log) = (dir.path().join("json.log"), dir.path().join("ecs.log"));
    let machine = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
    for (log, more) in [
        (&json_log, &[][..]),
        (
            &ecs_log,
            &["--audit-format", "ecs", "--audit-host", "web1"][..],
        ),
    ] {
        let mut args = vec![
            "-q",
            "--profile",
            "read-only",
            "--audit",
            log.to_str().unwrap(),
        ];
        args.extend(more);
        let s = Sockeye::start_with(&daemon, &args);
        let docker = |args: &[&str]| {
            Command::new("docker")
                .env("DOCKER_HOST", s.host())
                .args(args)
                .output()
                .unwrap()
        };
        assert!(docker(&["version"]).status.success());
        assert!(!docker(&["volume", "create"]).status.success());
        // The startup line says which host the records name, and in which field names.
        if !more.is_empty() {
            let log = s.log();
            assert!(log.contains("(ECS field names), host web1; "), "{log}");
        }
    }
    // Without --audit-host, the host name; with it, the name given.
    let json = records(&json_log);
    assert!(json.len() >= 3, "{json:?}");
    assert!(json.iter().all(|r| r["host"] == machine.trim()), "{json:?}");
    let ecs = records(&ecs_log);
    assert_eq!(ecs.len(), json.len());
    for r in &ecs {
        assert_eq!(r["host"]["name"], "web1", "{r}");
        assert_eq!(r["ecs"]["version"], "8.17.0", "{r}");
        assert!(r["event"]["id"].is_string(), "{r}");
        assert!(r.get("v").is_none(), "{r}");
    }
    let create = ecs
        .iter()
        .find(|r| r["event"]["action"] == "VolumeCreate")
        .unwrap();
    assert_eq!(
        create["event"]["type"],
        serde_json::json!(["access", "denied"])
    );
    assert_eq!(create["event"]["outcome"], "failure");
    assert_eq!(create["http"]["response"]["status_code"], 403);
    assert_eq!(create["rule"]["name"], "read-only-deny");

    // The two logs, queried together: merged by time, each record under its host.
    let (j, e) = (json_log.to_str().unwrap(), ecs_log.to_str().unwrap());
    let summary: serde_json::Value =
        serde_json::from_str(&audit_query(&[e, j, "--summary", "--json"])).unwrap();
    assert_eq!(summary["records"], json.len() * 2);
    let hosts = summary["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2, "{summary:#}");
    for h in hosts {
        assert_eq!(h["calls"], json.len(), "{summary:#}");
        assert_eq!(h["denied"], 1, "{summary:#}");
    }
    let denied = audit_query(&[e, j, "--decision", "denied", "--host", "web1"]);
    assert_eq!(denied.lines().count(), 1, "{denied}");
    assert!(denied.contains("  web1  "), "{denied}");
    assert!(denied.contains("docker volume create"), "{denied}");
    assert!(denied.ends_with("deny/read-only-deny  403\n"), "{denied}");
}
