//! What an idle client costs: a keep-alive client connection that has been idle for a
//! moment holds no daemon connection (sockeye closes it, and opens another for the next
//! request), and the client sees nothing of that: its connection stays open and answers its
//! next requests, pipelined or not.
//!
//! A stub daemon counts the connections open to it; the real one is shared with other tests.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sockeye::config::{Limits, UpstreamAddr};
use support::inprocess::Running;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;

const PING_ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: text/plain; \
    charset=utf-8\r\nContent-Length: 2\r\n\r\nOK";

/// A daemon stand-in that answers every request head with `PING_ANSWER`, keeps each
/// connection open until its peer closes it, and publishes how many are open and how many
/// it has accepted.
struct Daemon {
    socket: PathBuf,
    /// (open now, accepted in all)
    counts: watch::Receiver<(usize, usize)>,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start() -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("daemon.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let (tx, counts) = watch::channel((0, 0));
        let tx = Arc::new(tx);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tx.send_modify(|(open, all)| {
                    *open += 1;
                    *all += 1;
                });
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                        while let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                            got.drain(..end + 4);
                            if s.write_all(PING_ANSWER).await.is_err() {
                                break;
                            }
                        }
                    }
                    tx.send_modify(|(open, _)| *open -= 1);
                });
            }
        });
        Daemon {
            socket,
            counts,
            _dir: dir,
        }
    }

    /// Wait (bounded, as a guard against a hang) until `done` holds for the counts.
    async fn until(&self, what: &str, done: impl Fn(usize, usize) -> bool) {
        let mut counts = self.counts.clone();
        let waited = tokio::time::timeout(
            Duration::from_secs(20),
            counts.wait_for(|&(open, all)| done(open, all)),
        )
        .await;
        assert!(
            waited.is_ok(),
            "{what}: the daemon has (open, accepted) = {:?}",
            *self.counts.borrow()
        );
    }
}

/// Send `GET /_ping` on `s` and read the whole answer (its length is known).
async fn ping(s: &mut UnixStream) -> String {
    s.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"\r\n\r\nOK") {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap()
}

/// An idle keep-alive client held a daemon connection (its buffers, its task and a
/// descriptor: ≈ 11 KiB of a 27 KiB idle client) for as long as it stayed connected.
#[tokio::test]
async fn an_idle_keep_alive_client_holds_no_daemon_connection_and_keeps_its_own() {
    let daemon = Daemon::start();
    let sk = Running::start(UpstreamAddr::Unix(daemon.socket.clone()), Limits::default()).await;
    let mut client = UnixStream::connect(&sk.socket).await.unwrap();

    let first = ping(&mut client).await;
    assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
    daemon
        .until(
            "after the first answer, while the client idles",
            |open, all| open == 0 && all == 1,
        )
        .await;

    // The same client connection, still open, answers the next request as before.
    let second = ping(&mut client).await;
    assert_eq!(second, first);
    daemon
        .until("after the second answer", |open, all| open == 0 && all == 2)
        .await;

    // Pipelined: two requests in one write, two answers in order on the one connection.
    client
        .write_all(
            b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\nGET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n",
        )
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < 2 * first.len() {
        let n = client.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8(got).unwrap(), first.repeat(2));
    // Back to back, they may share one daemon connection; it is closed all the same.
    daemon
        .until("after two pipelined answers", |open, all| {
            open == 0 && all >= 3
        })
        .await;
    drop(client);
    sk.shutdown().await;
}
