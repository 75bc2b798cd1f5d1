//! A client that speaks HTTP/2 with prior knowledge (h2c) to sockeye's socket. Docker 29.2
//! serves h2c on its API socket; sockeye relays HTTP/1.1 only. Before, such a client saw the
//! connection close with no answer ("HTTP/2 stream 1 was not closed cleanly"); now it gets a
//! `505` with Docker-shaped JSON it can print, and sockeye's view says what happened.
//!
//! The client is the real curl (`--http2-prior-knowledge`); nothing here needs a daemon.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sockeye::config::{Limits, UpstreamAddr};
use support::inprocess::Running;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// No daemon behind: whatever the client gets, sockeye answered.
fn unreachable() -> UpstreamAddr {
    UpstreamAddr::Unix("/nonexistent/sockeye-test/docker.sock".into())
}

fn curl_h2(socket: &std::path::Path, path: &str) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "-i", "--max-time", "10", "--http2-prior-knowledge"])
        .arg("--unix-socket")
        .arg(socket)
        .arg(format!("http://docker{path}"))
        .output()
        .expect("curl (scripts/test.sh installs it)")
}

#[tokio::test]
async fn curl_with_http2_prior_knowledge_gets_a_505_it_can_print_not_a_closed_connection() {
    let sk = Running::start(unreachable(), Limits::default()).await;
    let socket = sk.socket.clone();
    let out = tokio::task::spawn_blocking(move || curl_h2(&socket, "/v1.51/containers/json"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "curl failed: {stderr}\n{stdout}");
    assert!(stdout.starts_with("HTTP/2 505"), "{stdout}");
    assert!(
        stdout.contains("content-type: application/json"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"{"message":"sockeye: this socket speaks HTTP/1.1; HTTP/2 with prior knowledge (h2c) is not relayed"#),
        "{stdout}"
    );
    sk.shutdown().await;
}

#[tokio::test]
async fn http1_requests_that_begin_like_the_preface_are_served_as_http1() {
    // PUT, POST and PATCH share the preface's first letter; a client may send it alone.
    let sk = Running::start(unreachable(), Limits::default()).await;
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    s.write_all(b"P").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.write_all(b"OST /v1.41/containers/x/start HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 502 Bad Gateway\r\n"),
        "{answer}"
    );
    sk.shutdown().await;
}

#[tokio::test]
async fn half_a_preface_and_then_silence_is_closed_after_the_head_timeout() {
    let limits = Limits {
        head_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let sk = Running::start(unreachable(), limits).await;
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    s.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "still open after 5 s");
    assert!(answer.is_empty(), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    sk.shutdown().await;
}

#[test]
fn the_view_says_the_client_spoke_http2_and_was_answered_505() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("sockeye.sock");
    let proxy = Command::new(env!("CARGO_BIN_EXE_sockeye"))
        .args([
            "proxy",
            "--upstream",
            "unix:///nonexistent/sockeye-test/docker.sock",
        ])
        .arg("--listen")
        .arg(format!("unix://{}", socket.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = curl_h2(&socket, "/_ping");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("HTTP/2 505"));
    let _ = Command::new("kill")
        .args(["-TERM", &proxy.id().to_string()])
        .status();
    let done = proxy.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(
        stderr.contains("HTTP/2 with prior knowledge (GET /_ping): answered 505, not relayed"),
        "{stderr}"
    );
}
