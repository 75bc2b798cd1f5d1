//! The relay's own behaviour on the wire, byte by byte, where the docker CLI can't reach:
//! keep-alive, HEAD, unknown endpoints, the header-less hijack, bad clients, draining.
//!
//! Tests that need a daemon use the project's private dockerd (see `tests/support`).

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use sockeye::config::{Limits, ListenAddr, SocketPerms, UpstreamAddr};
use sockeye::relay::listen::Bound;
use support::inprocess::Running;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

fn unreachable() -> UpstreamAddr {
    UpstreamAddr::Unix("/nonexistent/sockeye-test/docker.sock".into())
}

/// Send raw bytes, half-close nothing, and read until the peer closes or `wait` passes.
async fn exchange_raw(socket: &Path, request: &[u8], wait: Duration) -> (Vec<u8>, bool) {
    let mut s = UnixStream::connect(socket).await.unwrap();
    s.write_all(request).await.unwrap();
    read_until_close(&mut s, wait).await
}

/// Returns the bytes read and whether the peer closed the connection.
async fn read_until_close(s: &mut UnixStream, wait: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 8192];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, false),
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn an_unreachable_daemon_gets_a_502_that_the_docker_cli_prints_as_one_line() {
    let sk = Running::start(unreachable(), Limits::default()).await;
    let (resp, _) = exchange_raw(
        &sk.socket,
        b"GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    let resp = text(&resp);
    assert!(resp.starts_with("HTTP/1.1 502 Bad Gateway\r\n"), "{resp}");
    assert!(
        resp.contains("Content-Type: application/json\r\n"),
        "{resp}"
    );
    assert!(
        resp.contains(
            r#"{"message":"sockeye: cannot reach the Docker daemon at unix:///nonexistent/sockeye-test/docker.sock: No such file or directory (os error 2)"}"#
        ),
        "{resp}"
    );
    sk.shutdown().await;
}

#[tokio::test]
async fn malformed_http_gets_400_and_the_connection_is_closed() {
    let sk = Running::start(unreachable(), Limits::default()).await;
    let (resp, closed) = exchange_raw(
        &sk.socket,
        b"GET /_ping HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(
        text(&resp).starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{}",
        text(&resp)
    );
    assert!(closed, "connection left open after a malformed request");
    sk.shutdown().await;
}

#[tokio::test]
async fn an_oversized_request_head_gets_431_and_the_connection_is_closed() {
    let limits = Limits {
        max_head_bytes: 4096,
        ..Limits::default()
    };
    let sk = Running::start(unreachable(), limits).await;
    let mut req = b"GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 16 * 1024));
    req.extend_from_slice(b"\r\n\r\n");
    let (resp, closed) = exchange_raw(&sk.socket, &req, Duration::from_secs(5)).await;
    assert!(
        text(&resp).starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{}",
        text(&resp)
    );
    assert!(closed);
    sk.shutdown().await;
}

/// A head of many small headers: the size limit decides, as in dockerd (Go counts no headers).
#[tokio::test]
async fn a_head_of_many_headers_over_the_size_limit_gets_431() {
    let limits = Limits {
        max_head_bytes: 4096,
        ..Limits::default()
    };
    let sk = Running::start(unreachable(), limits).await;
    let mut req = String::from("GET /_ping HTTP/1.1\r\nHost: x\r\n");
    // 2,000 lines of 3 bytes: more headers than fit in 4,096 bytes, each as short as HTTP allows.
    for _ in 0..2000 {
        req.push_str("a:\n");
    }
    req.push_str("\r\n");
    let (resp, closed) = exchange_raw(&sk.socket, req.as_bytes(), Duration::from_secs(5)).await;
    assert!(
        text(&resp).starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{}",
        text(&resp)
    );
    assert!(closed);
    sk.shutdown().await;
}

#[tokio::test]
async fn a_client_that_trickles_its_request_head_is_disconnected_after_the_head_timeout() {
    let limits = Limits {
        head_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let sk = Running::start(unreachable(), limits).await;
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    s.write_all(b"GET /_ping HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_close(&mut s, Duration::from_secs(5)).await;
    assert!(closed, "slowloris connection still open after 5 s");
    assert!(started.elapsed() < Duration::from_secs(3));
    sk.shutdown().await;
}

#[tokio::test]
async fn a_stale_socket_file_is_replaced_but_a_live_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    let addr = ListenAddr::Unix(path.clone());
    // Stale: a socket file nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let live = Bound::bind(&addr, &SocketPerms::default()).expect("stale socket not replaced");
    // Live: refused with a clear message.
    let err = match Bound::bind(&addr, &SocketPerms::default()) {
        Ok(_) => panic!("second listener accepted on a live socket"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("another process is already listening"),
        "{err}"
    );
    // A regular file is never deleted.
    let file = dir.path().join("file");
    std::fs::write(&file, "keep me").unwrap();
    assert!(Bound::bind(&ListenAddr::Unix(file.clone()), &SocketPerms::default()).is_err());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    drop(live);
    assert!(!path.exists(), "socket file left behind");
}

#[tokio::test]
async fn the_socket_file_gets_mode_0660_by_default_and_the_requested_one_otherwise() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    let addr = ListenAddr::Unix(path.clone());
    let l = Bound::bind(&addr, &SocketPerms::default()).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o660
    );
    drop(l);
    let perms = SocketPerms {
        mode: 0o600,
        group: Some(sockeye::config::Group::Id(0)),
    };
    let _l = Bound::bind(&addr, &perms).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

// ---- against the real daemon ----------------------------------------------------------

/// One request on an open connection; returns (status line, headers, body) of the response.
async fn roundtrip(s: &mut UnixStream, request: &str) -> (String, String, Vec<u8>) {
    s.write_all(request.as_bytes()).await.unwrap();
    support::read_response(s, request.starts_with("HEAD ")).await
}

#[tokio::test]
async fn many_requests_on_one_keep_alive_connection_answer_exactly_as_the_daemon_does() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    let requests = [
        "HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n",
        "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n",
        "GET /v1.41/version HTTP/1.1\r\nHost: docker\r\n\r\n",
        // unknown endpoints and versions are forwarded unchanged; dockerd answers them
        "GET /v1.41/no/such/endpoint HTTP/1.1\r\nHost: docker\r\n\r\n",
        "GET /v9.99/version HTTP/1.1\r\nHost: docker\r\n\r\n",
        "GET /v1.41/containers/no-such-container-sockeye/json HTTP/1.1\r\nHost: docker\r\n\r\n",
        "POST /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n",
        // dockerd ignores Upgrade headers on routes that do not hijack; so must sockeye
        "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
        "GET /v1.41/images/json?filters=%7B%22reference%22%3A%7B%22sockeye-test%2Fbusybox%22%3Atrue%7D%7D HTTP/1.1\r\nHost: docker\r\n\r\n",
    ];
    let mut direct = UnixStream::connect(&daemon).await.unwrap();
    let mut relayed = UnixStream::connect(&sk.socket).await.unwrap();
    for round in 0..10 {
        for req in requests {
            let (d_status, d_headers, d_body) = roundtrip(&mut direct, req).await;
            let (r_status, r_headers, r_body) = roundtrip(&mut relayed, req).await;
            assert_eq!(r_status, d_status, "round {round}: {req}");
            assert_eq!(
                support::header_names_and_values_without_date(&r_headers),
                support::header_names_and_values_without_date(&d_headers),
                "round {round}: {req}"
            );
            assert_eq!(text(&r_body), text(&d_body), "round {round}: {req}");
        }
    }
    sk.shutdown().await;
}

/// A request with 150 headers used to get sockeye's 431 (hyper's default of at most 100
/// headers); dockerd has no count limit, only a size limit, and answers it. sockeye takes up
/// to 256 (each slot costs hyper work on every request: src/relay/server.rs, `MAX_HEADERS`).
#[tokio::test]
async fn a_request_with_up_to_256_headers_is_answered_by_the_daemon_as_directly() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    for count in [150, 256] {
        let mut req = String::from("GET /v1.41/version HTTP/1.1\r\n");
        // Host is one of them.
        req.push_str("Host: docker\r\n");
        for i in 1..count {
            req.push_str(&format!("X-Sockeye-Test-{i}: {i}\r\n"));
        }
        req.push_str("\r\n");
        let mut direct = UnixStream::connect(&daemon).await.unwrap();
        let mut relayed = UnixStream::connect(&sk.socket).await.unwrap();
        let (d_status, d_headers, d_body) = roundtrip(&mut direct, &req).await;
        let (r_status, r_headers, r_body) = roundtrip(&mut relayed, &req).await;
        assert!(d_status.contains(" 200 "), "{count}: {d_status}");
        assert_eq!(r_status, d_status, "{count}: {}", text(&r_body));
        assert_eq!(
            support::header_names_and_values_without_date(&r_headers),
            support::header_names_and_values_without_date(&d_headers),
        );
        assert_eq!(text(&r_body), text(&d_body));
    }
    sk.shutdown().await;
}

#[tokio::test]
async fn a_detached_exec_start_without_upgrade_header_works_like_docker_exec_d() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let name = support::unique("sockeye-relay-execd");
    let _c = support::Container::run(&daemon, &name, &["sleep", "30"]);
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    let create = r#"{"Cmd":["touch","/tmp/detached"],"Detach":true}"#;
    let (status, _, body) = roundtrip(
        &mut s,
        &format!(
            "POST /v1.41/containers/{name}/exec HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{create}",
            create.len()
        ),
    )
    .await;
    assert!(status.contains(" 201 "), "{status} {}", text(&body));
    let id: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let id = id["Id"].as_str().unwrap();
    let start = r#"{"Detach":true,"Tty":false}"#;
    let (status, _, body) = roundtrip(
        &mut s,
        &format!(
            "POST /v1.41/exec/{id}/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{start}",
            start.len()
        ),
    )
    .await;
    assert!(status.contains(" 200 "), "{status} {}", text(&body));
    // The connection is still plain HTTP afterwards.
    let (status, _, _) = roundtrip(&mut s, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n").await;
    assert!(status.contains(" 200 "), "{status}");
    sk.shutdown().await;
}

#[tokio::test]
async fn on_shutdown_the_socket_disappears_at_once_and_open_requests_still_finish() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    // An events query bounded by `until` answers after about two seconds.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    let req = format!(
        "GET /v1.41/events?since={now}&until={} HTTP/1.1\r\nHost: docker\r\n\r\n",
        now + 2
    );
    s.write_all(req.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let socket = sk.socket.clone();
    let stopping = tokio::spawn(sk.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!socket.exists(), "socket file still there while draining");
    let (status, _, _) = support::read_response(&mut s, false).await;
    assert!(status.contains(" 200 "), "{status}");
    stopping.await.unwrap();
}

// ---- the header-less hijack ---------------------------------------------------------------

/// The status line's version is the one byte sockeye's answer may differ in (hyper delimits a
/// body by closing only in an HTTP/1.0 answer); everything after it must be the daemon's.
fn after_version(resp: &[u8]) -> String {
    let text = text(resp);
    let rest = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))
        .unwrap_or_else(|| panic!("not an HTTP/1 answer: {text:?}"));
    rest.to_string()
}

/// The answer on `s` until the peer closes (bounded: a stream that never ends fails), from
/// the status code on.
async fn answer_until_close(s: &mut UnixStream) -> String {
    let (resp, closed) = read_until_close(s, Duration::from_secs(30)).await;
    assert!(
        closed,
        "the connection stayed open after the stream: {}",
        text(&resp)
    );
    after_version(&resp)
}

/// dockerode's `container.attach()` and `docker.run()`: attach without `Upgrade`. dockerd
/// answers `200 OK`, streams the output raw and closes; so must sockeye, byte for byte.
#[tokio::test]
async fn attach_without_an_upgrade_header_streams_the_output_until_the_daemon_closes() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    let mut answers = Vec::new();
    for socket in [daemon.as_path(), sk.socket.as_path()] {
        let name = support::unique("sockeye-relay-attach200");
        let _c = support::Container::created(
            &daemon,
            &name,
            &["sh", "-c", "echo out; sleep 0.3; echo err >&2; exit 3"],
        );
        let mut s = UnixStream::connect(socket).await.unwrap();
        let req = format!(
            "POST /v1.41/containers/{name}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = support::docker(&daemon)
            .args(["start", &name])
            .output()
            .unwrap();
        assert!(started.status.success(), "{started:?}");
        // No timeout on a quiet stream: the daemon's own end is awaited.
        answers.push(answer_until_close(&mut s).await);
    }
    assert_eq!(
        answers[1], answers[0],
        "through sockeye (right) vs directly (left)"
    );
    assert_eq!(
        answers[0],
        "200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n\
         \u{1}\0\0\0\0\0\0\u{4}out\n\u{2}\0\0\0\0\0\0\u{4}err\n"
    );
    sk.shutdown().await;
}

/// testcontainers' `container.exec()`: exec start with `{"stdin":true,"Detach":false}` and no
/// `Upgrade`.
#[tokio::test]
async fn exec_start_without_an_upgrade_header_streams_the_output_like_the_daemon() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let name = support::unique("sockeye-relay-exec200");
    let _c = support::Container::run(&daemon, &name, &["sleep", "60"]);
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    let mut answers = Vec::new();
    for socket in [daemon.as_path(), sk.socket.as_path()] {
        let mut s = UnixStream::connect(socket).await.unwrap();
        let create =
            // The pause keeps the two streams in order: the daemon copies them separately.
            r#"{"Cmd":["sh","-c","echo eo; sleep 0.3; echo ee >&2"],"AttachStdout":true,"AttachStderr":true}"#;
        let (status, _, body) = roundtrip(
            &mut s,
            &format!(
                "POST /v1.41/containers/{name}/exec HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{create}",
                create.len()
            ),
        )
        .await;
        assert!(status.contains(" 201 "), "{status} {}", text(&body));
        let id: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let id = id["Id"].as_str().unwrap();
        let start = r#"{"stdin":true,"Detach":false,"Tty":false}"#;
        s.write_all(
            format!(
                "POST /v1.41/exec/{id}/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{start}",
                start.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        answers.push(answer_until_close(&mut s).await);
    }
    assert_eq!(answers[1], answers[0]);
    assert!(answers[0].starts_with("200 OK\r\n"), "{}", answers[0]);
    assert!(
        answers[0].ends_with("eo\n\u{2}\0\0\0\0\0\0\u{3}ee\n"),
        "{:?}",
        answers[0]
    );
    sk.shutdown().await;
}

/// An error dockerd finds after hijacking (attach to a missing container) comes raw, with no
/// length, and ends with the connection; sockeye relays it the same way.
#[tokio::test]
async fn an_error_after_a_hijack_is_relayed_as_the_daemon_frames_it() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    let mut answers = Vec::new();
    for socket in [daemon.as_path(), sk.socket.as_path()] {
        for upgrade in ["", "Connection: Upgrade\r\nUpgrade: tcp\r\n"] {
            let req = format!(
                "POST /v1.41/containers/sockeye-no-such-container/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n{upgrade}Content-Length: 0\r\n\r\n"
            );
            let (resp, closed) =
                exchange_raw(socket, req.as_bytes(), Duration::from_secs(10)).await;
            assert!(closed, "{}", text(&resp));
            answers.push(after_version(&resp));
        }
    }
    assert_eq!(answers[2..], answers[..2]);
    assert!(
        answers[0].starts_with("404 Not Found\r\n"),
        "{}",
        answers[0]
    );
    sk.shutdown().await;
}

/// A request written behind a header-less attach is never read as a request: directly,
/// dockerd takes the bytes as the stream's stdin; through sockeye they are not relayed, and
/// the connection ends with the stream.
#[tokio::test]
async fn a_request_pipelined_behind_a_header_less_attach_is_never_made() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let sk = Running::start(UpstreamAddr::Unix(daemon.clone()), Limits::default()).await;
    for socket in [daemon.as_path(), sk.socket.as_path()] {
        let name = support::unique("sockeye-relay-attachpipe");
        let victim = support::unique("sockeye-relay-victim");
        let _c = support::Container::run(&daemon, &name, &["sleep", "1"]);
        let _v = support::Container::created(&daemon, &victim, &["sleep", "30"]);
        let start = format!("POST /v1.41/containers/{victim}/start HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n");
        let mut s = UnixStream::connect(socket).await.unwrap();
        // In the same write as the attach, and again once the stream has begun.
        let attach = format!(
            "POST /v1.41/containers/{name}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n{start}"
        );
        s.write_all(attach.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = s.write_all(start.as_bytes()).await;
        let (resp, closed) = read_until_close(&mut s, Duration::from_secs(30)).await;
        assert!(closed, "{}", text(&resp));
        assert!(
            after_version(&resp).starts_with("200 OK\r\n"),
            "{}",
            text(&resp)
        );
        let state = support::docker(&daemon)
            .args(["inspect", "-f", "{{.State.Status}}", &victim])
            .output()
            .unwrap();
        assert_eq!(text(&state.stdout).trim(), "created", "{socket:?}");
    }
    sk.shutdown().await;
}

/// An exec start that will hijack without an upgrade is forwarded, not refused (it once was).
#[tokio::test]
async fn exec_start_without_upgrade_is_forwarded_not_refused() {
    let sk = Running::start(unreachable(), Limits::default()).await;
    let body = r#"{"Detach":false,"Tty":false}"#;
    let req = format!(
        "POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (resp, _) = exchange_raw(&sk.socket, req.as_bytes(), Duration::from_secs(5)).await;
    // Forwarded: the answer is the unreachable daemon's 502, not a refusal.
    assert!(text(&resp).starts_with("HTTP/1.1 502 "), "{}", text(&resp));
    sk.shutdown().await;
}

// ---- Podman's libpod routes -----------------------------------------------------------------

/// A stand-in for Podman's service that answers one request the way Podman 4.3 answers
/// `POST /v4.3.1/libpod/exec/{id}/start` (what `podman --remote exec` sends, with no `Upgrade`
/// header): it hijacks the connection, writes `200 OK` and the multiplexed output with no
/// length and no chunking, and closes.
async fn podman_exec_start_standin(dir: &Path) -> std::path::PathBuf {
    let socket = dir.join("podman.sock");
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "the relay closed before its request head ended");
            head.extend_from_slice(&buf[..n]);
        }
        s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n\
              \x01\0\0\0\0\0\0\x03hi\n\x02\0\0\0\0\0\0\x04err\n",
        )
        .await
        .unwrap();
    });
    socket
}

/// `podman --remote exec C sh -c 'echo hi; echo err >&2'` through sockeye failed with
/// `Error: channel "66" found, 0-3 supported: lost synchronization with multiplexed stream`:
/// Podman answers libpod's exec start (a route dockerd does not have) header-less and delimits
/// it by closing, and sockeye re-framed that body as chunked (`66\r\n…`), which Podman's client,
/// reading the raw socket after the head, took for stream frames. An answer the daemon delimits
/// by closing must reach the client delimited by closing, whatever the route.
#[tokio::test]
async fn a_libpod_exec_start_answered_until_close_reaches_the_client_unframed() {
    let dir = tempfile::tempdir().unwrap();
    let podman = podman_exec_start_standin(dir.path()).await;
    let sk = Running::start(UpstreamAddr::Unix(podman), Limits::default()).await;
    let body = r#"{"Detach":false,"Tty":false}"#;
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    let req = format!(
        "POST /v4.3.1/libpod/exec/0123abcd/start HTTP/1.1\r\nHost: d\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    assert_eq!(
        answer_until_close(&mut s).await,
        "200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n\
         \u{1}\0\0\0\0\0\0\u{3}hi\n\u{2}\0\0\0\0\0\0\u{4}err\n"
    );
    sk.shutdown().await;
}
