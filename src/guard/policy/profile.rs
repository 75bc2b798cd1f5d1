//! The built-in profiles, usable alone (`--profile NAME`) or as a policy's `base`.
//!
//! Each profile ends with a rule that matches every request, so a policy built on one
//! never reaches its own `default`: the profile's last rule is the answer, and its name
//! tells the denied client which profile refused them.

use std::collections::BTreeMap;

use super::cond::{BodyCond, ClientMatch, RequestMatch};
use super::{Action, Origin, Rule};
use crate::docker::endpoint::Operation::{self, *};
use crate::docker::endpoint::Section;

pub const PROFILES: &[&str] = &["read-only", "no-escape", "full"];

/// Parameters a profile takes; only `no-escape` reads any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileParams {
    /// Host paths (and everything below them) that binds, mounts, volumes and plugins may
    /// expose under `no-escape`.
    pub allowed_host_paths: Vec<String>,
}

/// Listing and inspecting. What is left out reads or writes more than metadata:
/// file reads (`archive` GET and HEAD, `export`, `images/get`), `attach/ws` (a GET that
/// writes stdin), the swarm unlock key, `/debug`, and every write. Logs are in: they are
/// the output a container chose to print, every dashboard that watches containers reads
/// them, and `docker logs` is the CLI's read command for it (Tecnativa allows them too).
pub const READ_ONLY: &[Operation] = &[
    ContainerList,
    ContainerInspect,
    ContainerTop,
    ContainerLogs,
    ContainerChanges,
    ContainerStats,
    CheckpointList,
    ImageList,
    ImageInspect,
    ImageAttestations,
    ImageHistory,
    ImageSearch,
    ExecInspect,
    VolumeList,
    VolumeInspect,
    NetworkList,
    NetworkInspect,
    PluginList,
    PluginInspect,
    GetPluginPrivileges,
    NodeList,
    NodeInspect,
    SwarmInspect,
    ServiceList,
    ServiceInspect,
    ServiceLogs,
    TaskList,
    TaskInspect,
    TaskLogs,
    SecretList,
    SecretInspect,
    ConfigList,
    ConfigInspect,
    DistributionInspect,
    SystemInfo,
    SystemVersion,
    SystemPing,
    SystemPingHead,
    SystemEvents,
    SystemDataUsage,
];

pub(super) fn check_params(name: &str, params: &ProfileParams) -> Result<(), String> {
    if !PROFILES.contains(&name) {
        return Err(format!(
            "unknown profile {name:?}; known: {}",
            PROFILES.join(", ")
        ));
    }
    if name != "no-escape" && !params.allowed_host_paths.is_empty() {
        return Err(format!("profile {name} takes no allowed_host_paths"));
    }
    Ok(())
}

fn rule(origin: &'static str, name: &str, action: Action, reason: &str) -> Rule {
    Rule {
        name: name.to_owned(),
        action,
        reason: reason.to_owned(),
        origin: Origin::Profile(origin),
        client: ClientMatch::default(),
        request: RequestMatch::default(),
        body: BTreeMap::new(),
        redact: None,
    }
}

fn on(mut r: Rule, ops: &[Operation]) -> Rule {
    r.request.endpoint = Some(ops.to_vec());
    r
}

/// Every libpod call, reads too: which of them are as harmless as their Docker twins has not
/// been worked through (`GET …/libpod/secrets/{name}/json?showsecret=true` is a read).
fn libpod(mut r: Rule) -> Rule {
    r.request.section = Some(vec![Section::Libpod]);
    r
}

/// The profile's rules, or `None` for an unknown name.
pub(super) fn rules(name: &str, params: &ProfileParams) -> Option<Vec<Rule>> {
    const P: &str = "read-only";
    const N: &str = "no-escape";
    Some(match name {
        "read-only" => vec![
            on(rule(P, "read-only", Action::Allow, ""), READ_ONLY),
            rule(
                P,
                "read-only-deny",
                Action::Deny,
                "the read-only profile allows listing and inspecting only",
            ),
        ],
        "no-escape" => {
            let mut escalation = rule(
                N,
                "no-escape",
                Action::Deny,
                "the no-escape profile refuses what could give root on the host",
            );
            escalation.body.insert(
                "escalations".to_owned(),
                BodyCond::Escalations {
                    present: true,
                    allowed_host_paths: params.allowed_host_paths.clone(),
                },
            );
            // BuildKit: each Solve on `/grpc` is read by the relay and decided by the
            // escalation rule (entitlements, host network, privileged or device steps);
            // `/session` carries the client's own context, secrets and credentials to the
            // daemon and reaches nothing on the host, so it is relayed as a tunnel; a
            // `POST /build?version=2` is decided on its query like a classic build.
            vec![
                escalation,
                on(
                    rule(
                        N,
                        "no-escape-plugin-install",
                        Action::Deny,
                        "a plugin runs as root on the host; installing one is host root",
                    ),
                    &[PluginPull, PluginUpgrade, PluginCreate],
                ),
                libpod(rule(
                    N,
                    "no-escape-libpod",
                    Action::Deny,
                    "Podman's libpod API: sockeye reads none of its bodies, so it cannot see \
                     what they ask for; use the Docker-compatible API, or a rule that allows \
                     this client",
                )),
                on(
                    rule(
                        N,
                        "no-escape-swarm-join",
                        Action::Deny,
                        "joining another swarm lets its managers run any service on this host",
                    ),
                    &[SwarmJoin],
                ),
                // Only routes sockeye reads: a body it cannot read (Podman's libpod API, whose
                // create takes `privileged` and host mounts; a path dockerd routes nowhere)
                // would carry an escalation no rule above could see.
                on(
                    rule(N, "no-escape-allow", Action::Allow, ""),
                    Operation::ALL,
                ),
                rule(
                    N,
                    "no-escape-unknown",
                    Action::Deny,
                    "the no-escape profile allows only Docker Engine API routes that sockeye \
                     reads (not, e.g., Podman's libpod API)",
                ),
            ]
        }
        "full" => vec![rule("full", "full", Action::Allow, "")],
        _ => return None,
    })
}
