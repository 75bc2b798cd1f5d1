//! Accepts that fail (the process is out of file descriptors, mostly): back off, and say so
//! once per interval with a count instead of once per attempt.
//!
//! The kernel keeps offering a connection that cannot be accepted, so a loop that retries at
//! once spins, and one that logs every attempt writes dozens of lines a second for as long as
//! the shortage lasts. Open connections are served meanwhile; the waiting ones are accepted
//! as soon as descriptors are free again.

use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A run of failures is reported at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// The first pause after a failure; it doubles while accepts keep failing.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause: a connection that waits in the backlog waits at most this long once
/// descriptors are free again.
const MAX_PAUSE: Duration = Duration::from_millis(500);

/// Shared by every runtime's accept loop: they run out of descriptors together, and one
/// report says it for all of them.
static REPORTS: Mutex<Reports> = Mutex::new(Reports {
    last: None,
    unreported: 0,
});

struct Reports {
    /// When a failure was last reported.
    last: Option<Instant>,
    /// Failures since then.
    unreported: u64,
}

/// One accept loop's state.
pub struct AcceptFailures {
    pause: Duration,
    failing: bool,
}

impl Default for AcceptFailures {
    fn default() -> Self {
        AcceptFailures {
            pause: FIRST_PAUSE,
            failing: false,
        }
    }
}

impl AcceptFailures {
    /// An accept succeeded: the next failure starts a new run.
    pub fn succeeded(&mut self) {
        if self.failing {
            self.failing = false;
            self.pause = FIRST_PAUSE;
            let mut reports = lock();
            if reports.unreported > 0 {
                tracing::warn!(
                    "accepting connections again ({} more failed accepts since the last report)",
                    reports.unreported
                );
                reports.unreported = 0;
                reports.last = Some(Instant::now());
            }
        }
    }

    /// An accept failed with `e`: report it if the interval allows, then wait before the next.
    pub async fn failed(&mut self, e: &io::Error) {
        self.failing = true;
        report(e);
        tokio::time::sleep(self.pause).await;
        self.pause = (self.pause * 2).min(MAX_PAUSE);
    }
}

fn report(e: &io::Error) {
    let mut reports = lock();
    let due = reports.last.is_none_or(|at| at.elapsed() >= REPORT_EVERY);
    if !due {
        reports.unreported += 1;
        return;
    }
    let hint = match e.raw_os_error() {
        Some(n) if n == nix::errno::Errno::EMFILE as i32 => {
            ": sockeye is out of file descriptors (raise its limit: ulimit -n, LimitNOFILE=)"
        }
        Some(n) if n == nix::errno::Errno::ENFILE as i32 => {
            ": the system is out of file descriptors (fs.file-max)"
        }
        _ => "",
    };
    let more = match reports.unreported {
        0 => String::new(),
        n => format!(" ({n} more in the last {} s)", REPORT_EVERY.as_secs()),
    };
    tracing::warn!(
        "accept failed: {e}{hint}{more}; open connections are still served, new ones wait \
         (said at most every {} s)",
        REPORT_EVERY.as_secs()
    );
    reports.unreported = 0;
    reports.last = Some(Instant::now());
}

fn lock() -> std::sync::MutexGuard<'static, Reports> {
    REPORTS.lock().unwrap_or_else(|p| p.into_inner())
}
