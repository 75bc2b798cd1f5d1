//! `--isolate`: each client sees and touches only what it created (`docker::owner` says which
//! operation acts on what; this applies it with the daemon's answers).
//!
//! A call on an object another client owns, or nobody owns, is answered exactly as the daemon
//! answers for an object that does not exist; a create gets the caller's owner label; a
//! listing, prune or event stream gets the owner label in its `filters`. Objects shared by
//! `--isolate-share KIND=PATTERN` (the base image every client runs, a common network) can be
//! used by every client but removed by none.

use serde_json::Value;

use crate::caller::Caller;
use crate::docker::endpoint::{Classified, Operation};
use crate::docker::gojson::url::escape_unreserved_into;
use crate::docker::owner::{self, Owned, Scope};
use crate::docker::state::{Answer, Kind, Reference, Role};
use crate::guard::error::ProxyError;
use crate::guard::policy::Glob;
use crate::guard::state::{DaemonState, Unresolved};
use crate::guard::Reading;

/// How a relay isolates its clients from each other.
#[derive(Clone, Debug)]
pub struct Isolation {
    /// The label that carries the owner (`sockeye.owner`).
    pub label: String,
    /// Objects every client may use (never remove): `(kind, name pattern)`.
    pub shares: Vec<(Owned, Glob)>,
}

/// What the request becomes: a new target (filters added, the object pinned to its ID).
pub type Rewrite = Option<http::Uri>;

impl Isolation {
    /// Apply isolation to one request, or refuse it.
    pub async fn apply(
        &self,
        state: Option<&DaemonState>,
        caller: &Caller,
        parts: &http::request::Parts,
        route: &Classified,
        reading: &mut Reading,
    ) -> Result<Rewrite, ProxyError> {
        // A path dockerd routes nowhere reaches no object: its own 404 is the answer.
        let Some(op) = route.operation() else {
            return Ok(None);
        };
        // Only the scopes that name an owner compute it (a `format!` per call otherwise).
        let owner = || caller.owner();
        let refused = |why: &str| ProxyError::Isolated {
            what: format!("{} ({op})", parts.method),
            why: why.to_owned(),
        };
        let need_state = || {
            state.ok_or_else(|| ProxyError::LookupFailed {
                what: "the owner of an object".into(),
                reason: "this guard has no connection to the daemon to ask".into(),
            })
        };
        match owner::scope(op) {
            Scope::Free => Ok(None),
            Scope::Refused(why) => Err(refused(why)),
            Scope::Filtered => {
                // dockerd reads the first `filters` (`r.Form.Get`); it is the one kept.
                let merged = owner::add_label_filter(
                    reading.query.get("filters"),
                    &[self.label.as_str(), "=", &owner()].concat(),
                )
                .ok_or_else(|| refused("its filters are not JSON dockerd would read"))?;
                Ok(Some(with_query_param(parts, reading, "filters", &merged)?))
            }
            Scope::Object(kind) => {
                let name = route.object().unwrap_or_default();
                let (id, usable) = self.owns(need_state()?, kind, name, &owner()).await?;
                let destructive = matches!(
                    op,
                    Operation::ContainerDelete
                        | Operation::ImageDelete
                        | Operation::VolumeDelete
                        | Operation::NetworkDelete
                );
                match usable {
                    Usable::Owned => {}
                    Usable::Shared if !destructive => {}
                    _ => {
                        return Err(ProxyError::NoSuchObject {
                            message: kind.no_such(name),
                        })
                    }
                }
                // The object is named by what was checked (containers and networks have
                // stable IDs; an image by ID would change what a delete or push means).
                if matches!(kind, Owned::Container | Owned::Network) && name != id {
                    return crate::guard::pin::target_with_object(parts, route, &id).map(Some);
                }
                Ok(None)
            }
            Scope::Create(kind) => {
                self.create(need_state()?, op, kind, parts, reading, &owner())
                    .await
            }
        }
    }

    async fn create(
        &self,
        state: &DaemonState,
        op: Operation,
        kind: Owned,
        parts: &http::request::Parts,
        reading: &mut Reading,
        owner: &str,
    ) -> Result<Rewrite, ProxyError> {
        let refused = |why: &str| ProxyError::Isolated {
            what: format!("{} ({op})", parts.method),
            why: why.to_owned(),
        };
        if op == Operation::ImageBuild {
            let labels = owner::add_build_label(reading.query.get("labels"), &self.label, owner)
                .ok_or_else(|| {
                    refused("its labels are not a JSON object, or set the owner label")
                })?;
            return Ok(Some(with_query_param(parts, reading, "labels", &labels)?));
        }
        // What the new object would use must be the caller's (or shared) too.
        if op == Operation::ImageCommit {
            let container = reading.query.value("container").to_owned();
            self.must_use(state, Owned::Container, &container, owner)
                .await?;
        }
        if op == Operation::ContainerCreate {
            for (used, name) in create_uses(reading) {
                self.must_use(state, used, &name, owner).await?;
            }
        }
        let json = reading
            .json
            .get_or_insert_with(|| Value::Object(Default::default()));
        let labels =
            owner::body_labels(json).ok_or_else(|| refused("its body is not a JSON object"))?;
        if labels.contains_key(&self.label) {
            return Err(refused(&format!(
                "the label {} is sockeye's to set: it names the {} owner",
                self.label,
                kind.as_str()
            )));
        }
        labels.insert(self.label.clone(), Value::String(owner.to_owned()));
        let bytes = serde_json::to_vec(json).expect("a JSON value serializes");
        reading.forward = Some(bytes.into());
        Ok(None)
    }

    /// Refuse, as the daemon's "No such …", an object the caller may not use.
    async fn must_use(
        &self,
        state: &DaemonState,
        kind: Owned,
        name: &str,
        owner: &str,
    ) -> Result<(), ProxyError> {
        match self.owns(state, kind, name, owner).await {
            Ok((_, Usable::Owned | Usable::Shared)) => Ok(()),
            // A named volume that does not exist yet is made by the create (without an
            // owner, as dockerd makes it).
            Err(ProxyError::NoSuchObject { .. }) if kind == Owned::Volume => Ok(()),
            Ok(_) => Err(ProxyError::NoSuchObject {
                message: kind.no_such(name),
            }),
            Err(e) => Err(e),
        }
    }

    /// The object's ID and whether `owner` may use it.
    async fn owns(
        &self,
        state: &DaemonState,
        kind: Owned,
        name: &str,
        owner: &str,
    ) -> Result<(String, Usable), ProxyError> {
        let lookup_kind = match kind {
            Owned::Container => Kind::Container,
            Owned::Image => Kind::Image,
            Owned::Volume => Kind::Volume,
            Owned::Network => Kind::Network,
            Owned::Exec => Kind::Exec,
        };
        let reference = Reference {
            kind: lookup_kind,
            name: name.to_owned(),
            role: Role::Target,
        };
        let missing = || ProxyError::NoSuchObject {
            message: kind.no_such(name),
        };
        let answers = state.resolve(&[reference]).await.map_err(|u| match u {
            Unresolved::Missing { .. } => missing(),
            Unresolved::Failed { what, reason } => ProxyError::LookupFailed { what, reason },
        })?;
        let (id, labels, names): (String, _, Vec<String>) = match &answers[0].1 {
            Answer::Container(c) => (c.id.clone(), &c.labels, vec![c.name.clone()]),
            Answer::Exec(e) => (
                e.id.clone(),
                &e.container.labels,
                vec![e.container.name.clone()],
            ),
            Answer::Volume(v) => (v.name.clone(), &v.labels, vec![v.name.clone()]),
            Answer::Image(i) => (i.id.clone(), &i.labels, i.tags.clone()),
            Answer::Network(n) => (n.id.clone(), &n.labels, vec![n.name.clone()]),
            Answer::NoVolume => return Err(missing()),
        };
        let usable = if labels.get(&self.label).is_some_and(|o| o == owner) {
            Usable::Owned
        } else if self.shared(kind, name, &names) {
            Usable::Shared
        } else {
            Usable::Not
        };
        Ok((id, usable))
    }

    fn shared(&self, kind: Owned, name: &str, names: &[String]) -> bool {
        // An exec is shared when its container is.
        let kind = if kind == Owned::Exec {
            Owned::Container
        } else {
            kind
        };
        self.shares.iter().any(|(k, glob)| {
            *k == kind && (glob.matches(name) || names.iter().any(|n| glob.matches(n)))
        })
    }
}

enum Usable {
    Owned,
    Shared,
    Not,
}

/// The objects a container create uses: its image, named volumes, the containers it takes
/// volumes or namespaces from, the networks it joins.
fn create_uses(reading: &Reading) -> Vec<(Owned, String)> {
    let mut out = Vec::new();
    let Some(f) = reading.facts.as_deref() else {
        return out;
    };
    if let Some(image) = &f.image {
        out.push((Owned::Image, image.clone()));
    }
    for m in f
        .mounts
        .iter()
        .filter(|m| m.kind == "volume" && !m.source.is_empty())
    {
        out.push((Owned::Volume, m.source.clone()));
    }
    for entry in &f.volumes_from {
        let name = crate::docker::state::volumes_from_name(entry);
        out.push((Owned::Container, name.to_owned()));
    }
    for mode in [&f.pid_mode, &f.ipc_mode, &f.network_mode, &f.cgroup]
        .into_iter()
        .flatten()
    {
        if let Some(name) = mode.strip_prefix("container:") {
            out.push((Owned::Container, name.to_owned()));
        }
    }
    let builtin = |n: &str| {
        matches!(n, "" | "default" | "bridge" | "host" | "none") || n.starts_with("container:")
    };
    if let Some(mode) = f.network_mode.as_deref().filter(|m| !builtin(m)) {
        out.push((Owned::Network, mode.to_owned()));
    }
    for net in f.networks.iter().filter(|n| !builtin(n)) {
        out.push((Owned::Network, net.clone()));
    }
    out
}

/// The request target with `key` set to `value` (every other parameter kept, as decoded).
fn with_query_param(
    parts: &http::request::Parts,
    reading: &Reading,
    key: &str,
    value: &str,
) -> Result<http::Uri, ProxyError> {
    let mut target = String::with_capacity(parts.uri.path().len() + 128);
    target.push_str(parts.uri.path());
    let mut sep = '?';
    for (k, v) in reading.query.pairs().iter().filter(|(k, _)| k != key) {
        target.push(sep);
        escape_unreserved_into(&mut target, k);
        target.push('=');
        escape_unreserved_into(&mut target, v);
        sep = '&';
    }
    target.push(sep);
    target.push_str(key);
    target.push('=');
    escape_unreserved_into(&mut target, value);
    target.parse().map_err(|_| ProxyError::LookupFailed {
        what: "the request target".into(),
        reason: "the rewritten query is not a valid request target".into(),
    })
}
