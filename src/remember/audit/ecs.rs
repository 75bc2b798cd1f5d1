//! The audit record in Elastic Common Schema field names (`--audit-format ecs`), and back.
//!
//! Not a second record type: a mapping of the record's own JSON ([`super::Record`] as it
//! serializes) to an ECS document and back, so that a field added to the record cannot be
//! forgotten here without a test failing (`every_field_is_mapped_and_read_back`) and, until it
//! is mapped, still reaches the document as `docker.<field>`. The table in docs/audit-log.md
//! ("Field names") is this mapping, next to the OpenTelemetry names of the OTLP sink.
//!
//! ECS documents are nested objects (`{"event":{"id":…}}`), as Filebeat and Elasticsearch
//! read them; `docker.*` holds what ECS has no field for, named like the OpenTelemetry
//! attributes, except where a dotted name would be both a value and an object in a nested
//! document (`docker.endpoint` is `event.action` here, its section `docker.endpoint.section`).

use std::net::{IpAddr, SocketAddr};

use serde_json::{json, Map, Value};

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.17.0";

/// Record fields (top level) that move to these ECS fields unchanged: `(record, ecs)`.
const SIMPLE: &[(&str, &str)] = &[
    ("v", "docker.record.version"),
    ("time", "@timestamp"),
    ("time_unix", "docker.time_unix"),
    ("id", "event.id"),
    ("conn", "docker.connection.id"),
    ("req", "docker.request.seq"),
    ("host", "host.name"),
    ("endpoint", "event.action"),
    ("section", "docker.endpoint.section"),
    ("action", "message"),
    ("method", "http.request.method"),
    ("path", "url.original"),
    ("api_version", "docker.api.version"),
    ("params", "docker.param"),
    ("decision", "docker.decision"),
    ("rule", "rule.name"),
    ("reason", "event.reason"),
    ("redacted", "docker.redacted"),
    ("status", "http.response.status_code"),
    ("answered_by", "docker.answered_by"),
    ("bytes_in", "http.request.body.bytes"),
    ("bytes_out", "http.response.body.bytes"),
    ("hijacked", "docker.hijacked"),
    ("incomplete", "docker.incomplete"),
    ("fault", "error.type"),
    ("error", "error.message"),
    ("facts", "docker.facts"),
    ("unrecorded", "docker.unrecorded"),
    // The bundle revision that decided: ECS's "version / revision of the rule".
    ("policy_revision", "rule.version"),
];

/// Caller fields that move unchanged: `(caller.…, ecs)`.
const CALLER: &[(&str, &str)] = &[
    ("pid", "process.pid"),
    ("process", "process.name"),
    ("exe", "process.executable"),
];

/// ECS fields this mapping writes that no record field becomes: left out when read back.
const DERIVED: &[&str] = &[
    "ecs.version",
    "event.kind",
    "event.category",
    "event.type",
    "event.outcome",
    "event.dataset",
    "url.path",
    "url.query",
    "client.ip",
];

/// The record's JSON (an object, as [`super::Record`] serializes) as an ECS document.
pub fn to_ecs(record: &Value) -> Value {
    let mut rest = record.as_object().cloned().unwrap_or_default();
    let mut doc = Value::Object(Map::new());
    put(&mut doc, "ecs.version", json!(ECS_VERSION));
    put(&mut doc, "event.kind", json!("event"));
    put(&mut doc, "event.dataset", json!("sockeye.audit"));
    put(&mut doc, "event.category", json!(["api"]));
    let decision = rest.get("decision").and_then(Value::as_str);
    let mut types = vec![json!("access")];
    match decision {
        Some("allow" | "would_deny") => types.push(json!("allowed")),
        Some("deny" | "refused") => types.push(json!("denied")),
        _ => {}
    }
    put(&mut doc, "event.type", Value::Array(types));
    // Whether the call did what it asked, as the client saw it.
    let status = rest.get("status").and_then(Value::as_u64);
    let faulted = rest.get("fault").is_some_and(|f| !f.is_null());
    let outcome = match status {
        Some(s) if s < 400 && !faulted => "success",
        Some(_) => "failure",
        None if faulted => "failure",
        None => "unknown",
    };
    put(&mut doc, "event.outcome", json!(outcome));
    if let Some(path) = rest.get("path").and_then(Value::as_str) {
        let (p, q) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        put(&mut doc, "url.path", json!(p));
        if let Some(q) = q {
            put(&mut doc, "url.query", json!(q));
        }
    }
    if let Some(ms) = rest.remove("duration_ms").and_then(|v| v.as_f64()) {
        put(&mut doc, "event.duration", json!((ms * 1e6).round() as u64));
    }
    if let Some(Value::Object(caller)) = rest.remove("caller") {
        caller_to_ecs(caller, &mut doc);
    }
    for (from, to) in SIMPLE {
        if let Some(v) = rest.remove(*from) {
            if !v.is_null() {
                put(&mut doc, to, v);
            }
        }
    }
    // A field this mapping does not know yet still arrives.
    for (k, v) in rest {
        if !v.is_null() {
            put(&mut doc, &format!("docker.{k}"), v);
        }
    }
    doc
}

fn caller_to_ecs(mut caller: Map<String, Value>, doc: &mut Value) {
    match caller.remove("transport").as_ref().and_then(Value::as_str) {
        Some("tls") => {
            put(doc, "network.transport", json!("tcp"));
            put(doc, "tls.established", json!(true));
        }
        Some(t) => put(doc, "network.transport", json!(t)),
        None => {}
    }
    // ECS keeps ids as keywords.
    for (from, to) in [("uid", "user.id"), ("gid", "group.id")] {
        if let Some(n) = caller.remove(from).and_then(|v| v.as_u64()) {
            put(doc, to, json!(n.to_string()));
        }
    }
    for (from, to) in CALLER {
        if let Some(v) = caller.remove(*from) {
            put(doc, to, v);
        }
    }
    if let Some(addr) = caller.remove("addr").as_ref().and_then(Value::as_str) {
        match addr.parse::<SocketAddr>() {
            Ok(sa) => {
                put(doc, "client.address", json!(sa.ip().to_string()));
                put(doc, "client.ip", json!(sa.ip().to_string()));
                put(doc, "client.port", json!(sa.port()));
            }
            Err(_) => {
                put(doc, "client.address", json!(addr));
                if addr.parse::<IpAddr>().is_ok() {
                    put(doc, "client.ip", json!(addr));
                }
            }
        }
    }
    if let Some(Value::Object(mut cert)) = caller.remove("cert") {
        if let Some(s) = cert.remove("subject") {
            put(doc, "tls.client.subject", s);
        }
        if let Some(cn) = cert.remove("common_name").filter(|v| !v.is_null()) {
            put(doc, "tls.client.x509.subject.common_name", json!([cn]));
        }
        if let Some(sans) = cert.remove("sans") {
            put(doc, "tls.client.x509.alternative_names", sans);
        }
        for (k, v) in cert {
            put(doc, &format!("docker.caller.cert.{k}"), v);
        }
    }
    if let Some(Value::Object(container)) = caller.remove("container") {
        for (k, v) in container {
            put(doc, &format!("container.{k}"), v);
        }
    }
    for (k, v) in caller {
        put(doc, &format!("docker.caller.{k}"), v);
    }
}

/// What an ECS line of an audit log is.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// A call's record, as the record's JSON: deserialize it as a [`super::Record`].
    Record(Value),
    /// An event of sockeye's own ([`event_to_ecs`]).
    Event,
    /// Not a document this mapping wrote.
    Foreign,
}

/// An ECS document read back: a record's JSON as sockeye writes it, so that every reader of
/// the log (queries, summaries, `policy learn`, the inspector) reads ECS files too.
pub fn from_ecs(doc: &Value) -> Read {
    let Some(obj) = doc.as_object() else {
        return Read::Foreign;
    };
    if !obj.contains_key("@timestamp") || !obj.contains_key("ecs") {
        return Read::Foreign;
    }
    if get(doc, "event.id").is_none() {
        return match get(doc, "docker.event") {
            Some(Value::String(_)) => Read::Event,
            _ => Read::Foreign,
        };
    }
    let mut doc = doc.clone();
    for d in DERIVED {
        take(&mut doc, d);
    }
    let mut record = Map::new();
    if let Some(ns) = take(&mut doc, "event.duration").and_then(|v| v.as_f64()) {
        record.insert("duration_ms".into(), json!(ns / 1e6));
    }
    record.insert("caller".into(), Value::Object(caller_from_ecs(&mut doc)));
    for (to, from) in SIMPLE {
        if let Some(v) = take(&mut doc, from) {
            record.insert((*to).into(), v);
        }
    }
    // What `to_ecs` wrote as `docker.<field>` for want of a mapping.
    if let Some(Value::Object(rest)) = take(&mut doc, "docker") {
        for (k, v) in rest {
            record.entry(k).or_insert(v);
        }
    }
    Read::Record(Value::Object(record))
}

fn caller_from_ecs(doc: &mut Value) -> Map<String, Value> {
    let mut caller = Map::new();
    let tls = take(doc, "tls.established") == Some(json!(true));
    match take(doc, "network.transport") {
        Some(_) if tls => {
            caller.insert("transport".into(), json!("tls"));
        }
        Some(t) => {
            caller.insert("transport".into(), t);
        }
        None => {}
    }
    for (to, from) in [("uid", "user.id"), ("gid", "group.id")] {
        if let Some(v) = take(doc, from) {
            let n = v.as_str().and_then(|s| s.parse::<u64>().ok());
            caller.insert(to.into(), n.map_or(v, |n| json!(n)));
        }
    }
    for (to, from) in CALLER {
        if let Some(v) = take(doc, from) {
            caller.insert((*to).into(), v);
        }
    }
    if let Some(address) = take(doc, "client.address") {
        let addr = match (
            address.as_str(),
            take(doc, "client.port").and_then(|p| p.as_u64()),
        ) {
            (Some(a), Some(port)) => match a.parse::<IpAddr>() {
                Ok(ip) => json!(SocketAddr::new(ip, port as u16).to_string()),
                Err(_) => json!(format!("{a}:{port}")),
            },
            _ => address,
        };
        caller.insert("addr".into(), addr);
    }
    if let Some(subject) = take(doc, "tls.client.subject") {
        let mut cert = Map::new();
        cert.insert("subject".into(), subject);
        let cn = take(doc, "tls.client.x509.subject.common_name")
            .and_then(|v| v.as_array().and_then(|a| a.first().cloned()));
        cert.insert("common_name".into(), cn.unwrap_or(Value::Null));
        let sans = take(doc, "tls.client.x509.alternative_names");
        cert.insert("sans".into(), sans.unwrap_or_else(|| json!([])));
        if let Some(Value::Object(more)) = take(doc, "docker.caller.cert") {
            cert.extend(more);
        }
        caller.insert("cert".into(), Value::Object(cert));
    }
    if let Some(container) = take(doc, "container") {
        caller.insert("container".into(), container);
    }
    if let Some(Value::Object(more)) = take(doc, "docker.caller") {
        for (k, v) in more {
            caller.entry(k).or_insert(v);
        }
    }
    caller
}

/// An event of sockeye's own (a reload: `{"event":"reload",…}`) as an ECS document:
/// `event.action` names it, `docker.event` too (so readers tell it from a call), and its
/// other fields go under `docker.*`.
pub fn event_to_ecs(event: &Value, host: &str) -> Value {
    let mut rest = event.as_object().cloned().unwrap_or_default();
    let mut doc = Value::Object(Map::new());
    put(&mut doc, "ecs.version", json!(ECS_VERSION));
    put(&mut doc, "event.kind", json!("event"));
    put(&mut doc, "event.dataset", json!("sockeye.audit"));
    put(&mut doc, "host.name", json!(host));
    let name = rest.remove("event").unwrap_or(Value::Null);
    let (category, kind) = match name.as_str() {
        Some("session_closed") => ("session", "end"),
        _ => ("configuration", "change"),
    };
    put(&mut doc, "event.category", json!([category]));
    put(&mut doc, "event.type", json!([kind]));
    put(&mut doc, "event.action", name.clone());
    put(&mut doc, "docker.event", name);
    if let Some(ok) = rest.remove("ok").and_then(|v| v.as_bool()) {
        put(
            &mut doc,
            "event.outcome",
            json!(if ok { "success" } else { "failure" }),
        );
        put(&mut doc, "docker.ok", json!(ok));
    }
    for (from, to) in [
        ("v", "docker.record.version"),
        ("time", "@timestamp"),
        ("time_unix", "docker.time_unix"),
        ("error", "error.message"),
    ] {
        if let Some(v) = rest.remove(from) {
            put(&mut doc, to, v);
        }
    }
    for (k, v) in rest {
        if !v.is_null() {
            put(&mut doc, &format!("docker.{k}"), v);
        }
    }
    doc
}

/// Set `doc.a.b.c`, making the objects on the way.
fn put(doc: &mut Value, path: &str, value: Value) {
    let mut at = doc;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let obj = at.as_object_mut().expect("made an object above");
        if parts.peek().is_none() {
            obj.insert(part.to_owned(), value);
            return;
        }
        at = obj
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn get<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(doc, |at, part| at.get(part))
}

/// Remove `doc.a.b.c` and return it; objects it leaves empty are removed too.
fn take(doc: &mut Value, path: &str) -> Option<Value> {
    let (head, last) = match path.rsplit_once('.') {
        Some((h, l)) => (Some(h), l),
        None => (None, path),
    };
    let parent = match head {
        Some(h) => h
            .split('.')
            .try_fold(&mut *doc, |at, part| at.get_mut(part))?,
        None => doc,
    };
    let v = parent.as_object_mut()?.remove(last);
    if let Some(h) = head {
        if get(doc, h)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            take(doc, h);
        }
    }
    v
}

#[cfg(test)]
mod tests;
