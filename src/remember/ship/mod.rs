//! Audit records that leave the host: a remote sink is a durable spool and a task that
//! ships what it holds through a [`Transport`] (syslog; OTLP), with the audit log's promise
//! (docs/audit-log.md, "Sinks that leave the host").
//!
//! A call's record is appended to the sink's spool ([`spool::Spool`]) by the relay thread
//! that finishes the call, before its response completes, so an answered call's record
//! survives a crash or a restart. The shipping task ([`shipping::run`]) reads from the
//! acknowledged position, sends batches, and moves the acknowledged position only once the
//! receiver took a whole batch: at-least-once, in order. While the receiver is down the
//! spool grows, up to `--audit-spool-max`; past it the sink refuses new calls
//! ([`crate::event::Sink::admit`], fail closed), or with `--audit-fail-open` serves them,
//! counts them, and says how many in the next record it keeps (`unrecorded`).

pub mod otlp;
mod shipping;
pub mod spool;
mod state;
pub mod syslog;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use state::{RemoteSink, SinkStats};

/// Where a remote sink's records go once they are safe in its spool.
pub trait Transport: Send + 'static {
    /// Names the destination in logs and metrics (`syslog tcp://127.0.0.1:514`).
    fn name(&self) -> &str;
    /// Deliver `batch`, in order: whole audit records, each the JSON line the file sink
    /// writes (without its newline). `Ok` only once the receiver accepted every one; on
    /// `Err(why)` the whole batch is retried later (at-least-once delivery).
    fn send<'a>(
        &'a mut self,
        batch: &'a [Vec<u8>],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;
}

/// How every remote sink keeps its records (`--audit-spool`, `--audit-spool-max`,
/// `--audit-fsync`, `--audit-fail-open`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShipOptions {
    /// The directory that holds one spool directory per sink.
    pub spool: PathBuf,
    /// Bytes a sink's spool may hold before calls are refused (or served unrecorded).
    pub max_bytes: u64,
    /// `fdatasync` each record (and the acknowledged position) as it is written.
    pub fsync: bool,
    /// Past the bound, serve calls and count them instead of refusing them.
    pub fail_open: bool,
}

/// The default `--audit-spool-max`: a few hundred thousand records, hours of a busy host.
pub const DEFAULT_SPOOL_MAX: u64 = 256 << 20;

/// The default `--audit-spool`: `/var/lib/sockeye/spool` for root, else under
/// `$XDG_STATE_HOME` (`~/.local/state/sockeye/spool`).
pub fn default_spool_dir(root: bool) -> PathBuf {
    if root {
        return PathBuf::from("/var/lib/sockeye/spool");
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|s| !s.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })
        .unwrap_or_else(|| PathBuf::from("."));
    state.join("sockeye/spool")
}

/// A size with an optional `K`, `M` or `G` suffix (powers of 1024): `256M`, `65536`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => {
            return Err(format!(
                "{s}: expected bytes, with an optional K, M or G suffix"
            ))
        }
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("{s}: expected bytes, with an optional K, M or G suffix"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s} is out of range"))
}
