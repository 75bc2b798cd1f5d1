//! Truth under faults: when a client's request body breaks (malformed chunked framing, or the
//! client hangs up in the middle of an upload), the client's fault is recorded as the
//! client's, never as the daemon's, and the record says what the daemon had of it.
//!
//! A stub upstream that logs the bytes it gets stands in where the real daemon cannot produce
//! the case; the aborted `docker cp` upload runs against the real daemon (see `tests/support`).

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use sockeye::config::{Limits, UpstreamAddr};
use sockeye::event::{Events, Sink};
use sockeye::remember::audit::{AuditLog, AuditOptions};
use sockeye::remember::metrics::{Metrics, Scraped};
use support::inprocess::Running;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

/// sockeye in-process with an audit log and metrics, relaying to `upstream`.
struct Recorded {
    sk: Running,
    audit: PathBuf,
    metrics: Arc<Metrics>,
    _dir: tempfile::TempDir,
}

impl Recorded {
    async fn start(upstream: UpstreamAddr) -> Recorded {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.log");
        let log = Arc::new(
            AuditLog::open(AuditOptions {
                path: Some(audit.clone()),
                fsync: false,
                fail_open: false,
                max_size: None,
                keep: 1,
                format: Default::default(),
            })
            .unwrap(),
        );
        let metrics = Arc::new(Metrics::new(Scraped::default()));
        let sinks: Vec<Arc<dyn Sink>> = vec![log, metrics.clone()];
        let events = Events::discard().with_sinks(sinks);
        let sk = Running::start_with_events(upstream, Limits::default(), events).await;
        Recorded {
            sk,
            audit,
            metrics,
            _dir: dir,
        }
    }

    /// The audit records so far.
    fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a whole record"))
            .collect()
    }

    /// Wait (bounded) until there are `n` records; returns them.
    async fn wait_records(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let records = self.records();
            if records.len() >= n {
                return records;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} records: {records:#?}",
                records.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The value of an unlabelled metric line (`sockeye_upstream_errors_total 0`).
    fn metric(&self, name: &str) -> String {
        let text = self.metrics.encode();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
            .to_string()
    }
}

/// A daemon stand-in on a Unix socket: keeps every byte each connection sends it, and, if
/// `answer` is given, writes it once the request head is in (as dockerd answers
/// `docker load` while it still reads the upload).
struct Stub {
    socket: PathBuf,
    got: Arc<Mutex<Vec<Vec<u8>>>>,
    _dir: tempfile::TempDir,
}

impl Stub {
    fn start(answer: Option<&'static [u8]>) -> Stub {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("daemon.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let log = got.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let log = log.clone();
                let conn = {
                    let mut log = log.lock().unwrap();
                    log.push(Vec::new());
                    log.len() - 1
                };
                tokio::spawn(async move {
                    let mut answered = false;
                    let mut buf = [0u8; 65536];
                    loop {
                        let n = match s.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let head_in = {
                            let mut log = log.lock().unwrap();
                            log[conn].extend_from_slice(&buf[..n]);
                            log[conn].windows(4).any(|w| w == b"\r\n\r\n")
                        };
                        if let Some(answer) = answer {
                            if !answered && head_in {
                                answered = true;
                                let _ = s.write_all(answer).await;
                            }
                        }
                    }
                });
            }
        });
        Stub {
            socket,
            got,
            _dir: dir,
        }
    }

    fn addr(&self) -> UpstreamAddr {
        UpstreamAddr::Unix(self.socket.clone())
    }

    /// What each connection to the stub has sent it so far.
    fn connections(&self) -> Vec<String> {
        let got = self.got.lock().unwrap();
        got.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }
}

/// Everything until the peer closes (bounded).
async fn read_to_close(s: &mut UnixStream) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

const LOAD_HEAD: &str = "POST /v1.41/images/load HTTP/1.1\r\nHost: docker\r\n\
                         Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n";

/// A client sending a malformed chunked body used to get `502 "the Docker daemon … closed
/// the connection before answering"`, recorded as the daemon's fault and counted as an
/// upstream error. It is the client's body that cannot be read: `400`, on record as such.
#[tokio::test]
async fn a_malformed_chunked_body_is_the_clients_fault_answered_400_and_recorded_so() {
    let stub = Stub::start(None);
    let rec = Recorded::start(stub.addr()).await;
    // Each case: the body, and how many of its bytes are well-formed (and passed on).
    let cases: [(&str, &str, u64); 4] = [
        (
            "bad chunk size",
            "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n",
            5,
        ),
        (
            "size overflow",
            "5\r\nhello\r\nf0000000000000003\r\nworld\r\n0\r\n\r\n",
            5,
        ),
        ("negative size", "-5\r\nhello\r\n0\r\n\r\n", 0),
        (
            "data longer than its size",
            "3\r\nhello world\r\n0\r\n\r\n",
            3,
        ),
    ];
    for (n, (case, body, good)) in cases.iter().enumerate() {
        let mut s = UnixStream::connect(&rec.sk.socket).await.unwrap();
        s.write_all(format!("{LOAD_HEAD}{body}").as_bytes())
            .await
            .unwrap();
        let resp = read_to_close(&mut s).await;
        assert!(
            resp.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{case}: {resp}"
        );
        assert!(
            resp.contains("Content-Type: application/json\r\n"),
            "{case}: {resp}"
        );
        let json = &resp[resp.find("\r\n\r\n").unwrap() + 4..];
        let v: Value =
            serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{case}: {e}: {json}"));
        let message = v["message"].as_str().unwrap();
        assert!(
            message.starts_with("sockeye: cannot read the request body: "),
            "{case}: {message}"
        );

        let records = rec.wait_records(n + 1).await;
        let r = &records[n];
        assert_eq!(r["status"], 400, "{case}: {r}");
        assert_eq!(r["answered_by"], "sockeye", "{case}: {r}");
        assert_eq!(r["fault"], "unreadable", "{case}: {r}");
        assert_eq!(r["decision"], "refused", "{case}: {r}");
        assert_eq!(
            r["incomplete"], false,
            "{case}: sockeye's answer went out whole: {r}"
        );
        assert_eq!(r["bytes_in"], *good, "{case}: {r}");
        let error = r["error"].as_str().unwrap();
        assert!(
            error.contains("the client's request body is malformed"),
            "{case}: {error}"
        );
        assert!(!error.contains("Docker daemon"), "{case}: {error}");
    }
    assert_eq!(rec.metric("sockeye_upstream_errors_total"), "0");
    let connections = stub.connections();
    eprintln!("the stub daemon got: {connections:#?}");
    // The daemon got at most the chunks before the malformed one, and gave no answer.
    assert!(
        connections
            .iter()
            .all(|c| c.is_empty() || c.starts_with("POST /v1.41/images/load HTTP/1.1\r\n")),
        "{connections:#?}"
    );
    assert!(
        connections.iter().all(|c| !c.contains("world")),
        "{connections:#?}"
    );
    rec.sk.shutdown().await;
}

/// The answer does not depend on whether anybody records: with no audit log, metrics or
/// view, a malformed chunked body still gets sockeye's `400`, not a `502`.
#[tokio::test]
async fn a_malformed_chunked_body_gets_400_when_nothing_records_too() {
    let stub = Stub::start(None);
    let sk = Running::start(stub.addr(), Limits::default()).await;
    let mut s = UnixStream::connect(&sk.socket).await.unwrap();
    s.write_all(format!("{LOAD_HEAD}5\r\nhello\r\nzz\r\n").as_bytes())
        .await
        .unwrap();
    let resp = read_to_close(&mut s).await;
    assert!(resp.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{resp}");
    assert!(
        resp.contains(r#"{"message":"sockeye: cannot read the request body: "#),
        "{resp}"
    );
    sk.shutdown().await;
}

/// `docker load` breaks off while the daemon already answers (dockerd writes its `200` and
/// progress as it reads): the record keeps the daemon's status and says the client broke the
/// upload off, never that the daemon broke its answer.
#[tokio::test]
async fn an_upload_broken_off_after_the_daemon_answered_keeps_the_daemons_status_on_record() {
    let stub = Stub::start(Some(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
          f\r\n{\"stream\":\"..\"}\r\n",
    ));
    let rec = Recorded::start(stub.addr()).await;
    let mut s = UnixStream::connect(&rec.sk.socket).await.unwrap();
    s.write_all(
        b"POST /v1.41/images/load HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n\
          Content-Length: 1000000\r\n\r\n",
    )
    .await
    .unwrap();
    s.write_all(&[0u8; 4096]).await.unwrap();
    // The daemon's answer has begun.
    let mut head = vec![0u8; 12];
    s.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    drop(s);

    let r = &rec.wait_records(1).await[0];
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["answered_by"], "daemon", "{r}");
    assert_eq!(r["fault"], "client_aborted", "{r}");
    assert_eq!(r["incomplete"], true, "{r}");
    assert_eq!(r["bytes_in"], 4096, "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains("after 4096 of the 1000000 bytes its Content-Length announced"),
        "{error}"
    );
    assert!(error.contains("had answered 200"), "{error}");
    assert_eq!(rec.metric("sockeye_upstream_errors_total"), "0");
    rec.sk.shutdown().await;
}

/// A tar header (ustar) for a regular file `name` of `size` bytes.
fn tar_header(name: &str, size: usize) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// The issue's case: an aborted `docker cp` upload (`PUT …/archive`) used to be recorded as
/// `status 502, answered_by sockeye, incomplete false` while the daemon had written what it
/// got into the container. The record must say the client broke it off after N of M bytes,
/// and that the daemon had them.
#[tokio::test]
async fn an_aborted_docker_cp_upload_is_recorded_as_the_client_breaking_it_off() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let name = support::unique("sockeye-faults-cp");
    let _c = support::Container::run(&daemon, &name, &["sleep", "60"]);
    let rec = Recorded::start(UpstreamAddr::Unix(daemon.clone())).await;
    let file = 4 * 1024 * 1024;
    let announced = 512 + file + 1024;
    let sent_data = 1024 * 1024;
    let mut s = UnixStream::connect(&rec.sk.socket).await.unwrap();
    s.write_all(
        format!(
            "PUT /v1.41/containers/{name}/archive?path=/tmp HTTP/1.1\r\nHost: docker\r\n\
             Content-Type: application/x-tar\r\nContent-Length: {announced}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    s.write_all(&tar_header("sockeye-upload", file))
        .await
        .unwrap();
    s.write_all(&vec![b'x'; sent_data]).await.unwrap();
    s.flush().await.unwrap();
    drop(s);

    let r = &rec.wait_records(1).await[0];
    let sent = 512 + sent_data;
    eprintln!("{r}");
    assert_eq!(r["endpoint"], "PutContainerArchive", "{r}");
    assert_eq!(r["fault"], "client_aborted", "{r}");
    assert_eq!(r["incomplete"], true, "{r}");
    assert_eq!(r["bytes_in"], sent, "{r}");
    assert_ne!(r["status"], 502, "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains(&format!(
            "after {sent} of the {announced} bytes its Content-Length announced"
        )),
        "{error}"
    );
    assert!(
        error.contains("sockeye had passed those bytes on to the daemon, which had not answered"),
        "{error}"
    );
    assert_eq!(rec.metric("sockeye_upstream_errors_total"), "0");
    rec.sk.shutdown().await;
}
