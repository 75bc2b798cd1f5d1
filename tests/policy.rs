//! Policies seen from the docker CLI: a read-only client can read everything and change
//! nothing, each denial is one clear line, a client is told apart by its uid, audit mode
//! changes no outcome, and Tecnativa's environment variables mean what they mean there.
//!
//! Needs a Docker daemon (see `common`).

mod common;

use common::{docker_at as docker, output_text as text};

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::*;

const IMAGE: &str = "sockeye-test/busybox:1";

/// A container made directly on the daemon, removed on drop.
struct Fixture {
    daemon: String,
    name: String,
}

impl Fixture {
    fn new(d: &Daemon) -> Fixture {
        let name = format!("sockeye-policy-{}", std::process::id());
        let _ = docker(&d.host, &["rm", "-f", &name]);
        let out = docker(
            &d.host,
            &[
                "run",
                "-d",
                "--name",
                &name,
                "--label",
                "team=web",
                IMAGE,
                "sh",
                "-c",
                "echo hello from the fixture; touch /made; sleep 300",
            ],
        );
        assert!(out.status.success(), "fixture: {}", text(&out));
        Fixture {
            daemon: d.host.clone(),
            name,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = docker(&self.daemon, &["rm", "-f", &self.name]);
    }
}

#[test]
fn read_only_lets_every_read_command_through_and_refuses_every_write_in_one_line() {
    let Some(d) = daemon() else { return };
    let fx = Fixture::new(d);
    let ro = Sockeye::start_with(&d.socket, &["--profile", "read-only"]);
    let host = ro.host();
    let c = fx.name.as_str();

    // Reads: the same exit code and output as directly (commands whose output is stable
    // between two runs), or at least success. Listings are narrowed to the fixture: the
    // other tests of this binary run containers meanwhile.
    let name_filter = format!("name={c}");
    let same = [
        vec!["version", "--format", "{{.Server.APIVersion}}"],
        // Not CREATED or STATUS: "2 seconds ago" can become "3 seconds ago" between the runs.
        vec![
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &name_filter,
            "--format",
            "{{.ID}} {{.Image}} {{.Command}} {{.Names}} {{.Labels}} {{.Mounts}}",
        ],
        vec!["ps", "--filter", "label=team=web", "--format", "{{.Names}}"],
        vec!["images", "--no-trunc"],
        vec!["image", "inspect", IMAGE],
        vec!["image", "history", "--no-trunc", IMAGE],
        vec!["inspect", c],
        vec!["container", "inspect", "--format", "{{.Config.Labels}}", c],
        vec!["logs", c],
        vec!["logs", "--tail", "1", "--timestamps", c],
        vec!["diff", c],
        vec!["port", c],
        // Only the predefined networks: other tests of this binary make and remove theirs.
        vec!["network", "ls", "--no-trunc", "--filter", "type=builtin"],
        vec![
            "network",
            "inspect",
            "bridge",
            "--format",
            "{{.Name}} {{.Driver}}",
        ],
        vec!["volume", "ls"],
        vec!["plugin", "ls"],
        vec!["events", "--since", "1", "--until", "2"],
    ];
    let mut failures = Vec::new();
    for args in &same {
        let direct = docker(&d.host, args);
        let relayed = docker(&host, args);
        if (direct.status.code(), &direct.stdout, &direct.stderr)
            != (relayed.status.code(), &relayed.stdout, &relayed.stderr)
        {
            failures.push(format!(
                "docker {}: differs\n direct: {}\n relayed: {}",
                args.join(" "),
                text(&direct),
                text(&relayed)
            ));
        }
    }
    let volatile = [
        vec!["info"],
        vec!["top", c],
        vec!["stats", "--no-stream", c],
        vec!["system", "df"],
    ];
    for args in &volatile {
        let relayed = docker(&host, args);
        if !relayed.status.success() || relayed.stdout.is_empty() {
            failures.push(format!("docker {}: {}", args.join(" "), text(&relayed)));
        }
    }

    // Writes (and reads of file contents): refused with one line naming the rule.
    let vol = format!("{c}-vol");
    let made = format!("{c}:/made");
    let writes = [
        vec!["run", "--rm", IMAGE, "true"],
        vec!["create", IMAGE],
        vec!["exec", c, "true"],
        vec!["stop", "-t", "1", c],
        vec!["kill", c],
        vec!["pause", c],
        vec!["restart", c],
        vec!["rename", c, "other"],
        vec!["rm", "-f", c],
        vec!["commit", c],
        vec!["tag", IMAGE, "sockeye-test/renamed:1"],
        vec!["rmi", IMAGE],
        vec!["pull", "busybox"],
        vec!["network", "create", "sockeye-ro-net"],
        vec!["volume", "create", &vol],
        vec!["cp", &made, "-"],
        vec!["export", c],
        vec!["image", "save", IMAGE],
        vec!["system", "prune", "-f"],
        vec!["update", "--memory", "64m", c],
    ];
    for args in &writes {
        let out = docker(&host, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .find(|l| l.contains("sockeye:"))
            .unwrap_or_default();
        if out.status.success()
            || !line.contains(
                "sockeye: denied by rule read-only-deny: the read-only profile allows listing and inspecting only",
            )
        {
            failures.push(format!("docker {}: not refused as expected: {}", args.join(" "), text(&out)));
        }
    }

    // Nothing changed behind the refusals.
    let state = docker(
        &d.host,
        &[
            "inspect",
            "--format",
            "{{.Name}} {{.State.Running}} {{.HostConfig.Memory}}",
            c,
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&state.stdout).trim(),
        format!("/{c} true 0"),
        "{}",
        text(&state)
    );
    assert!(!docker(&d.host, &["volume", "inspect", &vol])
        .status
        .success());
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}\n--- sockeye log:\n{}",
        failures.len(),
        failures.join("\n"),
        tail(&ro.log(), 3000)
    );
}

fn write_policy(dir: &Path, text: &str) -> String {
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Run the docker CLI as another user, with a config directory it can write.
fn docker_as(uid: u32, host: &str, config: &Path, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args([
            &format!("--reuid={uid}"),
            &format!("--regid={uid}"),
            "--clear-groups",
            "docker",
        ])
        .args(args)
        .env("DOCKER_HOST", host)
        .env("DOCKER_CONFIG", config)
        .env("HOME", config)
        .output()
        .expect("setpriv docker")
}

#[test]
fn clients_are_told_apart_by_uid() {
    let Some(d) = daemon() else { return };
    if !nix_is_root() {
        panic!("this test runs docker as uid 1000 through setpriv, which needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let policy = write_policy(
        dir.path(),
        r#"
version = 1

[[rules]]
name = "ci-lists-containers"
action = "allow"
client.uid = [1000]
request.endpoint = ["SystemPing", "SystemPingHead", "SystemVersion", "ContainerList"]

[[rules]]
name = "root-does-anything"
action = "allow"
client.uid = [0]
"#,
    );
    let s = Sockeye::start_with(&d.socket, &["--policy", &policy, "--socket-mode", "0666"]);
    // The socket's directory is private to the test user by default.
    std::fs::set_permissions(
        s.socket.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let host = s.host();
    let config = dir.path().join("docker-config");
    std::fs::create_dir(&config).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o777)).unwrap();

    let ps = docker_as(1000, &host, &config, &["ps", "-a"]);
    assert!(ps.status.success(), "uid 1000 may list: {}", text(&ps));
    let images = docker_as(1000, &host, &config, &["images"]);
    assert!(!images.status.success(), "{}", text(&images));
    assert!(
        String::from_utf8_lossy(&images.stderr)
            .contains("sockeye: denied by rule default: no rule allows ImageList"),
        "{}",
        text(&images)
    );
    let root = docker(&host, &["images"]);
    assert!(root.status.success(), "root may: {}", text(&root));
    s.wait_for_log(&["uid=1000"]);
}

fn nix_is_root() -> bool {
    // Our real uid, from procfs (no libc call needed in a test).
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
}

#[test]
fn audit_mode_changes_no_outcome_and_reports_what_would_be_denied() {
    let Some(d) = daemon() else { return };
    let s = Sockeye::start_with(&d.socket, &["--profile", "read-only", "--mode", "audit"]);
    let out = docker(&s.host(), &["run", "--rm", IMAGE, "echo", "audited"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "audited\n");
    s.wait_for_log(&[
        "POST /v1.",
        "/containers/create → 201",
        "audit: would be denied by rule read-only-deny",
    ]);
}

#[test]
fn denials_are_in_the_json_view_with_their_rule() {
    let Some(d) = daemon() else { return };
    let s = Sockeye::start_with(&d.socket, &["--profile", "no-escape", "--format", "json"]);
    let out = docker(&s.host(), &["create", "--privileged", IMAGE]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "Error response from daemon: sockeye: denied by rule no-escape: the no-escape profile \
             refuses what could give root on the host (privileged)"
        ),
        "{}",
        text(&out)
    );
    let line = s.wait_for_log(&["\"decision\":\"deny\""]);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["endpoint"], "ContainerCreate");
    assert_eq!(v["status"], 403);
    assert_eq!(v["answered_by"], "sockeye");
    assert_eq!(v["policy"]["rule"], "no-escape");
    assert_eq!(v["request_body"]["HostConfig"]["Privileged"], true);
}

#[test]
fn tecnativa_environment_variables_mean_what_they_mean_there() {
    let Some(d) = daemon() else { return };
    // CONTAINERS=1 with Tecnativa's defaults: POST=0, IMAGES=0, PING/VERSION/EVENTS=1.
    std::env::set_var("CONTAINERS", "1");
    let s = Sockeye::start_with(&d.socket, &["--tecnativa-env"]);
    std::env::remove_var("CONTAINERS");
    let host = s.host();
    let ps = docker(&host, &["ps"]);
    assert!(ps.status.success(), "{}", text(&ps));
    let version = docker(&host, &["version"]);
    assert!(version.status.success(), "{}", text(&version));
    let images = docker(&host, &["images"]);
    assert!(
        String::from_utf8_lossy(&images.stderr).contains("sockeye: denied by rule"),
        "{}",
        text(&images)
    );
    let run = docker(&host, &["run", "--rm", IMAGE, "true"]);
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("forbidden: POST=0 lets only GET and HEAD requests through"),
        "{}",
        text(&run)
    );
}

/// Run the host's docker CLI inside a fresh container (the host's root filesystem mounted
/// read-only, entered with chroot), so the caller is a process in that container.
fn docker_in_container(d: &Daemon, name: &str, label: &str, host: &str, args: &[&str]) -> Output {
    let _ = docker(&d.host, &["rm", "-f", name]);
    let mut full = vec![
        "run",
        "--rm",
        "--name",
        name,
        "--label",
        label,
        "-v",
        "/:/host:ro",
        IMAGE,
        "chroot",
        "/host",
        "/usr/bin/docker",
        "-H",
        host,
    ];
    full.extend_from_slice(args);
    docker(&d.host, &full)
}

#[test]
fn a_process_in_a_container_is_matched_by_the_container_s_name_and_labels() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dashboard = format!("sockeye-dash-{}", std::process::id());
    let policy = write_policy(
        dir.path(),
        &format!(
            r#"
version = 1

[[rules]]
name = "dashboard-lists"
action = "allow"
client.container_label.role = "dashboard"
client.container_name = "{dashboard}"
request.endpoint = ["SystemPing", "SystemPingHead", "SystemVersion", "ContainerList"]

[[rules]]
name = "pings"
action = "allow"
request.endpoint = ["SystemPing", "SystemPingHead", "SystemVersion"]
"#
        ),
    );
    let s = Sockeye::start_with(&d.socket, &["--policy", &policy]);
    let host = s.host();

    let ok = docker_in_container(d, &dashboard, "role=dashboard", &host, &["ps", "-a"]);
    assert!(ok.status.success(), "the dashboard may list: {}", text(&ok));
    assert!(
        String::from_utf8_lossy(&ok.stdout).contains(&dashboard),
        "it sees itself: {}",
        text(&ok)
    );

    let other = format!("sockeye-other-{}", std::process::id());
    let denied = docker_in_container(d, &other, "role=worker", &host, &["ps", "-a"]);
    assert!(
        String::from_utf8_lossy(&denied.stderr)
            .contains("sockeye: denied by rule default: no rule allows ContainerList"),
        "another container may not: {}",
        text(&denied)
    );
    let from_host = docker(&host, &["ps", "-a"]);
    assert!(
        String::from_utf8_lossy(&from_host.stderr).contains("no rule allows ContainerList"),
        "nor may the host: {}",
        text(&from_host)
    );
    s.wait_for_log(&[&format!("in {dashboard}")]);
}

#[test]
fn an_opa_docker_authz_policy_decides_through_the_relay() {
    let Some(d) = daemon() else { return };
    let rego = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/rego/deny-privileged.rego"
    );
    let s = Sockeye::start_with(&d.socket, &["--policy-rego", rego]);
    let host = s.host();
    let denied = docker(&host, &["run", "--rm", "--privileged", IMAGE, "true"]);
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains(
            "sockeye: denied by rule rego:deny-privileged: privileged containers are not allowed"
        ),
        "{}",
        text(&denied)
    );
    // Any key spelling reaches the policy as dockerd will read it.
    let ok = docker(&host, &["run", "--rm", IMAGE, "echo", "allowed"]);
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "allowed\n",
        "{}",
        text(&ok)
    );
}

/// A refused upload is read to its end before the refusal goes out. sockeye answered at once
/// and closed with the upload still arriving: the kernel then reset the connection, and the
/// docker CLI (through the drop-in image's `docker build`) said "write: broken pipe" instead
/// of the refusal. Read to its end, the refusal arrives and the connection serves the next
/// request, for a small upload and for one past the 256 KiB Go's server reads.
#[test]
fn a_refused_upload_is_read_before_the_refusal_and_the_connection_stays_usable() {
    use std::io::Write;
    let Some(d) = daemon() else { return };
    let ro = Sockeye::start_with(&d.socket, &["--profile", "read-only"]);
    for size in [2048, 4 << 20] {
        let mut s = raw_client(&ro.socket);
        s.write_all(build_head(size, "").as_bytes()).unwrap();
        // The upload follows its head a moment later, as a client streaming a context does.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let wrote = s
            .write_all(&vec![b'x'; size])
            .and_then(|()| s.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"));
        let got = read_until(&mut s, |got| got.ends_with(b"\r\n\r\nOK"));
        assert!(
            wrote.is_ok(),
            "{size}: the upload was cut: {wrote:?}; got {got:?}"
        );
        assert!(
            got.starts_with("HTTP/1.1 403 ") && got.contains("sockeye: "),
            "{size}: no refusal: {got:?}"
        );
        assert!(
            got.ends_with("\r\n\r\nOK"),
            "{size}: the connection did not serve the next request: {got:?}"
        );
    }
}

/// A client that waits for `100 Continue` before it uploads (curl does for large bodies) is
/// refused at once, without being invited to send the body first, as dockerd's Go server
/// refuses it.
#[test]
fn a_refused_request_that_expects_100_continue_is_refused_before_its_upload() {
    use std::io::Write;
    let Some(d) = daemon() else { return };
    let ro = Sockeye::start_with(&d.socket, &["--profile", "read-only"]);
    let mut s = raw_client(&ro.socket);
    s.write_all(build_head(4 << 20, "Expect: 100-continue\r\n").as_bytes())
        .unwrap();
    let got = read_until(&mut s, |got| got.windows(4).any(|w| w == b"\r\n\r\n"));
    assert!(
        got.starts_with("HTTP/1.1 403 "),
        "not refused at once: {got:?}"
    );
}

/// A connection to `socket` for hand-written requests, its reads bounded in time.
fn raw_client(socket: &Path) -> std::os::unix::net::UnixStream {
    let s = std::os::unix::net::UnixStream::connect(socket).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    s
}

/// The head of a `docker build` (refused by `--profile read-only`) uploading `len` bytes,
/// with `extra` header lines.
fn build_head(len: usize, extra: &str) -> String {
    format!(
        "POST /v1.41/build HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n\
         Content-Length: {len}\r\n{extra}\r\n"
    )
}

/// What `s` sends until `done` says it is enough, or it ends, fails or times out.
fn read_until(s: &mut std::os::unix::net::UnixStream, done: impl Fn(&[u8]) -> bool) -> String {
    use std::io::Read;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !done(&got) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}
