//! `--policy-rego-bundle`: an OPA bundle served by a real HTTP server (tests/support/
//! bundle_server.py, with ETags), signed in the test, decides docker CLI calls through
//! sockeye; a new revision is picked up by polling; a bundle altered after signing is
//! refused and the last good one stays in force (and the metrics say so); a bundle that does
//! not verify at startup stops sockeye with one line.
//!
//! Needs a Docker daemon (see `common`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{daemon, docker_at as docker, output_text as text, Sockeye};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

/// Denies `docker volume create` while the bundle's data says volumes are closed.
const POLICY: &str = r#"package docker.authz

import data.sockeye_test.volumes

default allow := false

allow if not creates_volume

allow if {
	creates_volume
	volumes.open
}

creates_volume if {
	input.Method == "POST"
	endswith(input.Path, "/volumes/create")
}

reason := "volumes are closed in this revision" if not allow
"#;

/// The bundle server: a python3 process serving a directory, killed on drop.
struct Server {
    child: Child,
    dir: tempfile::TempDir,
    url: String,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// With `[cert, key]`: over HTTPS.
    fn start_with(tls: &[&Path]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/bundle_server.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(dir.path())
            .arg(dir.path().join("requests.log"))
            .args(tls)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the bundle server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().expect("the server prints its port");
        let scheme = if tls.is_empty() { "http" } else { "https" };
        Server {
            child,
            dir,
            url: format!("{scheme}://127.0.0.1:{port}/bundle.tar.gz"),
        }
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    /// Serve `bytes` from now on (renamed into place: a poll never reads half a file).
    fn serve(&self, bytes: &[u8]) {
        let tmp = self.dir.path().join("bundle.tmp");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, self.dir.path().join("bundle.tar.gz")).unwrap();
    }

    /// The server goes away (its port then refuses connections).
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn requests(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("requests.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}

/// An ES256 signing key, and its public key as the PEM file sockeye is given.
fn key(dir: &Path, name: &str) -> (EcdsaKeyPair, PathBuf) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let pem = rcgen::KeyPair::try_from(pkcs8.as_ref())
        .unwrap()
        .public_key_pem();
    let path = dir.join(name);
    std::fs::write(&path, pem).unwrap();
    (pair, path)
}

/// OPA's digest of a bundle file: JSON files in canonical form (keys sorted, compact),
/// others byte for byte. The test's JSON files are written compact with sorted keys
/// already, so their bytes are their canonical form.
fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// A bundle: `.manifest` with `revision`, the policy, and `sockeye_test/volumes/data.json`
/// (data.sockeye_test.volumes), signed by `signer` over `signed_policy` (the policy itself
/// unless the test tampers with it).
fn bundle(revision: &str, open: bool, signer: &EcdsaKeyPair, signed_policy: &str) -> Vec<u8> {
    bundle_with(revision, open, signer, signed_policy, POLICY)
}

fn bundle_with(
    revision: &str,
    open: bool,
    signer: &EcdsaKeyPair,
    signed_policy: &str,
    policy: &str,
) -> Vec<u8> {
    let manifest = json!({"revision": revision, "roots": ["docker", "sockeye_test"]}).to_string();
    let data = json!({"open": open}).to_string();
    let files: Vec<(&str, &[u8], &[u8])> = vec![
        (".manifest", manifest.as_bytes(), manifest.as_bytes()),
        (
            "docker/authz/policy.rego",
            policy.as_bytes(),
            signed_policy.as_bytes(),
        ),
        (
            "sockeye_test/volumes/data.json",
            data.as_bytes(),
            data.as_bytes(),
        ),
    ];
    let payload = json!({
        "files": files.iter().map(|(name, _, signed)| json!({
            "name": name, "hash": sha256_hex(signed), "algorithm": "SHA-256"
        })).collect::<Vec<_>>(),
        "keyid": "test",
    });
    let signing_input = format!(
        "{}.{}",
        b64(json!({"alg": "ES256", "kid": "test"})
            .to_string()
            .as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let signature = signer
        .sign(&SystemRandom::new(), signing_input.as_bytes())
        .unwrap();
    let signatures =
        json!({"signatures": [format!("{signing_input}.{}", b64(signature.as_ref()))]}).to_string();
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes).unwrap();
    };
    for (name, bytes, _) in &files {
        add(name, bytes);
    }
    add(".signatures.json", signatures.as_bytes());
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

/// The metrics address sockeye logged at startup (it was asked for port 0).
fn metrics_addr(s: &Sockeye) -> String {
    let line = s.wait_for_log(&["metrics on http://"]);
    let rest = line.split("metrics on http://").nth(1).unwrap();
    rest.split('/').next().unwrap().to_string()
}

fn scrape(addr: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Wait for `what` to hold; the bound only keeps a broken sockeye from hanging the test.
fn wait_until(what: &str, mut check: impl FnMut() -> Option<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The audit records of `action`s starting with `prefix`.
fn records(audit: &Path, prefix: &str) -> Vec<Value> {
    std::fs::read_to_string(audit)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["action"].as_str().is_some_and(|a| a.starts_with(prefix)))
        .collect()
}

#[test]
fn a_signed_bundle_decides_polls_new_revisions_and_refuses_a_tampered_one() {
    let Some(d) = daemon() else { return };
    let keys = tempfile::tempdir().unwrap();
    let (signer, public) = key(keys.path(), "bundle.pem");
    let mut server = Server::start();
    server.serve(&bundle("r1", false, &signer, POLICY));
    let audit = keys.path().join("audit.log");
    let s = Sockeye::start_with(
        &d.socket,
        &[
            "--policy-rego-bundle",
            &server.url(),
            "--policy-rego-bundle-key",
            public.to_str().unwrap(),
            "--policy-rego-bundle-interval",
            "0.2",
            "--metrics",
            "127.0.0.1:0",
            "--audit",
            audit.to_str().unwrap(),
        ],
    );
    let host = s.host();
    let metrics = metrics_addr(&s);
    let volume = format!("sockeye-bundle-{}", std::process::id());
    let _ = docker(&d.host, &["volume", "rm", "-f", &volume]);

    // Revision r1: reading is allowed, creating a volume is not, in the policy's words.
    let ps = docker(&host, &["ps", "-q"]);
    assert!(ps.status.success(), "{}", text(&ps));
    let denied = docker(&host, &["volume", "create", &volume]);
    assert!(
        String::from_utf8_lossy(&denied.stderr)
            .contains("denied by rule rego:bundle: volumes are closed in this revision"),
        "{}",
        text(&denied)
    );
    let record = wait_until("the denial's audit record", || {
        records(&audit, "docker volume create")
            .pop()
            .map(|r| r.to_string())
    });
    let record: Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["decision"], "deny", "{record}");
    assert_eq!(record["policy_revision"], "r1", "{record}");
    assert!(scrape(&metrics).contains(r#"sockeye_policy_bundle_info{revision="r1"} 1"#));

    // The server keeps r1: sockeye's polls carry its ETag and get 304s.
    wait_until("a 304 Not Modified", || {
        server.requests().contains(" 304").then_some(String::new())
    });

    // Revision r2 opens volumes: picked up by polling, no signal.
    server.serve(&bundle("r2", true, &signer, POLICY));
    wait_until("revision r2 in the metrics", || {
        scrape(&metrics)
            .contains(r#"sockeye_policy_bundle_info{revision="r2"} 1"#)
            .then_some(String::new())
    });
    let created = docker(&host, &["volume", "create", &volume]);
    assert!(created.status.success(), "{}", text(&created));
    let _ = docker(&d.host, &["volume", "rm", "-f", &volume]);
    let record = wait_until("the allowed create's audit record", || {
        records(&audit, "docker volume create")
            .into_iter()
            .find(|r| r["decision"] == "allow")
            .map(|r| r.to_string())
    });
    assert!(record.contains(r#""policy_revision":"r2""#), "{record}");

    // r3 closes volumes again, but its policy was changed after signing (allow := true
    // in place of the signed file): refused, r2 stays in force.
    let tampered = format!("{POLICY}\nallow := true\n");
    server.serve(&bundle_with("r3", false, &signer, POLICY, &tampered));
    let exposition = wait_until("a signature failure in the metrics", || {
        let m = scrape(&metrics);
        m.contains(r#"sockeye_policy_bundle_failures_total{reason="signature"}"#)
            .then_some(m)
    });
    assert!(
        exposition.contains(r#"sockeye_policy_bundle_info{revision="r2"} 1"#),
        "{exposition}"
    );
    assert!(
        exposition.contains("sockeye_policy_bundle_failing 1"),
        "{exposition}"
    );
    s.wait_for_log(&[
        "docker/authz/policy.rego: digest mismatch",
        "revision r2 stays in force",
    ]);
    let again = docker(&host, &["volume", "create", &volume]);
    assert!(again.status.success(), "r2 still decides: {}", text(&again));
    let _ = docker(&d.host, &["volume", "rm", "-f", &volume]);
    // Said once, however many polls fail the same way.
    wait_until("another refused poll", || {
        (server
            .requests()
            .lines()
            .filter(|l| l.ends_with(" 200"))
            .count()
            > 4)
        .then_some(String::new())
    });
    assert_eq!(s.log().matches("digest mismatch").count(), 1, "{}", s.log());

    // The server goes away: r2 still decides, and the metrics say why nothing is new.
    server.stop();
    wait_until("a fetch failure in the metrics", || {
        scrape(&metrics)
            .contains(r#"sockeye_policy_bundle_failures_total{reason="fetch"}"#)
            .then_some(String::new())
    });
    s.wait_for_log(&["cannot connect to 127.0.0.1:", "revision r2 stays in force"]);
    let still = docker(&host, &["volume", "create", &volume]);
    assert!(still.status.success(), "r2 still decides: {}", text(&still));
    let _ = docker(&d.host, &["volume", "rm", "-f", &volume]);
}

#[test]
fn a_bundle_that_does_not_verify_with_the_key_stops_startup_with_one_line() {
    let keys = tempfile::tempdir().unwrap();
    let (signer, _) = key(keys.path(), "signer.pem");
    let (_, other) = key(keys.path(), "other.pem");
    let server = Server::start();
    server.serve(&bundle("r1", false, &signer, POLICY));
    let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args(["proxy", "--listen"])
        .arg(format!("unix://{}", keys.path().join("s.sock").display()))
        .args(["--upstream", "unix:///nonexistent/docker.sock"])
        .args(["--policy-rego-bundle", &server.url()])
        .arg("--policy-rego-bundle-key")
        .arg(&other)
        .env_remove("SOCKEYE_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains(&format!("cannot load the policy bundle {}", server.url()))
            && lines[0].contains("does not verify with the configured key"),
        "{stderr}"
    );
    assert!(!keys.path().join("s.sock").exists());
}

/// `sockeye policy explain` with a bundle: asks the bundle server once, as proxy does at start.
fn explain(bundle_args: &[&str], request: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args(["policy", "explain", "--request", request])
        .args(bundle_args)
        .env_remove("SOCKEYE_LOG")
        .output()
        .unwrap()
}

#[test]
fn an_https_bundle_server_is_trusted_through_the_ca_given_and_no_other() {
    let pki = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    for dir in [pki.path(), other.path()] {
        let out = Command::new(env!("CARGO_BIN_EXE_sockeye"))
            .args(["certs", "init"])
            .arg(dir.join("pki"))
            .args(["--host", "127.0.0.1"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let file = |dir: &Path, name: &str| dir.join("pki").join(name);
    let (signer, public) = key(pki.path(), "bundle.pem");
    let server = Server::start_with(&[
        &file(pki.path(), "server-cert.pem"),
        &file(pki.path(), "server-key.pem"),
    ]);
    server.serve(&bundle("r1", false, &signer, POLICY));
    let url = server.url();
    let ca = file(pki.path(), "ca.pem");
    let key = public.to_str().unwrap();
    let args = |ca: &Path| {
        vec![
            "--policy-rego-bundle".to_owned(),
            url.clone(),
            "--policy-rego-bundle-ca".to_owned(),
            ca.display().to_string(),
            "--policy-rego-bundle-key".to_owned(),
            key.to_owned(),
        ]
    };
    let trusted: Vec<String> = args(&ca);
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let denied = explain(&trusted, "POST /v1.41/volumes/create");
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied));
    assert!(
        String::from_utf8_lossy(&denied.stdout).contains("volumes are closed in this revision"),
        "{}",
        text(&denied)
    );
    let allowed = explain(&trusted, "GET /v1.41/containers/json");
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed));

    // Another CA: the handshake fails, and so does the command, in one line.
    let untrusted: Vec<String> = args(&file(other.path(), "ca.pem"));
    let untrusted: Vec<&str> = untrusted.iter().map(String::as_str).collect();
    let refused = explain(&untrusted, "GET /v1.41/containers/json");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot load the policy bundle") && stderr.contains("TLS handshake"),
        "{stderr}"
    );
}
