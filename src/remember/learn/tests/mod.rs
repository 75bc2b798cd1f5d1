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
fn every_client_may_ping_both_ways_under_a_learned_policy_so_a_health_check_passes() {
    // The docker CLI pings with HEAD; `sockeye health --listen` (another executable, which no
    // recording saw) and container healthchecks ping with GET.
    let records = session();
    let head = by_action(&records, "docker (ping");
    assert_eq!(head.method, "HEAD");
    let (learned, policy) = learn_from(&records, Options::default());
    let mut health = head.clone();
    health.method = "GET".into();
    health.endpoint = "SystemPing".into();
    health.caller.exe = Some("/usr/local/bin/sockeye".into());
    health.caller.process = Some("sockeye".into());
    health.caller.uid = Some(65534);
    let d = decide(&policy, &health);
    assert_eq!(d.rule(), "ping", "{d:?}\n{}", learned.text);
    assert!(d.is_allow(), "{}", learned.text);
    // Only pings: anything else from that caller is still denied.
    let mut other = health.clone();
    other.endpoint = "ContainerList".into();
    other.path = "/v1.41/containers/json".into();
    assert!(!decide(&policy, &other).is_allow(), "{}", learned.text);
}
