//! The shipping task of one remote sink, on a thread of its own: read from the acknowledged
//! position, send a batch, acknowledge it; back off while the receiver is down.

use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::state::RemoteSink;
use super::Transport;

/// Most records in one batch.
pub(super) const BATCH_RECORDS: usize = 512;
/// About the most bytes of records in one batch (a larger record goes alone).
pub(super) const BATCH_BYTES: usize = 256 << 10;
/// How long a batch waits for more records once the first is there.
const LINGER: Duration = Duration::from_millis(5);
/// The first wait after a failed send; doubled after each failure, up to `BACKOFF_MAX`.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How long one send may take before it counts as failed (a receiver that stopped reading).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The running task: its thread, and how to tell it to stop.
pub(super) struct Task {
    thread: JoinHandle<()>,
    /// Deliver what is queued, then end.
    closing: CancellationToken,
    /// End now.
    abort: CancellationToken,
    done: mpsc::Receiver<()>,
}

impl Task {
    pub(super) fn spawn(
        sink: Arc<RemoteSink>,
        transport: Box<dyn Transport>,
    ) -> Result<Task, String> {
        let closing = CancellationToken::new();
        let abort = CancellationToken::new();
        let (tx, done) = mpsc::channel();
        let (c, a) = (closing.clone(), abort.clone());
        let thread = std::thread::Builder::new()
            .name("sockeye-ship".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match rt {
                    Ok(rt) => rt.block_on(run(sink, transport, c, a)),
                    Err(e) => tracing::error!("audit sink {}: cannot start: {e}", sink.name),
                }
                let _ = tx.send(());
            })
            .map_err(|e| format!("cannot start the audit shipping thread: {e}"))?;
        Ok(Task {
            thread,
            closing,
            abort,
            done,
        })
    }

    pub(super) fn stop(self, grace: Duration) {
        self.closing.cancel();
        if self.done.recv_timeout(grace).is_err() {
            self.abort.cancel();
        }
        let _ = self.thread.join();
    }
}

/// Ship until `closing` (and the spool is empty, or the receiver is down) or `abort`.
pub(super) async fn run(
    sink: Arc<RemoteSink>,
    mut transport: Box<dyn Transport>,
    closing: CancellationToken,
    abort: CancellationToken,
) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let (batch, to) = {
            let inner = sink.lock();
            let from = inner.spool.acked();
            match inner.spool.read(from, BATCH_RECORDS, BATCH_BYTES) {
                Ok((batch, to)) => (batch, to),
                Err(e) => {
                    tracing::error!(
                        "audit sink {}: cannot read its spool {}: {e}",
                        sink.name,
                        inner.spool.dir().display()
                    );
                    (Vec::new(), from)
                }
            }
        };
        if batch.is_empty() {
            if closing.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = sink.wake.notified() => {}
                _ = closing.cancelled() => {}
                _ = abort.cancelled() => return,
                // A read that failed is tried again.
                _ = tokio::time::sleep(BACKOFF_MAX) => {}
            }
            if batch_is_small(&sink) {
                tokio::time::sleep(LINGER).await;
            }
            continue;
        }
        let sent = tokio::select! {
            r = tokio::time::timeout(SEND_TIMEOUT, transport.send(&batch)) => match r {
                Ok(r) => r,
                Err(_) => Err(format!("no answer within {SEND_TIMEOUT:?}")),
            },
            _ = abort.cancelled() => return,
        };
        match sent {
            Ok(()) => {
                backoff = BACKOFF_MIN;
                let n = batch.len() as u64;
                let mut inner = sink.lock();
                if let Err(e) = inner.spool.ack(to, n) {
                    // Sent but not remembered as sent: sent again after a restart.
                    tracing::error!(
                        "audit sink {}: cannot record what was delivered in its spool {}: {e}",
                        sink.name,
                        inner.spool.dir().display()
                    );
                }
                sink.queued.store(inner.spool.bytes(), Ordering::Relaxed);
                drop(inner);
                sink.stats.delivered.fetch_add(n, Ordering::Relaxed);
                if !sink.stats.up.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "audit sink {} delivers again; {} record(s) still queued",
                        sink.name,
                        sink.lock().spool.records()
                    );
                }
                *sink
                    .stats
                    .last_error
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = None;
            }
            Err(why) => {
                sink.stats.failures.fetch_add(1, Ordering::Relaxed);
                if sink.stats.up.swap(false, Ordering::Relaxed) {
                    let inner = sink.lock();
                    tracing::error!(
                        "audit sink {} cannot deliver: {why}; records wait in its spool {} \
                         (up to --audit-spool-max {} bytes) and are retried",
                        sink.name,
                        inner.spool.dir().display(),
                        sink.opts.max_bytes
                    );
                }
                *sink
                    .stats
                    .last_error
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(why);
                // Closing with the receiver down: what is left stays in the spool.
                if closing.is_cancelled() {
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = closing.cancelled() => {}
                    _ = abort.cancelled() => return,
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

fn batch_is_small(sink: &RemoteSink) -> bool {
    sink.lock().spool.records() < BATCH_RECORDS as u64
}
