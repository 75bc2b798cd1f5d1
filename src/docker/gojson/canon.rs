//! From a parsed body to the one value dockerd and the policy will both read.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{body_shape, fold, table, Ambiguity, Node, Shape};
use crate::docker::endpoint::Operation;

/// A body reduced to a single reading.
#[derive(Clone, Debug, PartialEq)]
pub struct Canonical {
    /// What to forward (re-serialized) and what the policy checks.
    pub value: Value,
    /// Paths of struct members no known field matches (`HostConfig.Privileged ` with a
    /// trailing space, or a field newer than the specs). They are forwarded as sent: dockerd
    /// ignores them unless it knows a field the specs did not, which a strict policy may
    /// want to refuse.
    pub unknown: Vec<String>,
}

/// [`canonicalize`], keeping only the value.
pub fn canonical(op: Option<Operation>, tree: &Node) -> Result<Value, Ambiguity> {
    canonicalize(op, tree).map(|c| c.value)
}

/// Reduce a parsed body to the value dockerd will decode, or say why that is not possible.
///
/// `op` selects the struct layout ([`super::body_shape`]); with `None`, or for a body no
/// table describes, every object is treated as a possible struct: keys that fold together
/// are refused and keys are kept as sent.
pub fn canonicalize(op: Option<Operation>, tree: &Node) -> Result<Canonical, Ambiguity> {
    if op == Some(Operation::ContainerCreate) {
        refuse_top_level_host_config(tree)?;
    }
    let shape = op.and_then(body_shape).unwrap_or(Shape::Any);
    let mut walk = Walk::default();
    let value = walk.node(tree, shape, "")?;
    Ok(Canonical {
        value,
        unknown: walk.unknown,
    })
}

/// dockerd ≤ 26 embeds a second, deprecated HostConfig at the top of the create body
/// (`runconfig.ContainerConfigWrapper`; gone from 27.0 on, where top-level HostConfig fields
/// are unknown keys and ignored):
///
/// * with no `HostConfig` member, or `"HostConfig": null`, ≤ 26 applies every top-level
///   HostConfig field and ≥ 27 none;
/// * beside a `HostConfig` object both ignore them, except `Memory`, `MemorySwap`,
///   `CpuShares`, `CpusetCpus`, `VolumeDriver` and the wrapper's own `Cpuset`, which ≤ 26
///   copies into the object where it leaves them unset (`getHostConfig`).
///
/// What every engine reads the same way is relayed: an empty value (`null`, `""`, `[]`, `{}`)
/// configures nothing on any of them —
/// dockerode sends `"VolumesFrom": []` with every `docker.run` — and a field beside a
/// `HostConfig` object that no engine copies in is ignored by all. A field that one engine
/// applies and another ignores is refused: the policy cannot know which the daemon will do.
fn refuse_top_level_host_config(tree: &Node) -> Result<(), Ambiguity> {
    let Node::Object(members) = tree else {
        return Ok(());
    };
    let nested = members.iter().any(|(key, value)| {
        table::CONTAINER_CREATE_REQUEST
            .field(key)
            .is_some_and(|f| f.name == "HostConfig")
            && !matches!(value, Node::Null)
    });
    for (key, value) in members {
        let merged = match table::HOST_CONFIG.field(key) {
            Some(f) => MERGED_INTO_HOST_CONFIG.contains(&f.name),
            None if fold(key) == "CPUSET" => true,
            None => continue,
        };
        if is_empty(value) || (nested && !merged) {
            continue;
        }
        return Err(Ambiguity::TopLevelHostConfig {
            key: key.clone(),
            beside_host_config: nested,
        });
    }
    Ok(())
}

/// The top-level fields dockerd ≤ 26 copies into a `HostConfig` object that leaves them unset.
const MERGED_INTO_HOST_CONFIG: &[&str] = &[
    "Memory",
    "MemorySwap",
    "CpuShares",
    "CpusetCpus",
    "VolumeDriver",
];

/// A value that sets nothing on any engine. Not `false` or `0`: some HostConfig fields are
/// pointers (`Init`, `OomKillDisable`, `PidsLimit`, `MemorySwappiness`), where ≤ 26 stores an
/// explicit `false` that overrides the daemon's default and ≥ 27 leaves the default. (An
/// object with members is not empty even if they are: `"Tmpfs": {"/x": ""}` mounts a tmpfs.)
fn is_empty(value: &Node) -> bool {
    match value {
        Node::Null => true,
        Node::String(s) => s.is_empty(),
        Node::Array(items) => items.is_empty(),
        Node::Object(members) => members.is_empty(),
        Node::Bool(_) | Node::Number(_) => false,
    }
}

#[derive(Default)]
struct Walk {
    unknown: Vec<String>,
}

impl Walk {
    fn node(&mut self, node: &Node, shape: Shape, path: &str) -> Result<Value, Ambiguity> {
        Ok(match node {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::String(s) => Value::String(s.clone()),
            Node::Number(raw) => number(raw, path)?,
            Node::Array(items) => {
                // A shape mismatch (an array where a struct belongs) is dockerd's 400 to give;
                // the contents still get the strictest reading.
                let inner = match shape {
                    Shape::Array(inner) => *inner,
                    _ => Shape::Any,
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.node(item, inner, &format!("{path}[{i}]"))?);
                }
                Value::Array(out)
            }
            Node::Object(members) => self.object(members, shape, path)?,
        })
    }

    /// One member per folded name, whatever the object is. In a struct that is Go's own
    /// rule; in a map (`Labels`, `Sysctls`, driver options) dockerd keeps `a` and `A` apart,
    /// but the drivers and plugins that read those maps are many, so a pair that differs
    /// only in case is refused there too rather than trusted to be read exactly.
    fn object(
        &mut self,
        members: &[(String, Node)],
        shape: Shape,
        path: &str,
    ) -> Result<Value, Ambiguity> {
        let mut seen: HashMap<String, &str> = HashMap::with_capacity(members.len());
        let mut out = Map::new();
        for (key, value) in members {
            if let Some(first) = seen.insert(fold(key), key) {
                return Err(duplicate(path, first, key));
            }
            let (name, inner) = match shape {
                Shape::Struct(s) => match s.field(key) {
                    Some(f) => (f.name, f.shape),
                    None => {
                        self.unknown.push(join(path, key));
                        (key.as_str(), Shape::Any)
                    }
                },
                // Map keys are data: kept exactly as sent.
                Shape::Map(inner) => (key.as_str(), *inner),
                // Layout unknown, or an object where a scalar or array belongs (dockerd's 400
                // to give): keys as sent.
                _ => (key.as_str(), Shape::Any),
            };
            let child = join(path, name);
            out.insert(name.to_owned(), self.node(value, inner, &child)?);
        }
        Ok(Value::Object(out))
    }
}

fn duplicate(path: &str, first: &str, second: &str) -> Ambiguity {
    Ambiguity::DuplicateKey {
        path: if path.is_empty() {
            "(body)".to_owned()
        } else {
            path.to_owned()
        },
        first: first.to_owned(),
        second: second.to_owned(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// serde_json's number for the raw text. Go decodes a number into an int64, uint64 or
/// float64 field from the same text, so any representable value round-trips to the same
/// field value; what serde_json cannot hold (`1e400`) no Go field can either.
fn number(raw: &str, path: &str) -> Result<Value, Ambiguity> {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Number(_)) => Ok(v),
        _ => Err(Ambiguity::Number {
            path: path.to_owned(),
            raw: raw.to_owned(),
        }),
    }
}
