//! The environment of Tecnativa's docker-socket-proxy, or of linuxserver's fork of it, as a
//! policy, so their users can swap images without rewriting their configuration.
//!
//! Tecnativa's HAProxy config, in order (its newest template, with PR #176's flags): `deny
//! unless METH_GET || POST` (METH_GET is GET and HEAD); `deny` container exec creation, kill
//! and delete unless `ALLOW_EXEC`, `ALLOW_KILL`, `ALLOW_DELETE`; `allow` for the
//! restart/start/stop/pause/unpause toggles; one `allow` per enabled section matching
//! `^(/v[\d.]+)?/<section>` on the decoded path; then `deny`. Because the method gate comes
//! first, `ALLOW_START` and friends do nothing while `POST=0` (gluetun-monitor #29 confirmed
//! it). The section prefix covers everything under it: `CONTAINERS=1` with `POST=1` opens
//! archive uploads and renames (Tecnativa #114), and sockeye reproduces that rather than
//! quietly being stricter than the configuration people already run.
//!
//! linuxserver's fork differs in two ways that change decisions, so the flavor is chosen
//! explicitly (`SOCKEYE_COMPAT=linuxserver`) or by a variable only linuxserver reads: its
//! `ALLOW_*` toggles are checked before the method gate (they work with `POST=0`), and it
//! denies archive, changes, export, logs and top unless `ALLOW_ARCHIVE`, … say otherwise.
//! Its `LIBPOD_*` sections name `/libpod` paths, which a Docker daemon does not serve.
//!
//! sockeye decides on the endpoint dockerd routes, not on a path prefix: a request that
//! dockerd would not route (404, 301, 400) is denied, where HAProxy passed it on. Every
//! refusal's reason says "forbidden", the word HAProxy's 403 page has and their users'
//! scripts (and Tecnativa's test suite) look for.

use std::collections::{BTreeMap, HashMap};

use super::cond::{ClientMatch, RequestMatch};
use super::parse::METHODS;
use super::{Action, Origin, Policy, PolicyError, Rule};
use crate::docker::endpoint::Operation;

/// Section variables, the path prefix each opens, and the default both images set.
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

/// Toggles that allow a few container endpoints (both flavors; the order differs).
const ALLOWS: &[(&str, &[Operation])] = &[
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
    ("ALLOW_PAUSE", &[Operation::ContainerPause]),
    ("ALLOW_UNPAUSE", &[Operation::ContainerUnpause]),
];

/// Tecnativa's denials of container endpoints its sections would otherwise open (PR #176).
const TECNATIVA_DENIES: &[(&str, &[Operation])] = &[
    ("ALLOW_EXEC", &[Operation::ContainerExec]),
    ("ALLOW_KILL", &[Operation::ContainerKill]),
    ("ALLOW_DELETE", &[Operation::ContainerDelete]),
];

/// linuxserver's denials of container endpoints that expose files or information.
const LINUXSERVER_DENIES: &[(&str, &[Operation])] = &[
    (
        "ALLOW_ARCHIVE",
        &[Operation::ContainerArchive, Operation::ContainerArchiveInfo],
    ),
    ("ALLOW_CHANGES", &[Operation::ContainerChanges]),
    ("ALLOW_EXPORT", &[Operation::ContainerExport]),
    ("ALLOW_LOGS", &[Operation::ContainerLogs]),
    ("ALLOW_TOP", &[Operation::ContainerTop]),
];

/// Variables of template branches no release reads; ignoring a restrictive one
/// (`ALLOW_ATTACH=0`) would grant more than its author meant, so they are refused.
const UNSUPPORTED: &[&str] = &["DELETE", "PUT", "PATCH", "ALLOW_ATTACH"];

/// Whose image's meaning the variables have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Tecnativa,
    Linuxserver,
}

impl Flavor {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Tecnativa => "tecnativa",
            Flavor::Linuxserver => "linuxserver",
        }
    }
}

/// What a socket-proxy environment opens, for the line that says so at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub flavor: Flavor,
    /// Enabled sections, by variable, in table order.
    pub sections: Vec<&'static str>,
    /// Enabled toggles (`POST`, `ALLOW_START`, …).
    pub toggles: Vec<String>,
    /// `LIBPOD_*` sections asked for, which a Docker daemon does not serve.
    pub libpod: Vec<String>,
}

impl Exposure {
    /// One line: `sections EVENTS, PING, VERSION; POST=0 (GET and HEAD only)`.
    pub fn describe(&self) -> String {
        let mut s = format!("sections {}", self.sections.join(", "));
        if !self.toggles.iter().any(|t| t == "POST") {
            s.push_str("; POST=0 (GET and HEAD only");
            if self.flavor == Flavor::Linuxserver && !self.toggles.is_empty() {
                s.push_str(", except the ALLOW_* toggles");
            }
            s.push(')');
        }
        if !self.toggles.is_empty() {
            s.push_str("; ");
            s.push_str(&self.toggles.join(", "));
        }
        if !self.libpod.is_empty() {
            s.push_str(&format!(
                "; {} ignored: a Docker daemon serves no /libpod API",
                self.libpod.join(", ")
            ));
        }
        s
    }
}

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

fn rule_name(flavor: Flavor, var: &str) -> String {
    format!(
        "{}-{}",
        flavor.as_str(),
        var.to_ascii_lowercase().replace('_', "-")
    )
}

fn is_linuxserver_only(key: &str) -> bool {
    key.starts_with("LIBPOD_") || LINUXSERVER_DENIES.iter().any(|(k, _)| *k == key)
}

fn is_tecnativa_only(key: &str) -> bool {
    TECNATIVA_DENIES.iter().any(|(k, _)| *k == key)
}

fn is_known(key: &str) -> bool {
    SECTIONS.iter().any(|(k, _, _)| *k == key)
        || ALLOWS.iter().any(|(k, _)| *k == key)
        || is_linuxserver_only(key)
        || is_tecnativa_only(key)
        || key == "POST"
}

/// The flavor: `SOCKEYE_COMPAT` if set, else linuxserver when a variable only it reads is set.
fn flavor(set: &HashMap<String, String>) -> Result<Flavor, PolicyError> {
    match set.get("SOCKEYE_COMPAT").map(|s| s.trim()) {
        Some("tecnativa") => Ok(Flavor::Tecnativa),
        Some("linuxserver") => Ok(Flavor::Linuxserver),
        Some(other) => Err(PolicyError::new(
            "SOCKEYE_COMPAT",
            format!("{other:?} is not tecnativa or linuxserver"),
        )),
        None if set.keys().any(|k| is_linuxserver_only(k)) => Ok(Flavor::Linuxserver),
        None => Ok(Flavor::Tecnativa),
    }
}

pub(super) fn policy(
    vars: impl Iterator<Item = (String, String)>,
) -> Result<(Policy, Exposure), Vec<PolicyError>> {
    let vars: HashMap<String, String> = vars
        .filter(|(k, _)| is_known(k) || UNSUPPORTED.contains(&k.as_str()) || k == "SOCKEYE_COMPAT")
        .collect();
    let flavor = flavor(&vars).map_err(|e| vec![e])?;
    let mut errs = Vec::new();
    let mut set: HashMap<&str, bool> = HashMap::new();
    let mut keys: Vec<&String> = vars.keys().filter(|k| *k != "SOCKEYE_COMPAT").collect();
    keys.sort();
    for key in keys {
        let wrong_flavor = match flavor {
            Flavor::Tecnativa => is_linuxserver_only(key),
            Flavor::Linuxserver => is_tecnativa_only(key),
        };
        if UNSUPPORTED.contains(&key.as_str()) || wrong_flavor {
            errs.push(PolicyError::new(
                key.clone(),
                format!(
                    "not read by {}'s docker-socket-proxy (another image's or an unreleased \
                     template's variable); write a policy file for this instead",
                    flavor.as_str()
                ),
            ));
            continue;
        }
        // HAProxy's `env(X) -m bool` reads a number; an empty variable is 0.
        match vars[key].trim() {
            "1" => set.insert(key, true),
            "0" | "" => set.insert(key, false),
            other => {
                errs.push(PolicyError::new(
                    key.clone(),
                    format!("{other:?} is not 0 or 1"),
                ));
                continue;
            }
        };
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let on = |k: &str| set.get(k).copied().unwrap_or(false);
    let forbidden = |var: &str| format!("forbidden: {var}=0");

    let mut gate = rule(
        rule_name(flavor, "POST"),
        Action::Deny,
        "forbidden: POST=0 lets only GET and HEAD requests through".into(),
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
    let denies = match flavor {
        Flavor::Tecnativa => TECNATIVA_DENIES,
        Flavor::Linuxserver => LINUXSERVER_DENIES,
    };
    let denies = denies.iter().filter(|(var, _)| !on(var)).map(|(var, ops)| {
        let why = format!("{}: this endpoint is not enabled", forbidden(var));
        rule(rule_name(flavor, var), Action::Deny, why, ops.to_vec())
    });
    let allows = ALLOWS.iter().filter(|(var, _)| on(var)).map(|(var, ops)| {
        rule(
            rule_name(flavor, var),
            Action::Allow,
            String::new(),
            ops.to_vec(),
        )
    });

    let mut rules = Vec::new();
    match flavor {
        Flavor::Tecnativa => {
            rules.extend((!on("POST")).then_some(gate));
            rules.extend(denies);
            rules.extend(allows);
        }
        Flavor::Linuxserver => {
            rules.extend(denies);
            rules.extend(allows);
            rules.extend((!on("POST")).then_some(gate));
        }
    }
    let mut sections = Vec::new();
    for (var, section, default) in SECTIONS {
        let ops: Vec<Operation> = Operation::ALL
            .iter()
            .copied()
            .filter(|op| prefix(*op) == *section)
            .collect();
        let enabled = set.get(var).copied().unwrap_or(*default);
        if enabled {
            sections.push(*var);
        }
        rules.push(rule(
            rule_name(flavor, var),
            if enabled { Action::Allow } else { Action::Deny },
            if enabled {
                String::new()
            } else {
                format!("{}: this section is not enabled", forbidden(var))
            },
            ops,
        ));
    }
    // HAProxy's closing `http-request deny`: what no section names (and what dockerd would
    // not route) is refused in the same words.
    let mut last = rule(
        format!("{}-deny", flavor.as_str()),
        Action::Deny,
        "forbidden: no enabled section covers this request".into(),
        Vec::new(),
    );
    last.request.endpoint = None;
    rules.push(last);

    let mut toggles: Vec<String> = ALLOWS
        .iter()
        .chain(TECNATIVA_DENIES)
        .chain(LINUXSERVER_DENIES)
        .map(|(k, _)| *k)
        .chain(["POST"])
        .filter(|k| on(k))
        .map(str::to_owned)
        .collect();
    toggles.sort();
    let mut libpod: Vec<String> = set
        .iter()
        .filter(|(k, v)| k.starts_with("LIBPOD_") && **v)
        .map(|(k, _)| (*k).to_owned())
        .collect();
    libpod.sort();
    let exposure = Exposure {
        flavor,
        sections,
        toggles,
        libpod,
    };
    Ok((Policy::from_parts(rules, Action::Deny), exposure))
}
