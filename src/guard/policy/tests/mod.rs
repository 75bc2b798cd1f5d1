use std::net::SocketAddr;

use serde_json::Value;

use super::cond::FACT_OPERATIONS;
use super::*;
use crate::caller::{Caller, ClientContainer, Peer};
use crate::docker::endpoint::classify;
use crate::docker::facts::facts;
use crate::docker::gojson::{self, form};

mod file_errors;
mod matching;
mod mismatches;
mod profiles;
mod redact;
mod tecnativa_env;

const EXAMPLE: &str = include_str!("../../../../tests/data/policy/example.toml");
const BROKEN: &str = include_str!("../../../../tests/data/policy/broken.toml");

/// One request as the relay would present it: classified path, parsed query, and facts
/// for every operation that has them (read the way dockerd reads the body).
struct Req {
    caller: Caller,
    method: String,
    endpoint: Classified,
    query: Form,
    facts: Option<Facts>,
}

impl Req {
    fn new(method: &str, target: &str, body: &str) -> Req {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let endpoint = classify(method, path);
        let query = form(query).unwrap();
        let op = endpoint.operation();
        let facts = op.filter(|op| FACT_OPERATIONS.contains(op)).map(|op| {
            let value = if body.is_empty() {
                Value::Null
            } else {
                gojson::canonical(Some(op), &gojson::parse(body.as_bytes()).unwrap()).unwrap()
            };
            facts(Some(op), &value, &query)
        });
        Req {
            caller: Caller::bare(unix(1000, "docker")),
            method: method.to_owned(),
            endpoint,
            query,
            facts,
        }
    }

    fn by(mut self, peer: Peer) -> Req {
        self.caller.peer = peer;
        self
    }

    fn rf(&self) -> RequestFacts<'_> {
        RequestFacts {
            caller: &self.caller,
            method: &self.method,
            endpoint: &self.endpoint,
            query: &self.query,
            facts: self.facts.as_ref(),
        }
    }
}

fn unix(uid: u32, process: &str) -> Peer {
    Peer::Unix {
        uid,
        gid: uid,
        pid: Some(4242),
        process: Some(process.to_owned()),
        exe: None,
    }
}

fn tcp(addr: &str) -> Peer {
    Peer::Tcp {
        addr: addr.parse::<SocketAddr>().unwrap(),
    }
}

/// `allow:<rule>` or `deny:<rule>`, to compare whole tables at once.
fn verdict(p: &Policy, req: &Req) -> String {
    match p.decide(&req.rf()) {
        Decision::Allow(permit) => format!("allow:{}", permit.rule()),
        Decision::Deny(d) => format!("deny:{}", d.rule),
    }
}

fn check_table(p: &Policy, table: &[(&str, &str, &str, &str)]) {
    let mut wrong = Vec::new();
    for (method, target, body, want) in table {
        let got = verdict(p, &Req::new(method, target, body));
        if got != *want {
            wrong.push(format!("{method} {target} {body}: want {want}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

fn profile(name: &str) -> Policy {
    Policy::profile(name, &ProfileParams::default()).unwrap()
}

fn env(vars: &[(&str, &str)]) -> Result<Policy, Vec<PolicyError>> {
    Policy::from_tecnativa_env(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
}

fn error_lines(text: &str) -> Vec<String> {
    match Policy::from_toml(text) {
        Ok(_) => panic!("policy should not load"),
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
    }
}
