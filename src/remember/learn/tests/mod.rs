use super::*;
use crate::caller::{Container, Wire as Caller};
use crate::docker::endpoint::classify;
use crate::guard::policy::{Decision, Policy};
use crate::remember::audit::Record;
use serde_json::{json, Value};

mod bodies;
mod callers;
mod objects;
mod recorded_session;

fn session() -> Vec<Record> {
    crate::remember::audit::read::recorded_session()
}

fn learn_from(records: &[Record], opts: Options) -> (Learned, Policy) {
    let mut l = Learner::new(opts);
    for r in records {
        l.add(r);
    }
    let learned = l.finish(&["test.log".into()]);
    let policy =
        Policy::from_toml(&learned.text).unwrap_or_else(|e| panic!("{e:?}\n{}", learned.text));
    (learned, policy)
}

fn decide(policy: &Policy, r: &Record) -> Decision {
    replay(policy, r).expect("a replayable record")
}

/// Every record that was learned is allowed again; returns how many there were.
#[track_caller]
fn replays_allowed(policy: &Policy, records: &[Record], opts: &Options, text: &str) -> usize {
    let mut n = 0;
    for r in records {
        if learnable(r, opts).is_err() {
            continue;
        }
        n += 1;
        let d = decide(policy, r);
        assert!(d.is_allow(), "{} {}: {d:?}\n{text}", r.method, r.path);
    }
    n
}

fn by_action<'a>(records: &'a [Record], prefix: &str) -> &'a Record {
    records
        .iter()
        .find(|r| r.action.starts_with(prefix))
        .unwrap_or_else(|| panic!("no record of {prefix:?}"))
}

/// A `docker create` from the same client, with this body's facts.
fn create_like(template: &Record, facts: Value) -> Record {
    let mut r = template.clone();
    r.endpoint = "ContainerCreate".into();
    r.method = "POST".into();
    r.path = "/v1.41/containers/create".into();
    r.params.clear();
    r.facts = facts.as_object().unwrap().clone();
    r
}

#[test]
fn a_client_learned_pinging_with_head_may_ping_with_get_so_a_health_check_passes() {
    // The docker CLI pings with HEAD; `sockeye health --listen` and container healthchecks
    // ping with GET. A policy learned from the CLI must not make them fail.
    let records = session();
    let head = by_action(&records, "docker (ping");
    assert_eq!(head.method, "HEAD");
    let (learned, policy) = learn_from(&records, Options::default());
    let mut get = head.clone();
    get.method = "GET".into();
    get.endpoint = "SystemPing".into();
    assert!(decide(&policy, &get).is_allow(), "{}", learned.text);
    assert!(
        learned
            .text
            .contains("(the other way to ping: allowed with the one seen)"),
        "{}",
        learned.text
    );
}
