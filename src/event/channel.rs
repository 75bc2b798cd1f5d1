//! The channel events travel on: every call to the sinks that must see it (audit, metrics),
//! synchronously; everything else to one live consumer, lossy or lossless.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Call, Event};

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
    /// Capture up to this many bytes of each error answer's body (status 400 and up): the
    /// daemon's `{"message": ...}`, for the one-line view.
    pub error_capture: usize,
    /// Record what each decision went through ([`crate::event::Verdict::trace`]): the
    /// relay then decides as `policy explain` does, which costs a little more per call.
    pub explain: bool,
}

impl Detail {
    /// What both `self` and `other` want recorded.
    pub fn with(self, other: Detail) -> Detail {
        Detail {
            heads: self.heads || other.heads,
            stream: self.stream || other.stream,
            wire: self.wire || other.wire,
            request_capture: self.request_capture.max(other.request_capture),
            response_capture: self.response_capture.max(other.response_capture),
            error_capture: self.error_capture.max(other.error_capture),
            explain: self.explain || other.explain,
        }
    }
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
    /// What the sink needs recorded for `call`: asked once, when the sink is added.
    fn detail(&self) -> Detail {
        Detail::default()
    }
}

/// A consumer of the live channel (the terminal view, the inspector): shown each event in
/// turn on the task that drains the channel ([`crate::see::view::run`]), never on the
/// relay's.
pub trait Watcher: Send {
    /// One event; `dropped` is the running count of events the channel lost.
    fn show(&mut self, event: &Event, dropped: u64);
}

/// The sending side, shared by every connection.
#[derive(Clone)]
pub struct Events {
    tx: Option<Sender>,
    dropped: Arc<AtomicU64>,
    live: Detail,
    sinks: Arc<[Arc<dyn Sink>]>,
    /// `live` with every sink's, combined once: the relay asks for it several times per call.
    detail: Detail,
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
            live: Detail::default(),
            sinks: Arc::new([]),
            detail: Detail::default(),
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
                live: detail,
                sinks: Arc::new([]),
                detail,
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
                live: detail,
                sinks: Arc::new([]),
                detail,
            },
            rx,
        )
    }

    /// Add consumers that see every call (audit log, metrics).
    pub fn with_sinks(mut self, sinks: Vec<Arc<dyn Sink>>) -> Self {
        self.sinks = sinks.into();
        let d = if self.tx.is_some() {
            self.live
        } else {
            Detail::default()
        };
        self.detail = self.sinks.iter().fold(d, |d, s| d.with(s.detail()));
        self
    }

    pub fn detail(&self) -> Detail {
        self.detail
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::Peer;
    use crate::event::{Flow, Notice};

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
