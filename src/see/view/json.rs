//! `--format json`: one JSON object per call (schema in docs/json-format.md).

use std::time::UNIX_EPOCH;

use serde_json::{json, Value};

use crate::caller::Wire;
use crate::event::Call;
use crate::see::describe::describe;

/// Bumped on any incompatible change to the objects below.
pub const SCHEMA_VERSION: u32 = 1;

pub fn call_json(c: &Call) -> Value {
    let d = describe(&c.head, &c.request_body);
    let start = c.head.start.duration_since(UNIX_EPOCH).unwrap_or_default();
    let params: serde_json::Map<String, Value> = c
        .head
        .route
        .params()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    let addr = c.head.caller.peer.addr().map(|a| a.to_string());
    json!({
        "schema": SCHEMA_VERSION,
        "time": crate::docker::time::rfc3339_millis(c.head.start),
        "time_unix": start.as_secs_f64(),
        "id": c.head.id.to_string(),
        "conn": c.head.id.conn,
        "req": c.head.id.req,
        "peer": Wire {
            container: None,
            ..Wire::of(&c.head.caller, addr.as_deref())
        },
        "container": c.head.caller.container.as_ref().map(|ct| json!({"id": ct.id, "name": ct.name})),
        "endpoint": d.endpoint,
        "section": d.section,
        "params": params,
        "api_version": c.head.route.version().map(|v| v.as_str().to_string()),
        "action": d.action,
        "method": c.head.method.as_str(),
        "target": d.target,
        "status": c.status(),
        "answered_by": c.answered_by,
        "hijacked": c.hijacked,
        "bytes_in": c.bytes_in,
        "bytes_out": c.bytes_out,
        "duration_ms": crate::docker::time::millis(c.duration),
        "incomplete": c.incomplete,
        "fault": c.fault,
        "error": c.error,
        "daemon_message": super::line::daemon_message(c),
        "request_body": d.request_json,
        "policy": c.verdict,
    })
}
