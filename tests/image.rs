//! The container image (scripts/image.sh) as users run it: small, labelled, healthy, and a
//! drop-in for Tecnativa's docker-socket-proxy that meets their own test suite's facts
//! (tests/test_service.py: the image run with a published port, the docker CLI at it, a
//! call refused when it fails and says "forbidden"), as root and as a non-root user with no
//! capability.
//!
//! Needs a Docker daemon (see `common`) and the image (`deploy`: SOCKEYE_TEST_IMAGE, or
//! sockeye:latest outside CI; scripts/test.sh's deployment step builds it).

mod common;

use common::{docker_at as docker, output_text as text};
mod deploy;

use std::process::Output;
use std::time::{Duration, Instant};

use common::*;

/// The image under test on `d`, or `None` (skipped; see `deploy`).
fn image(d: &Daemon) -> Option<String> {
    deploy::image(&d.host)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// A drop-in container with a published port, removed on drop.
struct Proxy {
    daemon: String,
    id: String,
    /// `tcp://127.0.0.1:PORT`
    host: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = docker(&self.daemon, &["rm", "-f", &self.id]);
    }
}

impl Proxy {
    /// `docker run -d -p 127.0.0.1::2375 -v SOCKET:/var/run/docker.sock -e … IMAGE EXTRA…`,
    /// as their suite runs theirs (without --privileged: sockeye needs none).
    fn run(d: &Daemon, image: &str, env: &[&str], extra: &[&str]) -> Proxy {
        let mount = format!("{}:/var/run/docker.sock", d.socket.display());
        let mut args = vec!["run", "-d", "-p", "127.0.0.1::2375", "-v", &mount];
        args.extend_from_slice(&["--label", LABEL]);
        for e in env {
            args.extend_from_slice(&["-e", e]);
        }
        args.extend_from_slice(extra);
        args.push(image);
        let out = docker(&d.host, &args);
        assert!(out.status.success(), "{}", text(&out));
        let id = stdout(&out);
        let port = docker(&d.host, &["port", &id, "2375/tcp"]);
        let port = stdout(&port);
        let port = port
            .lines()
            .next()
            .unwrap_or("")
            .rsplit(':')
            .next()
            .unwrap_or("");
        let proxy = Proxy {
            daemon: d.host.clone(),
            host: format!("tcp://127.0.0.1:{port}"),
            id,
        };
        // Serving once `version` answers (allowed by every configuration here).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = docker(&proxy.host, &["version", "--format", "{{.Server.Version}}"]);
            if v.status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the drop-in never answered: {}\n--- its log:\n{}",
                text(&v),
                text(&docker(&d.host, &["logs", &proxy.id]))
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        proxy
    }

    fn logs(&self) -> String {
        text(&docker(&self.daemon, &["logs", &self.id]))
    }

    /// Each call succeeds; each forbidden one fails and says "forbidden", which is how
    /// their suite and their users' scripts tell a refusal.
    fn check(&self, allowed: &[&[&str]], forbidden: &[&[&str]]) {
        for args in allowed {
            let out = docker(&self.host, args);
            assert!(out.status.success(), "{args:?} refused: {}", text(&out));
        }
        for args in forbidden {
            let out = docker(&self.host, args);
            let all = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
            assert!(
                !out.status.success() && all.contains("forbidden"),
                "{args:?} not forbidden: {}",
                text(&out)
            );
        }
    }
}

#[test]
fn the_image_is_small_labelled_runs_as_root_and_checks_its_health() {
    let Some(d) = daemon() else { return };
    let Some(image) = image(d) else { return };
    let inspect = |f: &str| {
        stdout(&docker(
            &d.host,
            &["image", "inspect", "--format", f, &image],
        ))
    };
    let size: u64 = inspect("{{.Size}}").parse().unwrap();
    assert!(size < 15_000_000, "{image} is {size} bytes");
    assert_eq!(inspect("{{.Config.User}}"), "");
    assert_eq!(inspect("{{json .Config.Cmd}}"), r#"["drop-in"]"#);
    assert!(inspect("{{json .Config.Healthcheck.Test}}").contains("health"));
    let version = inspect(r#"{{index .Config.Labels "org.opencontainers.image.version"}}"#);
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    // Healthy by its own HEALTHCHECK (checked every second here instead of every 30 s).
    let proxy = Proxy::run(d, &image, &[], &["--health-interval", "1s"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = stdout(&docker(
            &d.host,
            &["inspect", "--format", "{{.State.Health.Status}}", &proxy.id],
        ));
        if status == "healthy" {
            break;
        }
        assert!(Instant::now() < deadline, "{status}: {}", proxy.logs());
        std::thread::sleep(Duration::from_millis(200));
    }
    // It said once what it exposes, and to whom.
    let logs = proxy.logs();
    assert_eq!(
        logs.matches("drop-in for docker-socket-proxy").count(),
        1,
        "{logs}"
    );
    assert!(logs.contains("plain TCP, no authentication"), "{logs}");
    assert!(
        logs.contains("sections EVENTS, PING, VERSION; POST=0"),
        "{logs}"
    );
}

#[test]
fn tecnativa_defaults_allow_version_and_forbid_the_rest() {
    let Some(d) = daemon() else { return };
    let Some(image) = image(d) else { return };
    let p = Proxy::run(d, &image, &[], &[]);
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let ctx = ctx.path().to_str().unwrap();
    let id = p.id.as_str();
    p.check(
        &[&["version"]],
        &[
            &["pull", "alpine"],
            &["run", "--rm", "alpine"],
            &["logs", id],
            &["wait", id],
            &["rm", "-f", id],
            &["restart", id],
            &["network", "ls"],
            &["config", "ls"],
            &["service", "ls"],
            &["stack", "ls"],
            &["secret", "ls"],
            &["plugin", "ls"],
            &["info"],
            &["system", "info"],
            &["build", ctx],
            &["swarm", "init"],
        ],
    );
}

#[test]
fn tecnativa_containers_allows_logs_and_inspect_only() {
    let Some(d) = daemon() else { return };
    let Some(image) = image(d) else { return };
    let p = Proxy::run(d, &image, &["CONTAINERS=1"], &[]);
    let id = p.id.as_str();
    p.check(
        &[&["logs", id], &["inspect", id], &["ps"]],
        &[
            &["wait", id],
            &["run", "--rm", "alpine"],
            &["rm", "-f", id],
            &["restart", id],
        ],
    );
}

#[test]
fn tecnativa_post_alone_opens_no_section() {
    let Some(d) = daemon() else { return };
    let Some(image) = image(d) else { return };
    let p = Proxy::run(d, &image, &["POST=1"], &[]);
    let id = p.id.as_str();
    p.check(
        &[],
        &[
            &["rm", "-f", id],
            &["pull", "alpine"],
            &["run", "--rm", "alpine"],
            &["network", "create", "foobar"],
        ],
    );
}

#[test]
fn tecnativa_post_and_networks_manage_networks() {
    let Some(d) = daemon() else { return };
    let Some(image) = image(d) else { return };
    let p = Proxy::run(d, &image, &["POST=1", "NETWORKS=1"], &[]);
    let net = format!("sockeye-image-{}", std::process::id());
    p.check(
        &[
            &["network", "ls"],
            &["network", "create", &net],
            &["network", "rm", &net],
        ],
        &[],
    );
}

#[test]
fn tecnativa_exec_needs_allow_exec_in_their_newest_template() {
    let Some(d) = daemon() else { return };
    let Some(image) = image(d) else { return };
    let target = docker(
        &d.host,
        &[
            "run",
            "-d",
            "--label",
            LABEL,
            "sockeye-test/busybox:1",
            "sleep",
            "300",
        ],
    );
    assert!(target.status.success(), "{}", text(&target));
    let target = stdout(&target);
    let without = Proxy::run(d, &image, &["CONTAINERS=1", "EXEC=1", "POST=1"], &[]);
    without.check(&[], &[&["exec", &target, "true"], &["kill", &target]]);
    drop(without);
    let with = Proxy::run(
        d,
        &image,
        &["CONTAINERS=1", "EXEC=1", "POST=1", "ALLOW_EXEC=1"],
        &[],
    );
    with.check(&[&["exec", &target, "true"]], &[&["kill", &target]]);
    let _ = docker(&d.host, &["rm", "-f", &target]);
}

#[test]
fn as_a_non_root_user_in_the_socket_s_group_with_no_capability_it_works_the_same() {
    let Some(d) = daemon() else { return };
    let Some(image) = image(d) else { return };
    let gid = std::fs::metadata(&d.socket)
        .map(|m| std::os::unix::fs::MetadataExt::gid(&m))
        .unwrap()
        .to_string();
    let p = Proxy::run(
        d,
        &image,
        &["CONTAINERS=1"],
        &[
            "--user",
            "65534:65534",
            "--group-add",
            &gid,
            "--cap-drop",
            "ALL",
            "--read-only",
            "--security-opt",
            "no-new-privileges:true",
        ],
    );
    p.check(&[&["ps"]], &[&["run", "--rm", "alpine"]]);
    let user = stdout(&docker(
        &d.host,
        &["inspect", "--format", "{{.Config.User}}", &p.id],
    ));
    assert_eq!(user, "65534:65534");
}
