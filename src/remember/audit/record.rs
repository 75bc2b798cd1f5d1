//! One audit record per call: plain data, serialized as one JSON line (docs/audit-log.md).
//!
//! Built only from a finished [`Call`], through the same redaction as every view: the
//! action and path come from [`crate::see::describe`], and body content appears only as
//! [`Facts`] (names of environment variables, never their values).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::caller::{Caller, Peer, Wire};
use crate::docker::endpoint::Section;
use crate::docker::facts::Facts;
use crate::docker::time::{unix, write_rfc3339};
use crate::event::{AnsweredBy, Call, Decision, Fault};
use crate::see::describe::action_and_target;

/// Bumped on any incompatible change.
pub const VERSION: u32 = 1;

/// One call, as the audit log records it.
///
/// The one definition of a line, for writing and for reading: `S` is how its text is held.
/// The log writes a `Record<&str>` ([`Record::with_call`]) that borrows from the call, so a
/// line costs no copy of the call's text; readers get a `Record` (`Record<String>`, the
/// default) that owns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de> + Ord, C: Deserialize<'de>"))]
pub struct Record<S = String, C = Wire<S>> {
    pub v: u32,
    /// When the request head arrived (RFC 3339, UTC, milliseconds).
    pub time: S,
    pub time_unix: f64,
    /// `#conn.req`, unique within one sockeye run.
    pub id: S,
    pub conn: u64,
    pub req: u64,
    /// The host sockeye ran on: `--audit-host`, else its host name. Absent from records
    /// written before sockeye recorded it; readers then name the host `-` ([`Record::host`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<S>,
    /// A [`Wire`]; written as its JSON, made once per connection (`CallerJson`).
    pub caller: C,
    pub endpoint: S,
    #[serde(default)]
    pub section: Option<S>,
    /// The docker CLI command a person would have typed, secrets redacted.
    pub action: S,
    pub method: S,
    /// Path and query as sent, secret query values redacted.
    pub path: S,
    #[serde(default)]
    pub api_version: Option<S>,
    /// Path parameters (`name`, `id`, …) as dockerd reads them.
    #[serde(default)]
    pub params: BTreeMap<S, S>,
    /// `allow`, `deny`, `would_deny` (audit mode), `refused` (unreadable, before the
    /// policy), or `null` without a policy.
    #[serde(default)]
    pub decision: Option<S>,
    #[serde(default)]
    pub rule: Option<S>,
    #[serde(default)]
    pub reason: Option<S>,
    /// What the answer the client got was rewritten to hide (`env`, `mounts`, `addresses`);
    /// left out when it got the daemon's answer whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<S>,
    /// The revision of the policy bundle that decided (`--policy-rego-bundle`); left out
    /// without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_revision: Option<S>,
    #[serde(default)]
    pub status: Option<u16>,
    /// `daemon` or `sockeye`.
    pub answered_by: S,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub duration_ms: f64,
    pub hijacked: bool,
    pub incomplete: bool,
    /// Whose fault it was when the call did not end as the daemon answered it
    /// (`client_aborted`, `unreadable`, `upstream_broke`, …); left out when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<S>,
    #[serde(default)]
    pub error: Option<S>,
    /// The security-relevant body and query facts that are set (empty ones left out),
    /// plus `escalations`.
    #[serde(default)]
    pub facts: Map<String, Value>,
    /// Calls a remote sink holds no record of since its previous record (its spool was full
    /// past `--audit-spool-max`): said in the next record it keeps; left out when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unrecorded: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The name a record without `host` (written before sockeye recorded it) is shown and
/// filtered by.
pub const NO_HOST: &str = "-";

impl<S: AsRef<str>, C> Record<S, C> {
    /// The host the record was written on, `-` when it does not say.
    pub fn host(&self) -> &str {
        self.host.as_ref().map_or(NO_HOST, AsRef::as_ref)
    }
}

/// The host records name: set once at startup ([`set_host`]), else the host name.
static HOST: OnceLock<String> = OnceLock::new();

/// Name the host in every record from now on (`--audit-host`: in a container, whose host name
/// is its random ID). Must come before the first record; `false` if one was already written.
pub fn set_host(name: String) -> bool {
    HOST.set(name).is_ok()
}

/// The host records name: read once, since it is asked for every record.
pub fn host() -> &'static str {
    HOST.get_or_init(|| {
        nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| NO_HOST.to_owned())
    })
}

impl<'a> Record<&'a str, &'a RawValue> {
    /// The record of `call`, handed to `f`: the record the audit log writes.
    ///
    /// Text is borrowed from the call where the call holds it as written; what has to be
    /// computed (time, id, action, redacted path, a client's address) is computed once, into
    /// locals here, and borrowed too. The action and path come from
    /// [`crate::see::describe::action_and_target`], the same redaction as every view.
    pub fn with_call<T>(call: &Call, f: impl FnOnce(&Record<&str, &RawValue>) -> T) -> T {
        let head = &call.head;
        CALLER.with(|cache| {
            let mut cache = cache.borrow_mut();
            let caller = cache.json(&head.caller);
            Record::with_caller(call, caller, f)
        })
    }

    fn with_caller<T>(
        call: &Call,
        caller: &RawValue,
        f: impl FnOnce(&Record<&str, &RawValue>) -> T,
    ) -> T {
        let head = &call.head;
        let (action, path) = action_and_target(head, &call.request_body);
        let (text, at) = time_and_id(call);
        let (time, id) = text.split_at(at);
        let (decision, rule, reason) = match &call.verdict {
            Some(v) => (
                Some(match v.decision {
                    Decision::Allow => "allow",
                    Decision::Deny => "deny",
                    Decision::WouldDeny => "would_deny",
                }),
                Some(v.rule.as_str()),
                v.reason.as_deref(),
            ),
            None if matches!(call.fault, Some(Fault::Unreadable | Fault::NoSuchObject)) => {
                (Some("refused"), None, None)
            }
            None => (None, None, None),
        };
        let record: Record<&str, &RawValue> = Record {
            v: VERSION,
            time,
            time_unix: head
                .start
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64(),
            id,
            conn: head.id.conn,
            req: head.id.req,
            host: Some(host()),
            caller,
            endpoint: head.route.name(),
            section: head.route.section().map(Section::as_str),
            action: &action,
            method: head.method.as_str(),
            path: &path,
            api_version: head.route.version().map(|v| v.as_str()),
            // As a map: by name, the last of a repeated name winning.
            params: head.route.params().collect(),
            decision,
            rule,
            reason,
            redacted: call
                .verdict
                .as_ref()
                .map(|v| v.redacted.clone())
                .unwrap_or_default(),
            policy_revision: call
                .verdict
                .as_ref()
                .and_then(|v| v.policy_revision.as_deref()),
            status: call.status(),
            answered_by: match call.answered_by {
                AnsweredBy::Daemon => "daemon",
                AnsweredBy::Sockeye => "sockeye",
            },
            bytes_in: call.bytes_in,
            bytes_out: call.bytes_out,
            duration_ms: crate::docker::time::millis(call.duration),
            hijacked: call.hijacked,
            incomplete: call.incomplete,
            fault: call.fault.map(Fault::as_str),
            error: call.error.as_deref(),
            facts: call.facts.as_deref().map(summary).unwrap_or_default(),
            unrecorded: 0,
        };
        f(&record)
    }
}

thread_local! {
    /// The caller of the last record written on this thread, as JSON.
    static CALLER: RefCell<CallerJson> = RefCell::new(CallerJson::default());
}

/// A caller's JSON, kept while its connection makes calls: a connection's caller never
/// changes, and writing it (escaping the process, executable, container names) was a tenth
/// of an audit record's instructions.
#[derive(Default)]
struct CallerJson {
    /// Whose: a weak reference, so the `Caller` it points to cannot be freed and another
    /// allocated at its address while this is kept.
    of: Weak<Caller>,
    json: Option<Box<RawValue>>,
}

impl CallerJson {
    fn json(&mut self, caller: &Arc<Caller>) -> &RawValue {
        let same = self.of.upgrade().is_some_and(|c| Arc::ptr_eq(&c, caller));
        if !same || self.json.is_none() {
            let addr = match &caller.peer {
                Peer::Unix { .. } => None,
                Peer::Tcp { addr } | Peer::Tls { addr, .. } => Some(addr.to_string()),
            };
            let wire = Wire::of(caller, addr.as_deref());
            self.json = Some(serde_json::value::to_raw_value(&wire).expect("a caller serializes"));
            self.of = Arc::downgrade(caller);
        }
        self.json.as_deref().expect("set above")
    }
}

/// The record's time and id (`#conn.req`) in one string, and where the id starts: one
/// allocation instead of two, the id's numbers written as serde_json writes numbers (itoa)
/// rather than through `fmt`, and the time's date and second kept from the thread's last
/// record ([`SECOND`]), since records come many to a second.
fn time_and_id(call: &Call) -> (String, usize) {
    let (secs, nanos) = unix(call.head.start);
    let mut text = String::with_capacity(48);
    push_time(&mut text, secs, nanos);
    let id = text.len();
    text.push('#');
    text.push_str(itoa::Buffer::new().format(call.head.id.conn));
    text.push('.');
    text.push_str(itoa::Buffer::new().format(call.head.id.req));
    (text, id)
}

/// `write_rfc3339(secs, nanos, 3)`, with the date and second kept from the thread's last
/// call.
fn push_time(text: &mut String, secs: i64, nanos: u32) {
    SECOND.with(|second| {
        let mut second = second.borrow_mut();
        if second.0 != Some(secs) {
            // `…T20:56:44Z`, without its `Z`: the milliseconds go between.
            let mut whole = Vec::with_capacity(24);
            write_rfc3339(&mut whole, secs, 0, 0);
            whole.pop();
            *second = (Some(secs), String::from_utf8(whole).expect("ASCII"));
        }
        text.push_str(&second.1);
    });
    // The first three of the nanoseconds' nine digits, truncated, as `write_rfc3339` writes.
    let millis = nanos.min(999_999_999) / 1_000_000;
    text.push('.');
    for digit in [millis / 100, millis / 10 % 10, millis % 10] {
        text.push(char::from(b'0' + digit as u8));
    }
    text.push('Z');
}

thread_local! {
    /// The second of this thread's last record, and its RFC 3339 text up to the fraction.
    static SECOND: RefCell<(Option<i64>, String)> = const { RefCell::new((None, String::new())) };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept second must never leak into the next one's records, nor into another day's.
    #[test]
    fn a_records_time_is_what_write_rfc3339_writes_whichever_second_came_before() {
        let times = [
            (1_796_666_400, 123_456_789),
            (1_796_666_400, 999_999_999),
            (1_796_666_401, 0),
            (1_796_666_400, 5_000_000),
            (0, 1),
            (-1, 999_000_000),
            (253_402_300_799, 999_999_999),
            (253_402_300_800, 0),
            (1_796_666_401, 42_000_000),
        ];
        for (secs, nanos) in times {
            let mut ours = String::new();
            push_time(&mut ours, secs, nanos);
            let mut theirs = Vec::new();
            write_rfc3339(&mut theirs, secs, nanos, 3);
            assert_eq!(ours.as_bytes(), theirs, "{secs} {nanos}");
        }
    }
}
