//! One readable line per record.

use crate::caller::Wire as Caller;
use crate::remember::audit::record::Record;

/// A short name for the caller on one line: `uid=0 docker`, `container=web`,
/// `tcp=10.0.0.5:41234`.
pub fn caller_label(c: &Caller) -> String {
    if let Some(ct) = &c.container {
        return format!("container={}", ct.name.trim_start_matches('/'));
    }
    if let Some(cn) = c.cert.as_ref().and_then(|cert| cert.common_name.as_deref()) {
        return format!("cert={cn}");
    }
    if c.transport != "unix" {
        return format!("{}={}", c.transport, c.addr.as_deref().unwrap_or("?"));
    }
    let who = c.process.clone().or_else(|| {
        c.exe
            .as_deref()
            .map(|e| e.rsplit('/').next().unwrap_or(e).to_owned())
    });
    match (c.uid, who) {
        (Some(uid), Some(who)) => format!("uid={uid} {who}"),
        (Some(uid), None) => format!("uid={uid}"),
        (None, Some(who)) => who,
        (None, None) => c.transport.clone(),
    }
}

/// One record as one line: time, host, caller, action, decision (and its rule), status.
pub fn line(r: &Record) -> String {
    let decision = match (&r.decision, &r.rule) {
        (Some(d), Some(rule)) => format!("{d}/{rule}"),
        (Some(d), None) => d.clone(),
        (None, _) => "-".into(),
    };
    let status = r.status.map_or("-".into(), |s| s.to_string());
    // A request dockerd routes nowhere has no CLI action worth the name.
    let action = if r.endpoint == "Unknown" {
        format!("{} {}", r.method, r.path)
    } else {
        r.action.clone()
    };
    let mut out = format!(
        "{}  {:<12}  {:<16}  {}  {decision}  {status}",
        r.time,
        one_line(r.host()),
        caller_label(&r.caller),
        one_line(&action)
    );
    if r.incomplete {
        out.push_str(" (incomplete)");
    }
    out
}

/// Control characters would break the one-line-per-record promise of the output.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
