//! Bytes as they pass: counted, the first ones kept, and copied to a live view.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::{Bytes, BytesMut};

use super::{CallId, Captured, Dir, Event, Events, Fault};

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

    /// `n` bytes passed that nobody needed to see: counted only. Call it only once
    /// [`Recorder::wants_bytes`] says no.
    pub fn count(&self, n: usize) {
        self.flow.count(n);
    }

    /// Whether the bytes themselves are still wanted (a view's copy, or a capture not yet
    /// full); once not, they may pass without being read by sockeye, only counted.
    pub fn wants_bytes(&self) -> bool {
        self.tap.is_some() || (self.flow.total() as usize) < self.flow.limit
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
    /// Why the side sending these bytes broke them off, and whose fault that was.
    broken: OnceLock<(Fault, String)>,
}

impl Flow {
    pub fn new(limit: usize) -> Arc<Flow> {
        Arc::new(Flow {
            total: AtomicU64::new(0),
            limit,
            kept: Mutex::new(BytesMut::new()),
            ended: AtomicBool::new(false),
            broken: OnceLock::new(),
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

    /// `n` bytes passed beyond the capture: counted.
    fn count(&self, n: usize) {
        self.total.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The body reached its natural end.
    pub fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    /// The most bytes it keeps.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The sending side broke the bytes off: `fault` says whose fault, `why` how. The first
    /// word stands.
    pub fn break_off(&self, fault: Fault, why: String) {
        let _ = self.broken.set((fault, why));
    }

    /// Why the bytes were broken off, if they were.
    pub fn broken(&self) -> Option<&(Fault, String)> {
        self.broken.get()
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
