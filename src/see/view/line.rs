//! The one-line view of a call:
//! `12:00:01.234  uid=1000 docker  docker ps -a  GET /v1.41/containers/json?all=1 → 200 OK  805 B  1.2 ms  [ContainerList]`
//!
//! A line is laid out from [`Parts`], plain text first and styled last, so that on a terminal
//! it can be fitted to the width ([`fit`]) without cutting a colour code in half.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::event::{AnsweredBy, Call, Decision, Notice, RequestHead, ResponseHead};
use crate::see::describe::describe;

use super::Style;

pub fn call_line(c: &Call, style: &Style) -> String {
    Parts::of_call(c).render(style)
}

/// What a call's line says, before styling.
#[derive(Clone, Debug)]
pub struct Parts {
    pub clock: String,
    pub caller: String,
    pub action: String,
    pub method: String,
    pub target: String,
    pub status: Option<u16>,
    /// sockeye answered, not the daemon.
    pub by_sockeye: bool,
    /// What the daemon said about an error (`No such container: web`), one line.
    pub message: Option<String>,
    /// After the status: sizes, duration, notes; `(text, is_error)`.
    pub notes: Vec<(String, bool)>,
    /// `[ContainerList]`.
    pub endpoint: String,
}

impl Parts {
    /// A finished call.
    pub fn of_call(c: &Call) -> Parts {
        let d = describe(&c.head, &c.request_body);
        let mut notes: Vec<(String, bool)> = Vec::new();
        if c.hijacked {
            notes.push((
                format!(
                    "session: {} in, {} out",
                    bytes(c.bytes_in),
                    bytes(c.bytes_out)
                ),
                false,
            ));
        } else {
            if c.bytes_in > 0 {
                notes.push((format!("{} in", bytes(c.bytes_in)), false));
            }
            notes.push((bytes(c.bytes_out), false));
        }
        notes.push((duration(c.duration), false));
        if c.incomplete {
            notes.push(("(cut short)".into(), false));
        }
        if let Some(e) = &c.error {
            notes.push((printable(e), true));
        }
        if let Some(v) = c
            .verdict
            .as_ref()
            .filter(|v| v.decision == Decision::WouldDeny)
        {
            let reason = v.reason.as_deref().unwrap_or("");
            notes.push((
                format!("audit: would be denied by rule {}: {reason}", v.rule),
                true,
            ));
        }
        if let Some(v) = c.verdict.as_ref().filter(|v| !v.redacted.is_empty()) {
            notes.push((format!("redacted {}", v.redacted.join(", ")), false));
        }
        Parts {
            clock: clock(c.head.start),
            caller: c.head.caller.to_string(),
            action: d.action,
            method: c.head.method.to_string(),
            target: d.target,
            status: c.status(),
            by_sockeye: c.answered_by == AnsweredBy::Sockeye,
            message: daemon_message(c),
            notes,
            endpoint: format!("[{}]", d.endpoint),
        }
    }

    /// A call that may run long, as its answer head went out (`#3.1 started`); its end line
    /// says `#3.1 ended`.
    pub fn of_start(head: &RequestHead, response: &ResponseHead) -> Parts {
        let d = describe(head, &Default::default());
        Parts {
            clock: clock(head.start),
            caller: head.caller.to_string(),
            action: d.action,
            method: head.method.to_string(),
            target: d.target,
            status: Some(response.status),
            by_sockeye: false,
            message: None,
            notes: vec![(format!("{} started", head.id), false)],
            endpoint: format!("[{}]", d.endpoint),
        }
    }

    /// The whole line, styled.
    pub fn render(&self, style: &Style) -> String {
        let mut line = format!(
            "{}  {}  {}  {}→ {}",
            style.dim(&self.clock),
            self.caller,
            style.action(&self.action),
            self.request(),
            style.status(self.status, &status_text(self.status)),
        );
        if self.by_sockeye {
            line.push_str(" (by sockeye)");
        }
        if let Some(m) = &self.message {
            line.push_str(": ");
            line.push_str(&style.status(self.status, m));
        }
        for (note, error) in &self.notes {
            line.push_str("  ");
            if *error {
                line.push_str(&style.stderr(note));
            } else {
                line.push_str(note);
            }
        }
        if !self.endpoint.is_empty() {
            line.push_str("  ");
            line.push_str(&style.dim(&self.endpoint));
        }
        line
    }

    /// `GET /v1.41/info ` (with its space), or nothing when [`fit`] gave it up.
    fn request(&self) -> String {
        if self.method.is_empty() && self.target.is_empty() {
            String::new()
        } else {
            format!("{} {} ", self.method, self.target)
        }
    }

    /// Characters the line takes on a terminal.
    fn width(&self) -> usize {
        let chars = |s: &str| s.chars().count();
        let mut n = chars(&self.clock)
            + 2
            + chars(&self.caller)
            + 2
            + chars(&self.action)
            + 2
            + chars(&self.request())
            + 2
            + chars(&status_text(self.status));
        if self.by_sockeye {
            n += " (by sockeye)".len();
        }
        if let Some(m) = &self.message {
            n += 2 + chars(m);
        }
        n += self.notes.iter().map(|(t, _)| 2 + chars(t)).sum::<usize>();
        if !self.endpoint.is_empty() {
            n += 2 + chars(&self.endpoint);
        }
        n
    }
}

/// Fit a line into `width` characters, giving up what a person needs least first: full IDs
/// (shortened to the 12 characters `docker ps` shows), the query (`?…`), the endpoint name,
/// the API version prefix, the end of the path, the request itself (the command says what
/// it was), then the ends of the command, the daemon's message and errors. Time,
/// caller, status, sizes and duration are always kept, even if the line stays too long.
pub fn fit(mut p: Parts, width: usize) -> Parts {
    p.action = short_ids(&p.action);
    p.target = short_ids(&p.target);
    if let Some(m) = p.message.take() {
        p.message = Some(short_ids(&m));
    }
    let fits = |p: &Parts| p.width() <= width;
    if fits(&p) {
        return p;
    }
    if let Some((path, _)) = p.target.split_once('?') {
        p.target = format!("{path}?…");
        if fits(&p) {
            return p;
        }
    }
    p.endpoint.clear();
    if fits(&p) {
        return p;
    }
    if let Some(rest) = version_prefix(&p.target) {
        p.target = rest.to_string();
        if fits(&p) {
            return p;
        }
    }
    let over = |p: &Parts| p.width().saturating_sub(width);
    p.target = cut(&p.target, over(&p), 24);
    if fits(&p) {
        return p;
    }
    // The command says what the request was.
    p.method.clear();
    p.target.clear();
    p.action = cut(&p.action, over(&p), 32);
    if let Some(m) = p.message.clone() {
        let by = over(&p);
        p.message = Some(cut(&m, by, 24));
    }
    for i in 0..p.notes.len() {
        if p.notes[i].1 {
            let by = over(&p);
            p.notes[i].0 = cut(&p.notes[i].0, by, 24);
        }
    }
    p.action = cut(&p.action, over(&p), 16);
    p
}

/// The path after its `/v1.41` prefix, if it has one.
fn version_prefix(target: &str) -> Option<&str> {
    let rest = target.strip_prefix("/v")?;
    let slash = rest.find('/')?;
    let version = &rest[..slash];
    let (major, minor) = version.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(major) && digits(minor)).then_some(&rest[slash..])
}

/// `text` less `by` characters, ending in `…`, but never shorter than `keep`.
fn cut(text: &str, by: usize, keep: usize) -> String {
    if by == 0 {
        return text.to_string();
    }
    at_most(text, text.chars().count().saturating_sub(by).max(keep))
}

/// `text` in at most `max` characters, the last one `…` when it had to be cut.
fn at_most(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Full 64-hex IDs (containers, images, execs) as their first 12 characters.
fn short_ids(text: &str) -> String {
    static ID: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = ID.get_or_init(|| regex::Regex::new(r"\b([0-9a-f]{12})[0-9a-f]{52}\b").unwrap());
    re.replace_all(text, "$1").into_owned()
}

/// The daemon's reason for an error answer: the `message` of its JSON body, on one line.
pub(crate) fn daemon_message(c: &Call) -> Option<String> {
    if c.answered_by != AnsweredBy::Daemon || c.status()? < 400 {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    let body: ErrorBody = serde_json::from_slice(&c.response_body.bytes).ok()?;
    let message = body.message.trim();
    (!message.is_empty()).then(|| printable(&at_most(message, MESSAGE_MAX)))
}

/// The most of a daemon's message a line shows (`-v` shows the body whole).
const MESSAGE_MAX: usize = 300;

/// Text from elsewhere (the daemon, an error chain) made safe for one terminal line: control
/// characters and bidirectional overrides escaped, so it can neither break the line nor
/// rewrite the terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

pub fn notice_line(n: &Notice, style: &Style) -> String {
    format!(
        "{}  {}  {}",
        style.dim(&clock(SystemTime::now())),
        n.peer,
        style.stderr(&n.message)
    )
}

pub fn status_text(code: Option<u16>) -> String {
    match code {
        Some(code) => {
            let reason = http::StatusCode::from_u16(code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            format!("{code} {reason}").trim_end().to_string()
        }
        None => "no response".to_string(),
    }
}

pub fn bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} B"),
        10_000..=9_999_999 => format!("{:.1} kB", n as f64 / 1e3),
        10_000_000..=9_999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

pub fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1e3)
    }
}

/// UTC wall-clock time of day, `HH:MM:SS.mmm`.
pub fn clock(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests;
