//! What a person (or a program) sees of the calls: consumers of the event channel.
//!
//! Every view redacts through `crate::see::redact` and names calls through `crate::see::describe`;
//! none of them can slow the relay (they read a lossy channel on their own task).

mod json;
pub mod line;
mod long;
mod style;
mod verbose;
mod wire;

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

use tokio::sync::mpsc::error::TryRecvError;

use crate::docker::endpoint::Operation;
use crate::event::{Call, CallId, Detail, Event, Feed, Watcher};

pub use json::{call_json, SCHEMA_VERSION};
pub use line::call_line;
pub use long::runs_long;
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
    /// Fit each one-line view line into this many characters (a terminal's width); `None`:
    /// the full line (a file, a pipe, `-v`).
    pub width: Option<usize>,
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
            width: None,
            output: Output::Stderr,
        }
        .to(output)
    }

    /// Records go to `output`; colour, and lines fitted to the width, only when text lines
    /// go to stderr on a terminal.
    pub fn to(mut self, output: Output) -> Self {
        let terminal = self.format == Format::Text
            && matches!(output, Output::Stderr)
            && std::io::stderr().is_terminal();
        self.style.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal;
        let fits = terminal && !self.verbose && !self.raw;
        self.width = fits.then(terminal_width).flatten();
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
            error_capture: ERROR_CAPTURE,
            explain: false,
        }
    }
}

/// `COLUMNS` when set (a person's override, and what a shell exports), else the width of the
/// terminal stderr is on.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| {
            terminal_size::terminal_size_of(std::io::stderr())
                .map(|(w, _)| usize::from(w.0))
                .filter(|&w| w > 0)
        })
}

/// Enough of an error answer for the daemon's `{"message": ...}`.
pub const ERROR_CAPTURE: usize = 4096;

/// Enough for any create/exec/service JSON body a CLI sends.
pub const REQUEST_CAPTURE: usize = 256 * 1024;

/// Consume a live channel's events until it closes, showing each to every watcher (the
/// terminal view, the inspector).
///
/// The channel is drained on a short tick rather than awaited: a receiver that waits
/// registers a waker that every send must wake, which costs each relayed request a
/// cross-thread wake-up (measured: 30–40 µs of CPU per call). Polling every few
/// milliseconds costs nothing per call, and a view 10 ms late is still live.
pub async fn run(mut feed: Feed, mut watchers: Vec<Box<dyn Watcher>>) {
    let mut tick = tokio::time::interval(DRAIN_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match feed.try_recv() {
                Ok(event) => {
                    let dropped = feed.dropped();
                    for w in watchers.iter_mut() {
                        w.show(&event, dropped);
                    }
                }
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
    /// Calls whose start line was shown: their end line says `#N.M ended`.
    started: HashSet<CallId>,
}

/// Most calls remembered as started: a start whose end the lossy channel dropped must not
/// be kept for ever.
const MAX_STARTED: usize = 10_000;

impl Watcher for Viewer {
    fn show(&mut self, event: &Event, dropped: u64) {
        Viewer::show(self, event, dropped);
    }
}

impl Viewer {
    pub fn new(opts: ViewOptions) -> Self {
        Viewer {
            verbose: verbose::Verbose::new(&opts),
            wire: wire::Wire::new(&opts),
            opts,
            reported_drops: 0,
            started: HashSet::new(),
        }
    }

    /// Show one event; `dropped` is the running count of events the channel lost.
    pub fn show(&mut self, event: &Event, dropped: u64) {
        if let (Event::Call(call), Format::Json) = (event, self.opts.format) {
            self.opts
                .output
                .write(format!("{}\n", call_json(call)).as_bytes());
        }
        let out = self.text(event, dropped);
        if !out.is_empty() {
            match self.opts.format {
                Format::Text => self.opts.output.write(&out),
                Format::Json => Output::Stderr.write(&out),
            }
        }
    }

    /// What the event adds to the text lines.
    fn text(&mut self, event: &Event, dropped: u64) -> Vec<u8> {
        let opts = &self.opts;
        let mut out: Vec<u8> = Vec::new();
        match (event, opts.format) {
            (Event::Wire { .. }, _) => self.wire.show(event, &mut out),
            (Event::Call(_), Format::Json) => {}
            (Event::Call(call), Format::Text) if !opts.verbose => {
                if let Some(line) = self.end_line(call) {
                    let _ = writeln!(out, "{line}");
                }
            }
            (Event::Begun { head, response }, Format::Text) if !opts.verbose => {
                if self.started.len() >= MAX_STARTED {
                    self.started.clear();
                }
                self.started.insert(head.id);
                let parts = line::Parts::of_start(head, response);
                let _ = writeln!(out, "{}", self.fitted(parts));
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
                self.opts.style.dim(&format!(
                    "({} events not shown: the view could not keep up)",
                    dropped - self.reported_drops
                ))
            );
            self.reported_drops = dropped;
        }
        out
    }

    /// A finished call's line: `#N.M ended` at its end time when its start was shown.
    /// Fitted to a terminal, a version-negotiation ping that succeeded is left out: every
    /// CLI command begins with one, and it says nothing the next line does not.
    fn end_line(&mut self, call: &Call) -> Option<String> {
        let mut parts = line::Parts::of_call(call);
        if self.started.remove(&call.head.id) {
            parts.clock = line::clock(call.head.start + call.duration);
            parts.notes.push((format!("{} ended", call.head.id), false));
        } else if self.opts.width.is_some() && is_ping(call) {
            return None;
        }
        Some(self.fitted(parts))
    }

    fn fitted(&self, parts: line::Parts) -> String {
        match self.opts.width {
            Some(width) => line::fit(parts, width).render(&self.opts.style),
            None => parts.render(&self.opts.style),
        }
    }
}

/// A version-negotiation ping the daemon answered.
fn is_ping(call: &Call) -> bool {
    matches!(
        call.head.route.operation(),
        Some(Operation::SystemPing | Operation::SystemPingHead)
    ) && call.status().is_some_and(|s| (200..300).contains(&s))
        && call.answered_by == crate::event::AnsweredBy::Daemon
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
        let view = tokio::spawn(run(feed, vec![Box::new(Viewer::new(opts))]));
        drop(events);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(10), view).await;
        assert!(ended.is_ok(), "the view still runs with no sender left");
    }

    fn viewer(width: Option<usize>) -> Viewer {
        let mut opts = ViewOptions::new(Format::Text, false, false, 1024);
        opts.style = Style { color: false };
        opts.width = width;
        Viewer::new(opts)
    }

    fn peer() -> crate::caller::Peer {
        crate::caller::Peer::Tcp {
            addr: "127.0.0.1:1".parse().unwrap(),
        }
    }

    fn text(viewer: &mut Viewer, event: &Event) -> String {
        String::from_utf8(viewer.text(event, 0)).unwrap()
    }

    /// `docker run`'s attach began before its start; it showed only when it ended, after
    /// the start. A call that runs long shows a line as it begins, and its end line names it.
    #[test]
    fn a_long_call_shows_when_it_begins_and_its_end_names_it() {
        let attach = crate::event::sample_call(
            peer(),
            "POST",
            "/v1.41/containers/web/attach?stream=1&stdout=1",
            Some(101),
        );
        let mut v = viewer(None);
        let begun = Event::Begun {
            head: attach.head.clone(),
            response: attach.response.clone().unwrap(),
        };
        let start = text(&mut v, &begun);
        assert!(start.contains("docker attach"), "{start}");
        assert!(
            start.contains("→ 101 Switching Protocols  #1.2000 started"),
            "{start}"
        );
        let end = text(&mut v, &Event::Call(Box::new(attach)));
        assert!(end.contains("#1.2000 ended"), "{end}");
        assert!(end.contains("docker attach"), "{end}");
        // Said at its end time, not its start time.
        assert!(end.starts_with("00:53:28.651"), "{end}");
        // A call whose start was not shown reads as before.
        let ps = crate::event::sample_call(peer(), "GET", "/v1.41/containers/json", Some(200));
        let line = text(&mut v, &Event::Call(Box::new(ps)));
        assert!(!line.contains("ended"), "{line}");
    }

    #[test]
    fn a_terminal_view_leaves_out_the_version_ping_but_not_a_failed_one() {
        let ping = || crate::event::sample_call(peer(), "HEAD", "/_ping", Some(200));
        let mut fitted = viewer(Some(120));
        assert_eq!(text(&mut fitted, &Event::Call(Box::new(ping()))), "");
        let failed = crate::event::sample_call(peer(), "HEAD", "/_ping", Some(500));
        assert!(text(&mut fitted, &Event::Call(Box::new(failed))).contains("500"));
        // A file or a pipe keeps every call.
        let mut full = viewer(None);
        assert!(text(&mut full, &Event::Call(Box::new(ping()))).contains("HEAD /_ping"));
    }
}
