//! Callers on container networks: a TCP client is known by the container that holds its
//! address, so rules on `client.container_label` and `client.container_name` work for the
//! way everybody runs a socket proxy (Traefik, Homepage, a CI runner reaching
//! `tcp://socket-proxy:2375`), and the view names the container. Before, every TCP client was
//! only an address, and two compose services behind one proxy could not get different rules.

mod common;

use std::io::Write;
use std::process::Command;

use common::{daemon, Sockeye, IMAGE};

/// The 20.10 daemon's default bridge: its gateway is the host as containers see it.
const GATEWAY: &str = "172.17.0.1";

#[test]
fn two_containers_get_the_decisions_their_labels_ask_for_and_the_view_names_them() {
    let Some(d) = daemon() else { return };
    let mut policy = tempfile::NamedTempFile::new().unwrap();
    write!(
        policy,
        r#"version = 1
default = "deny"

[[rules]]
name = "readers-list"
action = "allow"
client.container_label.role = ["reader"]
request.endpoint = ["ContainerList", "SystemPing"]
"#
    )
    .unwrap();
    let port = {
        let l = std::net::TcpListener::bind((GATEWAY, 0)).expect("bind on docker0's gateway");
        l.local_addr().unwrap().port()
    };
    let sk = Sockeye::start_with(
        &d.socket,
        &[
            "--listen",
            &format!("tcp://{GATEWAY}:{port}"),
            "--insecure-tcp",
            "--policy",
            policy.path().to_str().unwrap(),
        ],
    );
    let p = format!("sk{}-cc", std::process::id());
    let run = |name: &str, role: &str| {
        let out = Command::new("docker")
            .env("DOCKER_HOST", &d.host)
            .args([
                "run",
                "--rm",
                "--name",
                name,
                "--label",
                &format!("role={role}"),
                IMAGE,
            ])
            .args([
                "wget",
                "-q",
                "-O-",
                &format!("http://{GATEWAY}:{port}/v1.41/containers/json"),
            ])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&format!("{p}-reader"), "reader");
    assert_eq!(
        code,
        Some(0),
        "the reader was refused: {err}\n{}",
        common::tail(&sk.log(), 3000)
    );
    assert!(out.starts_with('['), "{out}");
    let (code, out, err) = run(&format!("{p}-other"), "other");
    assert_ne!(
        code,
        Some(0),
        "the other container listed containers: {out}"
    );
    assert!(err.contains("403"), "{err}");
    let log = sk.log();
    assert!(
        log.contains(&format!("in {p}-reader")) && log.contains(&format!("in {p}-other")),
        "the view names neither container:\n{}",
        common::tail(&log, 3000)
    );
}
