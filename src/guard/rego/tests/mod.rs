use std::collections::BTreeMap;
use std::time::Instant;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use super::builtins::UNAVAILABLE;
use super::*;
use crate::caller::{Caller, ClientContainer, Peer};
use crate::docker::endpoint::{classify, Classified};
use crate::docker::facts::{facts, Facts};
use crate::docker::gojson::{self, form, Form};
use crate::guard::eval_symlinks;
use crate::guard::policy::{Decision, RequestFacts, FACT_OPERATIONS};

mod evaluation;
mod examples;
mod input_document;
mod loading;

const ALLOW_ALL: &str = include_str!("../../../../examples/rego/allow-all.rego");
const DENY_PRIVILEGED: &str = include_str!("../../../../examples/rego/deny-privileged.rego");
const DENY_BIND_MOUNTS: &str = include_str!("../../../../examples/rego/deny-bind-mounts.rego");
const READ_ONLY_USERS: &str = include_str!("../../../../examples/rego/read-only-users.rego");
const AUTHZ_EXAMPLE: &str = include_str!("../../../../examples/rego/authz-example.rego");
const EXTENSIONS: &str = include_str!("../../../../examples/rego/sockeye-extensions.rego");
const V0: &str = include_str!("../../../../tests/data/rego/v0-deny-privileged.rego");

// Bodies the docker CLI 28.2.2 sent (shared/reference/traces, copied for the facts tests).
const DANGEROUS: &str = include_str!("../../../../tests/data/facts/create-dangerous.json");
const RUN_RM: &str = include_str!("../../../../tests/data/facts/run-rm.json");

fn with_query(query: &str) -> RegoOptions {
    RegoOptions {
        query: query.into(),
        ..RegoOptions::default()
    }
}

fn policy(name: &str, text: &str) -> RegoPolicy {
    RegoPolicy::from_text(name, text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One request as the relay holds it when it asks the policy.
struct Req {
    peer: Peer,
    container: Option<ClientContainer>,
    method: String,
    target: String,
    endpoint: Classified,
    query: Form,
    headers: HeaderMap,
    body: Option<Value>,
    facts: Option<Facts>,
}

impl Req {
    /// As the docker CLI sends it: `Host` and `User-Agent`, and for a body its length and
    /// `Content-Type: application/json`.
    fn new(method: &str, target: &str, body: &str) -> Req {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let endpoint = classify(method, path);
        let query = form(query).unwrap_or_default();
        let op = endpoint.operation();
        let body = (!body.is_empty())
            .then(|| gojson::canonical(op, &gojson::parse(body.as_bytes()).unwrap()).unwrap());
        let facts = op
            .filter(|op| FACT_OPERATIONS.contains(op))
            .map(|op| facts(Some(op), body.as_ref().unwrap_or(&Value::Null), &query));
        let mut req = Req {
            peer: Peer::Unix {
                uid: 1000,
                gid: 1000,
                pid: Some(4242),
                process: Some("docker".into()),
                exe: None,
            },
            container: None,
            method: method.into(),
            target: target.into(),
            endpoint,
            query,
            headers: HeaderMap::new(),
            body,
            facts,
        };
        req = req
            .header("host", "api.moby.localhost")
            .header("user-agent", "Docker-Client/28.2.2 (linux)");
        if let Some(b) = &req.body {
            let len = serde_json::to_string(b).unwrap().len().to_string();
            req = req
                .header("content-length", &len)
                .header("content-type", "application/json");
        }
        req
    }

    fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    fn by(mut self, peer: Peer) -> Req {
        self.peer = peer;
        self
    }

    fn input(&self) -> Value {
        let caller = Caller {
            peer: self.peer.clone(),
            container: self.container.clone(),
        };
        let rf = RequestFacts {
            caller: &caller,
            method: &self.method,
            endpoint: &self.endpoint,
            query: &self.query,
            facts: self.facts.as_ref(),
        };
        input(
            &rf,
            &self.target,
            &self.headers,
            self.body.as_ref(),
            &eval_symlinks,
        )
    }
}

fn create(body: &str) -> Req {
    Req::new("POST", "/v1.41/containers/create?name=probe", body)
}

/// A container create whose HostConfig holds only these members.
fn create_with(host_config: Value) -> Req {
    create(&json!({"Image": "busybox", "HostConfig": host_config}).to_string())
}

fn allowed(p: &RegoPolicy, input: &Value) -> bool {
    p.evaluate(input).unwrap().allow
}

/// The input as opa-docker-authz would hand it to OPA, without sockeye's part.
fn opa_part(input: &Value) -> Value {
    let mut doc = input.clone();
    doc.as_object_mut().unwrap().remove("sockeye");
    doc
}
