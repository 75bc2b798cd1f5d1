//! What happened, as plain data, and the channel it travels on.
//!
//! The relay records raw facts cheaply (counts, and capped prefixes of bodies as refcounted
//! `Bytes`) and never waits on consumers. Naming, decoding and redaction happen in the
//! consumers (`view`, `trace`), on their own task, through the one `redact` module.
//! A live view is lossy by design (a slow terminal must not slow `docker cp`); drops are
//! counted and shown.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Version};
use tokio::sync::mpsc;

use crate::caller::{Caller, Peer};
use crate::docker::endpoint::Classified;
use crate::docker::facts::Facts;
use crate::guard::policy::{Denial, Permit};

/// Connection number and request number on that connection (both from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct CallId {
    pub conn: u64,
    pub req: u64,
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}.{}", self.conn, self.req)
    }
}

/// Which way bytes travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    /// Client to daemon: request bodies, and stdin of a hijacked session.
    ToDaemon,
    /// Daemon to client: response bodies, and output of a hijacked session.
    ToClient,
}

/// A request as it arrived (raw: consumers redact before showing anything).
#[derive(Debug)]
pub struct RequestHead {
    pub id: CallId,
    pub start: SystemTime,
    pub caller: Arc<Caller>,
    pub method: Method,
    /// Path and query exactly as sent.
    pub target: String,
    pub version: Version,
    pub headers: HeaderMap,
    pub route: Classified,
}

/// The daemon's (or sockeye's) answer head.
#[derive(Debug)]
pub struct ResponseHead {
    pub id: CallId,
    pub status: u16,
    pub version: Version,
    pub headers: HeaderMap,
}

/// A body captured up to a limit.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    pub bytes: Bytes,
    /// Everything was captured (the body was not longer than the limit and it ended).
    pub whole: bool,
}

/// One finished call: request and response, or a hijacked session when it ends.
#[derive(Debug)]
pub struct Call {
    pub head: Arc<RequestHead>,
    pub response: Option<Arc<ResponseHead>>,
    pub answered_by: AnsweredBy,
    /// Request body bytes (for a hijacked session, plus the bytes client → daemon).
    pub bytes_in: u64,
    /// Response body bytes (for a hijacked session, the bytes daemon → client).
    pub bytes_out: u64,
    pub hijacked: bool,
    /// The body or tunnel ended before its natural end.
    pub incomplete: bool,
    pub duration: Duration,
    pub error: Option<String>,
    pub request_body: Captured,
    pub response_body: Captured,
    /// The policy's decision, when a policy is set and got to decide.
    pub verdict: Option<Verdict>,
    /// The security-relevant content the decision looked at, for operations that have it.
    pub facts: Option<Arc<Facts>>,
    /// Whose fault it was when the call did not end as the daemon answered it.
    pub fault: Option<Fault>,
}

/// Why a call did not end as the daemon answered it, and so whose fault that was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The policy refused it (403): the client asked for what it may not do.
    Denied,
    /// sockeye would not read it as dockerd will (a path dockerd would not route as written,
    /// an ambiguous or oversized body, …): the client's request (4xx).
    Unreadable,
    /// The audit log cannot record calls, so none are made (503): sockeye's own state.
    NotRecorded,
    /// The daemon could not be reached (502).
    UpstreamUnreachable,
    /// The daemon broke the connection: before answering (502), or in the middle of a body
    /// or stream.
    UpstreamBroke,
    /// The client went away before the answer or stream ended.
    ClientAborted,
}

/// What the policy decided about one call.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub decision: Decision,
    /// The deciding rule (`default` when none matched).
    pub rule: String,
    /// Why it was denied (or would have been).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Deny,
    /// Denied by the policy but forwarded, because sockeye runs in audit mode.
    WouldDeny,
}

impl Verdict {
    /// What a permit records: nothing for an open guard's (no policy, no verdict).
    pub fn of(permit: &Permit) -> Option<Verdict> {
        if permit.is_open() {
            return None;
        }
        Some(match permit.overruled() {
            Some(denial) => Verdict {
                decision: Decision::WouldDeny,
                rule: denial.rule.clone(),
                reason: Some(denial.reason.clone()),
            },
            None => Verdict {
                decision: Decision::Allow,
                rule: permit.rule().to_owned(),
                reason: None,
            },
        })
    }

    pub fn denied(denial: &Denial) -> Verdict {
        Verdict {
            decision: Decision::Deny,
            rule: denial.rule.clone(),
            reason: Some(denial.reason.clone()),
        }
    }
}

impl Call {
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnsweredBy {
    Daemon,
    Sockeye,
}

/// Something about a connection rather than a call: refused, malformed, timed out.
#[derive(Clone, Debug)]
pub struct Notice {
    pub conn: u64,
    pub peer: Arc<Peer>,
    pub message: String,
}

#[derive(Debug)]
pub enum Event {
    /// A request head arrived (only when `Detail::heads`).
    Request(Arc<RequestHead>),
    /// A response head was sent (only when `Detail::heads`).
    Response(Arc<ResponseHead>),
    /// Body or tunnel bytes as they pass (only when `Detail::stream`).
    Data {
        id: CallId,
        dir: Dir,
        bytes: Bytes,
    },
    /// Bytes on a client connection as they cross the socket (only when `Detail::wire`).
    /// `offset` counts the bytes sent before these in the same direction, so a consumer
    /// can tell when the lossy channel dropped some.
    Wire {
        conn: u64,
        dir: Dir,
        at: SystemTime,
        offset: u64,
        bytes: Bytes,
    },
    /// A call ended.
    Call(Box<Call>),
    Notice(Notice),
}

/// What consumers want recorded beyond the end-of-call summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct Detail {
    /// Emit request and response heads as they happen.
    pub heads: bool,
    /// Emit body and tunnel bytes as they pass.
    pub stream: bool,
    /// Emit raw socket bytes of client connections.
    pub wire: bool,
    /// Capture up to this many bytes of each request body (JSON bodies name the call).
    pub request_capture: usize,
    /// Capture up to this many bytes of each response body.
    pub response_capture: usize,
}

/// A consumer that must see every call, told synchronously on the relay's path (the audit
/// log, metrics), unlike the live view's lossy channel.
pub trait Sink: Send + Sync {
    /// Whether a new call may proceed: the audit log refuses calls it could not record.
    fn admit(&self) -> Result<(), String> {
        Ok(())
    }
    /// A call ended. Called before the client sees the end of the response (or, for a
    /// hijacked session, when the session ends).
    fn call(&self, call: &Call);
    /// A client connection opened (`true`) or closed.
    fn connection(&self, _open: bool) {}
    /// A hijacked session started (`true`) or ended.
    fn session(&self, _open: bool) {}
    /// What the sink needs recorded for `call`.
    fn detail(&self) -> Detail {
        Detail::default()
    }
}

/// The sending side, shared by every connection.
#[derive(Clone)]
pub struct Events {
    tx: Option<Sender>,
    dropped: Arc<AtomicU64>,
    detail: Detail,
    sinks: Arc<[Arc<dyn Sink>]>,
}

#[derive(Clone)]
enum Sender {
    /// Live views: never wait, count what does not fit.
    Lossy(mpsc::Sender<Event>),
    /// Recorders (`trace`): keep everything; memory is bounded by the capture limits.
    Lossless(mpsc::UnboundedSender<Event>),
}

impl Events {
    /// Events that go nowhere (`--quiet`, benchmarks, tests).
    pub fn discard() -> Self {
        Events {
            tx: None,
            dropped: Arc::default(),
            detail: Detail::default(),
            sinks: Arc::new([]),
        }
    }

    /// A bounded channel to one live consumer, who gets the receiving end.
    pub fn lossy(capacity: usize, detail: Detail) -> (Self, Feed) {
        let (tx, rx) = mpsc::channel(capacity);
        let dropped = Arc::<AtomicU64>::default();
        (
            Events {
                tx: Some(Sender::Lossy(tx)),
                dropped: dropped.clone(),
                detail,
                sinks: Arc::new([]),
            },
            Feed { rx, dropped },
        )
    }

    /// An unbounded channel to one recording consumer.
    pub fn lossless(detail: Detail) -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Events {
                tx: Some(Sender::Lossless(tx)),
                dropped: Arc::default(),
                detail,
                sinks: Arc::new([]),
            },
            rx,
        )
    }

    /// Add consumers that see every call (audit log, metrics).
    pub fn with_sinks(mut self, sinks: Vec<Arc<dyn Sink>>) -> Self {
        self.sinks = sinks.into();
        self
    }

    pub fn detail(&self) -> Detail {
        let mut d = if self.tx.is_some() {
            self.detail
        } else {
            Detail::default()
        };
        for s in self.sinks.iter() {
            let n = s.detail();
            d.heads |= n.heads;
            d.stream |= n.stream;
            d.wire |= n.wire;
            d.request_capture = d.request_capture.max(n.request_capture);
            d.response_capture = d.response_capture.max(n.response_capture);
        }
        d
    }

    /// Whether anybody looks at calls (the relay skips all bookkeeping otherwise).
    pub fn enabled(&self) -> bool {
        self.tx.is_some() || !self.sinks.is_empty()
    }

    /// Whether the live view wants per-call events (heads, data, calls).
    pub fn viewed(&self) -> bool {
        self.tx.is_some()
    }

    /// Every sink's word on a new call: the first refusal.
    pub fn admit(&self) -> Result<(), String> {
        self.sinks.iter().try_for_each(|s| s.admit())
    }

    /// A call ended: every sink first, synchronously, then the live view.
    pub fn call(&self, call: Call) {
        for s in self.sinks.iter() {
            s.call(&call);
        }
        if self.tx.is_some() {
            self.emit(Event::Call(Box::new(call)));
        }
    }

    pub fn connection(&self, open: bool) {
        for s in self.sinks.iter() {
            s.connection(open);
        }
    }

    pub fn session(&self, open: bool) {
        for s in self.sinks.iter() {
            s.session(open);
        }
    }

    pub fn emit(&self, event: Event) {
        let sent = match &self.tx {
            None => return,
            Some(Sender::Lossy(tx)) => tx.try_send(event).is_ok(),
            Some(Sender::Lossless(tx)) => tx.send(event).is_ok(),
        };
        if !sent {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Events a live consumer could not keep up with.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The drop count itself, for a reader that must not hold the channel open (metrics:
    /// a held sender would keep the live view from ending at shutdown).
    pub fn dropped_counter(&self) -> Arc<AtomicU64> {
        self.dropped.clone()
    }
}

/// What a live view holds: the receiving end of its lossy channel and the count of events
/// that did not fit. No sender: the view ends once the relay's last [`Events`] is gone.
pub struct Feed {
    rx: mpsc::Receiver<Event>,
    dropped: Arc<AtomicU64>,
}

impl Feed {
    /// The next event if one is waiting; `Disconnected` once every sender is gone.
    pub fn try_recv(&mut self) -> Result<Event, mpsc::error::TryRecvError> {
        self.rx.try_recv()
    }

    /// Events the view could not keep up with, so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Where one direction of one call's bytes go as they pass: counted and captured in its
/// [`Flow`], and copied to the live view when it watches streams. The one recorder of bytes,
/// for bodies streamed or read whole and for hijacked streams alike.
pub struct Recorder {
    pub flow: Arc<Flow>,
    /// The live view's copy, when it wants body and stream bytes.
    pub tap: Option<Tap>,
}

/// Where a live view wants a copy of each frame.
pub struct Tap {
    pub events: Events,
    pub id: CallId,
    pub dir: Dir,
}

impl Recorder {
    /// `data` passed; the view's copy shares its buffer.
    pub fn record(&self, data: &Bytes) {
        self.flow.record(data);
        if let Some(tap) = &self.tap {
            tap.events.emit(Event::Data {
                id: tap.id,
                dir: tap.dir,
                bytes: data.clone(),
            });
        }
    }

    /// `data` passed through a buffer that is reused: the view gets a copy.
    pub fn record_slice(&self, data: &[u8]) {
        self.flow.record(data);
        if let Some(tap) = &self.tap {
            tap.events.emit(Event::Data {
                id: tap.id,
                dir: tap.dir,
                bytes: Bytes::copy_from_slice(data),
            });
        }
    }

    /// The bytes reached their natural end.
    pub fn end(&self) {
        self.flow.end();
    }
}

/// Bytes flowing one way for one call: counted, and the first `limit` bytes kept.
#[derive(Debug)]
pub struct Flow {
    total: AtomicU64,
    limit: usize,
    kept: Mutex<BytesMut>,
    ended: AtomicBool,
}

impl Flow {
    pub fn new(limit: usize) -> Arc<Flow> {
        Arc::new(Flow {
            total: AtomicU64::new(0),
            limit,
            kept: Mutex::new(BytesMut::new()),
            ended: AtomicBool::new(false),
        })
    }

    pub fn record(&self, data: &[u8]) {
        let before = self.total.fetch_add(data.len() as u64, Ordering::Relaxed);
        if (before as usize) < self.limit {
            let room = self.limit - before as usize;
            let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }

    /// The body reached its natural end.
    pub fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    pub fn captured(&self) -> Captured {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        Captured {
            bytes: Bytes::copy_from_slice(&kept),
            whole: self.ended.load(Ordering::Relaxed) && self.total() as usize <= self.limit,
        }
    }
}

/// A finished call for tests: `peer` asked `method target` and got `status` (`None`: no
/// answer), as call `#1.2000` at a fixed time, with no bodies, bytes or verdict.
#[cfg(test)]
pub(crate) fn sample_call(peer: Peer, method: &str, target: &str, status: Option<u16>) -> Call {
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let head = Arc::new(RequestHead {
        id: CallId { conn: 1, req: 2000 },
        start: std::time::UNIX_EPOCH + Duration::new(1_795_395_208, 650_874_100),
        caller: Arc::new(Caller::bare(peer)),
        method: method.parse::<Method>().unwrap(),
        target: target.into(),
        version: Version::HTTP_11,
        headers: HeaderMap::new(),
        route: crate::docker::endpoint::classify(method, path),
    });
    Call {
        response: status.map(|status| {
            Arc::new(ResponseHead {
                id: head.id,
                status,
                version: Version::HTTP_11,
                headers: HeaderMap::new(),
            })
        }),
        head,
        answered_by: AnsweredBy::Daemon,
        bytes_in: 0,
        bytes_out: 0,
        hijacked: false,
        incomplete: false,
        duration: Duration::from_micros(700),
        error: None,
        request_body: Captured::default(),
        response_body: Captured::default(),
        verdict: None,
        fault: None,
        facts: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_live_view_counts_what_it_drops_and_never_blocks() {
        let (events, _rx) = Events::lossy(1, Detail::default());
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

    #[test]
    fn a_flow_counts_everything_and_keeps_only_its_limit() {
        let flow = Flow::new(5);
        flow.record(b"abc");
        flow.record(b"defgh");
        flow.end();
        assert_eq!(flow.total(), 8);
        let c = flow.captured();
        assert_eq!(&c.bytes[..], b"abcde");
        assert!(!c.whole);
        let flow = Flow::new(5);
        flow.record(b"abc");
        flow.end();
        assert!(flow.captured().whole);
    }
}
