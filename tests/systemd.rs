//! sockeye under systemd: the units in examples/systemd pass `systemd-analyze verify`, and
//! sockeye serves on the sockets systemd passes it (socket activation, driven here by
//! `systemd-socket-activate` with real sockets) and tells systemd when it is ready.
//!
//! Needs `systemd-socket-activate` and `systemd-analyze` (Debian's `systemd` package:
//! scripts/test.sh's deployment step installs it, and sets SOCKEYE_TEST_DEPLOY=1, under
//! which a missing tool fails) and, for activation, a Docker daemon (see `common`).

mod common;
mod deploy;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// The tool, or `None` (skip) when it is missing outside CI.
fn tool(name: &str) -> Option<PathBuf> {
    for dir in ["/usr/bin", "/bin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return Some(p);
        }
    }
    deploy::missing(&format!("{name} is missing (apt-get install systemd)"));
    None
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn docker(host: &str, args: &[&str]) -> Output {
    Command::new("docker")
        .env("DOCKER_HOST", host)
        .env_remove("DOCKER_CONTEXT")
        .args(args)
        .output()
        .expect("run docker")
}

#[test]
fn the_example_units_pass_systemd_analyze_verify_without_a_warning() {
    let Some(analyze) = tool("systemd-analyze") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/systemd");
    for name in ["sockeye.socket", "sockeye.service"] {
        let text = std::fs::read_to_string(units.join(name)).unwrap();
        // verify checks that ExecStart names an executable: the one just built.
        let text = text.replace("/usr/local/bin/sockeye", env!("CARGO_BIN_EXE_sockeye"));
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = Command::new(analyze)
        .arg("verify")
        .arg(dir.path().join("sockeye.socket"))
        .arg(dir.path().join("sockeye.service"))
        .output()
        .unwrap();
    // Unknown keys and bad values are only warnings (exit 0): none is allowed.
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        text(&out)
    );
}

/// The `systemd-socket-activate` child, killed on drop.
struct Activator(std::process::Child);

impl Drop for Activator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn socket_activation_serves_on_the_passed_sockets_names_them_and_says_ready() {
    let Some(activate) = tool("systemd-socket-activate") else {
        return;
    };
    let Some(d) = daemon() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("docker.sock");
    let notify_path = dir.path().join("notify");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    // A safety net for a sockeye that never says READY=1, not a timing assertion.
    notify
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.path().join("sockeye.log");
    let child = Command::new(activate)
        .arg("-l")
        .arg(&sock)
        .arg("-l")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--fdname=sockeye.socket:loopback")
        .arg(format!("-ENOTIFY_SOCKET={}", notify_path.display()))
        .arg(env!("CARGO_BIN_EXE_sockeye"))
        .args(["proxy", "--profile", "read-only", "--upstream", &d.host])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let _activator = Activator(child);
    // systemd-socket-activate binds before it forks: wait for its socket, then the first
    // client starts sockeye.
    wait_until(|| sock.exists(), "systemd-socket-activate's socket");
    let unix = format!("unix://{}", sock.display());
    let version = docker(&unix, &["version", "--format", "{{.Server.Version}}"]);
    assert!(version.status.success(), "{}", text(&version));
    let mut buf = [0u8; 256];
    let n = notify.recv(&mut buf).expect("READY=1 from sockeye");
    assert_eq!(&buf[..n], b"READY=1");
    let start = std::fs::read_to_string(&log).unwrap();
    let line = start
        .lines()
        .find(|l| l.contains("relaying "))
        .unwrap_or("");
    assert!(
        line.contains(&format!("{unix} (systemd: sockeye.socket)"))
            && line.contains(&format!("tcp://127.0.0.1:{port} (systemd: loopback)")),
        "{start}"
    );
    // The TCP socket serves too, under the same policy.
    let tcp = format!("tcp://127.0.0.1:{port}");
    let ps = docker(&tcp, &["ps"]);
    assert!(ps.status.success(), "{}", text(&ps));
    let run = docker(&tcp, &["run", "--rm", "sockeye-test/busybox:1", "true"]);
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("sockeye: denied by rule read-only"),
        "{}",
        text(&run)
    );
}

fn wait_until(mut ok: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "no {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
