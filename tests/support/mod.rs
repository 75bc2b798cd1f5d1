//! Helpers for raw-HTTP tests against the real daemon.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
pub mod common;
pub mod inprocess;

use std::path::{Path, PathBuf};
use std::process::Command;

use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;

/// The private test daemon's socket: one discovery for every test binary (`tests/common`),
/// which panics under `CI=true` when there is no daemon and skips loudly otherwise.
pub fn daemon() -> Option<PathBuf> {
    common::daemon().map(|d| d.socket.clone())
}

pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A running test container, removed on drop.
pub struct Container {
    daemon: PathBuf,
    pub name: String,
}

impl Container {
    pub fn run(daemon: &Path, name: &str, cmd: &[&str]) -> Container {
        Container::run_with(daemon, name, &[], cmd)
    }

    /// Created, not started.
    pub fn created(daemon: &Path, name: &str, cmd: &[&str]) -> Container {
        Container::docker(daemon, name, &["create", "--name", name], &[], cmd)
    }

    /// With `docker run` options (`--label k=v`, …) before the image.
    pub fn run_with(daemon: &Path, name: &str, options: &[&str], cmd: &[&str]) -> Container {
        Container::docker(daemon, name, &["run", "-d", "--name", name], options, cmd)
    }

    /// `docker VERB… OPTIONS… IMAGE CMD…`, which must succeed.
    fn docker(
        daemon: &Path,
        name: &str,
        verb: &[&str],
        options: &[&str],
        cmd: &[&str],
    ) -> Container {
        let out = docker(daemon)
            .args(verb)
            .args(options)
            .arg("sockeye-test/busybox:1")
            .args(cmd)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Container {
            daemon: daemon.to_path_buf(),
            name: name.to_string(),
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&self.daemon).args(["rm", "-f", &self.name]).output();
    }
}

pub fn docker(daemon: &Path) -> Command {
    let mut c = Command::new("docker");
    c.env("DOCKER_HOST", format!("unix://{}", daemon.display()));
    c
}

/// Read one HTTP/1.1 response: (status line, raw header block, decoded body).
pub async fn read_response(s: &mut UnixStream, head_request: bool) -> (String, String, Vec<u8>) {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        read_more(s, &mut buf).await;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut rest = buf[head_end + 4..].to_vec();
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    let header = |name: &str| {
        headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let code: u16 = status
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head_request || code == 204 || code == 304 || code / 100 == 1 {
        Vec::new()
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&rest, b"\r\n") {
                    break i;
                }
                read_more(s, &mut rest).await;
            };
            let size_str = String::from_utf8_lossy(&rest[..line_end]).into_owned();
            let size =
                usize::from_str_radix(size_str.split(';').next().unwrap().trim(), 16).unwrap();
            rest.drain(..line_end + 2);
            while rest.len() < size + 2 {
                read_more(s, &mut rest).await;
            }
            body.extend_from_slice(&rest[..size]);
            rest.drain(..size + 2);
            if size == 0 {
                break body;
            }
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().unwrap();
        while rest.len() < len {
            read_more(s, &mut rest).await;
        }
        rest.truncate(len);
        rest
    } else {
        let mut tmp = [0u8; 8192];
        loop {
            match s.read(&mut tmp).await {
                Ok(0) | Err(_) => break rest,
                Ok(n) => rest.extend_from_slice(&tmp[..n]),
            }
        }
    };
    (status.to_string(), headers.to_string(), body)
}

async fn read_more(s: &mut UnixStream, buf: &mut Vec<u8>) {
    let mut tmp = [0u8; 65536];
    let n = tokio::time::timeout(std::time::Duration::from_secs(30), s.read(&mut tmp))
        .await
        .expect("no response within 30 s")
        .expect("read failed");
    assert!(
        n > 0,
        "connection closed mid-response: {}",
        String::from_utf8_lossy(buf)
    );
    buf.extend_from_slice(&tmp[..n]);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Headers as a comparable list; `Date` differs between two answers by nature.
pub fn header_names_and_values_without_date(headers: &str) -> Vec<String> {
    headers
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
        .map(str::to_string)
        .collect()
}
