//! The daemon's inspect answers, read into what a decision needs.
//!
//! A container's `Config` and `HostConfig` have the shapes of a create body, so its facts are
//! computed by the same code that reads a create request, as if it were being created now;
//! its mounts come from the inspect's `Mounts`, which is what the daemon actually mounted
//! (binds, named volumes, and what `VolumesFrom` copied from other containers at its
//! creation). Malformed answers are errors, never defaults: a decision is not made on a guess.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::docker::endpoint::Operation;
use crate::docker::facts::host::{clean, LocalVolume};
use crate::docker::facts::{self, Facts, Mount};
use crate::docker::gojson::Form;

/// One container, as the daemon holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerState {
    /// The full ID: what a pinned request names.
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// Its own facts, as a create of the same configuration would have them, with the
    /// mounts it really has (named volumes resolved by [`ContainerState::with_volumes`]).
    pub facts: Facts,
}

impl ContainerState {
    /// Read `GET /containers/{name}/json`.
    pub fn from_inspect(v: &Value) -> Result<ContainerState, String> {
        let root = v
            .as_object()
            .ok_or("the container inspect is not an object")?;
        let id = text(root, "Id").ok_or("the container inspect has no Id")?;
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "the container inspect's Id {id:?} is not a full ID"
            ));
        }
        let name = text(root, "Name").unwrap_or_default();
        let config = object(root, "Config").ok_or("the container inspect has no Config")?;
        let mut host_config = object(root, "HostConfig")
            .ok_or("the container inspect has no HostConfig")?
            .clone();
        // What these asked for is in `Mounts`, as the daemon made it.
        for key in ["Binds", "Mounts", "VolumesFrom"] {
            host_config.remove(key);
        }
        // The daemon writes its own default here (`host` on cgroup v1, `private` on v2), so
        // it says nothing about what was asked; and a process that shares only a cgroup
        // namespace gains nothing without the privileges that would show anyway.
        host_config.remove("CgroupnsMode");
        let mut body = config.clone();
        body.insert("HostConfig".to_owned(), Value::Object(host_config));
        let mut facts = facts::facts(
            Some(Operation::ContainerCreate),
            &Value::Object(body),
            &Form::default(),
        );
        facts.mounts = mounts(root)?;
        facts.finish();
        let labels = labels(object(config, "Labels"));
        Ok(ContainerState {
            id,
            name: name.trim_start_matches('/').to_owned(),
            labels,
            facts,
        })
    }

    /// Named volumes it mounts, to be looked up.
    pub fn volume_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .facts
            .mounts
            .iter()
            .filter(|m| m.kind == "volume" && !m.source.is_empty())
            .map(|m| m.source.clone())
            .collect();
        names.dedup();
        names
    }

    /// Its facts once its named volumes are known.
    pub fn with_volumes(mut self, volumes: &[VolumeState]) -> ContainerState {
        for volume in volumes {
            let name = volume.name.clone();
            volume.mounted_by(&mut self.facts, &name);
        }
        self.facts.finish();
        self
    }

    /// `container web (3f2a1b9c0d4e)`.
    pub fn describe(&self) -> String {
        format!(
            "container {} ({})",
            self.name,
            &self.id[..12.min(self.id.len())]
        )
    }
}

/// One named volume, as the daemon holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeState {
    pub name: String,
    pub driver: String,
    /// Driver options; values may hold credentials and never leave the guard.
    pub options: Map<String, Value>,
    pub labels: BTreeMap<String, String>,
}

impl VolumeState {
    /// Read `GET /volumes/{name}`.
    pub fn from_inspect(v: &Value) -> Result<VolumeState, String> {
        let root = v.as_object().ok_or("the volume inspect is not an object")?;
        let name = text(root, "Name").ok_or("the volume inspect has no Name")?;
        let driver = text(root, "Driver").ok_or("the volume inspect has no Driver")?;
        Ok(VolumeState {
            name,
            driver,
            options: object(root, "Options").cloned().unwrap_or_default(),
            labels: labels(object(root, "Labels")),
        })
    }

    /// What mounting this volume by `name` adds to `facts`: the host paths and filesystems
    /// its local-driver options mount, or its driver (a plugin decides what it mounts).
    pub fn mounted_by(&self, facts: &mut Facts, name: &str) {
        if self.driver != "local" {
            facts.volume_drivers.push(self.driver.clone());
            return;
        }
        let local = LocalVolume::from_options(&self.options);
        for m in facts.mounts.iter_mut() {
            if m.kind == "volume" && m.source == name && m.host_path.is_none() {
                m.host_path = local.host_paths.first().cloned();
            }
        }
        facts.host_paths.extend(local.host_paths);
        facts.volume_mounts.extend(local.filesystem);
    }
}

/// One exec instance, with the container it runs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecState {
    pub id: String,
    pub container: std::sync::Arc<ContainerState>,
    /// `docker exec --privileged`: privileged whatever the container is.
    pub privileged: bool,
    pub user: Option<String>,
}

impl ExecState {
    /// The full ID of the container an exec inspect (`GET /exec/{id}/json`) names.
    pub fn container_of(v: &Value) -> Result<String, String> {
        v.get("ContainerID")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| "the exec inspect has no ContainerID".into())
    }

    /// Read an exec inspect, given its container (looked up by [`ExecState::container_of`]).
    pub fn from_inspect(
        v: &Value,
        container: std::sync::Arc<ContainerState>,
    ) -> Result<ExecState, String> {
        let root = v.as_object().ok_or("the exec inspect is not an object")?;
        let id = text(root, "ID").ok_or("the exec inspect has no ID")?;
        let process = object(root, "ProcessConfig");
        let privileged = process
            .and_then(|p| p.get("privileged"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let user = process
            .and_then(|p| text(p, "user"))
            .filter(|u| !u.is_empty());
        Ok(ExecState {
            id,
            container,
            privileged,
            user,
        })
    }

    /// What starting it does: the container's powers, and its own privilege.
    pub fn facts(&self) -> Facts {
        let mut f = self.container.facts.clone();
        f.privileged |= self.privileged;
        if self.user.is_some() {
            f.user.clone_from(&self.user);
        }
        f.finish();
        f
    }
}

/// The mounts of a container inspect, as the daemon made them.
fn mounts(root: &Map<String, Value>) -> Result<Vec<Mount>, String> {
    let mut out = Vec::new();
    let list = match root.get("Mounts") {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Array(list)) => list,
        Some(_) => return Err("the container inspect's Mounts is not a list".into()),
    };
    for m in list {
        let m = m
            .as_object()
            .ok_or("a mount in the container inspect is not an object")?;
        let kind = text(m, "Type").unwrap_or_default();
        let source = text(m, "Source").unwrap_or_default();
        let read_only = !m.get("RW").and_then(Value::as_bool).unwrap_or(true);
        let propagation = text(m, "Propagation").filter(|p| !p.is_empty());
        let target = text(m, "Destination").unwrap_or_default();
        out.push(match kind.as_str() {
            "bind" => Mount {
                kind,
                host_path: Some(clean(&source)),
                source,
                target,
                read_only,
                propagation,
                driver: None,
            },
            "volume" => Mount {
                kind,
                source: text(m, "Name").unwrap_or_default(),
                target,
                host_path: None,
                read_only,
                propagation,
                driver: text(m, "Driver").filter(|d| !d.is_empty()),
            },
            // tmpfs, image and npipe mounts expose nothing of the host.
            _ => Mount {
                kind,
                source,
                target,
                host_path: None,
                read_only,
                propagation,
                driver: None,
            },
        });
    }
    Ok(out)
}

fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn object<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    m.get(key).and_then(Value::as_object)
}

/// An image's identity and labels (`GET /images/{name}/json`): what ownership needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageState {
    /// `sha256:…`.
    pub id: String,
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

impl ImageState {
    pub fn from_inspect(v: &Value) -> Result<ImageState, String> {
        let root = v.as_object().ok_or("the image inspect is not an object")?;
        let id = text(root, "Id").ok_or("the image inspect has no Id")?;
        let tags = root
            .get("RepoTags")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ImageState {
            id,
            tags,
            labels: labels(object(root, "Config").and_then(|c| object(c, "Labels"))),
        })
    }
}

/// A network's identity and labels (`GET /networks/{id}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkState {
    /// The full ID.
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

impl NetworkState {
    pub fn from_inspect(v: &Value) -> Result<NetworkState, String> {
        let root = v
            .as_object()
            .ok_or("the network inspect is not an object")?;
        Ok(NetworkState {
            id: text(root, "Id").ok_or("the network inspect has no Id")?,
            name: text(root, "Name").ok_or("the network inspect has no Name")?,
            labels: labels(object(root, "Labels")),
        })
    }
}

/// String labels; other values are not labels dockerd would have stored.
fn labels(m: Option<&Map<String, Value>>) -> BTreeMap<String, String> {
    m.map(|l| {
        l.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    })
    .unwrap_or_default()
}
