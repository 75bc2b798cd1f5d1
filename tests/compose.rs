//! The compose recipes in examples/compose, run with compose v2 against the private daemon,
//! with the locally built image and a client image made here from the test image plus the
//! host's docker CLI (no registry): what each client may and may not do, and whom the audit
//! names.
//!
//! Needs a Docker daemon (see `common`), the image (`deploy`: SOCKEYE_TEST_IMAGE, or
//! sockeye:latest outside CI) and the compose v2 plugin ([`compose_plugin`]); with
//! SOCKEYE_TEST_DEPLOY=1 (scripts/test.sh's deployment step) a missing one fails.

mod common;

use common::{docker_at as docker, output_text as text};
mod deploy;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;

/// The compose v2 CLI plugin: SOCKEYE_TEST_COMPOSE (the binary's path), else the usual
/// plugin folders, else the copy scripts/compose.sh or the engine-28 setup fetched.
pub fn compose_plugin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SOCKEYE_TEST_COMPOSE") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let config = std::env::var("DOCKER_CONFIG").unwrap_or(format!("{home}/.docker"));
    [
        format!("{config}/cli-plugins/docker-compose"),
        "/usr/local/lib/docker/cli-plugins/docker-compose".into(),
        "/usr/libexec/docker/cli-plugins/docker-compose".into(),
        "/usr/lib/docker/cli-plugins/docker-compose".into(),
        "/tmp/sockeye-compose/docker-compose".into(),
        "/tmp/sockeye-engines/28/root/usr/libexec/docker/cli-plugins/docker-compose".into(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

const CLIENT_IMAGE: &str = "sockeye-test/client:1";

/// The test image plus the host's docker CLI, built once per test process.
fn client_image(d: &Daemon) -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let ctx = tempfile::tempdir().unwrap();
        let cli = String::from_utf8(
            Command::new("sh")
                .args(["-c", "command -v docker"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        std::fs::copy(cli.trim(), ctx.path().join("docker")).unwrap();
        std::fs::write(
            ctx.path().join("Dockerfile"),
            "FROM sockeye-test/busybox:1\nCOPY docker /bin/docker\n",
        )
        .unwrap();
        let out = docker(
            &d.host,
            &[
                "build",
                "-q",
                "-t",
                CLIENT_IMAGE,
                ctx.path().to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    });
    CLIENT_IMAGE
}

/// One compose project from examples/compose, taken down (with its volumes) on drop.
struct Project {
    dir: PathBuf,
    name: String,
    host: String,
    env: Vec<(String, String)>,
    _config: tempfile::TempDir,
}

impl Project {
    /// `None` (skip) without the image or the plugin, outside CI.
    fn new(d: &Daemon, example: &str) -> Option<Project> {
        let image = deploy::image(&d.host)?;
        let Some(plugin) = compose_plugin() else {
            deploy::missing(
                "no compose v2 plugin: set SOCKEYE_TEST_COMPOSE or run scripts/compose.sh",
            );
            return None;
        };
        // A private DOCKER_CONFIG whose only plugin is compose.
        let config = tempfile::tempdir().unwrap();
        std::fs::create_dir(config.path().join("cli-plugins")).unwrap();
        std::os::unix::fs::symlink(&plugin, config.path().join("cli-plugins/docker-compose"))
            .unwrap();
        let env = vec![
            ("DOCKER_HOST".into(), d.host.clone()),
            ("DOCKER_CONFIG".into(), config.path().display().to_string()),
            ("DOCKER_SOCKET".into(), d.socket.display().to_string()),
            ("SOCKEYE_IMAGE".into(), image),
            ("CLIENT_IMAGE".into(), client_image(d).into()),
        ];
        Some(Project {
            dir: Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/compose")
                .join(example),
            name: format!("sockeye-test-{example}-{}", std::process::id()),
            host: d.host.clone(),
            env,
            _config: config,
        })
    }

    fn compose(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("DOCKER_CONTEXT")
            .current_dir(&self.dir)
            .args(["compose", "-p", &self.name])
            .args(args)
            .output()
            .expect("run docker compose")
    }

    /// `docker compose up -d SERVICE`, then wait until `client` gets an answer through it.
    fn up(&self, service: &str, client: &str) {
        let out = self.compose(&["up", "-d", service]);
        assert!(out.status.success(), "{}", text(&out));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let v = self.run(
                client,
                &["docker", "version", "--format", "{{.Server.Version}}"],
            );
            if v.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}\n{}",
                text(&v),
                self.logs(service)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `docker compose run --rm SERVICE CMD…`
    fn run(&self, service: &str, cmd: &[&str]) -> Output {
        let mut args = vec!["run", "--rm", "--no-deps", service];
        args.extend_from_slice(cmd);
        self.compose(&args)
    }

    fn logs(&self, service: &str) -> String {
        let out = self.compose(&["logs", "--no-log-prefix", service]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.compose(&["--profile", "client", "down", "-v", "--remove-orphans"]);
        let _ = &self.host;
    }
}

fn assert_allowed(o: &Output) {
    assert!(o.status.success(), "refused: {}", text(o));
}

fn assert_refused(o: &Output, word: &str) {
    assert!(
        !o.status.success() && String::from_utf8_lossy(&o.stderr).contains(word),
        "not refused with {word:?}: {}",
        text(o)
    );
}

#[test]
fn the_tcp_drop_in_lists_containers_and_is_forbidden_to_post() {
    let Some(d) = daemon() else { return };
    let Some(p) = Project::new(d, "tcp") else {
        return;
    };
    p.up("socket-proxy", "client");
    assert_allowed(&p.run("client", &["docker", "ps"]));
    assert_refused(
        &p.run("client", &["docker", "run", "--rm", IMAGE, "true"]),
        "forbidden",
    );
    assert_refused(&p.run("client", &["docker", "images"]), "forbidden");
    let logs = p.logs("socket-proxy");
    assert!(logs.contains("drop-in for docker-socket-proxy"), "{logs}");
}

#[test]
fn the_unix_socket_volume_variant_knows_the_caller_s_container() {
    let Some(d) = daemon() else { return };
    let Some(p) = Project::new(d, "unix-socket") else {
        return;
    };
    p.up("sockeye", "client");
    assert_allowed(&p.run("client", &["docker", "ps"]));
    assert_refused(
        &p.run("client", &["docker", "run", "--rm", IMAGE, "true"]),
        "forbidden",
    );
    // The per-call lines name the one-off client container compose made.
    let logs = p.logs("sockeye");
    assert!(
        logs.contains(&format!("{}-client-run-", p.name)),
        "no caller container in:\n{logs}"
    );
}

#[test]
fn two_compose_services_get_their_own_rules_and_the_audit_names_each() {
    let Some(d) = daemon() else { return };
    let Some(p) = Project::new(d, "two-clients") else {
        return;
    };
    p.up("sockeye", "dashboard");
    assert_allowed(&p.run("dashboard", &["docker", "ps"]));
    assert_refused(
        &p.run("dashboard", &["docker", "images"]),
        "denied by rule default",
    );
    assert_allowed(&p.run("updater", &["docker", "images"]));
    assert_refused(
        &p.run("updater", &["docker", "ps"]),
        "denied by rule default",
    );
    let audit: Vec<serde_json::Value> = p
        .logs("sockeye")
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let decided = |service: &str, endpoint: &str| {
        audit
            .iter()
            .find(|r| {
                r["endpoint"] == endpoint
                    && r["caller"]["container"]["labels"]["com.docker.compose.service"] == service
            })
            .map(|r| {
                let name = r["caller"]["container"]["name"].as_str().unwrap_or("");
                assert!(name.contains(&format!("{}-{service}-run-", p.name)), "{r}");
                r["decision"].as_str().unwrap_or("").to_owned()
            })
    };
    assert_eq!(
        decided("dashboard", "ContainerList").as_deref(),
        Some("allow")
    );
    assert_eq!(decided("dashboard", "ImageList").as_deref(), Some("deny"));
    assert_eq!(decided("updater", "ImageList").as_deref(), Some("allow"));
    assert_eq!(decided("updater", "ContainerList").as_deref(), Some("deny"));
    // With `uts: host`, the records name the machine the daemon runs on (this one), not the
    // container's ID. (An image older than the `host` field writes none.)
    let machine = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
    for r in &audit {
        if let Some(host) = r.get("host") {
            assert_eq!(host.as_str(), Some(machine.trim()), "{r}");
        }
    }
}
