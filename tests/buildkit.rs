//! `docker build` with BuildKit behind `--profile no-escape`, against the real daemon.
//!
//! Before, no-escape refused `/session`, `/grpc` and `POST /build?version=2` outright, so a
//! CI runner behind it could not build with the CLI's default builder at all (and buildx,
//! refused, fell back to a `docker-container` builder and failed with a registry error).
//! Now the relay reads each Solve on `/grpc` and decides it: an ordinary build works and
//! gives the same image as directly; `--network host` and `--allow security.insecure` are
//! refused with one line naming sockeye, and the build fails.
//!
//! The BuildKit clients are whatever this machine has ([`clients`]): the buildx plugin
//! (`SOCKEYE_TEST_BUILDX`, or a standard plugin directory) with the docker CLI, and the
//! 20.10 CLI's own BuildKit client (`DOCKER_BUILDKIT=1`, the REST entry). With `CI` set,
//! finding neither fails the tests.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{daemon, Sockeye, IMAGE};

/// One way to run a BuildKit build.
#[derive(Debug)]
enum Client {
    /// `docker buildx build` (what `docker build` runs on a CLI from 23 on) with the plugin
    /// in a private `DOCKER_CONFIG`: buildx's default builder, the daemon's BuildKit over
    /// `/grpc` and `/session`.
    Buildx { docker: String, config: PathBuf },
    /// The 20.10 CLI's built-in client, `DOCKER_BUILDKIT=1 docker build`: `POST
    /// /build?version=2` and `/session`.
    Cli20 { docker: String },
}

/// The buildx plugin binary: `SOCKEYE_TEST_BUILDX` (a path to `docker-buildx`), else the
/// first standard plugin directory that has one. The one place that says where it comes
/// from, so a test setup can point it at its own plugin directory.
pub fn buildx_plugin() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("SOCKEYE_TEST_BUILDX") {
        if !path.trim().is_empty() {
            let path = PathBuf::from(path.trim());
            assert!(
                path.is_file(),
                "SOCKEYE_TEST_BUILDX={} is not a file",
                path.display()
            );
            return Some(path);
        }
    }
    let home = std::env::var("HOME").unwrap_or_default();
    [
        format!("{home}/.docker/cli-plugins"),
        "/usr/local/lib/docker/cli-plugins".into(),
        "/usr/local/libexec/docker/cli-plugins".into(),
        "/usr/lib/docker/cli-plugins".into(),
        "/usr/libexec/docker/cli-plugins".into(),
    ]
    .iter()
    .map(|dir| Path::new(dir).join("docker-buildx"))
    .find(|p| p.is_file())
}

/// The client version of a docker CLI, if it runs.
fn cli_version(docker: &str) -> Option<String> {
    let out = Command::new(docker)
        .args(["version", "--format", "{{.Client.Version}}"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (!v.is_empty()).then_some(v)
}

/// Every BuildKit client this machine has. In CI, none is a failure.
fn clients(dir: &Path) -> Vec<Client> {
    let mut found = Vec::new();
    if let Some(plugin) = buildx_plugin() {
        let config = dir.join("docker-config");
        std::fs::create_dir_all(config.join("cli-plugins")).unwrap();
        std::os::unix::fs::symlink(&plugin, config.join("cli-plugins/docker-buildx")).unwrap();
        found.push(Client::Buildx {
            docker: "docker".into(),
            config,
        });
    }
    for docker in ["/usr/bin/docker", "docker"] {
        if cli_version(docker).is_some_and(|v| v.starts_with("20.10")) {
            found.push(Client::Cli20 {
                docker: docker.into(),
            });
            break;
        }
    }
    let in_ci = matches!(std::env::var("CI").as_deref(), Ok("true" | "1"));
    assert!(
        !(found.is_empty() && in_ci),
        "no BuildKit client in CI: install the buildx plugin (or set SOCKEYE_TEST_BUILDX) \
         or Debian 12's docker.io 20.10 CLI"
    );
    if found.is_empty() {
        eprintln!("\n######## SKIPPED: no BuildKit client (buildx plugin or 20.10 CLI) ########\n");
    }
    found
}

/// A build's outcome.
struct Built {
    ok: bool,
    output: String,
}

static TAGS: AtomicUsize = AtomicUsize::new(0);

fn fresh_tag(what: &str) -> String {
    format!(
        "sockeye-test-bk/{what}:{}-{}",
        std::process::id(),
        TAGS.fetch_add(1, Ordering::Relaxed)
    )
}

impl Client {
    fn build(&self, host: &str, ctx: &Path, tag: &str, extra: &[&str]) -> Built {
        let mut cmd = Command::new("timeout");
        cmd.arg("300");
        match self {
            Client::Buildx { docker, config } => {
                cmd.arg(docker)
                    .args(["buildx", "build", "--progress=plain"])
                    .env("DOCKER_CONFIG", config);
            }
            Client::Cli20 { docker } => {
                cmd.arg(docker)
                    .args(["build", "--progress=plain"])
                    .env("DOCKER_BUILDKIT", "1")
                    .env("DOCKER_CONFIG", ctx.join("no-docker-config"));
            }
        }
        // The caller's own builder choice must not leak in.
        for var in [
            "BUILDX_BUILDER",
            "BUILDX_CONFIG",
            "DOCKER_CONTEXT",
            "BUILDKIT_PROGRESS",
        ] {
            cmd.env_remove(var);
        }
        cmd.args(["-t", tag]).args(extra).arg(ctx);
        let out = cmd.env("DOCKER_HOST", host).output().unwrap();
        Built {
            ok: out.status.success(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}

/// A build context: `Dockerfile` with these steps after `FROM` the test image, and a file
/// to `COPY`.
fn context(dir: &Path, name: &str, steps: &str) -> PathBuf {
    let ctx = dir.join(name);
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), format!("FROM {IMAGE}\n{steps}")).unwrap();
    std::fs::write(ctx.join("a.txt"), "copied from the context\n").unwrap();
    ctx
}

const ORDINARY: &str = "RUN echo hi > /hi.txt\nCOPY a.txt /a.txt\n";

/// What a built image holds, read by running it directly.
fn contents(host: &str, tag: &str) -> String {
    let out = Command::new("docker")
        .args(["run", "--rm", tag, "cat", "/hi.txt", "/a.txt"])
        .env("DOCKER_HOST", host)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn remove(host: &str, tag: &str) {
    let _ = Command::new("docker")
        .args(["rmi", "-f", tag])
        .env("DOCKER_HOST", host)
        .output();
}

/// The lines of a failed build's output that carry sockeye's refusal.
fn refusal_lines(output: &str) -> Vec<&str> {
    output.lines().filter(|l| l.contains("sockeye:")).collect()
}

#[test]
fn an_ordinary_buildkit_build_works_under_no_escape_and_gives_the_same_image_as_directly() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sk = Sockeye::start_with(&d.socket, &["--profile", "no-escape"]);
    for client in clients(dir.path()) {
        let ctx = context(dir.path(), "ordinary", ORDINARY);
        let (direct, relayed) = (fresh_tag("direct"), fresh_tag("relayed"));
        let built = client.build(&d.host, &ctx, &direct, &[]);
        assert!(built.ok, "{client:?} directly:\n{}", built.output);
        let built = client.build(&sk.host(), &ctx, &relayed, &[]);
        assert!(
            built.ok,
            "{client:?} through sockeye --profile no-escape:\n{}\n--- sockeye:\n{}",
            built.output,
            sk.log()
        );
        assert_eq!(contents(&d.host, &relayed), contents(&d.host, &direct));
        assert_eq!(contents(&d.host, &relayed), "hi\ncopied from the context\n");
        remove(&d.host, &direct);
        remove(&d.host, &relayed);
    }
}

#[test]
fn build_network_host_is_refused_with_one_line_and_network_none_is_its_twin() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sk = Sockeye::start_with(&d.socket, &["--profile", "no-escape"]);
    for client in clients(dir.path()) {
        let ctx = context(dir.path(), "network", ORDINARY);
        let tag = fresh_tag("network");
        let built = client.build(&sk.host(), &ctx, &tag, &["--network", "host"]);
        assert!(
            !built.ok,
            "{client:?} built with the host network:\n{}",
            built.output
        );
        let lines = refusal_lines(&built.output);
        assert_eq!(lines.len(), 1, "{client:?}: {}", built.output);
        assert!(
            lines[0].contains("denied by rule no-escape") && lines[0].contains("host"),
            "{client:?}: {}",
            lines[0]
        );
        if let Client::Buildx { .. } = client {
            assert!(
                lines[0].contains("BuildKit entitlement network.host"),
                "{}",
                lines[0]
            );
        }
        let twin = client.build(&sk.host(), &ctx, &tag, &["--network", "none"]);
        assert!(twin.ok, "{client:?} --network none:\n{}", twin.output);
        remove(&d.host, &tag);
    }
}

#[test]
fn allow_security_insecure_is_refused_with_one_line_and_the_build_fails() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sk = Sockeye::start_with(&d.socket, &["--profile", "no-escape"]);
    for client in clients(dir.path()) {
        // The 20.10 CLI has no `--allow`: nothing to refuse there.
        let Client::Buildx { .. } = client else {
            continue;
        };
        let ctx = context(
            dir.path(),
            "insecure",
            "RUN --security=insecure cat /proc/self/status\n",
        );
        let tag = fresh_tag("insecure");
        let built = client.build(&sk.host(), &ctx, &tag, &["--allow", "security.insecure"]);
        assert!(!built.ok, "{}", built.output);
        let lines = refusal_lines(&built.output);
        assert_eq!(lines.len(), 1, "{}", built.output);
        assert!(
            lines[0].contains("PermissionDenied")
                && lines[0].contains("BuildKit entitlement security.insecure"),
            "{}",
            lines[0]
        );
        // The twin: the same client, no entitlement, an ordinary Dockerfile.
        let ctx = context(dir.path(), "insecure-twin", ORDINARY);
        let twin = client.build(&sk.host(), &ctx, &tag, &[]);
        assert!(twin.ok, "{}", twin.output);
        remove(&d.host, &tag);
    }
}

#[test]
fn without_a_policy_grpc_stays_a_plain_tunnel() {
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sk = Sockeye::start_sockeye(["--upstream", &d.host]);
    for client in clients(dir.path()) {
        let Client::Buildx { .. } = client else {
            continue;
        };
        let ctx = context(dir.path(), "open", ORDINARY);
        let tag = fresh_tag("open");
        let built = client.build(&sk.host(), &ctx, &tag, &[]);
        assert!(built.ok, "{}\n--- sockeye:\n{}", built.output, sk.log());
        let log = sk.wait_for_log(&["POST /grpc"]);
        assert!(log.contains("101"), "{log}");
        assert!(
            !sk.log().contains("Control/Solve"),
            "a call was read on an open relay:\n{}",
            sk.log()
        );
        remove(&d.host, &tag);
    }
}

// ---------------------------------------------------------------------------------------------
// The wire, without a BuildKit client: a hand-made gRPC client on an upgraded /grpc
// ---------------------------------------------------------------------------------------------

mod wire {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::Request;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tokio::net::UnixStream;

    /// An h2c connection to BuildKit through `socket`: `POST /grpc` with `Upgrade: h2c`, then
    /// HTTP/2 on the upgraded connection, as buildx dials it.
    pub async fn grpc(
        socket: &std::path::Path,
    ) -> hyper::client::conn::http2::SendRequest<Full<Bytes>> {
        let io = TokioIo::new(UnixStream::connect(socket).await.unwrap());
        let (mut h1, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(conn.with_upgrades());
        let resp = h1
            .send_request(
                Request::post("/grpc")
                    .header("Host", "docker")
                    .header("Connection", "Upgrade")
                    .header("Upgrade", "h2c")
                    .body(Full::new(Bytes::new()))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), 101);
        let upgraded = hyper::upgrade::on(resp).await.unwrap();
        let (h2, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), upgraded)
            .await
            .unwrap();
        tokio::spawn(conn);
        h2
    }

    /// One unary call: the answer's headers, body and trailers.
    pub async fn call(
        h2: &mut hyper::client::conn::http2::SendRequest<Full<Bytes>>,
        method: &str,
        message: &[u8],
    ) -> (http::HeaderMap, Bytes, Option<http::HeaderMap>) {
        let mut framed = vec![0];
        framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
        framed.extend_from_slice(message);
        let req = Request::post(format!("http://docker{method}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(Full::new(Bytes::from(framed)))
            .unwrap();
        let resp = h2.send_request(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let collected = body.collect().await.unwrap();
        let trailers = collected.trailers().cloned();
        (parts.headers, collected.to_bytes(), trailers)
    }
}

/// A `SolveRequest` with these entitlements (field 9), as protobuf: a hand-made build
/// request that needs no BuildKit client.
fn solve_asking_for(entitlements: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entitlements {
        out.push(0x4a); // field 9, length-delimited
        out.push(e.len() as u8);
        out.extend_from_slice(e.as_bytes());
    }
    out
}

#[tokio::test]
async fn a_refused_solve_is_one_trailers_only_answer_and_other_calls_reach_buildkit() {
    let Some(d) = daemon() else { return };
    let sk = Sockeye::start_with(&d.socket, &["--profile", "no-escape"]);
    let mut h2 = wire::grpc(&sk.socket).await;
    let (headers, body, trailers) = wire::call(
        &mut h2,
        "/moby.buildkit.v1.Control/Solve",
        &solve_asking_for(&["network.host"]),
    )
    .await;
    assert_eq!(headers["grpc-status"], "7");
    assert_eq!(
        headers["grpc-message"],
        "sockeye: denied by rule no-escape: the no-escape profile refuses what could give \
         root on the host (BuildKit entitlement network.host)"
    );
    assert!(
        body.is_empty() && trailers.is_none(),
        "{body:?} {trailers:?}"
    );
    // The legitimate twin on the same connection: a call BuildKit answers itself.
    let (headers, body, trailers) =
        wire::call(&mut h2, "/moby.buildkit.v1.Control/ListWorkers", &[]).await;
    assert!(headers.get("grpc-status").is_none(), "{headers:?}");
    assert!(!body.is_empty(), "ListWorkers answered nothing");
    assert_eq!(trailers.expect("trailers")["grpc-status"], "0");
    // A Solve sockeye cannot read is not guessed at.
    let (headers, _, _) = wire::call(
        &mut h2,
        "/moby.buildkit.v1.Control/Solve",
        &[0x4a, 0x05, b'a'],
    )
    .await;
    assert_eq!(headers["grpc-status"], "3");
}

#[tokio::test]
async fn a_solve_larger_than_sockeye_reads_is_refused_not_passed_unread() {
    let Some(d) = daemon() else { return };
    let sk = Sockeye::start_with(&d.socket, &["--profile", "no-escape", "--max-body", "1024"]);
    let mut h2 = wire::grpc(&sk.socket).await;
    let long = "x".repeat(100);
    let (headers, _, _) = wire::call(
        &mut h2,
        "/moby.buildkit.v1.Control/Solve",
        &solve_asking_for(&[long.as_str(); 12]),
    )
    .await;
    assert_eq!(headers["grpc-status"], "8", "{headers:?}");
    assert!(
        headers["grpc-message"]
            .to_str()
            .unwrap()
            .contains("larger than the 1024 bytes sockeye reads"),
        "{headers:?}"
    );
}
