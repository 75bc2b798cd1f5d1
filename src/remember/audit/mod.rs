//! The audit log: one JSON line per call, written before the call's response completes,
//! never dropped (docs/audit-log.md).
//!
//! Records are written synchronously by the relay thread that finishes the call, one
//! `write` of one whole line to a file opened for appending, so a reader (or a crash)
//! never sees half a record. When a write fails (disk full, file gone read-only), the
//! partial line is cut off, the record is kept in memory, and new calls are refused
//! ([`crate::event::Sink::admit`]) until the kept records can be written: fail closed,
//! and nothing lost. `--audit-fail-open` keeps serving instead (and still keeps what
//! it can).

pub mod ecs;
pub mod follow;
pub mod line;
pub mod merge;
pub mod query;
pub mod read;
pub mod record;
pub mod stream;
mod why;

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::event::{Call, Detail, Sink};

pub use record::Record;

/// Where and how to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOptions {
    /// `None` is standard output.
    pub path: Option<PathBuf>,
    /// `fdatasync` after every record.
    pub fsync: bool,
    /// Keep serving when records cannot be written.
    pub fail_open: bool,
    /// Rotate when the file would grow beyond this many bytes.
    pub max_size: Option<u64>,
    /// Rotated files kept (`FILE.1` … `FILE.N`).
    pub keep: usize,
    /// Field names the file is written in.
    pub format: AuditFormat,
}

/// How records are written: sockeye's own field names, or the Elastic Common Schema's
/// ([`ecs`]), one JSON document a line either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuditFormat {
    #[default]
    Json,
    Ecs,
}

/// Records kept in memory while the file cannot be written; beyond this, with
/// `--audit-fail-open`, the oldest are dropped (and counted).
const MAX_PENDING: usize = 100_000;

/// How often a broken log is retried when calls ask to be admitted.
const RETRY: Duration = Duration::from_millis(100);

/// A line buffer's capacity: room for a typical record, so that serializing one does not
/// grow the buffer a few times over.
const LINE: usize = 1024;

thread_local! {
    /// The buffer this thread serializes its records into ([`AuditLog::write`]).
    static LINE_BUF: std::cell::Cell<Vec<u8>> = std::cell::Cell::new(Vec::with_capacity(LINE));
}

pub struct AuditLog {
    opts: AuditOptions,
    state: Mutex<State>,
    /// Set by SIGHUP: reopen the file by name before the next record (logrotate).
    reopen: AtomicBool,
    /// Mirrors `state.broken.is_some()` so admitting a call takes no lock when healthy.
    broken: AtomicBool,
}

struct State {
    file: Option<File>,
    size: u64,
    /// Whole lines not yet written, oldest first.
    pending: VecDeque<Vec<u8>>,
    broken: Option<String>,
    last_try: Option<Instant>,
    lost: u64,
}

impl AuditLog {
    /// Open (or create, mode 0600) the log. Failing here fails startup: better than
    /// refusing every call.
    pub fn open(opts: AuditOptions) -> io::Result<AuditLog> {
        let (file, size) = match &opts.path {
            Some(p) => {
                let f = open_append(p)?;
                let size = f.metadata()?.len();
                (Some(f), size)
            }
            None => (None, 0),
        };
        Ok(AuditLog {
            opts,
            state: Mutex::new(State {
                file,
                size,
                pending: VecDeque::new(),
                broken: None,
                last_try: None,
                lost: 0,
            }),
            reopen: AtomicBool::new(false),
            broken: AtomicBool::new(false),
        })
    }

    /// Reopen the file by name before the next record (after logrotate moved it).
    pub fn request_reopen(&self) {
        self.reopen.store(true, Ordering::Relaxed);
    }

    /// `Err(why)` while records cannot be written.
    pub fn health(&self) -> Result<(), String> {
        if !self.broken.load(Ordering::Relaxed) {
            return Ok(());
        }
        let state = self.lock();
        match &state.broken {
            Some(why) => Err(why.clone()),
            None => Ok(()),
        }
    }

    /// Records that could not be kept (only with `--audit-fail-open`).
    pub fn lost(&self) -> u64 {
        self.lock().lost
    }

    /// Write one line that is not a call: an event of sockeye's own (a policy reload), with
    /// an `"event"` key that tells readers it is not a call record (docs/audit-log.md).
    pub fn write_event(&self, event: &impl Serialize) {
        let mut line = match self.opts.format {
            AuditFormat::Json => serde_json::to_vec(event),
            AuditFormat::Ecs => serde_json::to_value(event)
                .and_then(|v| serde_json::to_vec(&ecs::event_to_ecs(&v, record::host()))),
        }
        .expect("an event serializes");
        line.push(b'\n');
        let mut state = self.lock();
        self.flush(&mut state, Some(&line));
    }

    /// Write one record (or keep it until the log can be written): owned, or as
    /// [`Record::with_call`] borrows it from a call.
    pub fn write(&self, record: &Record<impl AsRef<str> + Serialize, impl Serialize>) {
        // Serialized outside the log's lock, so relay threads do not wait on each other's
        // serialization; into the thread's buffer, which a record per call would otherwise
        // allocate and free each time.
        LINE_BUF.with(|buf| {
            let mut line = buf.take();
            line.clear();
            match self.opts.format {
                AuditFormat::Json => line::write(&mut line, record),
                // The same record, renamed: through its JSON, so no field can be missed.
                AuditFormat::Ecs => serde_json::to_value(record)
                    .and_then(|v| serde_json::to_writer(&mut line, &ecs::to_ecs(&v))),
            }
            .expect("a record serializes");
            line.push(b'\n');
            let mut state = self.lock();
            self.flush(&mut state, Some(&line));
            drop(state);
            // A record with a large body's facts does not keep its buffer for good.
            if line.capacity() <= 16 * LINE {
                buf.set(line);
            }
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Write what is pending, in order, then `line`; on the first failure keep the rest,
    /// and `line` after them.
    fn flush(&self, state: &mut State, line: Option<&[u8]>) {
        state.last_try = Some(Instant::now());
        if self.reopen.swap(false, Ordering::Relaxed) {
            state.file = None;
        }
        let mut failed = None;
        while let Some(old) = state.pending.pop_front() {
            if let Err(e) = self.write_line(state, &old) {
                state.pending.push_front(old);
                failed = Some(e);
                break;
            }
        }
        if let Some(line) = line {
            // Never ahead of an older line that could not be written.
            let written = match failed.take() {
                Some(e) => Err(e),
                None => self.write_line(state, line),
            };
            if let Err(e) = written {
                state.pending.push_back(line.to_vec());
                if state.pending.len() > MAX_PENDING {
                    state.pending.pop_front();
                    state.lost += 1;
                }
                failed = Some(e);
            }
        }
        if let Some(e) = failed {
            let why = format!("the audit log {} cannot be written: {e}", self.name());
            if state.broken.is_none() {
                tracing::error!("{why}");
            }
            state.broken = Some(why);
            state.file = None;
            self.broken.store(true, Ordering::Relaxed);
            return;
        }
        if state.broken.take().is_some() {
            tracing::warn!("the audit log {} is writable again", self.name());
            self.broken.store(false, Ordering::Relaxed);
        }
    }

    fn write_line(&self, state: &mut State, line: &[u8]) -> io::Result<()> {
        let len = line.len() as u64;
        let Some(path) = &self.opts.path else {
            let mut out = io::stdout().lock();
            out.write_all(line)?;
            return out.flush();
        };
        if let Some(max) = self.opts.max_size {
            if state.size > 0 && state.size + len > max {
                rotate(path, self.opts.keep)?;
                state.file = None;
            }
        }
        if state.file.is_none() {
            let f = open_append(path)?;
            state.size = f.metadata()?.len();
            state.file = Some(f);
        }
        let before = state.size;
        let file = state.file.as_mut().expect("opened above");
        let written = file.write_all(line).and_then(|()| {
            if self.opts.fsync {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {
                state.size = before + len;
                Ok(())
            }
            Err(e) => {
                // A short write left part of a line: cut it, so every line stays whole.
                let _ = file.set_len(before);
                Err(e)
            }
        }
    }

    fn name(&self) -> String {
        match &self.opts.path {
            Some(p) => p.display().to_string(),
            None => "(standard output)".into(),
        }
    }
}

impl Sink for AuditLog {
    fn admit(&self) -> Result<(), String> {
        if self.opts.fail_open || !self.broken.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut state = self.lock();
        let due = state.last_try.is_none_or(|t| t.elapsed() >= RETRY);
        if state.broken.is_some() && due {
            self.flush(&mut state, None);
        }
        match &state.broken {
            Some(why) => Err(why.clone()),
            None => Ok(()),
        }
    }

    fn call(&self, call: &Call) {
        Record::with_call(call, |record| self.write(record));
    }

    fn detail(&self) -> Detail {
        Detail {
            // Enough of a JSON body to name the CLI action.
            request_capture: 64 * 1024,
            ..Detail::default()
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

/// `FILE` → `FILE.1` → … → `FILE.keep` (the oldest is removed).
fn rotate(path: &Path, keep: usize) -> io::Result<()> {
    let numbered = |n: usize| PathBuf::from(format!("{}.{n}", path.display()));
    if keep == 0 {
        return std::fs::remove_file(path);
    }
    let _ = std::fs::remove_file(numbered(keep));
    for n in (1..keep).rev() {
        let from = numbered(n);
        if from.exists() {
            std::fs::rename(&from, numbered(n + 1))?;
        }
    }
    std::fs::rename(path, numbered(1))
}

#[cfg(test)]
mod tests;
