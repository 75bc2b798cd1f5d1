use serde_json::{json, Value};

use super::*;
use crate::docker::endpoint::Operation;

mod cli_bodies;
mod duplicates;
mod folding;
mod generated_table;
mod parser;
mod queries;
mod spellings;

const CREATE: Option<Operation> = Some(Operation::ContainerCreate);

/// Parse and canonicalize for `op`.
fn canon(op: Option<Operation>, body: &str) -> Result<Value, Ambiguity> {
    canonical(op, &parse(body.as_bytes())?)
}

fn create(body: &str) -> Result<Value, Ambiguity> {
    canon(CREATE, body)
}

fn host_config(body: &str) -> Value {
    create(body).unwrap()["HostConfig"].clone()
}

fn is_duplicate(r: Result<Value, Ambiguity>) -> bool {
    matches!(r, Err(Ambiguity::DuplicateKey { .. }))
}
