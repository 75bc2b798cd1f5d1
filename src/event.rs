//! What happened, as plain data, and where it goes.
//!
//! The relay emits events and never waits on their consumers: the live view is lossy by
//! design (a slow terminal must not slow `docker cp`); drops are counted.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

use crate::listen::Peer;

/// One finished call (request and response, or a hijacked session when it ends).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Call {
    #[serde(serialize_with = "unix_seconds")]
    pub start: SystemTime,
    pub conn: u64,
    pub req: u64,
    pub peer: Arc<Peer>,
    pub method: String,
    pub target: String,
    /// `None` when no response was produced (client went away first).
    pub status: Option<u16>,
    /// Who answered: the daemon, or sockeye itself (an error it produced).
    pub answered_by: AnsweredBy,
    /// Request body bytes (for a hijacked session: bytes client → daemon in the tunnel).
    pub bytes_in: u64,
    /// Response body bytes (for a hijacked session: bytes daemon → client in the tunnel).
    pub bytes_out: u64,
    pub hijacked: bool,
    /// The body or tunnel ended before its natural end.
    pub incomplete: bool,
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnsweredBy {
    Daemon,
    Sockeye,
}

/// Something about a connection rather than a call: refused, malformed, timed out.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Notice {
    pub conn: u64,
    pub peer: Arc<Peer>,
    pub message: String,
}

#[derive(Clone, Debug)]
pub enum Event {
    Call(Call),
    Notice(Notice),
}

/// The sending side, shared by every connection.
#[derive(Clone)]
pub struct Events {
    tx: Option<mpsc::Sender<Event>>,
    dropped: Arc<AtomicU64>,
}

impl Events {
    /// Events that go nowhere (`--quiet`).
    pub fn discard() -> Self {
        Events {
            tx: None,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A bounded channel to one consumer. Returns the receiving side for that consumer.
    pub fn channel(capacity: usize) -> (Self, mpsc::Receiver<Event>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Events {
                tx: Some(tx),
                dropped: Arc::new(AtomicU64::new(0)),
            },
            rx,
        )
    }

    pub fn emit(&self, event: Event) {
        if let Some(tx) = &self.tx {
            if tx.try_send(event).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Events the live view could not keep up with.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The interim live view: one line per call on stderr.
pub async fn print_lines(mut rx: mpsc::Receiver<Event>, events: Events) {
    let mut reported_drops = 0;
    while let Some(event) = rx.recv().await {
        let mut line = match &event {
            Event::Call(call) => call_line(call),
            Event::Notice(n) => format!("{}  {}  {}", clock(SystemTime::now()), n.peer, n.message),
        };
        let dropped = events.dropped();
        if dropped > reported_drops {
            line.push_str(&format!(
                "  ({} events not shown: output too slow)",
                dropped - reported_drops
            ));
            reported_drops = dropped;
        }
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// `21:04:05.123  uid=0 pid=42  GET /v1.41/containers/json → 200 OK  out 805 B  1.2 ms`
pub fn call_line(c: &Call) -> String {
    let status = match c.status {
        Some(code) => {
            let reason = http::StatusCode::from_u16(code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            format!("{code} {reason}")
        }
        None => "no response".to_string(),
    };
    let mut line = format!(
        "{}  {}  {} {} → {}",
        clock(c.start),
        c.peer,
        c.method,
        c.target,
        status
    );
    if c.answered_by == AnsweredBy::Sockeye {
        line.push_str(" (sockeye)");
    }
    if c.hijacked {
        line.push_str("  hijacked");
    }
    if c.bytes_in > 0 {
        line.push_str(&format!("  in {}", bytes(c.bytes_in)));
    }
    line.push_str(&format!(
        "  out {}  {}",
        bytes(c.bytes_out),
        duration(c.duration)
    ));
    if c.incomplete {
        line.push_str("  (cut short)");
    }
    if let Some(e) = &c.error {
        line.push_str(&format!("  error: {e}"));
    }
    line
}

fn bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} B"),
        10_000..=9_999_999 => format!("{:.1} kB", n as f64 / 1e3),
        10_000_000..=9_999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1e3)
    }
}

/// UTC wall-clock time of day, `HH:MM:SS.mmm`.
fn clock(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since.subsec_millis()
    )
}

fn unix_seconds<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(
        t.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64(),
    )
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_reads_as_one_line_with_method_path_status_bytes_and_time() {
        let call = Call {
            start: UNIX_EPOCH + Duration::from_millis(45_296_789),
            conn: 1,
            req: 1,
            peer: Arc::new(Peer::Unix {
                uid: 1000,
                gid: 1000,
                pid: Some(42),
            }),
            method: "GET".into(),
            target: "/v1.41/containers/json?all=1".into(),
            status: Some(200),
            answered_by: AnsweredBy::Daemon,
            bytes_in: 0,
            bytes_out: 805,
            hijacked: false,
            incomplete: false,
            duration: Duration::from_micros(1234),
            error: None,
        };
        assert_eq!(
            call_line(&call),
            "12:34:56.789  uid=1000 pid=42  GET /v1.41/containers/json?all=1 → 200 OK  out 805 B  1.2 ms"
        );
    }

    #[test]
    fn a_full_live_view_counts_what_it_drops_and_never_blocks() {
        let (events, _rx) = Events::channel(1);
        let notice = || {
            Event::Notice(Notice {
                conn: 1,
                peer: Arc::new(Peer::Tcp {
                    addr: "127.0.0.1:1".parse().unwrap(),
                }),
                message: "x".into(),
            })
        };
        events.emit(notice());
        events.emit(notice());
        events.emit(notice());
        assert_eq!(events.dropped(), 2);
    }
}
