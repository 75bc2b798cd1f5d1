//! `--isolate` with the real docker CLI: two users on one Unix socket each see and touch only
//! what they created. The bug report this prevents is the most requested socket-proxy
//! feature missing (wollomatic #49, #181; Tecnativa #11): a CI job that can list, inspect,
//! exec into or remove every other job's containers.
//!
//! The second user is uid 65534 (`nobody`), run with `setpriv`; sockeye's socket is 0666 so
//! both can connect, and the kernel tells sockeye who each one is.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{daemon, Sockeye, IMAGE};

/// One user's docker CLI through sockeye.
struct User<'a> {
    uid: Option<u32>,
    socket: &'a Path,
    config: tempfile::TempDir,
}

impl User<'_> {
    fn new(uid: Option<u32>, socket: &Path) -> User<'_> {
        let config = tempfile::tempdir().unwrap();
        std::fs::set_permissions(config.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        User {
            uid,
            socket,
            config,
        }
    }

    /// `docker ARGS`: exit code, stdout, stderr.
    fn docker(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = match self.uid {
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "docker",
                ]);
                c
            }
            None => Command::new("docker"),
        };
        cmd.args(args)
            .env("DOCKER_HOST", format!("unix://{}", self.socket.display()))
            .env("DOCKER_CONFIG", self.config.path())
            .env("DOCKER_CLI_HINTS", "false")
            .env_remove("DOCKER_CONTEXT");
        let out = cmd.output().expect("docker (or setpriv) runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.docker(args);
        assert_eq!(code, 0, "docker {args:?} as {:?}: {err}{out}", self.uid);
        out
    }

    /// The command fails as it would for an object that does not exist.
    fn no_such(&self, args: &[&str], message: &str) {
        let (code, out, err) = self.docker(args);
        assert_ne!(
            code, 0,
            "docker {args:?} as {:?} succeeded: {out}",
            self.uid
        );
        assert!(
            err.contains(message) && !err.contains("sockeye:"),
            "docker {args:?} as {:?}: want {message:?}, got {err}",
            self.uid
        );
    }
}

fn lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    v.sort();
    v
}

#[test]
fn two_users_on_one_socket_see_and_touch_only_their_own_objects() {
    let Some(d) = daemon() else { return };
    let sk = Sockeye::start_with(
        &d.socket,
        &[
            "--isolate",
            "--isolate-share",
            "image=sockeye-test/*",
            "--socket-mode",
            "0666",
        ],
    );
    // The socket's directory is the test's private tempdir: let the second user in.
    let dir = sk.socket.parent().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = User::new(None, &sk.socket);
    let other = User::new(Some(65534), &sk.socket);
    let p = format!("sk{}-iso", std::process::id());
    let since = root.ok(&["version", "--format", "{{.Server.Version}}"]);
    assert!(!since.is_empty());
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();

    for (user, who) in [(&root, "r"), (&other, "o")] {
        user.ok(&[
            "create",
            "--name",
            &format!("{p}-{who}c"),
            IMAGE,
            "sleep",
            "60",
        ]);
        user.ok(&["volume", "create", &format!("{p}-{who}v")]);
        user.ok(&["network", "create", &format!("{p}-{who}n")]);
        user.ok(&["start", &format!("{p}-{who}c")]);
    }

    // Each listing shows only the caller's own.
    for (user, who) in [(&root, "r"), (&other, "o")] {
        let own = |kind: &str| vec![format!("{p}-{who}{kind}")];
        let ps = user.ok(&["ps", "-a", "--format", "{{.Names}}"]);
        assert_eq!(lines(&ps), own("c"), "ps -a as {who}");
        let vols = user.ok(&["volume", "ls", "-q"]);
        assert_eq!(lines(&vols), own("v"), "volume ls as {who}");
        let nets = user.ok(&["network", "ls", "--format", "{{.Name}}"]);
        assert_eq!(lines(&nets), own("n"), "network ls as {who}");
        let images = user.ok(&["images", "-q"]);
        assert!(lines(&images).is_empty(), "images as {who}: {images}");
    }

    // Every command on the other's objects is "No such …", word for word the daemon's.
    let theirs = format!("{p}-rc");
    other.no_such(
        &["inspect", "--type", "container", &theirs],
        "No such container",
    );
    other.no_such(&["logs", &theirs], &format!("No such container: {theirs}"));
    other.no_such(
        &["exec", &theirs, "true"],
        &format!("No such container: {theirs}"),
    );
    other.no_such(&["stop", &theirs], &format!("No such container: {theirs}"));
    // `rm -f` of a container that does not exist succeeds quietly, as it does directly; and
    // the container is still there.
    other.ok(&["rm", "-f", &theirs]);
    root.ok(&["inspect", &theirs]);
    other.no_such(
        &["volume", "rm", &format!("{p}-rv")],
        &format!("get {p}-rv: no such volume"),
    );
    other.no_such(
        &["network", "rm", &format!("{p}-rn")],
        &format!("network {p}-rn not found"),
    );
    // By full ID and by ID prefix too.
    let id = root.ok(&["inspect", "--format", "{{.Id}}", &theirs]);
    let id = id.trim();
    other.no_such(&["logs", id], "No such container");
    other.no_such(&["logs", &id[..12]], "No such container");
    // Its exec instances too: an exec ID is the container's, whoever learns it.
    let curl = |uid: Option<u32>, args: &[&str]| -> String {
        let mut c = match uid {
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "curl",
                ]);
                c
            }
            None => Command::new("curl"),
        };
        let out = c
            .args(["-sS", "--unix-socket", sk.socket.to_str().unwrap()])
            .args(args)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let created = curl(
        None,
        &[
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"Cmd":["true"]}"#,
            &format!("http://docker/v1.41/containers/{theirs}/exec"),
        ],
    );
    let exec_id = serde_json::from_str::<serde_json::Value>(&created).unwrap()["Id"]
        .as_str()
        .unwrap_or_else(|| panic!("exec create: {created}"))
        .to_owned();
    let seen = curl(
        Some(65534),
        &[&format!("http://docker/v1.41/exec/{exec_id}/json")],
    );
    assert_eq!(
        seen.trim(),
        format!(r#"{{"message":"No such exec instance: {exec_id}"}}"#),
        "another user's exec"
    );
    // A shared image can be used, not removed.
    other.no_such(&["rmi", IMAGE], "No such image");
    // A container of one's own can use a shared image; not another's volume or network.
    // (`--pull never`: on any 404 from a create, the CLI would otherwise try to pull the
    // image, as it does for a network that does not exist.)
    other.no_such(
        &[
            "create",
            "--pull",
            "never",
            "-v",
            &format!("{p}-rv:/x"),
            IMAGE,
        ],
        &format!("get {p}-rv: no such volume"),
    );
    other.no_such(
        &[
            "create",
            "--pull",
            "never",
            "--network",
            &format!("{p}-rn"),
            IMAGE,
        ],
        &format!("network {p}-rn not found"),
    );
    // A client cannot claim an owner.
    let (code, _, err) = other.docker(&["create", "--label", "sockeye.owner=uid:0", IMAGE]);
    assert_ne!(code, 0);
    assert!(err.contains("forbidden under --isolate"), "{err}");

    // Events: each sees its own container's.
    // A second ahead: `--until` in the future waits for it, then the stream ends.
    let until = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1)
    .to_string();
    for (user, who) in [(&root, "r"), (&other, "o")] {
        let ev = user.ok(&[
            "events",
            "--since",
            &start,
            "--until",
            &until,
            "--format",
            "{{.Actor.Attributes.name}}",
        ]);
        // This run's objects only (an earlier run's leftovers are swept as it starts).
        let names: std::collections::BTreeSet<&str> = lines(&ev)
            .into_iter()
            .filter(|n| n.starts_with(&p))
            .collect();
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            vec![format!("{p}-{who}c")],
            "events as {who}"
        );
    }

    // A prune removes only one's own.
    other.ok(&["stop", "-t", "0", &format!("{p}-oc")]);
    root.ok(&["stop", "-t", "0", &theirs]);
    other.ok(&["system", "prune", "-f"]);
    assert_eq!(
        lines(&root.ok(&["ps", "-a", "-q"])).len(),
        1,
        "root's container survived"
    );
    assert!(lines(&other.ok(&["ps", "-a", "-q"])).is_empty());
    assert!(lines(&other.ok(&["network", "ls", "-q"])).is_empty());
    assert_eq!(lines(&root.ok(&["network", "ls", "-q"])).len(), 1);

    root.ok(&["rm", "-f", &theirs]);
    root.ok(&["volume", "rm", &format!("{p}-rv")]);
    root.ok(&["network", "rm", &format!("{p}-rn")]);
    other.ok(&["volume", "rm", &format!("{p}-ov")]);
}

/// `sockeye certs …`, which must succeed.
fn certs(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .arg("certs")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The docker CLI over TLS with one client certificate.
fn docker_tls(addr: &str, cert_path: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new("docker")
        .env("DOCKER_HOST", format!("tcp://{addr}"))
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", cert_path)
        .env("DOCKER_CLI_HINTS", "false")
        .env("DOCKER_CONFIG", cert_path.join("config"))
        .env_remove("DOCKER_CONTEXT")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn two_certificates_on_one_tls_listener_see_and_touch_only_their_own() {
    let Some(d) = daemon() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let pki = tmp.path().join("pki");
    let pki_s = pki.to_str().unwrap();
    certs(&["init", pki_s, "--host", "127.0.0.1"]);
    certs(&["client", "alice", "--dir", pki_s]);
    certs(&["client", "bob", "--dir", pki_s]);
    let file = |n: &str| pki.join(n).display().to_string();
    let sk = Sockeye::start_with(
        &d.socket,
        &[
            "--listen",
            "tls://127.0.0.1:0",
            "--tls-cert",
            &file("server-cert.pem"),
            "--tls-key",
            &file("server-key.pem"),
            "--tls-client-ca",
            &file("ca.pem"),
            "--isolate",
            "--isolate-share",
            "image=sockeye-test/*",
        ],
    );
    let addr = sk.listening("tls");
    let alice = pki.join("clients").join("alice");
    let bob = pki.join("clients").join("bob");
    let p = format!("sk{}-isotls", std::process::id());
    for (who, dir) in [("alice", &alice), ("bob", &bob)] {
        let (code, _, err) = docker_tls(
            &addr,
            dir,
            &["create", "--name", &format!("{p}-{who}"), IMAGE, "true"],
        );
        assert_eq!(code, 0, "{who}: {err}");
    }
    for (who, dir) in [("alice", &alice), ("bob", &bob)] {
        let (code, out, err) = docker_tls(
            &addr,
            dir,
            &["ps", "-a", "--format", "{{.Names}} {{.Labels}}"],
        );
        assert_eq!(code, 0, "{who}: {err}");
        assert_eq!(
            lines(&out),
            vec![format!("{p}-{who} sockeye.owner=cert:{who}").as_str()],
            "{who} sees"
        );
    }
    let (code, _, err) = docker_tls(&addr, &bob, &["rm", &format!("{p}-alice")]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("No such container: {p}-alice")),
        "{err}"
    );
    for (who, dir) in [("alice", &alice), ("bob", &bob)] {
        let (code, _, err) = docker_tls(&addr, dir, &["rm", &format!("{p}-{who}")]);
        assert_eq!(code, 0, "{who}: {err}");
    }
}
