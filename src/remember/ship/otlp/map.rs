//! An audit record as an OpenTelemetry log record: the names of docs/audit-log.md's mapping
//! table, OpenTelemetry's semantic conventions where one exists and `docker.*` for the rest.
//!
//! The record is read as the JSON line the file sink writes, field by field rather than
//! into [`crate::remember::audit::Record`]: a field added to the record later reaches the
//! collector (as `docker.<field>`) without a change here, and a spool written by another
//! version of sockeye still ships whole.

use serde_json::{Map, Value as Json};

use super::proto::{
    AnyValue, ArrayValue, ExportLogsServiceRequest, InstrumentationScope, KeyValue, LogRecord,
    Resource, ResourceLogs, ScopeLogs, Value, SEVERITY_ERROR, SEVERITY_INFO, SEVERITY_WARN,
};

/// Every record's `event_name`.
pub const EVENT_NAME: &str = "docker.call";

/// The export request for `batch` (audit lines, in order), with `host` as the resource's
/// `host.name` for records that do not name their host, and `observed` (nanoseconds since
/// the epoch) as every record's `observed_time_unix_nano`.
///
/// Records are grouped by host into one `ResourceLogs` per run of records from the same
/// host, so their order is kept.
pub fn request(batch: &[Vec<u8>], host: &str, observed: u64) -> ExportLogsServiceRequest {
    let mut groups: Vec<(Option<String>, Vec<LogRecord>)> = Vec::new();
    for line in batch {
        let (record, named) = log_record(line, observed);
        match groups.last_mut() {
            Some((h, records)) if *h == named => records.push(record),
            _ => groups.push((named, vec![record])),
        }
    }
    ExportLogsServiceRequest {
        resource_logs: groups
            .into_iter()
            .map(|(named, log_records)| ResourceLogs {
                resource: Some(resource(named.as_deref().unwrap_or(host))),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "sockeye".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                    }),
                    log_records,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            })
            .collect(),
    }
}

/// `service.name`, `service.version`, `host.name`.
pub fn resource(host: &str) -> Resource {
    Resource {
        attributes: vec![
            KeyValue::new("service.name", Value::String("sockeye".into())),
            KeyValue::new(
                "service.version",
                Value::String(env!("CARGO_PKG_VERSION").into()),
            ),
            KeyValue::new("host.name", Value::String(host.into())),
        ],
    }
}

/// One audit line as a log record, and the host its `host` field names.
///
/// A line that is not a JSON object (a spool file damaged on disk) is still sent, as its
/// text with `error.type` `unreadable_record`: shipping it beats losing it without a trace,
/// and holding it back would stop every record behind it.
pub fn log_record(line: &[u8], observed: u64) -> (LogRecord, Option<String>) {
    let fields = match serde_json::from_slice::<Map<String, Json>>(line) {
        Ok(fields) => fields,
        Err(e) => {
            let record = LogRecord {
                observed_time_unix_nano: observed,
                severity_number: SEVERITY_ERROR,
                severity_text: "ERROR".into(),
                body: Some(AnyValue::string(String::from_utf8_lossy(line))),
                attributes: vec![
                    KeyValue::new("error.type", Value::String("unreadable_record".into())),
                    KeyValue::new(
                        "docker.error",
                        Value::String(format!("sockeye could not read this audit record: {e}")),
                    ),
                ],
                event_name: EVENT_NAME.into(),
                ..LogRecord::default()
            };
            return (record, None);
        }
    };
    let mut out = LogRecord {
        observed_time_unix_nano: observed,
        event_name: EVENT_NAME.into(),
        ..LogRecord::default()
    };
    let (number, text) = severity(&fields);
    out.severity_number = number;
    out.severity_text = text.into();
    let mut host = None;
    let attrs = &mut out.attributes;
    for (key, value) in fields {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "time_unix" => out.time_unix_nano = value.as_f64().map(unix_nanos).unwrap_or(0),
            // The same instant as `time_unix`, as text.
            "time" => {}
            "host" => host = value.as_str().map(str::to_owned),
            "action" => {
                if let Json::String(action) = &value {
                    out.body = Some(AnyValue::string(action.clone()));
                }
                push(attrs, "docker.command", scalar(value));
            }
            "caller" => caller(attrs, value),
            "path" => match value {
                Json::String(p) => match p.split_once('?') {
                    Some((path, query)) => {
                        push(attrs, "url.path", Some(Value::String(path.into())));
                        push(attrs, "url.query", Some(Value::String(query.into())));
                    }
                    None => push(attrs, "url.path", Some(Value::String(p))),
                },
                other => push(attrs, "url.path", scalar(other)),
            },
            "params" => prefixed(attrs, "docker.param.", value, scalar),
            "facts" => prefixed(attrs, "docker.facts.", value, scalar),
            "redacted" => push(attrs, "docker.redacted", strings(value)),
            "duration_ms" => push(
                attrs,
                "docker.duration_ms",
                value.as_f64().map(Value::Double),
            ),
            _ => {
                let name = match key.as_str() {
                    "v" => "docker.record.version",
                    "id" => "docker.call.id",
                    "conn" => "docker.connection.id",
                    "req" => "docker.request.seq",
                    "endpoint" => "docker.endpoint",
                    "section" => "docker.endpoint.section",
                    "method" => "http.request.method",
                    "api_version" => "docker.api.version",
                    "decision" => "docker.decision",
                    "rule" => "docker.rule",
                    "reason" => "docker.reason",
                    "status" => "http.response.status_code",
                    "answered_by" => "docker.answered_by",
                    "bytes_in" => "docker.bytes_in",
                    "bytes_out" => "docker.bytes_out",
                    "hijacked" => "docker.hijacked",
                    "incomplete" => "docker.incomplete",
                    "fault" => "error.type",
                    "error" => "docker.error",
                    other => {
                        push(attrs, &format!("docker.{other}"), scalar(value));
                        continue;
                    }
                };
                push(attrs, name, scalar(value));
            }
        }
    }
    (out, host)
}

/// INFO for an allowed call or one without a policy, WARN for one the policy refused or
/// would have (`deny`, `would_deny`, `refused`), ERROR for a call that went wrong (`fault`)
/// or that sockeye answered with a 5xx. A refusal's own fault (`denied`, or `unreadable` /
/// `no_such_object` for a request refused before the policy) is the refusal, not an error.
fn severity(fields: &Map<String, Json>) -> (i32, &'static str) {
    let text = |k: &str| fields.get(k).and_then(Json::as_str);
    let decision = text("decision");
    let refused = matches!(decision, Some("deny" | "would_deny" | "refused"));
    let fault = match text("fault") {
        None | Some("denied") => false,
        Some(_) => decision != Some("refused"),
    };
    let status = fields.get("status").and_then(Json::as_u64).unwrap_or(0);
    let failed = status >= 500 && text("answered_by") == Some("sockeye");
    if fault || failed {
        (SEVERITY_ERROR, "ERROR")
    } else if refused {
        (SEVERITY_WARN, "WARN")
    } else {
        (SEVERITY_INFO, "INFO")
    }
}

/// The caller's fields: `network.transport`, `user.id`, `process.*`, `client.*`,
/// `tls.client.subject`, `container.*`, and `docker.caller.*` for the rest.
fn caller(attrs: &mut Vec<KeyValue>, caller: Json) {
    let Json::Object(fields) = caller else {
        return push(attrs, "docker.caller", scalar(caller));
    };
    for (key, value) in fields {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            // OpenTelemetry's transports are `tcp` and `unix`; TLS is said apart.
            "transport" if value == "tls" => {
                push(
                    attrs,
                    "network.transport",
                    Some(Value::String("tcp".into())),
                );
                push(attrs, "tls.established", Some(Value::Bool(true)));
            }
            "transport" => push(attrs, "network.transport", scalar(value)),
            // A string by the convention: user IDs are not numbers everywhere.
            "uid" => push(
                attrs,
                "user.id",
                Some(Value::String(match value {
                    Json::String(s) => s,
                    other => other.to_string(),
                })),
            ),
            "gid" => push(attrs, "docker.caller.gid", scalar(value)),
            "pid" => push(attrs, "process.pid", scalar(value)),
            "process" => push(attrs, "process.executable.name", scalar(value)),
            "exe" => push(attrs, "process.executable.path", scalar(value)),
            "addr" => match value.as_str().and_then(split_addr) {
                Some((address, port)) => {
                    push(attrs, "client.address", Some(Value::String(address)));
                    push(attrs, "client.port", Some(Value::Int(port.into())));
                }
                None => push(attrs, "client.address", scalar(value)),
            },
            "cert" => match value {
                Json::Object(cert) => {
                    for (k, v) in cert {
                        match k.as_str() {
                            "subject" => push(attrs, "tls.client.subject", scalar(v)),
                            _ => push(attrs, &format!("docker.caller.cert.{k}"), native(v)),
                        }
                    }
                }
                other => push(attrs, "docker.caller.cert", scalar(other)),
            },
            "container" => match value {
                Json::Object(container) => {
                    for (k, v) in container {
                        match k.as_str() {
                            "id" => push(attrs, "container.id", scalar(v)),
                            "name" => push(attrs, "container.name", scalar(v)),
                            "labels" => prefixed(attrs, "container.label.", v, scalar),
                            _ => push(attrs, &format!("docker.caller.container.{k}"), scalar(v)),
                        }
                    }
                }
                other => push(attrs, "docker.caller.container", scalar(other)),
            },
            _ => push(attrs, &format!("docker.caller.{key}"), scalar(value)),
        }
    }
}

/// `127.0.0.1:50312` or `[::1]:50312` as its address (unbracketed) and port.
fn split_addr(addr: &str) -> Option<(String, u16)> {
    if let Ok(sock) = addr.parse::<std::net::SocketAddr>() {
        return Some((sock.ip().to_string(), sock.port()));
    }
    let (host, port) = addr.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Some((host.to_owned(), port.parse().ok()?))
}

/// An object's members as `prefix` + name, each converted by `convert`.
fn prefixed(
    attrs: &mut Vec<KeyValue>,
    prefix: &str,
    object: Json,
    convert: fn(Json) -> Option<Value>,
) {
    match object {
        Json::Object(members) => {
            for (k, v) in members {
                push(attrs, &format!("{prefix}{k}"), convert(v));
            }
        }
        other => push(attrs, prefix.trim_end_matches('.'), convert(other)),
    }
}

fn push(attrs: &mut Vec<KeyValue>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        attrs.push(KeyValue::new(key, value));
    }
}

/// A scalar as its type; an array or object as its JSON text, which every backend can
/// store and search (nested OTLP values are not indexed by all of them); null as nothing.
fn scalar(value: Json) -> Option<Value> {
    Some(match value {
        Json::Null => return None,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => match n.as_u64() {
                // Beyond OTLP's int64; said exactly as text rather than rounded.
                Some(u) => Value::String(u.to_string()),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        Json::String(s) => Value::String(s),
        other @ (Json::Array(_) | Json::Object(_)) => Value::String(other.to_string()),
    })
}

/// An array of strings as an OTLP array; anything else as [`scalar`] has it.
fn native(value: Json) -> Option<Value> {
    match value {
        Json::Array(items) if items.iter().all(Json::is_string) => strings(Json::Array(items)),
        other => scalar(other),
    }
}

/// An array as an OTLP array of its items (strings as strings, others as [`scalar`]).
fn strings(value: Json) -> Option<Value> {
    match value {
        Json::Array(items) => Some(Value::Array(ArrayValue {
            values: items
                .into_iter()
                .filter_map(|item| scalar(item).map(|value| AnyValue { value: Some(value) }))
                .collect(),
        })),
        other => scalar(other),
    }
}

/// Seconds since the epoch as written (milliseconds) in nanoseconds: whole seconds and
/// the fraction apart, since an `f64` of today's nanoseconds has lost its last digits.
fn unix_nanos(seconds: f64) -> u64 {
    if !seconds.is_finite() || seconds < 0.0 {
        return 0;
    }
    let whole = seconds.trunc();
    let micros = ((seconds - whole) * 1e6).round() as u64;
    (whole as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(micros * 1000)
}
