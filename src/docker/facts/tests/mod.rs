use serde_json::{json, Value};

use super::*;
use crate::docker::endpoint::Operation;
use crate::docker::gojson::{self, Ambiguity};

mod confinement;
mod endpoints;
mod host_paths;
mod newer_engines;
mod policy_surface;
mod spellings;
mod traces;

const DANGEROUS: &str = include_str!("../../../../tests/data/facts/create-dangerous.json");
const SYSCTL: &str = include_str!("../../../../tests/data/facts/create-sysctl.json");
const RUN_RM: &str = include_str!("../../../../tests/data/facts/run-rm.json");
const EXEC_ROOT: &str = include_str!("../../../../tests/data/facts/exec-root-priv.json");
const CIFS: &str = include_str!("../../../../tests/data/facts/volume-create-cifs.json");
const NETWORK: &str = include_str!("../../../../tests/data/facts/network-create.json");
const UPDATE: &str = include_str!("../../../../tests/data/facts/update.json");

/// The whole path a request takes: strict parse, canonical body, facts.
fn read(op: Operation, body: &str, query: &str) -> Result<Facts, Ambiguity> {
    let value = if body.is_empty() {
        Value::Null
    } else {
        gojson::canonical(Some(op), &gojson::parse(body.as_bytes())?)?
    };
    Ok(facts(Some(op), &value, &gojson::form(query)?))
}

fn of(op: Operation, body: &str) -> Facts {
    read(op, body, "").unwrap()
}

fn kinds(e: &[Escalation]) -> Vec<String> {
    e.iter().map(|e| e.to_string()).collect()
}

fn escalations(op: Operation, body: &str) -> Vec<String> {
    kinds(&of(op, body).escalations(&[]))
}
