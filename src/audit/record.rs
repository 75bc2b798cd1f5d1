//! One audit record per call: plain data, serialized as one JSON line (docs/audit-log.md).
//!
//! Built only from a finished [`Call`], through the same redaction as every view: the
//! action and path come from [`crate::describe`], and body content appears only as
//! [`Facts`] (names of environment variables, never their values).

use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::describe::describe;
use crate::event::{Call, Decision};
use crate::export::time::rfc3339_millis;
use crate::facts::Facts;

/// Bumped on any incompatible change.
pub const VERSION: u32 = 1;

/// One call, as the audit log records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub v: u32,
    /// When the request head arrived (RFC 3339, UTC, milliseconds).
    pub time: String,
    pub time_unix: f64,
    /// `#conn.req`, unique within one sockeye run.
    pub id: String,
    pub conn: u64,
    pub req: u64,
    pub caller: Caller,
    pub endpoint: String,
    #[serde(default)]
    pub section: Option<String>,
    /// The docker CLI command a person would have typed, secrets redacted.
    pub action: String,
    pub method: String,
    /// Path and query as sent, secret query values redacted.
    pub path: String,
    #[serde(default)]
    pub api_version: Option<String>,
    /// Path parameters (`name`, `id`, …) as dockerd reads them.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// `allow`, `deny`, `would_deny` (audit mode), `refused` (unreadable, before the
    /// policy), or `null` without a policy.
    #[serde(default)]
    pub decision: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    /// `daemon` or `sockeye`.
    pub answered_by: String,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub duration_ms: f64,
    pub hijacked: bool,
    pub incomplete: bool,
    #[serde(default)]
    pub error: Option<String>,
    /// The security-relevant body and query facts that are set (empty ones left out),
    /// plus `escalations`.
    #[serde(default)]
    pub facts: Map<String, Value>,
}

/// Who called.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Caller {
    /// `unix` or `tcp`.
    pub transport: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// A TCP or TLS client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// A TLS client's verified certificate: its identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<crate::tls::ClientCert>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Record {
    pub fn of(call: &Call) -> Record {
        let head = &call.head;
        let d = describe(head, &call.request_body);
        let (decision, rule, reason) = match &call.verdict {
            Some(v) => (
                Some(
                    match v.decision {
                        Decision::Allow => "allow",
                        Decision::Deny => "deny",
                        Decision::WouldDeny => "would_deny",
                    }
                    .to_owned(),
                ),
                Some(v.rule.clone()),
                v.reason.clone(),
            ),
            None if call.answered_by == crate::event::AnsweredBy::Sockeye
                && call.status().is_some_and(|s| (400..500).contains(&s)) =>
            {
                (Some("refused".to_owned()), None, None)
            }
            None => (None, None, None),
        };
        Record {
            v: VERSION,
            time: rfc3339_millis(head.start),
            time_unix: head
                .start
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64(),
            id: head.id.to_string(),
            conn: head.id.conn,
            req: head.id.req,
            caller: caller(call),
            endpoint: d.endpoint.to_owned(),
            section: d.section,
            action: d.action,
            method: head.method.to_string(),
            path: d.target,
            api_version: head.route.version().map(|v| v.as_str().to_owned()),
            params: head
                .route
                .params()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            decision,
            rule,
            reason,
            status: call.status(),
            answered_by: match call.answered_by {
                crate::event::AnsweredBy::Daemon => "daemon",
                crate::event::AnsweredBy::Sockeye => "sockeye",
            }
            .to_owned(),
            bytes_in: call.bytes_in,
            bytes_out: call.bytes_out,
            duration_ms: (call.duration.as_secs_f64() * 1e6).round() / 1e3,
            hijacked: call.hijacked,
            incomplete: call.incomplete,
            error: call.error.clone(),
            facts: call.facts.as_deref().map(summary).unwrap_or_default(),
        }
    }
}

fn caller(call: &Call) -> Caller {
    let container = call.head.container.as_ref().map(|c| Container {
        id: c.id.clone(),
        name: c.name.clone(),
        labels: c.labels.clone(),
    });
    match &*call.head.peer {
        crate::listen::Peer::Unix {
            uid,
            gid,
            pid,
            process,
            exe,
        } => Caller {
            transport: "unix".into(),
            uid: Some(*uid),
            gid: Some(*gid),
            pid: *pid,
            process: process.clone(),
            exe: exe.clone(),
            addr: None,
            cert: None,
            container,
        },
        crate::listen::Peer::Tcp { addr } => Caller {
            transport: "tcp".into(),
            addr: Some(addr.to_string()),
            container,
            ..Caller::default()
        },
        crate::listen::Peer::Tls { addr, cert } => Caller {
            transport: "tls".into(),
            addr: Some(addr.to_string()),
            cert: cert.clone(),
            container,
            ..Caller::default()
        },
    }
}

/// The facts that are set, and the escalations they add up to.
pub fn summary(facts: &Facts) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(all) = facts.to_value() {
        for (k, v) in all {
            let empty = match &v {
                Value::Null => true,
                Value::Bool(b) => !b,
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                Value::String(s) => s.is_empty(),
                Value::Number(_) => false,
            };
            if !empty && k != "operation" {
                out.insert(k, v);
            }
        }
    }
    let escalations: Vec<Value> = facts
        .escalations(&[])
        .iter()
        .map(|e| Value::String(e.to_string()))
        .collect();
    if !escalations.is_empty() {
        out.insert("escalations".into(), Value::Array(escalations));
    }
    out
}
