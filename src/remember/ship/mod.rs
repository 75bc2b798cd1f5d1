//! Shipping audit records to remote sinks.

pub mod otlp;

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
