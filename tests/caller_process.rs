//! A Unix-socket caller is named by its process as it is at connect time: its name and
//! executable are read for each connection, so a process that execs another program (same
//! pid, same start time, even the same name) is named after the new one, never after what it
//! ran before.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;

use common::{stub_upstream, Sockeye};

fn records(log: &std::path::Path, want: usize) -> Vec<serde_json::Value> {
    for _ in 0..500 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if lines.len() >= want {
            return lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("fewer than {want} records in {}", log.display());
}

#[test]
fn a_caller_is_its_process_now_also_after_an_exec_under_the_same_pid() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = dir.path().join("stub.sock");
    stub_upstream(&upstream);
    let log = dir.path().join("audit.log");
    let sk = Sockeye::start_with(&upstream, &["-q", "--audit", log.to_str().unwrap()]);

    // This test process first.
    let mut s = UnixStream::connect(&sk.socket).unwrap();
    s.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Then one process, one pid, one name: python3 calls, then execs another python3 (a copy
    // elsewhere, so the same name and start time), which calls again.
    let copy = dir.path().join("elsewhere");
    std::fs::create_dir(&copy).unwrap();
    let copy = copy.join("python3");
    let python = std::fs::canonicalize("/usr/bin/python3").expect("python3 in /usr/bin");
    std::fs::copy(&python, &copy).unwrap();
    let call = format!(
        "import os, socket, sys\n\
         s = socket.socket(socket.AF_UNIX)\n\
         s.connect({sock:?})\n\
         s.sendall(b'GET /_ping HTTP/1.1\\r\\nHost: d\\r\\nConnection: close\\r\\n\\r\\n')\n\
         while s.recv(4096): pass\n\
         if len(sys.argv) > 1: os.execv(sys.argv[1], [sys.argv[1], '-c', sys.argv[2]])\n",
        sock = sk.socket.display().to_string()
    );
    let status = Command::new("/usr/bin/python3")
        .args(["-c", &call, copy.to_str().unwrap(), &call])
        .status()
        .unwrap();
    assert!(status.success());

    let records = records(&log, 3);
    let me = &records[0]["caller"];
    let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
    assert_eq!(me["pid"], std::process::id());
    assert_eq!(me["process"], comm.trim_end());
    assert_eq!(
        me["exe"],
        std::env::current_exe().unwrap().to_str().unwrap(),
        "{me}"
    );
    // Before and after the exec: the same pid and name, the executable as it is at each call.
    let (before, after) = (&records[1]["caller"], &records[2]["caller"]);
    assert_eq!(before["pid"], after["pid"]);
    assert_eq!(before["process"], "python3", "{before}");
    assert_eq!(after["process"], "python3", "{after}");
    assert_eq!(before["exe"], python.to_str().unwrap(), "{before}");
    assert_eq!(
        after["exe"],
        copy.to_str().unwrap(),
        "after the exec the caller is the program it runs now: {after}"
    );
}
