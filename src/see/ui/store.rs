//! The newest calls, grouped under the docker command that made them, and the pages
//! watching them.
//!
//! Each row is kept serialized: a page that connects gets them all in one message (one
//! parse and one render in the page, where 5,000 events cost seconds), and a new call costs
//! one serialization whoever watches.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;

use crate::event::{Call, CallId, Event};
use crate::see::action::{client_key, summarize, ActionRecord, CallFacts, Grouper};
use crate::see::export::{Daemon, Exchange};

use super::entry;

/// Most calls in a group whose command is worked out again on every call: a Compose
/// project's hundreds of calls keep the command said by then.
const SUMMARIZE_UP_TO: usize = 200;

/// Messages a page may fall behind by before it is disconnected (it reconnects and gets
/// the calls afresh).
pub const CLIENT_BACKLOG: usize = 4096;

/// Everything the inspector knows.
pub struct Store {
    keep: usize,
    /// Most bytes kept ([`Entry::cost`] summed), and the sum now.
    keep_bytes: usize,
    bytes: usize,
    body_keep: usize,
    daemon: Daemon,
    live: bool,
    next: u64,
    order: VecDeque<u64>,
    entries: HashMap<u64, Entry>,
    /// Calls shown as begun, by their relay id, until they end.
    running: HashMap<CallId, u64>,
    grouper: Grouper,
    groups: HashMap<u64, Group>,
    dropped: u64,
    evicted: u64,
    clients: Vec<mpsc::Sender<Bytes>>,
}

struct Entry {
    /// The row as JSON, as the events carry it.
    json: Bytes,
    row: Map<String, Value>,
    group: u64,
    detail: Detail,
    /// What the policy's decision went through (`policy explain`'s lines), when recorded.
    trace: Vec<String>,
    /// The bytes this entry holds, about: its row (kept serialized and as a map), heads,
    /// bodies and trace.
    cost: usize,
}

enum Detail {
    /// Heads and bodies, redacted as the exports redact them.
    Exchange(Box<Exchange>),
    /// A call that began and still runs: nothing but its row yet.
    Running,
    /// An audit record: the row is all there is, plus its facts.
    Recorded(Value),
}

#[derive(Default)]
struct Group {
    records: Vec<ActionRecord>,
    command: String,
    calls: usize,
}

/// What a call recorded elsewhere (an audit log) brings.
pub struct Recorded {
    pub row: Map<String, Value>,
    /// The grouping key ([`client_key`]).
    pub client: String,
    pub record: ActionRecord,
    /// Shown in the detail as they are (already redacted by whoever wrote them).
    pub extra: Value,
}

impl Store {
    /// `keep`: most calls and most bytes kept; `live`: calls arrive as they happen (else
    /// they were loaded from files).
    pub fn new(
        (keep, keep_bytes): (usize, usize),
        body_keep: usize,
        daemon: Daemon,
        live: bool,
    ) -> Store {
        Store {
            keep: keep.max(1),
            keep_bytes,
            bytes: 0,
            body_keep,
            daemon,
            live,
            next: 0,
            order: VecDeque::new(),
            entries: HashMap::new(),
            running: HashMap::new(),
            grouper: Grouper::default(),
            groups: HashMap::new(),
            dropped: 0,
            evicted: 0,
            clients: Vec::new(),
        }
    }

    /// One event of the live channel; `dropped` is the channel's running count of losses.
    pub fn event(&mut self, event: &Event, dropped: u64) {
        match event {
            Event::Begun { head, response } => {
                let call = entry::begun(head, response);
                let seq = self.add(&call, true, None);
                self.running.insert(head.id, seq);
            }
            Event::Call(call) => {
                let replaces = self.running.remove(&call.head.id);
                self.add(call, false, replaces);
            }
            _ => {}
        }
        if dropped > self.dropped {
            self.dropped = dropped;
            self.send(status_event(self.dropped, self.evicted, self.live));
        }
        // A begun call whose end the channel lost must not be remembered for ever.
        if self.running.len() > self.keep {
            self.running.clear();
        }
    }

    /// A finished call, or one that began (`running`); `replaces` is the row it began as.
    pub fn add(&mut self, call: &Call, running: bool, replaces: Option<u64>) -> u64 {
        let head = &call.head;
        let d = crate::see::describe::describe(head, &call.request_body);
        let query = head.target.split_once('?').map_or("", |(_, q)| q);
        let record = ActionRecord::new(&CallFacts {
            method: head.method.as_str(),
            route: &head.route,
            query,
            body: d.request_json.as_ref(),
        })
        .with_status(call.status());
        let detail = if running {
            Detail::Running
        } else {
            Detail::Exchange(Box::new(entry::kept(
                crate::see::describe::exchange(call),
                self.body_keep,
            )))
        };
        let row = entry::row(call);
        let trace = call
            .verdict
            .as_ref()
            .map(|v| v.trace.clone())
            .unwrap_or_default();
        match replaces.filter(|seq| self.entries.contains_key(seq)) {
            Some(seq) => {
                let group = self.entries[&seq].group;
                self.put(seq, group, row, running, (detail, trace));
                seq
            }
            None => {
                let client = client_key(head.caller.peer.pid(), head.id.conn);
                self.push(&client, record, row, running, (detail, trace))
            }
        }
    }

    /// A call read from an audit log.
    pub fn add_recorded(&mut self, r: Recorded) -> u64 {
        let detail = (Detail::Recorded(r.extra), Vec::new());
        self.push(&r.client, r.record, r.row, false, detail)
    }

    fn push(
        &mut self,
        client: &str,
        record: ActionRecord,
        row: Map<String, Value>,
        running: bool,
        detail: (Detail, Vec<String>),
    ) -> u64 {
        let group_id = self.grouper.assign(client, record.op);
        let group = self.groups.entry(group_id).or_default();
        group.calls += 1;
        if group.records.len() < SUMMARIZE_UP_TO {
            group.records.push(record);
            group.command = summarize(&group.records);
        }
        let seq = self.next;
        self.next += 1;
        self.order.push_back(seq);
        self.put(seq, group_id, row, running, detail);
        self.trim();
        seq
    }

    /// The oldest calls go until the newest `keep` and `keep_bytes` remain (the newest call
    /// stays, whatever its size: it is the one a person is looking for).
    fn trim(&mut self) {
        while self.order.len() > self.keep || (self.bytes > self.keep_bytes && self.order.len() > 1)
        {
            self.evict();
        }
    }

    fn put(
        &mut self,
        seq: u64,
        group: u64,
        mut row: Map<String, Value>,
        running: bool,
        (detail, trace): (Detail, Vec<String>),
    ) {
        let command = self.groups.get(&group).map_or("", |g| g.command.as_str());
        row.insert("seq".into(), seq.into());
        row.insert("group".into(), group.into());
        row.insert("command".into(), command.into());
        row.insert("running".into(), running.into());
        let json = Bytes::from(serde_json::to_vec(&row).unwrap_or_default());
        self.send(call_event(&json));
        let cost = cost(&json, &detail, &trace);
        self.bytes += cost;
        let old = self.entries.insert(
            seq,
            Entry {
                json,
                row,
                group,
                detail,
                trace,
                cost,
            },
        );
        if let Some(old) = old {
            // A running call's row, replaced by the call as it ended.
            self.bytes -= old.cost;
            self.trim();
        }
    }

    fn evict(&mut self) {
        let Some(seq) = self.order.pop_front() else {
            return;
        };
        self.evicted += 1;
        if let Some(e) = self.entries.remove(&seq) {
            self.bytes -= e.cost;
            if let Some(g) = self.groups.get_mut(&e.group) {
                g.calls -= 1;
                if g.calls == 0 {
                    self.groups.remove(&e.group);
                }
            }
        }
    }

    /// Tell every page; a page that fell too far behind (or went) is let go.
    fn send(&mut self, event: Bytes) {
        self.clients.retain(|c| c.try_send(event.clone()).is_ok());
    }

    /// A comment line every page gets now and then: a page that went away is noticed.
    pub fn keepalive(&mut self) {
        self.send(Bytes::from_static(b": keep-alive\n\n"));
    }

    /// A new page: everything so far as one `snapshot` event, then what comes, in order,
    /// on the receiver.
    pub fn subscribe(&mut self) -> (Bytes, mpsc::Receiver<Bytes>) {
        let size: usize = self.entries.values().map(|e| e.json.len() + 1).sum();
        let mut all = Vec::with_capacity(size + 256);
        all.extend_from_slice(
            format!(
                "data: {{\"type\":\"snapshot\",\"live\":{},\"keep\":{},\"calls\":[",
                self.live, self.keep
            )
            .as_bytes(),
        );
        for (i, seq) in self.order.iter().enumerate() {
            if i > 0 {
                all.push(b',');
            }
            all.extend_from_slice(&self.entries[seq].json);
        }
        all.extend_from_slice(b"]}\n\n");
        all.extend_from_slice(&status_event(self.dropped, self.evicted, self.live));
        let (tx, rx) = mpsc::channel(CLIENT_BACKLOG);
        self.clients.push(tx);
        (Bytes::from(all), rx)
    }

    /// Every row, oldest first, each with its group's command as it stands now, with the
    /// counts: `GET /api/calls`.
    pub fn rows(&self) -> Value {
        let calls: Vec<Map<String, Value>> = self
            .order
            .iter()
            .map(|s| {
                let e = &self.entries[s];
                let mut row = e.row.clone();
                if let Some(g) = self.groups.get(&e.group) {
                    row.insert("command".into(), g.command.clone().into());
                }
                row
            })
            .collect();
        json!({
            "live": self.live,
            "keep": self.keep,
            "keep_bytes": self.keep_bytes,
            "bytes": self.bytes,
            "dropped": self.dropped,
            "evicted": self.evicted,
            "calls": calls,
        })
    }

    /// One call's detail: `GET /api/call/SEQ`.
    pub fn detail(&self, seq: u64) -> Option<Value> {
        let e = self.entries.get(&seq)?;
        let mut detail = match &e.detail {
            Detail::Exchange(ex) => entry::detail(&e.row, ex, &self.daemon),
            Detail::Running => json!({ "call": e.row, "running": true }),
            Detail::Recorded(extra) => json!({ "call": e.row, "recorded": extra }),
        };
        if !e.trace.is_empty() {
            detail["explain"] = json!(e.trace);
        }
        Some(detail)
    }

    /// The calls `seqs` (all when empty) that have heads and bodies, as a HAR document.
    pub fn har(&self, seqs: &[u64]) -> Value {
        let pick: Vec<u64> = if seqs.is_empty() {
            self.order.iter().copied().collect()
        } else {
            seqs.to_vec()
        };
        let exchanges: Vec<Exchange> = pick
            .iter()
            .filter_map(|s| match &self.entries.get(s)?.detail {
                Detail::Exchange(ex) => Some((**ex).clone()),
                _ => None,
            })
            .collect();
        crate::see::export::har(&exchanges, env!("CARGO_PKG_VERSION"))
    }
}

/// What an entry holds, about: the row twice (serialized, and as a map of about the same
/// size again), heads and bodies, the trace.
fn cost(json: &[u8], detail: &Detail, trace: &[String]) -> usize {
    let heads = |h: &[(String, String)]| h.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    let held = match detail {
        Detail::Exchange(ex) => {
            heads(&ex.request_headers)
                + heads(&ex.response_headers)
                + ex.request_body.as_ref().map_or(0, Bytes::len)
                + ex.response_body.as_ref().map_or(0, Bytes::len)
                + ex.target.len()
        }
        Detail::Running => 0,
        Detail::Recorded(extra) => extra.to_string().len(),
    };
    2 * json.len() + held + trace.iter().map(String::len).sum::<usize>()
}

fn status_event(dropped: u64, evicted: u64, live: bool) -> Bytes {
    sse(&json!({ "type": "status", "dropped": dropped, "evicted": evicted, "live": live }))
}

fn call_event(row: &Bytes) -> Bytes {
    let mut e = Vec::with_capacity(row.len() + 32);
    e.extend_from_slice(b"data: {\"type\":\"call\",\"call\":");
    e.extend_from_slice(row);
    e.extend_from_slice(b"}\n\n");
    Bytes::from(e)
}

/// One server-sent event: JSON has no raw newline, so one `data:` line.
fn sse(v: &Value) -> Bytes {
    Bytes::from(format!("data: {v}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::Peer;
    use crate::event::{sample_call, Captured};

    fn big_answer(store: &mut Store, n: usize) {
        let mut call = sample_call(
            Peer::Tcp {
                addr: ([127, 0, 0, 1], 1).into(),
            },
            "GET",
            "/v1.41/containers/json",
            Some(200),
        );
        call.response_body = Captured {
            bytes: Bytes::from(vec![b' '; n]),
            whole: true,
        };
        store.add(&call, false, None);
    }

    /// 5,000 calls of 64 KiB answers would be 640 MB: the byte bound holds first, the
    /// oldest go, and they are counted.
    #[test]
    fn the_oldest_calls_go_when_the_bytes_kept_would_pass_the_bound() {
        let keep_bytes = 1024 * 1024;
        let mut store = Store::new(
            (5000, keep_bytes),
            64 * 1024,
            Daemon::Unix("/x.sock".into()),
            true,
        );
        for _ in 0..100 {
            big_answer(&mut store, 64 * 1024);
            assert!(store.bytes <= keep_bytes, "{} bytes kept", store.bytes);
        }
        let rows = store.rows();
        let kept = rows["calls"].as_array().unwrap();
        assert!((10..16).contains(&kept.len()), "{} calls kept", kept.len());
        assert_eq!(rows["evicted"], 100 - kept.len());
        // The newest are the ones kept.
        assert_eq!(kept.last().unwrap()["seq"], 99);
        assert!(store.detail(99).is_some() && store.detail(0).is_none());
    }

    /// The count of bytes follows a running call replaced by its end, and eviction.
    #[test]
    fn the_bytes_kept_are_counted_back_when_calls_go() {
        let mut store = Store::new(
            (2, 1 << 30),
            64 * 1024,
            Daemon::Unix("/x.sock".into()),
            true,
        );
        for _ in 0..5 {
            big_answer(&mut store, 1000);
        }
        let two: usize = store.entries.values().map(|e| e.cost).sum();
        assert_eq!(store.bytes, two);
        assert!(two > 2000, "{two}");
    }
}
