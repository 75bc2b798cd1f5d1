//! Out of file descriptors, sockeye keeps serving and does not flood its log: the kernel
//! keeps offering the connection it cannot accept, and every failed accept used to print a
//! line (39 a second).

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::{stub_upstream, Sockeye};

fn ping(socket: &Path) -> String {
    let mut s = UnixStream::connect(socket).expect("connect to sockeye");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

#[test]
fn out_of_descriptors_sockeye_says_so_once_per_interval_and_serves_again_after() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = dir.path().join("stub.sock");
    stub_upstream(&upstream);
    let sk = Sockeye::start_with(&upstream, &["--quiet", "--head-timeout", "600"]);
    assert!(ping(&sk.socket).starts_with("HTTP/1.1 200"));

    let limit = 64;
    let status = Command::new("prlimit")
        .arg(format!("--pid={}", sk.pid()))
        .arg(format!("--nofile={limit}:{limit}"))
        .status()
        .expect("run prlimit");
    assert!(status.success(), "prlimit failed");

    // Clients that connect and say nothing yet: each holds a descriptor in sockeye until
    // there are none left; the rest wait in the listen backlog.
    let mut held = Vec::new();
    for _ in 0..2 * limit {
        held.push(UnixStream::connect(&sk.socket).expect("connect"));
    }
    sk.wait_for_log(&["accept failed"]);
    // Without a backoff this interval held some 80 lines.
    thread::sleep(Duration::from_secs(2));
    let log = sk.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("accept")).collect();
    assert!(
        lines.len() <= 3,
        "{} lines about failed accepts in 2 s:\n{}",
        lines.len(),
        lines.join("\n")
    );
    assert!(
        lines[0].contains("descriptor") || lines[0].contains("Too many open files"),
        "the line says what ran out: {}",
        lines[0]
    );

    // Descriptors free again: the waiting clients and new ones are served.
    drop(held);
    assert!(ping(&sk.socket).starts_with("HTTP/1.1 200"));
}
