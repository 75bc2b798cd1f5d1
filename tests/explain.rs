//! `sockeye policy explain` gives the relay's answer: for each input, explain's verdict is
//! compared with what `sockeye proxy`, started with the same flags, answers the same request
//! on the wire (the same rule and message, the same refusal).

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

const SOCKEYE: &str = env!("CARGO_BIN_EXE_sockeye");

fn rego(name: &str) -> String {
    format!("{}/examples/rego/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn explain(flags: &[&str], request: &str, body: Option<&str>) -> Output {
    let mut c = Command::new(SOCKEYE);
    c.args(["policy", "explain"])
        .args(flags)
        .args(["--request", request]);
    if let Some(b) = body {
        c.args(["--body", b]);
    }
    c.output().expect("run sockeye")
}

/// One request on its own connection: the status and the body.
fn send(socket: &Path, request: &str, body: Option<&str>) -> (u16, String) {
    let (method, target) = request.split_once(' ').unwrap();
    let mut s = UnixStream::connect(socket).expect("connect to sockeye");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n");
    let body = body.unwrap_or("");
    if !body.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The message of sockeye's own answer (`{"message":"sockeye: …"}`), if it is one.
fn sockeye_message(body: &str) -> Option<String> {
    // A chunked answer carries its size lines around the JSON.
    let json = &body[body.find('{')?..=body.rfind('}')?];
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["message"]
        .as_str()?
        .strip_prefix("sockeye: ")
        .map(str::to_owned)
}

/// Explain's verdict, as the wire would show it: `allowed` (the daemon answers), or sockeye's
/// own status and message.
fn explained(out: &Output) -> (Option<u16>, String) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout
        .trim_end()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    match out.status.code() {
        Some(0) => (None, "allowed".into()),
        Some(1) => match last.strip_prefix("refused before the policy: ") {
            Some(rest) => {
                let (status, message) = rest.split_once(' ').unwrap();
                (Some(status.parse().unwrap()), message.to_owned())
            }
            None => (Some(403), last),
        },
        _ => panic!("explain failed: {}", text(out)),
    }
}

/// The proxy's verdict on the wire.
fn relayed(socket: &Path, request: &str, body: Option<&str>) -> (Option<u16>, String) {
    let (status, answer) = send(socket, request, body);
    match sockeye_message(&answer) {
        Some(message) => (Some(status), message),
        None => (None, "allowed".into()),
    }
}

#[test]
fn explain_denies_a_privileged_create_under_a_rego_policy_as_the_proxy_does() {
    // The issue's command, word for word.
    let out = explain(
        &[
            "--profile",
            "full",
            "--policy-rego",
            &rego("deny-privileged.rego"),
        ],
        "POST /v1.41/containers/create",
        Some(r#"{"Image":"x","HostConfig":{"Privileged":true}}"#),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.trim_end().ends_with(
            "denied by rule rego:deny-privileged: privileged containers are not allowed"
        ),
        "{}",
        text(&out)
    );
    assert!(
        stdout.contains("full (profile full, allow): matched"),
        "{stdout}"
    );

    // A Rego policy alone is a policy, as it is for `proxy`.
    let out = explain(
        &["--policy-rego", &rego("deny-privileged.rego")],
        "POST /v1.41/containers/create",
        Some(r#"{"Image":"x"}"#),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("allowed by rule rego:deny-privileged"),
        "{}",
        text(&out)
    );

    // A Rego file that is not there fails, in one line, as `proxy` fails.
    let out = explain(
        &["--profile", "full", "--policy-rego", "/nonexistent.rego"],
        "GET /containers/json",
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent.rego"), "{stderr}");
}

#[test]
fn explain_gives_the_proxys_answer_for_the_same_flags_and_request() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let uid = nix_uid();
    let policy = dir.path().join("mine.toml");
    std::fs::write(
        &policy,
        format!(
            r#"version = 1
default = "deny"
[[rules]]
name = "me-ping"
action = "allow"
client.uid = [{uid}]
request.endpoint = ["SystemPing", "SystemPingHead", "ContainerList"]
[[rules]]
name = "me-create"
action = "allow"
client.uid = [{uid}]
request.endpoint = ["ContainerCreate"]
body.privileged = false
"#
        ),
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let deny_privileged = rego("deny-privileged.rego");
    let missing_image = format!("sockeye-test/none-{}:1", std::process::id());
    let plain = format!(r#"{{"Image":"{missing_image}"}}"#);
    let privileged = format!(r#"{{"Image":"{missing_image}","HostConfig":{{"Privileged":true}}}}"#);
    let root_bind =
        format!(r#"{{"Image":"{missing_image}","HostConfig":{{"Binds":["/:/host"]}}}}"#);
    let ambiguous = r#"{"Image":"a","image":"b"}"#;
    let large = format!(
        r#"{{"Image":"{missing_image}","Labels":{{"a":"{}"}}}}"#,
        "x".repeat(1100)
    );
    let create = "POST /v1.41/containers/create";
    let cases: Vec<(Vec<&str>, &str, Option<&str>)> = vec![
        (
            vec!["--profile", "full", "--policy-rego", &deny_privileged],
            create,
            Some(&privileged),
        ),
        (
            vec!["--profile", "full", "--policy-rego", &deny_privileged],
            create,
            Some(&plain),
        ),
        (
            vec!["--policy-rego", &deny_privileged],
            create,
            Some(&privileged),
        ),
        (vec!["--profile", "no-escape"], create, Some(&root_bind)),
        (vec!["--profile", "no-escape"], create, Some(&plain)),
        (
            vec!["--profile", "read-only"],
            "GET /v1.41/containers/json",
            None,
        ),
        (vec!["--profile", "read-only"], create, Some(&plain)),
        (vec!["--profile", "full"], create, Some(ambiguous)),
        (
            vec!["--profile", "full", "--max-body", "1024"],
            create,
            Some(&large),
        ),
        (vec!["--policy", policy], create, Some(&privileged)),
        (vec!["--policy", policy], create, Some(&plain)),
        (
            vec!["--policy", policy],
            "DELETE /v1.41/containers/nothing-here",
            None,
        ),
    ];
    let mut wrong = Vec::new();
    let mut denials = 0;
    for (flags, request, body) in &cases {
        let out = explain(flags, request, *body);
        let said = explained(&out);
        let s = Sockeye::start_with(&d.socket, flags);
        let did = relayed(&s.socket, request, *body);
        if said != did {
            wrong.push(format!(
                "{flags:?} {request} {body:?}:\n  explain: {said:?}\n  proxy:   {did:?}\n{}",
                text(&out)
            ));
        }
        denials += usize::from(said.0.is_some());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Both ways were tried: the table holds allowed requests and refused ones.
    assert!(denials >= 6 && denials < cases.len(), "{denials}");
}

fn nix_uid() -> u32 {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn explain_simulates_a_tls_client_by_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("tls.toml");
    std::fs::write(
        &policy,
        r#"version = 1
[[rules]]
name = "ci"
action = "allow"
client.cert_subject = ["ci-*"]
request.endpoint = ["ContainerList"]
[[rules]]
name = "by-san"
action = "allow"
client.cert_san = ["deploy.example.com"]
request.endpoint = ["ImageList"]
"#,
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let ask = |extra: &[&str], request| {
        let mut flags = vec![policy];
        flags.extend_from_slice(extra);
        explain(&flags, request, None)
    };
    let out = ask(
        &["--cert-subject", "CN=ci-runner,O=ops"],
        "GET /containers/json",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("caller: cn=ci-runner 127.0.0.1:0"),
        "{}",
        text(&out)
    );
    let out = ask(&["--cert-subject", "CN=alice"], "GET /containers/json");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("client.cert_subject"),
        "{}",
        text(&out)
    );
    let out = ask(
        &["--cert-san", "deploy.example.com", "--source", "10.0.0.5"],
        "GET /images/json",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A TLS client has no uid to give.
    let out = ask(
        &["--cert-subject", "CN=x", "--uid", "0"],
        "GET /images/json",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn explain_resolves_a_callers_container_with_the_daemon_as_the_relay_does() {
    let Some(d) = daemon() else { return };
    let name = format!("sk{}-explain-caller", std::process::id());
    let docker = |args: &[&str]| {
        Command::new("docker")
            .env("DOCKER_HOST", &d.host)
            .env_remove("DOCKER_CONTEXT")
            .args(args)
            .output()
            .unwrap()
    };
    let _ = docker(&["rm", "-f", &name]);
    let out = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        "role=dashboard",
        "--network",
        "none",
        IMAGE,
        "sleep",
        "300",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("containers.toml");
    std::fs::write(
        &policy,
        r#"version = 1
[[rules]]
name = "dashboards-read"
action = "allow"
client.container_label = { role = ["dashboard"] }
request.endpoint = ["ContainerList"]
"#,
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    for wanted in [name.as_str(), &id[..12]] {
        let out = explain(
            &[policy, "--upstream", &d.host, "--container", wanted],
            "GET /containers/json",
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains(&format!("in container {name} (role=dashboard)")),
            "{}",
            text(&out)
        );
    }
    let out = explain(
        &[
            policy,
            "--upstream",
            &d.host,
            "--container",
            "sockeye-no-such-container",
        ],
        "GET /containers/json",
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let _ = docker(&["rm", "-f", &name]);
}
