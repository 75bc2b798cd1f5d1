//! Remote access: `tls://` listeners with client certificates, `sockeye certs`, plain `tcp://`
//! rules, several listeners at once, and a `tls://` upstream.
//!
//! The handshake tests need no daemon (a refused client never reaches one); the others use
//! the private dockerd as tests/cli.rs does, and the real docker CLI and curl.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use common::pki::Pki;
use common::*;
use sockeye::cmd::certs::{self, Ca, Validity};

/// curl with a deadline; `args` come before the URL.
fn curl(args: &[&str], url: &str) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl (installed by scripts/test.sh)")
}

/// curl over TLS presenting the client in `client_dir`, trusting `ca`.
fn curl_as(ca: &Path, client_dir: &Path, url: &str) -> Output {
    curl(
        &[
            "--cacert",
            ca.to_str().unwrap(),
            "--cert",
            client_dir.join(certs::CLIENT_CERT).to_str().unwrap(),
            "--key",
            client_dir.join(certs::CLIENT_KEY).to_str().unwrap(),
        ],
        url,
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn upstream_args(d: &Daemon) -> Vec<String> {
    vec!["--upstream".into(), d.host.clone()]
}

/// A sockeye whose upstream does not exist: enough for tests of the handshake itself.
fn nowhere() -> Vec<String> {
    vec![
        "--upstream".into(),
        "unix:///nonexistent/sockeye-test/docker.sock".into(),
    ]
}

/// The docker CLI (no harness) at `host` with TLS from `cert_path`.
fn docker_tls(host: &str, cert_path: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("docker");
    cmd.env("DOCKER_HOST", host)
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", cert_path)
        .env("DOCKER_CLI_HINTS", "false")
        .env(
            "DOCKER_CONFIG",
            std::env::temp_dir().join("sockeye-test-docker-config"),
        )
        .env_remove("DOCKER_CONTEXT")
        .args(args);
    cmd.output().expect("docker CLI")
}

// ---------------------------------------------------------------------------------------------
// sockeye certs
// ---------------------------------------------------------------------------------------------

#[test]
fn certs_init_writes_the_docker_cli_layout_with_private_keys_0600() {
    use std::os::unix::fs::PermissionsExt;
    let pki = Pki::new();
    for (name, mode) in [
        (certs::CA_CERT, 0o644),
        (certs::CA_KEY, 0o600),
        (certs::SERVER_CERT, 0o644),
        (certs::SERVER_KEY, 0o600),
        (certs::CLIENT_CERT, 0o644),
        (certs::CLIENT_KEY, 0o600),
    ] {
        let meta = std::fs::metadata(pki.dir.join(name)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{name}");
    }
    let dir_mode = std::fs::metadata(&pki.dir).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700);

    // A client directory holds what DOCKER_CERT_PATH needs, and never the CA's key.
    let alice = pki.client("alice");
    let mut names: Vec<String> = std::fs::read_dir(&alice)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["ca.pem", "cert.pem", "key.pem"]);

    // A second init over the first is refused: it would orphan every issued certificate.
    let again = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args(["certs", "init", pki.dir.to_str().unwrap(), "--host", "x"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Handshakes: who gets in, who is refused and how that is told
// ---------------------------------------------------------------------------------------------

#[test]
fn refused_handshakes_each_get_a_line_that_says_why() {
    let pki = Pki::new();
    let other = Pki::new();
    let sk = Sockeye::start_sockeye(
        pki.listener_args()
            .into_iter()
            .chain(nowhere())
            .chain(["--head-timeout".into(), "3".into()]),
    );
    let addr = sk.listening("tls");
    let url = format!("https://{addr}/_ping");
    let ca = pki.dir.join(certs::CA_CERT);

    // No certificate.
    let out = curl(&["--cacert", ca.to_str().unwrap()], &url);
    assert!(!out.status.success(), "no client certificate got in");
    sk.wait_for_log(&["TLS handshake refused: no client certificate", "127.0.0.1:"]);

    // A certificate from another CA.
    let out = curl_as(&ca, &other.dir, &url);
    assert!(!out.status.success(), "a foreign certificate got in");
    sk.wait_for_log(&[
        "TLS handshake refused: client certificate not issued by the --tls-client-ca CA",
    ]);

    // An expired certificate from the right CA.
    let tmp = tempfile::tempdir().unwrap();
    let expired = tmp.path().join("expired");
    let ca_obj = Ca::load(&pki.dir).unwrap();
    let now = SystemTime::now();
    let old = ca_obj
        .client(
            "old-timer",
            &[],
            Validity {
                not_before: now - Duration::from_secs(10 * 86_400),
                not_after: now - Duration::from_secs(86_400),
            },
        )
        .unwrap();
    certs::write_client_dir(&expired, &ca_obj, &old).unwrap();
    let out = curl_as(&ca, &expired, &url);
    assert!(!out.status.success(), "an expired certificate got in");
    sk.wait_for_log(&["TLS handshake refused: client certificate expired (not valid after 20"]);

    // Plain HTTP to the TLS port: refused, with the answer Go's servers give.
    let out = curl(&[], &format!("http://{addr}/_ping"));
    assert!(
        stdout(&out).contains("Client sent an HTTP request to an HTTPS server."),
        "{out:?}"
    );
    sk.wait_for_log(&["TLS handshake refused: plain HTTP on a TLS listener"]);

    // Something that is neither.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"\x00\x01\x02\x03").unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty(), "sockeye answered garbage with {rest:?}");
    sk.wait_for_log(&["TLS handshake refused: not TLS (first byte 0x00)"]);

    // A client that connects and says nothing is dropped after --head-timeout.
    let mut silent = TcpStream::connect(&addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = silent.read_to_end(&mut Vec::new());
    sk.wait_for_log(&["TLS handshake refused: no handshake within 3s (limit: --head-timeout)"]);

    // None of them reached the relay: no call line, no daemon error.
    let log = sk.log();
    assert!(
        !log.contains("/_ping →"),
        "a refused client made a call:\n{log}"
    );
}

/// `-q` with an audit log (or metrics) used to drop the refusal: something recorded events,
/// so no log line was written, but nothing showed notices either.
#[test]
fn a_refused_handshake_is_logged_under_quiet_with_an_audit_log() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let sk = Sockeye::start_sockeye(pki.listener_args().into_iter().chain(nowhere()).chain([
        "-q".into(),
        "--audit".into(),
        audit.display().to_string(),
    ]));
    let addr = sk.listening("tls");
    let ca = pki.dir.join(certs::CA_CERT);
    let out = curl(
        &["--cacert", ca.to_str().unwrap()],
        &format!("https://{addr}/_ping"),
    );
    assert!(!out.status.success(), "no client certificate got in");
    sk.wait_for_log(&["TLS handshake refused: no client certificate", "127.0.0.1:"]);
}

#[test]
fn two_certificates_are_two_identities_in_the_log_and_the_json_record() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let sk = Sockeye::start_sockeye(
        pki.listener_args()
            .into_iter()
            .chain(upstream_args(d))
            .chain(["--format".into(), "json".into()]),
    );
    let addr = sk.listening("tls");
    let ca = pki.dir.join(certs::CA_CERT);
    for name in ["alice", "bob"] {
        let dir = pki.client(name);
        let out = curl_as(&ca, &dir, &format!("https://{addr}/_ping"));
        assert_eq!(stdout(&out), "OK", "{name}: {out:?}");
        let line = sk.wait_for_log(&[
            r#""transport":"tls""#,
            &format!(r#""common_name":"{name}""#),
        ]);
        assert!(line.contains(r#""subject":"CN="#), "{line}");
        assert!(line.contains(r#""endpoint":"SystemPing""#), "{line}");
    }
}

// ---------------------------------------------------------------------------------------------
// The docker CLI over mutual TLS
// ---------------------------------------------------------------------------------------------

#[test]
fn docker_cli_over_mutual_tls_sees_what_it_sees_directly() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let sk = Sockeye::start_sockeye(pki.listener_args().into_iter().chain(upstream_args(d)));
    let addr = sk.listening("tls");
    // DOCKER_HOST=tcp://… DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=DIR: the docker CLI's own
    // convention, with the files `certs init` wrote.
    let h = Harness::with_sockeye(
        "tls_cli",
        d,
        sk,
        Some(format!("tcp://{addr}")),
        vec![
            ("DOCKER_TLS_VERIFY".into(), "1".into()),
            ("DOCKER_CERT_PATH".into(), pki.dir.display().to_string()),
        ],
    );
    h.compare(|s| {
        s.step(s.docker(["version", "--format", "{{.Server.APIVersion}}"]))
            .ok()
            .check("an API version like 1.41", |o| o.text().starts_with("1."));
        s.step(s.docker(["run", "--rm", "--network", "none", IMAGE, "echo", "hi"]))
            .ok()
            .stdout_is("hi\n")
            .stderr_empty();
    });
    h.compare(|s| {
        let c = s.name("exited");
        s.run(s.docker([
            "run",
            "--network",
            "none",
            "--name",
            &c,
            IMAGE,
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ]))
        .code(3);
        s.step(s.docker(["ps", "-a", "--filter", &format!("name={c}")]))
            .ok()
            .stdout_has("Exited (3)");
        s.step(s.docker(["logs", &c]))
            .ok()
            .stdout_is("out\n")
            .check("stderr is exactly err", |o| o.stderr_str() == "err\n");
    });
    h.compare(|s| {
        let c = s.sleeper("sleeper");
        // Without -i the CLI half-closes its side (a TLS close_notify here) at once; the
        // output must still arrive.
        s.step(s.docker(["exec", &c, "sh", "-c", "sleep 1; echo late"]))
            .ok()
            .stdout_is("late\n");
        s.step(s.docker(["exec", "-i", &c, "cat"]).stdin("hello\n"))
            .ok()
            .stdout_is("hello\n");
    });
    // The same with the CLI's flags instead of its environment.
    let ca = pki.dir.join(certs::CA_CERT);
    let out = Command::new("docker")
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CLI_HINTS", "false")
        .args([
            "--tlsverify",
            "--tlscacert",
            ca.to_str().unwrap(),
            "--tlscert",
            &pki.file(certs::CLIENT_CERT),
            "--tlskey",
            &pki.file(certs::CLIENT_KEY),
            "-H",
            &format!("tcp://{addr}"),
            "version",
            "--format",
            "{{.Server.Version}}",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // Every call was made as the client certificate's name.
    h.sockeye
        .wait_for_log(&["cn=client 127.0.0.1:", "docker version"]);
}

// ---------------------------------------------------------------------------------------------
// Plain TCP, and several listeners
// ---------------------------------------------------------------------------------------------

#[test]
fn curl_reaches_ping_over_tls_and_over_plain_loopback_tcp() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let sk = Sockeye::start_sockeye(
        pki.listener_args()
            .into_iter()
            .chain(["--listen".into(), "tcp://127.0.0.1:0".into()])
            .chain(upstream_args(d)),
    );
    let tls = sk.listening("tls");
    let tcp = sk.listening("tcp");
    let out = curl_as(
        &pki.dir.join(certs::CA_CERT),
        &pki.dir,
        &format!("https://{tls}/_ping"),
    );
    assert_eq!(stdout(&out), "OK", "{out:?}");
    let out = curl(&[], &format!("http://{tcp}/_ping"));
    assert_eq!(stdout(&out), "OK", "{out:?}");
    // A loopback listener is no exposure: no warning.
    assert!(!sk.log().contains("INSECURE"), "{}", sk.log());
}

#[test]
fn exposed_plain_tcp_needs_insecure_tcp_and_then_warns_loudly() {
    let refused = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args(["proxy", "--listen", "tcp://0.0.0.0:0"])
        .args(nowhere())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("only allowed on a loopback address") && err.contains("--insecure-tcp"),
        "{err}"
    );

    let sk = Sockeye::start_sockeye(
        ["--listen", "tcp://0.0.0.0:0", "--insecure-tcp"]
            .into_iter()
            .map(String::from)
            .chain(nowhere()),
    );
    let line = sk.wait_for_log(&["INSECURE", "--insecure-tcp"]);
    assert!(line.contains("unauthenticated and unencrypted"), "{line}");
    let port = sk.listening("tcp").rsplit(':').next().unwrap().to_string();
    // It serves (the daemon is missing: sockeye itself answers 502).
    let out = curl(
        &["-o", "/dev/null", "-w", "%{http_code}"],
        &format!("http://127.0.0.1:{port}/_ping"),
    );
    assert_eq!(stdout(&out), "502", "{out:?}");
}

#[test]
fn tls_without_a_client_ca_warns_and_lets_anyone_in() {
    let pki = Pki::new();
    let sk = Sockeye::start_sockeye(
        [
            "--listen",
            "tls://127.0.0.1:0",
            "--tls-cert",
            &pki.file(certs::SERVER_CERT),
            "--tls-key",
            &pki.file(certs::SERVER_KEY),
        ]
        .into_iter()
        .map(String::from)
        .chain(nowhere()),
    );
    sk.wait_for_log(&["TLS without --tls-client-ca", "full power"]);
    let addr = sk.listening("tls");
    let out = curl(
        &[
            "--cacert",
            &pki.file(certs::CA_CERT),
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ],
        &format!("https://{addr}/_ping"),
    );
    assert_eq!(stdout(&out), "502", "{out:?}");
}

#[test]
fn unix_and_tls_listeners_serve_the_same_daemon_at_once() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let sk = Sockeye::start_sockeye(pki.listener_args().into_iter().chain(upstream_args(d)));
    let tls_host = format!("tcp://{}", sk.listening("tls"));
    let name = format!("sk{}-both-listeners", std::process::id());
    let mut create = Command::new("docker");
    create
        .env("DOCKER_HOST", sk.host())
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .args([
            "create",
            "--network",
            "none",
            "--name",
            &name,
            IMAGE,
            "true",
        ]);
    let out = create.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let seen = docker_tls(
        &tls_host,
        &pki.dir,
        &[
            "ps",
            "-a",
            "--filter",
            &format!("name={name}"),
            "--format",
            "{{.Names}}",
        ],
    );
    let removed = docker_tls(&tls_host, &pki.dir, &["rm", &name]);
    assert_eq!(stdout(&seen), format!("{name}\n"), "{seen:?}");
    assert!(removed.status.success(), "{removed:?}");
    sk.wait_for_log(&["uid=", "docker create"]);
    sk.wait_for_log(&["cn=client", "docker rm"]);
}

// ---------------------------------------------------------------------------------------------
// A tls:// upstream
// ---------------------------------------------------------------------------------------------

#[test]
fn a_sockeye_fronts_a_daemon_that_requires_mutual_tls() {
    let Some(d) = daemon() else { return };
    // The "remote daemon": the private dockerd behind a sockeye that requires client
    // certificates, as dockerd --tlsverify would.
    let pki = Pki::new();
    let remote = Sockeye::start_sockeye(pki.listener_args().into_iter().chain(upstream_args(d)));
    let remote_addr = remote.listening("tls");
    let relay_cert = pki.client("relay");
    let chained = |with_cert: bool| {
        let mut args = vec![
            "--upstream".to_string(),
            format!("tls://{remote_addr}"),
            "--upstream-tls-ca".into(),
            pki.file(certs::CA_CERT),
        ];
        if with_cert {
            args.extend([
                "--upstream-tls-cert".into(),
                relay_cert.join(certs::CLIENT_CERT).display().to_string(),
                "--upstream-tls-key".into(),
                relay_cert.join(certs::CLIENT_KEY).display().to_string(),
            ]);
        }
        Sockeye::start_sockeye(args)
    };
    let local = chained(true);
    let docker = |args: &[&str]| {
        Command::new("docker")
            .env("DOCKER_HOST", local.host())
            .env("DOCKER_CLI_HINTS", "false")
            .env_remove("DOCKER_TLS_VERIFY")
            .env_remove("DOCKER_CERT_PATH")
            .env_remove("DOCKER_CONTEXT")
            .args(args)
            .output()
            .unwrap()
    };
    let ps = docker(&["ps", "--format", "{{.ID}}"]);
    assert!(ps.status.success(), "{ps:?}");
    let run = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        IMAGE,
        "echo",
        "through two",
    ]);
    assert_eq!(stdout(&run), "through two\n", "{run:?}");
    // The remote side saw the relay's certificate as the caller.
    remote.wait_for_log(&["cn=relay 127.0.0.1:", "docker ps"]);

    // Without its certificate the relay is refused by the remote, and says so to the CLI.
    let anonymous = chained(false);
    let out = Command::new("docker")
        .env("DOCKER_HOST", anonymous.host())
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CONTEXT")
        .args(["ps"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    remote.wait_for_log(&["TLS handshake refused: no client certificate"]);
}

// ---------------------------------------------------------------------------------------------
// Certificates in policy decisions
// ---------------------------------------------------------------------------------------------

#[test]
fn two_client_certificates_get_different_decisions_for_the_same_request() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let policy = pki.dir.join("policy.toml");
    std::fs::write(
        &policy,
        r#"
version = 1

[[rules]]
name = "alice-lists"
action = "allow"
client.cert_subject = "alice"
request.endpoint = ["SystemPing", "SystemPingHead", "SystemVersion", "ContainerList"]

[[rules]]
name = "everyone-pings"
action = "allow"
request.endpoint = ["SystemPing", "SystemPingHead", "SystemVersion"]
"#,
    )
    .unwrap();
    let sk = Sockeye::start_sockeye(
        pki.listener_args()
            .into_iter()
            .chain(upstream_args(d))
            .chain(["--policy".into(), policy.display().to_string()]),
    );
    let host = format!("tcp://{}", sk.listening("tls"));
    let alice = docker_tls(&host, &pki.client("alice"), &["ps", "-a"]);
    assert!(alice.status.success(), "alice may list: {alice:?}");
    let bob = docker_tls(&host, &pki.client("bob"), &["ps", "-a"]);
    assert!(
        String::from_utf8_lossy(&bob.stderr)
            .contains("sockeye: denied by rule default: no rule allows ContainerList"),
        "bob may not: {bob:?}"
    );
    sk.wait_for_log(&["cn=alice", "ContainerList", "200 OK"]);
    sk.wait_for_log(&["cn=bob", "ContainerList", "403 Forbidden"]);
}

#[test]
fn each_listener_may_carry_its_own_profile() {
    let Some(d) = daemon() else { return };
    let pki = Pki::new();
    let mut args = pki.listener_args();
    // The TLS listener is read-only; the Unix socket beside it has no policy.
    args[1] = "tls://127.0.0.1:0,profile=read-only".into();
    let sk = Sockeye::start_sockeye(args.into_iter().chain(upstream_args(d)));
    let host = format!("tcp://{}", sk.listening("tls"));
    let client = pki.client("ops");
    assert!(docker_tls(&host, &client, &["ps"]).status.success());
    let run = docker_tls(&host, &client, &["run", "--rm", IMAGE, "true"]);
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("sockeye: denied by rule read-only-deny"),
        "{run:?}"
    );
    let local = Command::new("docker")
        .env("DOCKER_HOST", sk.host())
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .args(["run", "--rm", IMAGE, "echo", "unix"])
        .output()
        .unwrap();
    assert_eq!(stdout(&local), "unix\n", "{local:?}");
}
