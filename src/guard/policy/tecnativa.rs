//! Tecnativa docker-socket-proxy's environment as a policy, so its users can swap images
//! without rewriting their configuration.
//!
//! Its HAProxy config, in order: `deny unless METH_GET || POST` (METH_GET is GET and HEAD),
//! then `allow` for the restart/start/stop toggles, then one `allow` per enabled section
//! matching `^(/v[\d.]+)?/<section>` on the decoded path, then `deny`. Because the method
//! gate comes first, `ALLOW_START` and friends do nothing while `POST=0` (gluetun-monitor
//! #29 confirmed it; linuxserver's fork differs here, Tecnativa does not). The section
//! prefix covers everything under it: `CONTAINERS=1` with `POST=1` opens exec creation,
//! archive uploads and deletes (Tecnativa #114), and sockeye reproduces that rather than
//! quietly being stricter than the configuration people already run.
//!
//! sockeye decides on the endpoint dockerd routes, not on a path prefix: a request that
//! dockerd would not route (404, 301, 400) is denied, where HAProxy passed it on.

use std::collections::{BTreeMap, HashMap};

use super::cond::{ClientMatch, RequestMatch};
use super::parse::METHODS;
use super::{Action, Origin, Policy, PolicyError, Rule};
use crate::docker::endpoint::Operation;

/// Section variables, the path prefix each opens, and Tecnativa's default.
pub const SECTIONS: &[(&str, &str, bool)] = &[
    ("AUTH", "auth", false),
    ("BUILD", "build", false),
    ("COMMIT", "commit", false),
    ("CONFIGS", "configs", false),
    ("CONTAINERS", "containers", false),
    ("DISTRIBUTION", "distribution", false),
    ("EVENTS", "events", true),
    ("EXEC", "exec", false),
    ("GRPC", "grpc", false),
    ("IMAGES", "images", false),
    ("INFO", "info", false),
    ("NETWORKS", "networks", false),
    ("NODES", "nodes", false),
    ("PING", "_ping", true),
    ("PLUGINS", "plugins", false),
    ("SECRETS", "secrets", false),
    ("SERVICES", "services", false),
    ("SESSION", "session", false),
    ("SWARM", "swarm", false),
    ("SYSTEM", "system", false),
    ("TASKS", "tasks", false),
    ("VERSION", "version", true),
    ("VOLUMES", "volumes", false),
];

/// Toggles that do not open a section; all default to 0.
const TOGGLES: &[&str] = &["POST", "ALLOW_START", "ALLOW_STOP", "ALLOW_RESTARTS"];

/// Variables only forks or unreleased templates read (linuxserver, Tecnativa PR #176).
/// Their meanings differ between those, and ignoring a restrictive one (`ALLOW_EXEC=0`)
/// would grant more than its author meant, so they are refused rather than guessed at.
const UNSUPPORTED: &[&str] = &[
    "DELETE",
    "PUT",
    "PATCH",
    "ALLOW_EXEC",
    "ALLOW_KILL",
    "ALLOW_ATTACH",
    "ALLOW_ARCHIVE",
    "ALLOW_EXPORT",
    "ALLOW_LOGS",
    "ALLOW_PAUSE",
    "ALLOW_UNPAUSE",
];

/// The section prefix an endpoint falls under: the first segment of its path.
fn prefix(op: Operation) -> &'static str {
    let path = op.spec_path().trim_start_matches('/');
    path.split('/').next().unwrap_or("")
}

fn rule(name: String, action: Action, reason: String, ops: Vec<Operation>) -> Rule {
    Rule {
        name,
        action,
        reason,
        origin: Origin::Policy,
        client: ClientMatch::default(),
        request: RequestMatch {
            endpoint: Some(ops),
            ..RequestMatch::default()
        },
        body: BTreeMap::new(),
        redact: None,
    }
}

pub(super) fn policy(
    vars: impl Iterator<Item = (String, String)>,
) -> Result<Policy, Vec<PolicyError>> {
    let mut errs = Vec::new();
    let mut set: HashMap<String, bool> = HashMap::new();
    for (key, value) in vars {
        let known = SECTIONS.iter().any(|(k, _, _)| *k == key) || TOGGLES.contains(&key.as_str());
        if UNSUPPORTED.contains(&key.as_str()) {
            errs.push(PolicyError::new(
                key,
                "not read by Tecnativa's docker-socket-proxy (a fork's or newer template's \
                 variable); write a policy file for this instead",
            ));
            continue;
        }
        if !known {
            continue;
        }
        // HAProxy's `env(X) -m bool` reads a number; an empty variable is 0.
        let on = match value.trim() {
            "1" => true,
            "0" | "" => false,
            other => {
                errs.push(PolicyError::new(key, format!("{other:?} is not 0 or 1")));
                continue;
            }
        };
        set.insert(key, on);
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let get = |k: &str, default: bool| set.get(k).copied().unwrap_or(default);

    let mut rules = Vec::new();
    if !get("POST", false) {
        let mut gate = rule(
            "tecnativa-post".into(),
            Action::Deny,
            "POST=0: only GET and HEAD requests are allowed".into(),
            Vec::new(),
        );
        gate.request.endpoint = None;
        gate.request.method = Some(
            METHODS
                .iter()
                .filter(|m| !matches!(**m, "GET" | "HEAD"))
                .map(|m| (*m).to_owned())
                .collect(),
        );
        rules.push(gate);
    }
    let toggles: [(&str, &[Operation]); 3] = [
        (
            "ALLOW_RESTARTS",
            &[
                Operation::ContainerStop,
                Operation::ContainerRestart,
                Operation::ContainerKill,
            ],
        ),
        ("ALLOW_START", &[Operation::ContainerStart]),
        ("ALLOW_STOP", &[Operation::ContainerStop]),
    ];
    for (var, ops) in toggles {
        if get(var, false) {
            rules.push(rule(
                format!("tecnativa-{}", var.to_ascii_lowercase().replace('_', "-")),
                Action::Allow,
                String::new(),
                ops.to_vec(),
            ));
        }
    }
    for (var, section, default) in SECTIONS {
        let ops: Vec<Operation> = Operation::ALL
            .iter()
            .copied()
            .filter(|op| prefix(*op) == *section)
            .collect();
        let on = get(var, *default);
        rules.push(rule(
            format!("tecnativa-{}", var.to_ascii_lowercase()),
            if on { Action::Allow } else { Action::Deny },
            if on {
                String::new()
            } else {
                format!("{var}=0: this section is not enabled")
            },
            ops,
        ));
    }
    Ok(Policy::from_parts(rules, Action::Deny))
}
