//! What the daemon holds about the objects a request names, and what that adds to the
//! request's facts.
//!
//! A request alone does not say everything it does. `-v data:/x` mounts whatever the volume
//! `data` binds (the local driver's `o=bind,device=/` makes it the host's root);
//! `--volumes-from web` copies every mount of `web`; `--pid container:web` shares `web`'s
//! process namespace, and so its privileges; an exec or an attach acts with the powers of its
//! container; an archive upload writes through the container's mounts. [`references`] lists the
//! objects a request names, the guard asks the daemon about them (`guard::state`), and
//! [`apply`] turns the answers into facts: the volume's host path becomes the request's, the
//! other container's mounts become the new one's, and what a request joins or acts in is
//! judged as its own ([`Facts::inherited`]).
//!
//! Pure: the answers are parsed here ([`inspect`]) but fetched elsewhere.

pub mod inspect;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::docker::endpoint::Operation;
use crate::docker::facts::{Facts, Mount};

pub use inspect::{ContainerState, ExecState, ImageState, NetworkState, VolumeState};

/// The kind of object a reference names, as the daemon looks it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// By name, full ID or unique ID prefix, as dockerd's `GetContainer` resolves it.
    Container,
    /// By name (volumes have no other identity).
    Volume,
    /// By exec ID.
    Exec,
    /// By reference or ID, as dockerd's image store resolves it.
    Image,
    /// By name, full ID or unique ID prefix.
    Network,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Container => "container",
            Kind::Volume => "volume",
            Kind::Exec => "exec",
            Kind::Image => "image",
            Kind::Network => "network",
        }
    }
}

/// Why a request names an object: what the object's state does to the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A named volume the new container mounts: its options may bind a host path.
    Volume,
    /// `HostConfig.VolumesFrom`: the new container gets every mount of this one.
    VolumesFrom,
    /// `container:<name>` as the pid, ipc, network or cgroup mode: the new container shares
    /// that namespace, and with it whatever the other container can do.
    Namespace(&'static str),
    /// The container an exec, an attach or an archive upload acts in.
    Target,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Volume => "volume",
            Role::VolumesFrom => "volumes_from",
            Role::Namespace("pid") => "pid_namespace",
            Role::Namespace("ipc") => "ipc_namespace",
            Role::Namespace("network") => "network_namespace",
            Role::Namespace(_) => "cgroup_namespace",
            Role::Target => "target",
        }
    }
}

/// One object a request names, as it names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    pub kind: Kind,
    /// As sent (a name, an ID or an ID prefix); the mode of a `VolumesFrom` entry left out.
    pub name: String,
    pub role: Role,
}

/// What the daemon said about one reference.
#[derive(Clone, Debug)]
pub enum Answer {
    Container(Arc<ContainerState>),
    Volume(Arc<VolumeState>),
    /// No such volume: the create makes a new, empty one from the request's own options.
    NoVolume,
    Exec(Arc<ExecState>),
    Image(Arc<ImageState>),
    Network(Arc<NetworkState>),
}

/// An object the decision looked up, for the record: `container web = 3f2a…`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resolved {
    pub kind: String,
    /// As the request named it.
    pub reference: String,
    /// The daemon's identity for it: a full container or exec ID, or a volume's name.
    pub id: String,
    pub role: String,
}

/// What a request gets from an object it joins or acts in: that object's own facts, whose
/// escalations count as the request's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Inherited {
    /// `container web (3f2a1b9c0d4e)`.
    pub from: String,
    pub role: String,
    pub facts: Box<Facts>,
}

/// The objects `op` names whose state changes what the request does. `object` is the
/// request's first path variable (the container of an exec create, the exec of a start).
pub fn references(op: Operation, object: Option<&str>, facts: &Facts) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut add = |kind, name: &str, role| {
        let r = Reference {
            kind,
            name: name.to_owned(),
            role,
        };
        if !name.is_empty() && !out.contains(&r) {
            out.push(r);
        }
    };
    match op {
        Operation::ContainerCreate => {
            // An existing volume keeps its own options whatever the request says, so every
            // named volume is looked up, with or without options in the request.
            for m in &facts.mounts {
                if m.kind == "volume" {
                    add(Kind::Volume, &m.source, Role::Volume);
                }
            }
            for entry in &facts.volumes_from {
                // dockerd's ParseVolumesFrom: `name` or `name:mode`.
                add(Kind::Container, volumes_from_name(entry), Role::VolumesFrom);
            }
            for (namespace, mode) in [
                ("pid", &facts.pid_mode),
                ("ipc", &facts.ipc_mode),
                ("network", &facts.network_mode),
                ("cgroup", &facts.cgroup),
            ] {
                // Only the exact lowercase prefix joins another container (Go's
                // `IsContainer`); any other spelling stays an escalation and is refused.
                if let Some(name) = mode.as_deref().and_then(|m| m.strip_prefix("container:")) {
                    add(Kind::Container, name, Role::Namespace(namespace));
                }
            }
        }
        Operation::ContainerExec
        | Operation::ContainerAttach
        | Operation::ContainerAttachWebsocket
        | Operation::PutContainerArchive => {
            if let Some(name) = object {
                add(Kind::Container, name, Role::Target);
            }
        }
        Operation::ExecStart => {
            if let Some(id) = object {
                add(Kind::Exec, id, Role::Target);
            }
        }
        _ => {}
    }
    out
}

/// The container a `VolumesFrom` entry names.
pub fn volumes_from_name(entry: &str) -> &str {
    entry.split(':').next().unwrap_or("")
}

/// Turn the daemon's answers into facts of the request (see the module doc).
pub fn apply(op: Operation, facts: &mut Facts, answers: &[(Reference, Answer)]) {
    for (reference, answer) in answers {
        let (id, from) = match answer {
            Answer::Container(c) => (c.id.clone(), Some(c.describe())),
            Answer::Exec(e) => (e.id.clone(), Some(e.container.describe())),
            Answer::Volume(v) => (v.name.clone(), None),
            Answer::NoVolume => (String::new(), None),
            Answer::Image(i) => (i.id.clone(), None),
            Answer::Network(n) => (n.id.clone(), None),
        };
        facts.resolved.push(Resolved {
            kind: reference.kind.as_str().to_owned(),
            reference: reference.name.clone(),
            id,
            role: reference.role.as_str().to_owned(),
        });
        match (reference.role, answer) {
            (Role::Volume, Answer::Volume(volume)) => volume.mounted_by(facts, &reference.name),
            (Role::VolumesFrom, Answer::Container(c)) => {
                let read_only = facts
                    .volumes_from
                    .iter()
                    .filter(|e| volumes_from_name(e) == reference.name)
                    .all(|e| e.ends_with(":ro"));
                for m in &c.facts.mounts {
                    facts.mounts.push(Mount {
                        read_only: m.read_only || read_only,
                        ..m.clone()
                    });
                }
                facts.volume_mounts.extend(c.facts.volume_mounts.clone());
                facts.volume_drivers.extend(c.facts.volume_drivers.clone());
            }
            (Role::Target, Answer::Container(c)) if op == Operation::PutContainerArchive => {
                // An upload writes through any writable host mount of its container (a
                // symlink inside the container can lead any destination into one).
                let writable = c.facts.mounts.iter().filter(|m| !m.read_only);
                facts
                    .host_paths
                    .extend(writable.filter_map(|m| m.host_path.clone()));
            }
            (role @ (Role::Namespace(_) | Role::Target), Answer::Container(c)) => {
                facts.inherited.push(Inherited {
                    from: from.unwrap_or_default(),
                    role: role.as_str().to_owned(),
                    facts: Box::new(c.facts.clone()),
                });
            }
            (Role::Target, Answer::Exec(e)) => {
                facts.inherited.push(Inherited {
                    from: from.unwrap_or_default(),
                    role: Role::Target.as_str().to_owned(),
                    facts: Box::new(e.facts()),
                });
            }
            // No such volume: nothing beyond the request's own options.
            _ => {}
        }
    }
    facts.finish();
}

#[cfg(test)]
mod tests;
