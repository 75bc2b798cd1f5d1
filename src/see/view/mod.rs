//! What a person (or a program) sees of the calls: consumers of the event channel.
//!
//! Every view redacts through `crate::see::redact` and names calls through `crate::see::describe`;
//! none of them can slow the relay (they read a lossy channel on their own task).

mod json;
pub mod line;
mod style;
mod verbose;
mod wire;

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use tokio::sync::mpsc::error::TryRecvError;

use crate::event::{Detail, Event, Feed};

pub use json::{call_json, SCHEMA_VERSION};
pub use line::call_line;
pub use style::Style;

/// How calls are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable lines on stderr.
    Text,
    /// One JSON object per call on stdout (see docs/json-format.md).
    Json,
}

/// Where the per-call records (lines or JSON objects) go. Notices and the view's own
/// messages stay on stderr in JSON: only records reach a stream a program reads.
#[derive(Clone, Debug)]
pub enum Output {
    Stdout,
    Stderr,
    /// `--output FILE`.
    File(Arc<std::fs::File>),
}

impl Output {
    /// Create (or truncate) FILE for `--output`.
    pub fn create(path: &std::path::Path) -> Result<Output, String> {
        std::fs::File::create(path)
            .map(|f| Output::File(Arc::new(f)))
            .map_err(|e| format!("--output {}: {e}", path.display()))
    }

    /// One whole write, so records from one view never interleave mid-line.
    fn write(&self, bytes: &[u8]) {
        let _ = match self {
            Output::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Output::Stderr => std::io::stderr().lock().write_all(bytes),
            Output::File(f) => (&**f).write_all(bytes),
        };
    }
}

#[derive(Clone, Debug)]
pub struct ViewOptions {
    pub format: Format,
    /// Headers, bodies and decoded streams.
    pub verbose: bool,
    /// The bytes on the socket, as `socat -v` shows them.
    pub raw: bool,
    /// Most bytes of one body or stream shown in verbose mode.
    pub body_limit: usize,
    pub style: Style,
    /// Where records go: by default text on stderr, JSON on stdout.
    pub output: Output,
}

impl ViewOptions {
    pub fn new(format: Format, verbose: bool, raw: bool, body_limit: usize) -> Self {
        let output = match format {
            Format::Text => Output::Stderr,
            Format::Json => Output::Stdout,
        };
        ViewOptions {
            format,
            verbose,
            raw,
            body_limit,
            style: Style::default(),
            output: Output::Stderr,
        }
        .to(output)
    }

    /// Records go to `output`; colour only when text lines go to stderr on a terminal.
    pub fn to(mut self, output: Output) -> Self {
        self.style.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && self.format == Format::Text
            && matches!(output, Output::Stderr)
            && std::io::stderr().is_terminal();
        self.output = output;
        self
    }

    /// What the relay must record for this view.
    pub fn detail(&self) -> Detail {
        Detail {
            heads: self.verbose,
            stream: self.verbose,
            wire: self.raw,
            // Request bodies name the call (`docker create --name x ... IMAGE`), so even the
            // one-line view wants the JSON ones.
            request_capture: REQUEST_CAPTURE.max(if self.verbose { self.body_limit } else { 0 }),
            response_capture: 0,
        }
    }
}

/// Enough for any create/exec/service JSON body a CLI sends.
pub const REQUEST_CAPTURE: usize = 256 * 1024;

/// Consume a live view's events until the channel closes.
///
/// The channel is drained on a short tick rather than awaited: a receiver that waits
/// registers a waker that every send must wake, which costs each relayed request a
/// cross-thread wake-up (measured: 30–40 µs of CPU per call). Polling every few
/// milliseconds costs nothing per call, and a view 10 ms late is still live.
pub async fn run(mut feed: Feed, opts: ViewOptions) {
    let mut viewer = Viewer::new(opts);
    let mut tick = tokio::time::interval(DRAIN_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match feed.try_recv() {
                Ok(event) => viewer.show(&event, feed.dropped()),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
    }
}

/// How often consumers look for new events.
pub const DRAIN_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

/// Renders events one at a time; shared by `proxy` (live) and `trace` (recorded).
pub struct Viewer {
    opts: ViewOptions,
    verbose: verbose::Verbose,
    wire: wire::Wire,
    reported_drops: u64,
}

impl Viewer {
    pub fn new(opts: ViewOptions) -> Self {
        Viewer {
            verbose: verbose::Verbose::new(&opts),
            wire: wire::Wire::new(&opts),
            opts,
            reported_drops: 0,
        }
    }

    /// Show one event; `dropped` is the running count of events the channel lost.
    pub fn show(&mut self, event: &Event, dropped: u64) {
        let opts = &self.opts;
        let mut out: Vec<u8> = Vec::new();
        match (event, opts.format) {
            (Event::Wire { .. }, _) => self.wire.show(event, &mut out),
            (Event::Call(call), Format::Json) => {
                opts.output
                    .write(format!("{}\n", call_json(call)).as_bytes());
            }
            (Event::Call(call), Format::Text) if !opts.verbose => {
                let _ = writeln!(out, "{}", call_line(call, &opts.style));
            }
            (Event::Notice(n), _) => {
                let _ = writeln!(out, "{}", line::notice_line(n, &opts.style));
            }
            (_, Format::Text) if opts.verbose => self.verbose.show(event, &mut out),
            _ => {}
        }
        if dropped > self.reported_drops {
            let _ = writeln!(
                out,
                "{}",
                opts.style.dim(&format!(
                    "({} events not shown: the view could not keep up)",
                    dropped - self.reported_drops
                ))
            );
            self.reported_drops = dropped;
        }
        if !out.is_empty() {
            match opts.format {
                Format::Text => opts.output.write(&out),
                Format::Json => Output::Stderr.write(&out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ctrl-C waited two seconds for the live view: the view held a sender of its own channel,
    /// so it never saw the relay's senders go. It must end as soon as they are gone.
    #[tokio::test]
    async fn the_live_view_ends_when_the_relay_drops_its_events() {
        let opts = ViewOptions::new(Format::Text, false, false, 1024);
        let (events, feed) = crate::event::Events::lossy(16, opts.detail());
        let view = tokio::spawn(run(feed, opts));
        drop(events);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(10), view).await;
        assert!(ended.is_ok(), "the view still runs with no sender left");
    }
}
