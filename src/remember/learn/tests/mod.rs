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
