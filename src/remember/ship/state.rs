//! A remote sink as the relay sees it: admit, spool a record, and what metrics read.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::spool::{self, Spool};
use super::{ShipOptions, Transport};
use crate::event::{Call, Detail, Fault, Sink};
use crate::remember::audit::Record;

/// Records held in memory while the spool cannot be written (a full or read-only disk); with
/// `--audit-fail-open`, beyond this the oldest are counted as unrecorded and dropped.
const MAX_PENDING: usize = 10_000;

/// How often a spool that cannot be written is retried when calls ask to be admitted.
const RETRY: Duration = Duration::from_millis(100);

/// One remote sink: its spool, and the shipping task that empties it.
pub struct RemoteSink {
    pub(super) name: String,
    pub(super) opts: ShipOptions,
    pub(super) inner: Mutex<Inner>,
    /// Mirrors `inner.spool.bytes()`, so admitting a call takes no lock while there is room.
    pub(super) queued: AtomicU64,
    /// Mirrors `inner.broken.is_some()`.
    broken: AtomicBool,
    /// Tells the shipping task there is something new.
    pub(super) wake: Notify,
    pub(super) stats: Counters,
    task: Mutex<Option<super::shipping::Task>>,
}

pub(super) struct Inner {
    pub(super) spool: Spool,
    /// Whole lines not yet in the spool, oldest first.
    pending: VecDeque<Vec<u8>>,
    broken: Option<String>,
    last_try: Option<Instant>,
    /// Calls this sink holds no record of since the last record it kept.
    unrecorded: u64,
    /// The spool is at its bound (said once in the log per change).
    full: bool,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) delivered: AtomicU64,
    pub(super) failures: AtomicU64,
    pub(super) up: AtomicBool,
    /// Why the last send failed, for the refusal message.
    pub(super) last_error: Mutex<Option<String>>,
    unrecorded_served: AtomicU64,
    unrecorded_refused: AtomicU64,
}

/// What `/metrics` shows of one sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkStats {
    pub name: String,
    pub queued_records: u64,
    pub queued_bytes: u64,
    pub max_bytes: u64,
    pub delivered: u64,
    pub failures: u64,
    pub up: bool,
    /// Calls served without a record (`--audit-fail-open`, spool full).
    pub unrecorded_served: u64,
    /// Calls refused while the spool was full, whose record it could not keep either.
    pub unrecorded_refused: u64,
}

impl RemoteSink {
    /// Open the sink's spool (`opts.spool`/NAME, locked) and start shipping: records left
    /// from an earlier run first, in order.
    pub fn start(transport: impl Transport, opts: &ShipOptions) -> Result<Arc<RemoteSink>, String> {
        let name = transport.name().to_owned();
        let dir = opts.spool.join(spool::dir_name(&name));
        let spool = Spool::open(&dir, opts.fsync, opts.max_bytes)?;
        if spool.records() > 0 {
            tracing::info!(
                "audit sink {name}: {} record(s) from an earlier run wait in its spool {}; \
                 delivering them first",
                spool.records(),
                dir.display()
            );
        }
        let sink = Arc::new(RemoteSink {
            name,
            opts: opts.clone(),
            queued: AtomicU64::new(spool.bytes()),
            inner: Mutex::new(Inner {
                spool,
                pending: VecDeque::new(),
                broken: None,
                last_try: None,
                unrecorded: 0,
                full: false,
            }),
            broken: AtomicBool::new(false),
            wake: Notify::new(),
            stats: Counters {
                up: AtomicBool::new(true),
                ..Counters::default()
            },
            task: Mutex::new(None),
        });
        let task = super::shipping::Task::spawn(sink.clone(), Box::new(transport))?;
        *sink.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        Ok(sink)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stop shipping: deliver what the spool holds for at most `grace`; what is left stays
    /// in the spool for the next start (and the log says so).
    pub fn stop(&self, grace: Duration) {
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            task.stop(grace);
        }
        let inner = self.lock();
        if inner.spool.records() > 0 || !inner.pending.is_empty() {
            tracing::warn!(
                "audit sink {}: {} record(s) not delivered stay in its spool {}; they are \
                 delivered when sockeye starts again",
                self.name,
                inner.spool.records() + inner.pending.len() as u64,
                inner.spool.dir().display()
            );
        }
        if inner.unrecorded > 0 {
            tracing::warn!(
                "audit sink {}: its spool was full for {} call(s) (refused, or served under \
                 --audit-fail-open), and no record it kept since says so",
                self.name,
                inner.unrecorded
            );
        }
    }

    pub fn stats(&self) -> SinkStats {
        let inner = self.lock();
        SinkStats {
            name: self.name.clone(),
            queued_records: inner.spool.records() + inner.pending.len() as u64,
            queued_bytes: inner.spool.bytes(),
            max_bytes: self.opts.max_bytes,
            delivered: self.stats.delivered.load(Ordering::Relaxed),
            failures: self.stats.failures.load(Ordering::Relaxed),
            up: self.stats.up.load(Ordering::Relaxed),
            unrecorded_served: self.stats.unrecorded_served.load(Ordering::Relaxed),
            unrecorded_refused: self.stats.unrecorded_refused.load(Ordering::Relaxed),
        }
    }

    /// `Err(why)` while this sink refuses calls.
    pub fn health(&self) -> Result<(), String> {
        if self.opts.fail_open {
            return Ok(());
        }
        self.refusal()
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn refusal(&self) -> Result<(), String> {
        if !self.broken.load(Ordering::Relaxed)
            && self.queued.load(Ordering::Relaxed) < self.opts.max_bytes
        {
            return Ok(());
        }
        let mut inner = self.lock();
        if inner.broken.is_some() && inner.last_try.is_none_or(|t| t.elapsed() >= RETRY) {
            self.flush(&mut inner, None);
        }
        if let Some(why) = &inner.broken {
            return Err(why.clone());
        }
        if inner.spool.bytes() >= self.opts.max_bytes {
            self.set_full(&mut inner, true);
            return Err(self.full_message(&inner));
        }
        self.set_full(&mut inner, false);
        Ok(())
    }

    fn full_message(&self, inner: &Inner) -> String {
        let why = self
            .stats
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| "it is slower than the calls".into());
        format!(
            "the audit sink {} cannot deliver ({why}) and its spool {} is full ({} bytes, \
             --audit-spool-max {})",
            self.name,
            inner.spool.dir().display(),
            inner.spool.bytes(),
            self.opts.max_bytes
        )
    }

    /// Say once when the spool reaches its bound, and once when it has room again.
    pub(super) fn set_full(&self, inner: &mut Inner, full: bool) {
        if inner.full == full {
            return;
        }
        inner.full = full;
        if full {
            let what = if self.opts.fail_open {
                "calls are served without its record and counted (--audit-fail-open)"
            } else {
                "new calls are refused until it delivers (fail closed)"
            };
            tracing::error!("{}; {what}", self.full_message(inner));
        } else {
            tracing::warn!(
                "the audit sink {}'s spool has room again: calls are recorded",
                self.name
            );
        }
    }

    /// Spool what is pending, in order, then `line`; on the first failure keep the rest.
    fn flush(&self, inner: &mut Inner, line: Option<Vec<u8>>) {
        inner.last_try = Some(Instant::now());
        let mut failed = None;
        while let Some(old) = inner.pending.pop_front() {
            if let Err(e) = inner.spool.append(&old) {
                inner.pending.push_front(old);
                failed = Some(e);
                break;
            }
        }
        if let Some(line) = line {
            let written = match failed.take() {
                Some(e) => Err(e),
                None => inner.spool.append(&line),
            };
            if let Err(e) = written {
                inner.pending.push_back(line);
                failed = Some(e);
            }
        }
        if self.opts.fail_open {
            while inner.pending.len() > MAX_PENDING {
                inner.pending.pop_front();
                inner.unrecorded += 1;
                self.stats.unrecorded_served.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.queued.store(inner.spool.bytes(), Ordering::Relaxed);
        if let Some(e) = failed {
            let why = format!(
                "the audit spool {} of sink {} cannot be written: {e}",
                inner.spool.dir().display(),
                self.name
            );
            if inner.broken.is_none() {
                tracing::error!("{why}");
            }
            inner.broken = Some(why);
            self.broken.store(true, Ordering::Relaxed);
            return;
        }
        if inner.broken.take().is_some() {
            tracing::warn!(
                "the audit spool {} of sink {} is writable again",
                inner.spool.dir().display(),
                self.name
            );
            self.broken.store(false, Ordering::Relaxed);
        }
        self.wake.notify_one();
    }

    /// Keep one record's line (serialized without `unrecorded`), or count it when the spool
    /// has no room for it and it may go without: served under `--audit-fail-open`, or a call
    /// that was refused anyway.
    fn keep(&self, mut line: Vec<u8>, refused: bool) {
        let mut inner = self.lock();
        let room = inner.spool.bytes() < self.opts.max_bytes;
        if !room && (self.opts.fail_open || refused) {
            inner.unrecorded += 1;
            let counter = if refused {
                &self.stats.unrecorded_refused
            } else {
                &self.stats.unrecorded_served
            };
            counter.fetch_add(1, Ordering::Relaxed);
            self.set_full(&mut inner, true);
            return;
        }
        if inner.unrecorded > 0 {
            line = with_unrecorded(line, inner.unrecorded);
            inner.unrecorded = 0;
        }
        self.flush(&mut inner, Some(line));
        if room && inner.spool.bytes() < self.opts.max_bytes {
            self.set_full(&mut inner, false);
        }
    }
}

/// `line` (a JSON object and its newline) with `"unrecorded":n` added as its last field.
/// Added as text, so that the record is serialized outside the sink's lock (the count is
/// known only under it).
pub(super) fn with_unrecorded(mut line: Vec<u8>, n: u64) -> Vec<u8> {
    debug_assert!(line.ends_with(b"}\n"));
    line.truncate(line.len() - 2);
    line.extend_from_slice(format!(",\"unrecorded\":{n}}}\n").as_bytes());
    line
}

impl Sink for RemoteSink {
    fn admit(&self) -> Result<(), String> {
        if self.opts.fail_open {
            return Ok(());
        }
        self.refusal()
    }

    fn call(&self, call: &Call) {
        let mut line = Vec::with_capacity(1024);
        Record::with_call(call, |record| {
            crate::remember::audit::line::write(&mut line, record).expect("a record serializes")
        });
        line.push(b'\n');
        self.keep(line, call.fault == Some(Fault::NotRecorded));
    }

    fn detail(&self) -> Detail {
        Detail {
            // As the audit log: enough of a JSON body to name the CLI action.
            request_capture: 64 * 1024,
            ..Detail::default()
        }
    }
}

impl RemoteSink {
    /// Spool one line as a call's record would be (tests of the shipping path).
    #[cfg(test)]
    pub(super) fn keep_line(&self, line: &[u8], refused: bool) {
        let mut l = line.to_vec();
        l.push(b'\n');
        self.keep(l, refused);
    }
}
