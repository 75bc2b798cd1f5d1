//! The one-line view of a call:
//! `12:00:01.234  uid=1000 docker  docker ps -a  GET /v1.41/containers/json?all=1 → 200 OK  805 B  1.2 ms`

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::event::{AnsweredBy, Call, Decision, Notice};
use crate::see::describe::describe;

use super::Style;

pub fn call_line(c: &Call, style: &Style) -> String {
    let d = describe(&c.head, &c.request_body);
    let status = status_text(c.status());
    let caller = c.head.caller.to_string();
    let mut line = format!(
        "{}  {}  {}  {} {} → {}",
        style.dim(&clock(c.head.start)),
        caller,
        style.action(&d.action),
        c.head.method,
        d.target,
        style.status(c.status(), &status),
    );
    if c.answered_by == AnsweredBy::Sockeye {
        line.push_str(" (by sockeye)");
    }
    if c.hijacked {
        line.push_str(&format!(
            "  session: {} in, {} out",
            bytes(c.bytes_in),
            bytes(c.bytes_out)
        ));
    } else {
        if c.bytes_in > 0 {
            line.push_str(&format!("  {} in", bytes(c.bytes_in)));
        }
        line.push_str(&format!("  {}", bytes(c.bytes_out)));
    }
    line.push_str(&format!("  {}", duration(c.duration)));
    if c.incomplete {
        line.push_str("  (cut short)");
    }
    if let Some(e) = &c.error {
        line.push_str(&format!("  {}", style.stderr(e)));
    }
    if let Some(v) = c
        .verdict
        .as_ref()
        .filter(|v| v.decision == Decision::WouldDeny)
    {
        let reason = v.reason.as_deref().unwrap_or("");
        line.push_str(&format!(
            "  {}",
            style.stderr(&format!(
                "audit: would be denied by rule {}: {reason}",
                v.rule
            ))
        ));
    }
    if let Some(v) = c.verdict.as_ref().filter(|v| !v.redacted.is_empty()) {
        line.push_str(&format!("  redacted {}", v.redacted.join(", ")));
    }
    line.push_str(&format!("  {}", style.dim(&format!("[{}]", d.endpoint))));
    line
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
