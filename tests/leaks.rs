//! A relay that leaks a descriptor per rude client dies slowly in production. This test
//! counts the process's open descriptors, so it lives alone in its own test binary.

mod support;

use std::time::{Duration, Instant};

use sockeye::config::{Limits, UpstreamAddr};
use support::inprocess::Running;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;

/// One request on an open connection; returns (status line, headers, body) of the response.
async fn roundtrip(s: &mut UnixStream, request: &str) -> (String, String, Vec<u8>) {
    s.write_all(request.as_bytes()).await.unwrap();
    support::read_response(s, request.starts_with("HEAD ")).await
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[tokio::test]
async fn clients_that_vanish_mid_request_leave_no_connection_behind() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    // Warm up lazily created descriptors (runtime, timers) before taking the baseline.
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    roundtrip(&mut s, "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n").await;
    drop(s);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let baseline = open_fds();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let rude: Vec<String> = vec![
        String::new(),                                              // connect, close
        "GET /_ping HTTP/1.1\r\nHost: d\r\n".into(),                // half a head
        "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n".into(),            // never reads the answer
        format!("GET /events?since={now} HTTP/1.1\r\nHost: d\r\n\r\n"), // endless stream, dropped
        "POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 100000\r\n\r\n{".into(), // body cut
        "POST /build HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab".into(), // chunk cut
        "POST /v1.41/exec/nope/start HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\n{}".into(),
        "\x16\x03\x01\x00\x7fgarbage-that-is-not-http\r\n\r\n".into(),
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".into(),
    ];
    let mut clients = Vec::new();
    for round in 0..10 {
        for req in &rude {
            let socket = sk.socket.clone();
            let req = req.clone();
            clients.push(tokio::spawn(async move {
                let mut s = UnixStream::connect(&socket).await.unwrap();
                let _ = s.write_all(req.as_bytes()).await;
                tokio::time::sleep(Duration::from_millis(50 + round * 5)).await;
                drop(s);
            }));
        }
    }
    for c in clients {
        c.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now_open = open_fds();
        if now_open <= baseline {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} descriptors still open 10 s after every client left (baseline {baseline})",
            now_open
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And it still serves.
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    let (status, _, _) = roundtrip(&mut s, "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n").await;
    assert!(status.contains(" 200 "));
    drop(s);
    sk.shutdown().await;
}
