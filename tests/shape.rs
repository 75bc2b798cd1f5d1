//! Answer shaping and the lookups behind a decision, seen from the docker CLI against a real
//! dockerd: a policy that redacts hides `Env` values, mount sources and addresses from
//! `docker inspect`, `ps`, `network inspect`, `image inspect` and `history` while the daemon
//! itself still shows them; `run`, `ps` and `logs` work as before; the secret reaches no
//! view or audit record; `policy explain` shows each lookup a decision used, and the audit
//! record names the objects it resolved.
//!
//! Needs a Docker daemon (see `common`).

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::*;

const IMAGE: &str = "sockeye-test/busybox:1";

fn docker(host: &str, args: &[&str]) -> Output {
    Command::new("docker")
        .env("DOCKER_HOST", host)
        .env_remove("DOCKER_CONTEXT")
        .args(args)
        .output()
        .expect("run docker")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A running container holding a secret in its environment and a host directory, and an
/// image committed from it with a secret `ENV`; all made directly on the daemon and removed
/// on drop.
struct Fixture {
    daemon: String,
    name: String,
    image: String,
    secret: String,
    host_dir: tempfile::TempDir,
}

impl Fixture {
    fn new(d: &Daemon, tag: &str) -> Fixture {
        let name = format!("sockeye-shape-{tag}-{}", std::process::id());
        let image = format!("sockeye-test/shape-{tag}:{}", std::process::id());
        let secret = format!("hunter2-{tag}-{}", std::process::id());
        let host_dir = tempfile::Builder::new()
            .prefix("sockeye-shape-hostdir.")
            .tempdir()
            .unwrap();
        let _ = docker(&d.host, &["rm", "-f", &name]);
        let bind = format!("{}:/data:ro", host_dir.path().display());
        let env = format!("SECRET={secret}");
        ok(docker(
            &d.host,
            &[
                "run",
                "-d",
                "--name",
                &name,
                "-e",
                &env,
                "-v",
                &bind,
                IMAGE,
                "sh",
                "-c",
                "echo the log line; sleep 300",
            ],
        ));
        let change = format!("ENV TOKEN={secret}");
        ok(docker(
            &d.host,
            &["commit", "--change", &change, &name, &image],
        ));
        Fixture {
            daemon: d.host.clone(),
            name,
            image,
            secret,
            host_dir,
        }
    }

    fn host_path(&self) -> String {
        self.host_dir.path().display().to_string()
    }

    /// The container's address on the default bridge, as the daemon says it.
    fn address(&self) -> String {
        let ip = ok(docker(
            &self.daemon,
            &[
                "inspect",
                "-f",
                "{{.NetworkSettings.IPAddress}}",
                &self.name,
            ],
        ));
        ip.trim().to_owned()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = docker(&self.daemon, &["rm", "-f", &self.name]);
        let _ = docker(&self.daemon, &["rmi", "-f", &self.image]);
    }
}

fn write_policy(dir: &Path, text: &str) -> String {
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The audit log once it holds a line with `needle` (the writer is asynchronous).
fn audit_with(path: &Path, needle: &str) -> String {
    for _ in 0..500 {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if log.contains(needle) {
            return log;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "no audit record with {needle:?}:\n{}",
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

#[test]
fn docker_inspect_through_a_redacting_policy_hides_what_the_daemon_itself_shows() {
    let Some(d) = daemon() else { return };
    let fx = Fixture::new(d, "all");
    let address = fx.address();
    assert!(!address.is_empty(), "the fixture has an address");

    // Directly, the daemon shows all of it.
    let direct = ok(docker(&d.host, &["inspect", &fx.name]));
    for shown in [&fx.secret, &fx.host_path(), &address] {
        assert!(direct.contains(shown.as_str()), "{shown} in {direct}");
    }

    let dir = tempfile::tempdir().unwrap();
    let policy = write_policy(
        dir.path(),
        r#"
version = 1
base = "no-escape"
redact = ["env", "mounts", "addresses"]
"#,
    );
    let audit = dir.path().join("audit.log");
    let s = Sockeye::start_with(
        &d.socket,
        &[
            "--policy",
            &policy,
            "-v",
            "--audit",
            audit.to_str().unwrap(),
        ],
    );
    let host = s.host();

    let inspected = ok(docker(&host, &["inspect", &fx.name]));
    assert!(inspected.contains("\"SECRET=<redacted>\""), "{inspected}");
    for hidden in [&fx.secret, &fx.host_path(), &address] {
        assert!(
            !inspected.contains(hidden.as_str()),
            "{hidden} in {inspected}"
        );
    }
    assert!(
        inspected.contains("\"Destination\": \"/data\""),
        "{inspected}"
    );
    let env = ok(docker(
        &host,
        &["inspect", "-f", "{{json .Config.Env}}", &fx.name],
    ));
    assert!(env.contains("SECRET=<redacted>"), "{env}");

    // Listings, networks and images: none of it either, and every command still works.
    let ps = ok(docker(
        &host,
        &[
            "ps",
            "--no-trunc",
            "--format",
            "{{.Names}} {{.Mounts}} {{.Networks}}",
        ],
    ));
    assert!(ps.contains(&fx.name), "{ps}");
    let network = ok(docker(&host, &["network", "inspect", "bridge"]));
    assert!(!network.contains(&address), "{network}");
    assert!(
        network.contains(&fx.name),
        "the members are still listed: {network}"
    );
    let image = ok(docker(&host, &["image", "inspect", &fx.image]));
    assert!(!image.contains(&fx.secret), "{image}");
    assert!(image.contains("TOKEN=<redacted>"), "{image}");
    let history = ok(docker(&host, &["history", "--no-trunc", &fx.image]));
    assert!(!history.contains(&fx.secret), "{history}");

    // Untouched: run, logs, and the daemon's own view.
    let run = ok(docker(
        &host,
        &[
            "run",
            "--rm",
            "-e",
            "X=through",
            IMAGE,
            "sh",
            "-c",
            "echo $X",
        ],
    ));
    assert_eq!(run, "through\n");
    let logs = ok(docker(&host, &["logs", &fx.name]));
    assert_eq!(logs, "the log line\n");
    assert!(ok(docker(&d.host, &["inspect", &fx.name])).contains(&fx.secret));

    // The views record what the client got, and the audit log holds no secret either.
    s.wait_for_log(&["inspect"]);
    let log = s.log();
    assert!(!log.contains(&fx.secret), "the secret in the view:\n{log}");
    assert!(log.contains("\"Source\": \"<redacted>\""), "{log}");
    assert!(
        !log.contains(&fx.host_path()),
        "the view shows the answer as shaped, not as the daemon sent it:\n{log}"
    );
    let records = audit_with(&audit, "ContainerLogs");
    assert!(!records.contains(&fx.secret), "{records}");
    let record = |endpoint: &str| -> serde_json::Value {
        records
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["endpoint"] == endpoint)
            .unwrap()
    };
    assert_eq!(
        record("ContainerInspect")["redacted"],
        serde_json::json!(["env", "mounts", "addresses"])
    );
    assert_eq!(record("ContainerLogs")["redacted"], serde_json::Value::Null);
}

#[test]
fn a_rules_own_redact_replaces_the_policy_default_for_the_clients_it_matches() {
    let Some(d) = daemon() else { return };
    let fx = Fixture::new(d, "rule");
    let dir = tempfile::tempdir().unwrap();
    // root (the test's docker CLI) may see mounts, never env values; anyone else sees less.
    let policy = write_policy(
        dir.path(),
        r#"
version = 1
base = "read-only"
redact = ["env", "mounts", "addresses"]

[[rules]]
name = "root-sees-mounts"
action = "allow"
client.uid = [0]
request.endpoint = ["ContainerInspect", "SystemPing", "SystemPingHead", "SystemVersion"]
redact = ["env"]
"#,
    );
    let s = Sockeye::start_with(&d.socket, &["--policy", &policy]);
    let inspected = ok(docker(&s.host(), &["inspect", &fx.name]));
    assert!(inspected.contains("SECRET=<redacted>"), "{inspected}");
    assert!(!inspected.contains(&fx.secret), "{inspected}");
    assert!(
        inspected.contains(&fx.host_path()),
        "mounts shown: {inspected}"
    );

    // `redact = []` shows everything to the clients its rule matches.
    let open = write_policy(
        dir.path(),
        r#"
version = 1
base = "read-only"
redact = ["env"]

[[rules]]
name = "root-sees-all"
action = "allow"
client.uid = [0]
redact = []
"#,
    );
    let s = Sockeye::start_with(&d.socket, &["--policy", &open]);
    assert!(ok(docker(&s.host(), &["inspect", &fx.name])).contains(&fx.secret));
}

#[test]
fn policy_explain_shows_each_daemon_lookup_or_says_it_cannot_decide_without_them() {
    let Some(d) = daemon() else { return };
    let fx = Fixture::new(d, "explain");
    let id = ok(docker(&d.host, &["inspect", "-f", "{{.Id}}", &fx.name]));
    let id = id.trim();
    let target = format!("POST /v1.41/containers/{}/exec", fx.name);
    let explain = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
            .args([
                "policy",
                "explain",
                "--profile",
                "no-escape",
                "--request",
                &target,
            ])
            .args(["--body", r#"{"Cmd":["true"]}"#])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    let (code, out) = explain(&[]);
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(&format!("container {:?} (target)", fx.name)),
        "{out}"
    );
    assert!(
        out.contains("undecided: the relay asks the daemon"),
        "{out}"
    );
    assert!(!out.contains("allowed by"), "{out}");

    // The container mounts a host directory: exec into it is judged as that mount.
    let (code, out) = explain(&["--upstream", &d.host]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "looked up container {:?} → {id} (target)",
            fx.name
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "inherits from container {} ({}) (target): host path {} outside the allowlist",
            fx.name,
            &id[..12],
            fx.host_path()
        )),
        "{out}"
    );
    assert!(out.contains("denied by rule no-escape"), "{out}");

    let (code, out) = explain(&["--upstream", &d.host, "--allow-host-path", &fx.host_path()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("forwarded pinned as /v1.41/containers/{id}/exec")),
        "{out}"
    );
    assert!(out.contains("allowed by rule no-escape-allow"), "{out}");

    let missing = format!("sockeye-shape-none-{}", std::process::id());
    let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args([
            "policy",
            "explain",
            "--profile",
            "no-escape",
            "--upstream",
            &d.host,
        ])
        .args([
            "--request",
            &format!("POST /v1.41/containers/{missing}/exec"),
        ])
        .args(["--body", r#"{"Cmd":["true"]}"#])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "refused before the policy: 404 No such container: {missing}"
        )),
        "{stdout}"
    );
}

#[test]
fn the_audit_record_names_the_objects_a_decision_resolved() {
    let Some(d) = daemon() else { return };
    let fx = Fixture::new(d, "audit");
    let id = ok(docker(&d.host, &["inspect", "-f", "{{.Id}}", &fx.name]));
    let id = id.trim();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let s = Sockeye::start_with(
        &d.socket,
        &[
            "-q",
            "--profile",
            "no-escape",
            "--allow-host-path",
            &fx.host_path(),
            "--audit",
            audit.to_str().unwrap(),
        ],
    );
    ok(docker(&s.host(), &["exec", &fx.name, "true"]));
    let log = audit_with(&audit, "ContainerExec");
    let record: serde_json::Value = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["endpoint"] == "ContainerExec")
        .unwrap();
    assert_eq!(
        record["facts"]["resolved"],
        serde_json::json!([{"kind": "container", "reference": fx.name, "id": id, "role": "target"}]),
        "{record}"
    );
}

/// A daemon that answers each container inspect with a canned answer, one connection per
/// request: `ok` chunked JSON with a header of its own, `gz` compressed, `html` not JSON,
/// `big` larger than sockeye reads to redact; anything else 404.
fn canned_daemon(dir: &Path) -> std::path::PathBuf {
    use std::io::{BufRead, BufReader, Write};
    let path = dir.join("canned.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let target = line.split(' ').nth(1).unwrap_or("").to_owned();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                let mut out = stream;
                let head = |extra: &str| {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n")
                };
                let _ = if target.ends_with("/containers/ok/json") {
                    let (a, b) = (r#"{"Id":"ok","Config":{"Env":["#, r#""A=s3cret"]}}"#);
                    out.write_all(
                        format!(
                            "{}{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                            head("Transfer-Encoding: chunked\r\nX-Daemon-Own: kept\r\n"),
                            a.len(),
                            b.len()
                        )
                        .as_bytes(),
                    )
                } else if target.ends_with("/containers/gz/json") {
                    out.write_all(
                        format!(
                            "{}{{}}",
                            head("Content-Encoding: gzip\r\nContent-Length: 2\r\n")
                        )
                        .as_bytes(),
                    )
                } else if target.ends_with("/containers/html/json") {
                    out.write_all(format!("{}<html>", head("Content-Length: 6\r\n")).as_bytes())
                } else if target.ends_with("/containers/big/json") {
                    let size = 33 * 1024 * 1024;
                    let _ = out.write_all(head(&format!("Content-Length: {size}\r\n")).as_bytes());
                    let chunk = vec![b' '; 1024 * 1024];
                    (0..33).try_for_each(|_| out.write_all(&chunk))
                } else {
                    out.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 22\r\nConnection: close\r\n\r\n{\"message\":\"no such\"}\n",
                    )
                };
            });
        }
    });
    path
}

/// `curl -si` through sockeye: the status line, the headers and the body.
fn curl(sockeye: &Sockeye, target: &str) -> String {
    let out = Command::new("curl")
        .args(["-si", "--unix-socket", sockeye.socket.to_str().unwrap()])
        .arg(format!("http://d{target}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_redacted_answer_gets_its_own_length_and_one_that_cannot_be_redacted_is_withheld() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = canned_daemon(dir.path());
    let policy = write_policy(
        dir.path(),
        "version = 1\ndefault = \"allow\"\nredact = [\"env\"]\n",
    );
    let s = Sockeye::start_with(&daemon, &["--policy", &policy]);

    let ok = curl(&s, "/v1.41/containers/ok/json");
    let lower = ok.to_ascii_lowercase();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(
        ok.ends_with("{\"Id\":\"ok\",\"Config\":{\"Env\":[\"A=<redacted>\"]}}\n"),
        "{ok}"
    );
    assert!(lower.contains("content-length: 46\r\n"), "{ok}");
    assert!(!lower.contains("transfer-encoding"), "{ok}");
    assert!(
        lower.contains("x-daemon-own: kept"),
        "every other header is the daemon's: {ok}"
    );

    for (name, why) in [
        ("gz", "it is compressed (Content-Encoding: gzip)"),
        ("html", "it is not one JSON document"),
        (
            "big",
            "it is larger than the 33554432 bytes sockeye reads whole to redact",
        ),
    ] {
        let answer = curl(&s, &format!("/v1.41/containers/{name}/json"));
        assert!(answer.starts_with("HTTP/1.1 502"), "{name}: {answer}");
        assert!(
            answer.contains(&format!(
                "{{\"message\":\"sockeye: the daemon's answer to ContainerInspect is withheld: {why}"
            )),
            "{name}: {answer}"
        );
    }
    // An error is dockerd's own, and passes as it came.
    let missing = curl(&s, "/v1.41/containers/none/json");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(
        missing.ends_with("{\"message\":\"no such\"}\n"),
        "{missing}"
    );
}
