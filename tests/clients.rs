//! Docker clients of other ecosystems, run directly against the daemon and through sockeye
//! (with no policy, `--profile full` and `--profile no-escape`), must print the same
//! transcript: dockerode and testcontainers-node (Node.js), docker-py, and the Go SDK.
//!
//! Each client program lives in `tests/clients/<ecosystem>/` and prints one line per step
//! that does not depend on ids, ports or timing. `tests/clients/setup.sh` (run by
//! `scripts/test.sh`) installs their dependencies; a client that is not set up is skipped,
//! except under `CI=true`, where it fails the test.
//!
//! Most of these clients attach and start execs in the header-less form (no `Upgrade`
//! header), which dockerd answers with `200 OK` and a raw stream until it closes the
//! connection; sockeye once refused it (docs/design.md, "The header-less form").

mod common;

use std::path::{Path, PathBuf};

use common::{Harness, Sockeye};

/// A client program and how to run it.
#[derive(Clone, Copy, Debug)]
enum Client {
    Dockerode,
    Testcontainers,
    DockerPy,
    GoSdk,
}

impl Client {
    /// The program and its arguments, or why it cannot run here.
    fn command(self) -> Result<(String, Vec<String>), String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
        let node = |script: &str| {
            let dir = root.join("node");
            if !dir.join("node_modules/testcontainers").is_dir() {
                return Err(format!(
                    "{} has no node_modules: run tests/clients/setup.sh",
                    dir.display()
                ));
            }
            Ok((
                "node".to_string(),
                vec![dir.join(script).display().to_string()],
            ))
        };
        match self {
            Client::Dockerode => node("dockerode.js"),
            Client::Testcontainers => node("testcontainers.js"),
            Client::DockerPy => {
                let run = root.join("python/run.sh");
                Ok(("bash".to_string(), vec![run.display().to_string()]))
            }
            Client::GoSdk => {
                let bin = go_binary();
                if !bin.is_file() {
                    return Err(format!(
                        "{} is not built: run tests/clients/setup.sh",
                        bin.display()
                    ));
                }
                Ok((bin.display().to_string(), Vec::new()))
            }
        }
    }

    /// Steps the transcript must show, each on a line of its own, none failed.
    fn steps(self) -> &'static [&'static str] {
        match self {
            Client::Dockerode => &[
                "run-callback: exit=2 output=\"out\\r\\nerr\\r\\n\"",
                "run-promise: exit=0 stdout=\"out\\n\" stderr=\"err\\n\"",
                "attach: stdout=\"a\\n\" stderr=\"b\\n\" exit=3",
                "attach-logs: stdout=\"logged\\n\"",
                "exec-start-default: stdout=\"eo\\n\" stderr=\"ee\\n\" exit=4",
                "exec-start-empty: stdout=\"empty\\n\"",
                "exec-start-stdin: stdout=\"with-stdin\\n\" stderr=\"\" exit=5",
                "exec-start-hijack-stdin: stdout=\"piped\\n\"",
                "exec-start-detach: exit=0",
                "attach-missing: status=404",
            ],
            Client::Testcontainers => &[
                "start: started",
                "port: 200 \"hello\\n\"",
                "exec: exit=3 stdout=\"out\\n\" stderr=\"err\\n\"",
                "exec-output: exit=0 output=\"hello\\n\"",
                "logs: \"serving\"",
                "stop: stopped",
            ],
            Client::DockerPy => &[
                "run: sorted-lines=[b'err\\n', b'out\\n']",
                "attach-stream: output=b'a\\nb\\n' exit=3",
                "attach-socket: stdout=b'hello\\n' stderr=None exit=0",
                "exec-stream: stdout=b'eo\\n' stderr=b'ee\\n' exit=4",
                "exec-socket: stdout=b'piped\\n' stderr=None exit=0",
                "exec-plain: (5, b'plain\\n')",
                "exec-detach: exit=0",
                "logs: b'a\\nb\\n'",
                "cleanup: ok",
            ],
            Client::GoSdk => &[
                "ping: ok",
                "attach: stdout=\"out\\n\" stderr=\"err\\n\" exit=3",
                "attach-stdin: stdout=\"hello\\n\" stderr=\"\" exit=0",
                "attach-tty: output=\"out\\r\\nerr\\r\\n\" exit=3",
                "exec: stdout=\"eo\\n\" stderr=\"ee\\n\" exit=4",
                "exec-stdin: stdout=\"piped\\n\" stderr=\"\" exit=0",
                "exec-tty: output=\"tty\\r\\n\" exit=0",
                "exec-detach: exit=0 file=true",
            ],
        }
    }
}

/// Where `tests/clients/go/build.sh` puts the Go program (setup.sh builds it there).
fn go_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("clients-go/sockeye-go-client")
}

fn in_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true" | "1"))
}

/// Run `client` directly and through sockeye started with `args`; the transcripts must agree
/// and show every step succeeding.
fn compare(test: &str, client: Client, args: &[&str]) {
    let Some(daemon) = common::daemon() else {
        return;
    };
    let (program, argv) = match client.command() {
        Ok(c) => c,
        Err(why) if in_ci() => panic!("{client:?} cannot run in CI: {why}"),
        Err(why) => {
            eprintln!("\n######## SKIPPED: {client:?}: {why} ########\n");
            return;
        }
    };
    let sockeye = Sockeye::start_with(&daemon.socket, args);
    let h = Harness::with_sockeye(test, daemon, sockeye, None, Vec::new());
    h.compare(|side| {
        let out = side.step(
            side.program(&program, &argv)
                .env("SOCKEYE_TEST_IMAGE", common::IMAGE)
                .env("TESTCONTAINERS_RYUK_DISABLED", "true"),
        );
        out.ok().stdout_lacks(": error:");
        for step in client.steps() {
            out.check(&format!("a line starting {step:?}"), |o| {
                o.stdout_str().lines().any(|l| l.starts_with(step))
            });
        }
    });
}

/// No policy, `full`, `no-escape`: the same outcome each time.
const POLICIES: [&[&str]; 3] = [&[], &["--profile", "full"], &["--profile", "no-escape"]];

#[test]
fn dockerode_runs_attaches_and_execs_through_sockeye_as_directly() {
    for (i, args) in POLICIES.iter().enumerate() {
        compare(&format!("dockerode{i}"), Client::Dockerode, args);
    }
}

#[test]
fn testcontainers_starts_waits_for_a_port_and_execs_through_sockeye_as_directly() {
    for (i, args) in POLICIES.iter().enumerate() {
        compare(&format!("testcontainers{i}"), Client::Testcontainers, args);
    }
}

#[test]
fn docker_py_streams_and_sockets_through_sockeye_as_directly() {
    for (i, args) in POLICIES.iter().enumerate() {
        compare(&format!("dockerpy{i}"), Client::DockerPy, args);
    }
}

#[test]
fn go_sdk_attach_and_exec_attach_through_sockeye_as_directly() {
    for (i, args) in POLICIES.iter().enumerate() {
        compare(&format!("gosdk{i}"), Client::GoSdk, args);
    }
}

/// The audit log records dockerode's header-less attach and exec start like their upgraded
/// twins: a session, with the bytes it carried and the docker command it stands for.
#[test]
fn header_less_sessions_are_audited_like_upgraded_ones() {
    let Some(daemon) = common::daemon() else {
        return;
    };
    let (program, argv) = match Client::Dockerode.command() {
        Ok(c) => c,
        Err(why) if in_ci() => panic!("dockerode cannot run in CI: {why}"),
        Err(why) => {
            eprintln!("\n######## SKIPPED: dockerode: {why} ########\n");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let audit_arg = audit.display().to_string();
    let sockeye = Sockeye::start_with(&daemon.socket, &["--audit", &audit_arg]);
    let out = std::process::Command::new(&program)
        .args(&argv)
        .env("DOCKER_HOST", sockeye.host())
        .env("SOCKEYE_TEST_IMAGE", common::IMAGE)
        .output()
        .expect("run dockerode");
    assert!(out.status.success(), "{out:?}");
    drop(sockeye);
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sessions = |endpoint: &str, status: u64| {
        records
            .iter()
            .filter(|r| r["endpoint"] == endpoint && r["status"] == status)
            .collect::<Vec<_>>()
    };
    // run-callback, run-promise, attach, attach-logs: header-less, answered 200.
    let attaches = sessions("ContainerAttach", 200);
    assert_eq!(attaches.len(), 4, "{attaches:#?}");
    for r in &attaches {
        assert_eq!(r["hijacked"], true, "{r}");
        assert_eq!(r["incomplete"], false, "{r}");
        assert!(r["bytes_out"].as_u64().unwrap() > 0, "{r}");
        assert!(
            r["action"].as_str().unwrap().starts_with("docker attach"),
            "{r}"
        );
    }
    // Three header-less exec starts (200) beside the upgraded one (101) and the detached
    // one (200, not a session).
    let execs: Vec<_> = sessions("ExecStart", 200)
        .into_iter()
        .filter(|r| r["hijacked"] == true)
        .collect();
    assert_eq!(execs.len(), 3, "{records:#?}");
    let upgraded = sessions("ExecStart", 101);
    assert_eq!(upgraded.len(), 1);
    for r in execs.iter().chain(&upgraded) {
        assert!(r["bytes_out"].as_u64().unwrap() > 0, "{r}");
        assert!(
            r["action"].as_str().unwrap().starts_with("docker exec"),
            "{r}"
        );
    }
}
