//! Answer shaping and the lookups behind a decision, seen from the docker CLI against a real
//! dockerd: a policy that redacts hides `Env` values, mount sources and addresses from
//! `docker inspect`, `ps`, `network inspect`, `image inspect` and `history` while the daemon
//! itself still shows them; `run`, `ps` and `logs` work as before; the secret reaches no
//! view or audit record; `policy explain` shows each lookup a decision used, and the audit
//! record names the objects it resolved.
//!
//! Needs a Docker daemon (see `common`).

mod common;

use common::{docker_at as docker, output_text as text};

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::*;

const IMAGE: &str = "sockeye-test/busybox:1";

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

    // The views record what the client got, and say it was redacted; the audit log holds
    // no secret either.
    s.wait_for_log(&[
        "docker inspect",
        "redacted env, mounts, addresses",
        "[ContainerInspect]",
    ]);
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
