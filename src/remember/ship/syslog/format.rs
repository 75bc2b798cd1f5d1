//! Audit records as RFC 5424 syslog messages: the record's fields as STRUCTURED-DATA and the
//! record itself, as JSON, as the MSG (docs/audit-log.md, "Syslog").

use serde_json::{Map, Value};

/// The SD-ID of a record's structured data. sockeye has no private enterprise number of its
/// own; 32473 is the one IANA keeps for examples and documentation (RFC 5612), so the ID
/// cannot clash with a registered one.
pub const SD_ID: &str = "sockeye@32473";

/// RFC 5424's BOM before a UTF-8 MSG.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The facilities by name (RFC 5424 section 6.2.1), as `--audit-syslog-facility` takes them.
pub const FACILITIES: [(&str, u8); 20] = [
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

pub fn facility(name: &str) -> Result<u8, String> {
    FACILITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, code)| *code)
        .ok_or_else(|| {
            let names: Vec<&str> = FACILITIES.iter().map(|(n, _)| *n).collect();
            format!(
                "{name:?} is not a syslog facility: give one of {}",
                names.join(", ")
            )
        })
}

/// An APP-NAME: 1 to 48 printable US-ASCII characters, no space.
pub fn app_name(name: &str) -> Result<String, String> {
    if name.is_empty() || name.len() > 48 || !name.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(format!(
            "{name:?}: an app-name is 1 to 48 printable ASCII characters without spaces \
             (RFC 5424)"
        ));
    }
    Ok(name.to_owned())
}

/// The header fields that are the same for every message.
#[derive(Clone, Debug)]
pub struct Header {
    pub facility: u8,
    /// Printable US-ASCII, or `-`.
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
}

impl Header {
    pub fn new(facility: u8, app_name: String) -> Header {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        Header {
            facility,
            hostname: header_field(hostname.trim(), 255),
            app_name,
            procid: std::process::id().to_string(),
        }
    }
}

/// A header field as RFC 5424 allows it: printable US-ASCII, at most `max` of them, else `-`.
fn header_field(s: &str, max: usize) -> String {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| (33..=126).contains(&b)) {
        "-".into()
    } else {
        s.to_owned()
    }
}

/// The severity of a record (RFC 5424 section 6.2.1): a call the daemon failed or sockeye
/// could not record is an error; a denial or a refusal a warning; what audit mode would have
/// denied a notice; the rest informational.
pub fn severity(record: &Map<String, Value>) -> u8 {
    let s = |k: &str| record.get(k).and_then(Value::as_str);
    match (s("decision"), s("fault")) {
        (_, Some("upstream_unreachable" | "upstream_broke" | "lookup_failed" | "not_recorded")) => {
            3
        }
        (Some("deny" | "refused"), _) => 4,
        (_, Some("denied" | "unreadable")) => 4,
        (Some("would_deny"), _) => 5,
        _ => 6,
    }
}

/// What to leave out of a message that does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Everything.
    Whole,
    /// No STRUCTURED-DATA (`-`): the JSON MSG still holds every field.
    NoSd,
    /// No STRUCTURED-DATA, and a MSG shortened to the record's key fields
    /// (`"truncated":true`).
    Short,
}

/// One record (`line`, its JSON without the newline) as an RFC 5424 message of at most
/// `max` bytes: whole when it fits, else without structured data, else with the record
/// shortened to its key fields; `None` when even that does not fit (a `max` under ~1 KiB).
pub fn message(header: &Header, line: &[u8], max: usize) -> Option<(Vec<u8>, Fit)> {
    let parsed: Option<Map<String, Value>> = serde_json::from_slice(line).ok();
    let empty = Map::new();
    let record = parsed.as_ref().unwrap_or(&empty);
    let mut out = Vec::with_capacity(line.len() * 2 + 128);
    write_header(&mut out, header, record);
    let head = out.len();
    write_sd(&mut out, record);
    out.push(b' ');
    out.extend_from_slice(BOM);
    out.extend_from_slice(line);
    if out.len() <= max {
        return Some((out, Fit::Whole));
    }
    out.truncate(head);
    out.extend_from_slice(b"- ");
    out.extend_from_slice(BOM);
    if out.len() + line.len() <= max {
        out.extend_from_slice(line);
        return Some((out, Fit::NoSd));
    }
    let short = shorten(record, max.saturating_sub(out.len()))?;
    out.extend_from_slice(&short);
    Some((out, Fit::Short))
}

/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID ` (with its trailing space).
fn write_header(out: &mut Vec<u8>, header: &Header, record: &Map<String, Value>) {
    let pri = u16::from(header.facility) * 8 + u16::from(severity(record));
    // The record's own time (RFC 3339, UTC, milliseconds) is a valid TIMESTAMP.
    let time = record
        .get("time")
        .and_then(Value::as_str)
        .filter(|t| valid_timestamp(t))
        .unwrap_or("-");
    // A line with `"event"` is one of sockeye's own events, named by it.
    let msgid = record
        .get("event")
        .and_then(Value::as_str)
        .map(|e| header_field(e, 32))
        .unwrap_or_else(|| "call".into());
    out.extend_from_slice(
        format!(
            "<{pri}>1 {time} {} {} {} {msgid} ",
            header.hostname, header.app_name, header.procid
        )
        .as_bytes(),
    );
}

/// `YYYY-MM-DDThh:mm:ss[.frac]Z` with at most 6 fraction digits, as RFC 5424 allows.
fn valid_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b.last() == Some(&b'Z');
    if !shape {
        return false;
    }
    let frac = &b[19..b.len() - 1];
    frac.is_empty()
        || (frac[0] == b'.'
            && (2..=7).contains(&frac.len())
            && frac[1..].iter().all(u8::is_ascii_digit))
}

/// `[sockeye@32473 name="value" …]`: every scalar field, a nested object's fields as
/// `outer.inner`, arrays and deeper objects as their JSON text; nulls left out.
fn write_sd(out: &mut Vec<u8>, record: &Map<String, Value>) {
    if record.is_empty() {
        out.push(b'-');
        return;
    }
    out.push(b'[');
    out.extend_from_slice(SD_ID.as_bytes());
    for (key, value) in record {
        match value {
            Value::Object(inner) => {
                for (k, v) in inner {
                    param(out, &format!("{key}.{k}"), v);
                }
            }
            v => param(out, key, v),
        }
    }
    out.push(b']');
}

/// One SD-PARAM; a name RFC 5424 does not allow (over 32 characters, or with `=`, space, `]`
/// or `"`) is left out: the JSON MSG still has it.
fn param(out: &mut Vec<u8>, name: &str, value: &Value) {
    let allowed = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"'));
    if !allowed {
        return;
    }
    let text = match value {
        Value::Null => return,
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    escape_param(out, &text);
    out.push(b'"');
}

/// PARAM-VALUE escaping (RFC 5424 section 6.3.3): `"`, `\` and `]` get a backslash.
pub fn escape_param(out: &mut Vec<u8>, value: &str) {
    for &b in value.as_bytes() {
        if matches!(b, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// The fields kept when a record is shortened to fit.
const KEY_FIELDS: [&str; 14] = [
    "v",
    "time",
    "id",
    "conn",
    "req",
    "caller",
    "endpoint",
    "method",
    "decision",
    "rule",
    "status",
    "answered_by",
    "fault",
    "unrecorded",
];

/// The record with only its key fields (and `"truncated":true`), as JSON of at most `room`
/// bytes; `None` when that does not fit either.
fn shorten(record: &Map<String, Value>, room: usize) -> Option<Vec<u8>> {
    let mut short = Map::new();
    for k in KEY_FIELDS {
        if let Some(v) = record.get(k) {
            short.insert(k.to_owned(), v.clone());
        }
    }
    short.insert("truncated".into(), Value::Bool(true));
    let text = serde_json::to_vec(&short).expect("JSON serializes");
    if text.len() <= room {
        return Some(text);
    }
    short.remove("caller");
    let text = serde_json::to_vec(&short).expect("JSON serializes");
    (text.len() <= room).then_some(text)
}

/// RFC 6587 octet counting: `LEN SP MSG`.
pub fn octet_counted(out: &mut Vec<u8>, msg: &[u8]) {
    out.extend_from_slice(msg.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(msg);
}
