//! Taking access back without a restart: `sockeye certs revoke`, then SIGHUP — the revoked
//! certificate's next handshake is refused, its open sessions are closed, everyone else
//! carries on; a broken certificate file on reload keeps the old one serving.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::pki::{certs_cmd, Pki};
use common::*;
use sockeye::cmd::certs;

/// A tls:// listener serving `cert`, requiring this CA's certificates and reading its CRL.
fn listener_args(pki: &Pki, cert: &str) -> Vec<String> {
    let mut args = pki.listener_args_serving(cert);
    args.extend(["--tls-crl".into(), pki.file("crl.pem")]);
    args
}

fn docker_tls(d: &Daemon, addr: &str, cert_path: &Path) -> Command {
    let mut cmd = Command::new(&d.cli);
    cmd.env("DOCKER_HOST", format!("tcp://{addr}"))
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", cert_path)
        .env("DOCKER_CLI_HINTS", "false")
        .env(
            "DOCKER_CONFIG",
            std::env::temp_dir().join("sockeye-test-docker-config"),
        )
        .env_remove("DOCKER_CONTEXT");
    cmd
}

fn ps(d: &Daemon, addr: &str, cert_path: &Path) -> Output {
    docker_tls(d, addr, cert_path)
        .args(["ps", "--format", "{{.Names}}"])
        .output()
        .expect("docker ps")
}

/// The child's exit, waited for at most `limit`.
fn exits_within(child: &mut Child, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

struct Removed<'a>(&'a Daemon, String);

impl Drop for Removed<'_> {
    fn drop(&mut self) {
        let _ = Command::new(&self.0.cli)
            .env("DOCKER_HOST", &self.0.host)
            .args(["rm", "-f", &self.1])
            .output();
    }
}

#[test]
fn a_revoked_certificate_is_refused_and_its_open_logs_session_closed_on_sighup() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let (alice, bob) = (pki.client("alice"), pki.client("bob"));
    let audit = pki.dir.join("audit.log");
    let sk = Sockeye::start_sockeye(
        listener_args(&pki, &pki.file(certs::SERVER_CERT))
            .into_iter()
            .chain(["--upstream".into(), d.host.clone()])
            .chain(["--audit".into(), audit.display().to_string()]),
    );
    let addr = sk.listening("tls");
    for who in [&alice, &bob] {
        let out = ps(d, &addr, who);
        assert!(out.status.success(), "{who:?} before revocation: {out:?}");
    }

    // A container that keeps talking, and alice following its logs through sockeye.
    let name = format!("sockeye-revoke-{}", std::process::id());
    let run = Command::new(&d.cli)
        .env("DOCKER_HOST", &d.host)
        .args(["run", "-d", "--network", "none", "--name", &name, IMAGE])
        .args(["sh", "-c", "while true; do echo tick; sleep 1; done"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let _removed = Removed(d, name.clone());
    let mut follow = docker_tls(d, &addr, &alice)
        .args(["logs", "-f", &name])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "tick",
        "alice follows the logs"
    );
    // And a tunnel: `docker exec -i` (a hijacked connection, relayed outside the HTTP one).
    let mut shell = docker_tls(d, &addr, &alice)
        .args(["exec", "-i", &name, "sh", "-c", "echo ready; cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _stdin = shell.stdin.take();
    let mut shell_out = BufReader::new(shell.stdout.take().unwrap()).lines();
    assert_eq!(
        shell_out.next().unwrap().unwrap(),
        "ready",
        "alice's exec runs"
    );

    let revoked = certs_cmd(&["revoke", "alice", "--dir", pki.dir.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&revoked.stdout).contains("Revoked \"alice\""),
        "{revoked:?}"
    );
    sk.signal("-HUP");
    let reloaded = sk.wait_for_log(&["TLS files reloaded"]);
    // The docker CLI may hold more than one connection per command (an idle keep-alive):
    // every one of alice's counts.
    assert!(
        reloaded.contains("open session(s) closed") && !reloaded.contains(" 0 open session"),
        "{reloaded}"
    );
    sk.wait_for_log(&["session closed: client certificate cn=alice", "revoked"]);
    // The open `docker logs -f` ends: its connection is gone, not merely refused later.
    assert!(
        exits_within(&mut follow, Duration::from_secs(20)),
        "alice's docker logs -f still runs after her certificate was revoked"
    );
    assert!(
        exits_within(&mut shell, Duration::from_secs(20)),
        "alice's docker exec -i still runs after her certificate was revoked"
    );

    let refused = ps(d, &addr, &alice);
    assert!(
        !refused.status.success(),
        "alice after revocation: {refused:?}"
    );
    sk.wait_for_log(&[
        "TLS handshake refused: client certificate cn=alice serial",
        "revoked",
    ]);
    let out = ps(d, &addr, &bob);
    assert!(
        out.status.success(),
        "bob after alice's revocation: {out:?}"
    );

    // The audit log has the reload and each closed session, by name and serial.
    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(r#""event":"reload","what":"tls","ok":true"#)),
        "{log}"
    );
    let closed = log
        .lines()
        .find(|l| l.contains(r#""event":"session_closed""#))
        .unwrap_or_else(|| panic!("no session_closed record:\n{log}"));
    assert!(closed.contains(r#""client":"cn=alice""#), "{closed}");
    let exec = log
        .lines()
        .find(|l| l.contains(r#""endpoint":"ExecStart""#))
        .unwrap_or_else(|| panic!("no ExecStart record:\n{log}"));
    assert!(
        exec.contains("closed by sockeye: the client certificate was revoked"),
        "{exec}"
    );

    let list = certs_cmd(&["list", "--dir", pki.dir.to_str().unwrap()]);
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    let alice_line = list.lines().find(|l| l.starts_with("alice\t")).unwrap();
    assert!(
        !alice_line.ends_with("\t-"),
        "alice is listed revoked: {list}"
    );
    let bob_line = list.lines().find(|l| l.starts_with("bob\t")).unwrap();
    assert!(bob_line.ends_with("\t-"), "bob is not revoked: {list}");
}

#[test]
fn a_reload_with_a_corrupt_certificate_keeps_serving_with_the_old_one_and_says_so() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let bob = pki.client("bob");
    // The server certificate in a file of its own, to break it.
    let cert = pki.dir.join("live-cert.pem");
    std::fs::copy(pki.dir.join(certs::SERVER_CERT), &cert).unwrap();
    let sk = Sockeye::start_sockeye(
        listener_args(&pki, cert.to_str().unwrap())
            .into_iter()
            .chain(["--upstream".into(), d.host.clone()]),
    );
    let addr = sk.listening("tls");
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
    sk.signal("-HUP");
    sk.wait_for_log(&[
        "TLS files not reloaded",
        "live-cert.pem",
        "the certificates in force are unchanged",
    ]);
    let out = ps(d, &addr, &bob);
    assert!(out.status.success(), "bob after a broken reload: {out:?}");
}

#[test]
fn a_tls_upstream_uses_its_renewed_client_certificate_after_sighup() {
    let Some(d) = daemon() else { return };
    // The "remote daemon": the private dockerd behind a sockeye that requires client
    // certificates and reads a CRL.
    let pki = Pki::new();
    let remote = Sockeye::start_sockeye(
        listener_args(&pki, &pki.file(certs::SERVER_CERT))
            .into_iter()
            .chain(["--upstream".into(), d.host.clone()]),
    );
    let remote_addr = remote.listening("tls");
    let (old, new) = (pki.client("relay-old"), pki.client("relay-new"));
    // The relay's certificate where its unit file says, replaced in place on renewal.
    let (cert, key) = (
        pki.dir.join("relay-cert.pem"),
        pki.dir.join("relay-key.pem"),
    );
    let install = |from: &Path| {
        std::fs::copy(from.join(certs::CLIENT_CERT), &cert).unwrap();
        std::fs::copy(from.join(certs::CLIENT_KEY), &key).unwrap();
    };
    install(&old);
    let local = Sockeye::start_sockeye([
        "--upstream".to_string(),
        format!("tls://{remote_addr}"),
        "--upstream-tls-ca".into(),
        pki.file(certs::CA_CERT),
        "--upstream-tls-cert".into(),
        cert.display().to_string(),
        "--upstream-tls-key".into(),
        key.display().to_string(),
    ]);
    let ps = || {
        Command::new(&d.cli)
            .env("DOCKER_HOST", local.host())
            .env("DOCKER_CLI_HINTS", "false")
            .env_remove("DOCKER_TLS_VERIFY")
            .env_remove("DOCKER_CONTEXT")
            .args(["ps", "--format", "{{.ID}}"])
            .output()
            .unwrap()
    };
    assert!(ps().status.success(), "with the old certificate");
    remote.wait_for_log(&["cn=relay-old 127.0.0.1:", "docker ps"]);

    // Renewal: the new certificate in place, the old one revoked, both sockeyes reloaded.
    install(&new);
    certs_cmd(&["revoke", "relay-old", "--dir", pki.dir.to_str().unwrap()]);
    remote.signal("-HUP");
    remote.wait_for_log(&["TLS files reloaded"]);
    local.signal("-HUP");
    local.wait_for_log(&["upstream TLS files reloaded"]);
    let out = ps();
    assert!(
        out.status.success(),
        "with the renewed certificate: {out:?}"
    );
    remote.wait_for_log(&["cn=relay-new 127.0.0.1:", "docker ps"]);
}

#[test]
fn certificates_about_to_expire_are_called_out_in_the_view_and_the_metrics() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    // A short-lived certificate, as a timer would renew daily.
    certs_cmd(&[
        "client",
        "carol",
        "--hours",
        "36",
        "--dir",
        pki.dir.to_str().unwrap(),
    ]);
    let carol = pki.dir.join("clients").join("carol");
    let sk = Sockeye::start_sockeye(
        listener_args(&pki, &pki.file(certs::SERVER_CERT))
            .into_iter()
            .chain(["--upstream".into(), d.host.clone()])
            .chain(["--metrics".into(), "127.0.0.1:0".into()]),
    );
    let addr = sk.listening("tls");
    let out = ps(d, &addr, &carol);
    assert!(out.status.success(), "{out:?}");
    sk.wait_for_log(&["client certificate cn=carol expires ", "(in 3"]);

    let metrics_line = sk.wait_for_log(&["metrics on http://"]);
    let metrics_addr = metrics_line
        .split("metrics on http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let scraped = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .arg(format!("http://{metrics_addr}/metrics"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&scraped.stdout).into_owned();
    assert!(
        text.contains(r#"sockeye_tls_certificate_expiry_timestamp_seconds{certificate="server"}"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"sockeye_tls_certificate_expiry_timestamp_seconds{certificate="cn=carol"}"#
        ),
        "{text}"
    );
    // bob's 30 days are not "about to expire".
    let bob = pki.client("bob");
    assert!(ps(d, &addr, &bob).status.success());
    assert!(!sk.log().contains("cn=bob expires"), "{}", sk.log());
}
