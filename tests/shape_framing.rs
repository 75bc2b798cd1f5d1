//! A redacted answer on the wire, against a canned daemon: it gets its own `Content-Length`
//! (no `Transfer-Encoding`) and keeps every other header of the daemon's; an answer that
//! must be redacted and cannot be (compressed, not JSON, too large) is withheld with a
//! Docker-shaped 502, never passed on whole; an error passes as it came.
//!
//! Needs no Docker daemon.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn write_policy(dir: &Path, text: &str) -> String {
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A daemon that answers each container inspect with a canned answer, one connection per
/// request: `ok` chunked JSON with a header of its own, `gz` compressed, `html` not JSON,
/// `big` larger than sockeye reads to redact; anything else 404.
fn canned_daemon(dir: &Path) -> std::path::PathBuf {
    use std::io::{BufRead, BufReader, Write};
    let path = dir.join("canned.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let target = line.split(' ').nth(1).unwrap_or("").to_owned();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                let mut out = stream;
                let head = |extra: &str| {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n")
                };
                let _ = if target.ends_with("/containers/ok/json") {
                    let (a, b) = (r#"{"Id":"ok","Config":{"Env":["#, r#""A=s3cret"]}}"#);
                    out.write_all(
                        format!(
                            "{}{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                            head("Transfer-Encoding: chunked\r\nX-Daemon-Own: kept\r\n"),
                            a.len(),
                            b.len()
                        )
                        .as_bytes(),
                    )
                } else if target.ends_with("/containers/gz/json") {
                    out.write_all(
                        format!(
                            "{}{{}}",
                            head("Content-Encoding: gzip\r\nContent-Length: 2\r\n")
                        )
                        .as_bytes(),
                    )
                } else if target.ends_with("/containers/html/json") {
                    out.write_all(format!("{}<html>", head("Content-Length: 6\r\n")).as_bytes())
                } else if target.ends_with("/containers/big/json") {
                    let size = 33 * 1024 * 1024;
                    let _ = out.write_all(head(&format!("Content-Length: {size}\r\n")).as_bytes());
                    let chunk = vec![b' '; 1024 * 1024];
                    (0..33).try_for_each(|_| out.write_all(&chunk))
                } else {
                    out.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 22\r\nConnection: close\r\n\r\n{\"message\":\"no such\"}\n",
                    )
                };
            });
        }
    });
    path
}

/// `curl -si` through sockeye: the status line, the headers and the body.
fn curl(sockeye: &Sockeye, target: &str) -> String {
    let out = Command::new("curl")
        .args(["-si", "--unix-socket", sockeye.socket.to_str().unwrap()])
        .arg(format!("http://d{target}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_redacted_answer_gets_its_own_length_and_one_that_cannot_be_redacted_is_withheld() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = canned_daemon(dir.path());
    let policy = write_policy(
        dir.path(),
        "version = 1\ndefault = \"allow\"\nredact = [\"env\"]\n",
    );
    let s = Sockeye::start_with(&daemon, &["--policy", &policy]);

    let ok = curl(&s, "/v1.41/containers/ok/json");
    let lower = ok.to_ascii_lowercase();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(
        ok.ends_with("{\"Id\":\"ok\",\"Config\":{\"Env\":[\"A=<redacted>\"]}}\n"),
        "{ok}"
    );
    assert!(lower.contains("content-length: 46\r\n"), "{ok}");
    assert!(!lower.contains("transfer-encoding"), "{ok}");
    assert!(
        lower.contains("x-daemon-own: kept"),
        "every other header is the daemon's: {ok}"
    );

    for (name, why) in [
        ("gz", "it is compressed (Content-Encoding: gzip)"),
        ("html", "it is not one JSON document"),
        (
            "big",
            "it is larger than the 33554432 bytes sockeye reads whole to redact",
        ),
    ] {
        let answer = curl(&s, &format!("/v1.41/containers/{name}/json"));
        assert!(answer.starts_with("HTTP/1.1 502"), "{name}: {answer}");
        assert!(
            answer.contains(&format!(
                "{{\"message\":\"sockeye: the daemon's answer to ContainerInspect is withheld: {why}"
            )),
            "{name}: {answer}"
        );
    }
    // An error is dockerd's own, and passes as it came.
    let missing = curl(&s, "/v1.41/containers/none/json");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(
        missing.ends_with("{\"message\":\"no such\"}\n"),
        "{missing}"
    );
}
