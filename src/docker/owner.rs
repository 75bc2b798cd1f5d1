//! Ownership (`--isolate`): which object each operation acts on, and how a request is made to
//! stay within what its caller owns. Pure knowledge; the guard applies it (`guard::isolate`).
//!
//! sockeye labels what a client creates with its identity, and then lets each call touch only
//! what carries that label. Three shapes of request cover the Engine API's containers,
//! images, volumes, networks and execs:
//! - a call on one object (`/containers/{id}/…`): allowed for its owner, and anyone else gets
//!   the daemon's own "No such …", never a 403 that would confirm the object exists;
//! - a create: the owner label is added to the body (a client-set one is refused);
//! - a listing, prune or event stream: the owner label is added to `filters`, so the daemon
//!   does the filtering exactly as it filters labels.
//!
//! Everything else is refused under isolation: a swarm, a plugin or a BuildKit session is not
//! something one client can own.

use serde_json::{Map, Value};

use crate::docker::endpoint::Operation;

/// The kinds of object that carry an owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owned {
    Container,
    Image,
    Volume,
    Network,
    /// An exec belongs to its container's owner.
    Exec,
}

impl Owned {
    pub fn as_str(self) -> &'static str {
        match self {
            Owned::Container => "container",
            Owned::Image => "image",
            Owned::Volume => "volume",
            Owned::Network => "network",
            Owned::Exec => "exec",
        }
    }

    /// dockerd's words for an object it does not have (API 1.41 and later), so that an object
    /// of another owner is answered exactly like one that does not exist.
    pub fn no_such(self, name: &str) -> String {
        match self {
            Owned::Container => format!("No such container: {name}"),
            Owned::Image => format!("No such image: {name}"),
            Owned::Volume => format!("get {name}: no such volume"),
            Owned::Network => format!("network {name} not found"),
            Owned::Exec => format!("No such exec instance: {name}"),
        }
    }
}

/// What isolation does with one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Touches no client's objects (ping, version, a registry search, a pull).
    Free,
    /// Acts on the object its path names.
    Object(Owned),
    /// Makes an object: the owner label goes into the body (or the build's `labels`).
    Create(Owned),
    /// Lists, prunes or streams events: the owner label goes into `filters`.
    Filtered,
    /// Not available to an isolated client.
    Refused(&'static str),
}

/// The scope of `op`.
pub fn scope(op: Operation) -> Scope {
    use Operation::*;
    match op {
        // The build cache is shared, not owned: pruning it costs others time, not objects
        // (and `docker system prune` prunes it).
        SystemPing | SystemPingHead | SystemVersion | SystemInfo | SystemAuth | ImageSearch
        | ImageCreate | DistributionInspect | Options | BuildPrune | BuildCancel => Scope::Free,
        ContainerInspect
        | ContainerTop
        | ContainerLogs
        | ContainerChanges
        | ContainerExport
        | ContainerStats
        | ContainerResize
        | ContainerStart
        | ContainerStop
        | ContainerRestart
        | ContainerKill
        | ContainerUpdate
        | ContainerRename
        | ContainerPause
        | ContainerUnpause
        | ContainerAttach
        | ContainerAttachWebsocket
        | ContainerWait
        | ContainerDelete
        | ContainerArchiveInfo
        | ContainerArchive
        | PutContainerArchive
        | ContainerExec
        | CheckpointList
        | CheckpointCreate
        | CheckpointDelete => Scope::Object(Owned::Container),
        ExecStart | ExecResize | ExecInspect => Scope::Object(Owned::Exec),
        ImageInspect | ImageAttestations | ImageHistory | ImagePush | ImageTag | ImageDelete
        | ImageGet => Scope::Object(Owned::Image),
        VolumeInspect | VolumeUpdate | VolumeDelete => Scope::Object(Owned::Volume),
        NetworkInspect | NetworkDelete | NetworkConnect | NetworkDisconnect => {
            Scope::Object(Owned::Network)
        }
        ContainerCreate => Scope::Create(Owned::Container),
        VolumeCreate => Scope::Create(Owned::Volume),
        NetworkCreate => Scope::Create(Owned::Network),
        ImageCommit | ImageBuild => Scope::Create(Owned::Image),
        ContainerList | ContainerPrune | ImageList | ImagePrune | VolumeList | VolumePrune
        | NetworkList | NetworkPrune | SystemEvents => Scope::Filtered,
        SystemDataUsage => Scope::Refused("it lists every client's objects and sizes"),
        ImageLoad | ImageGetAll => {
            Scope::Refused("the images it names or makes cannot carry an owner label")
        }
        Session | Grpc => Scope::Refused(
            "a BuildKit build's images cannot carry an owner label; use the classic builder \
             (DOCKER_BUILDKIT=0)",
        ),
        _ => Scope::Refused("swarm, plugins and the daemon's internals are not per client"),
    }
}

/// The owner label's value a create body or build sets, if it sets the key at all
/// (`Labels` of a container, volume or network create, or of a commit's config).
pub fn body_labels(body: &mut Value) -> Option<&mut Map<String, Value>> {
    let root = body.as_object_mut()?;
    let labels = root
        .entry("Labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if labels.is_null() {
        *labels = Value::Object(Map::new());
    }
    labels.as_object_mut()
}

/// `filters` as dockerd reads it (`{"label":{"k=v":true}}`, or the legacy
/// `{"label":["k=v"]}`), with `label=key=value` added. `None` when the client's `filters`
/// is not something dockerd would accept (then the request is refused rather than rewritten).
pub fn add_label_filter(filters: Option<&str>, label: &str) -> Option<String> {
    let mut root = match filters.map(str::trim) {
        // Most listings carry no filters: the one-label object is written as serde_json
        // writes it, without building (and dropping) a map of values for it.
        None | Some("") => {
            let mut out = String::with_capacity(label.len() + 24);
            out.push_str("{\"label\":{");
            out.push_str(&serde_json::to_string(label).ok()?);
            out.push_str(":true}}");
            return Some(out);
        }
        Some(text) => match serde_json::from_str::<Value>(text).ok()? {
            Value::Object(m) => m,
            _ => return None,
        },
    };
    match root
        .entry("label")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(set) => {
            set.insert(label.to_owned(), Value::Bool(true));
        }
        Value::Array(list) => list.push(Value::String(label.to_owned())),
        _ => return None,
    }
    serde_json::to_string(&Value::Object(root)).ok()
}

/// The build's `labels` query value (a JSON object of strings) with `key=value` added; `None`
/// when it is not an object, or already names `key`.
pub fn add_build_label(labels: Option<&str>, key: &str, value: &str) -> Option<String> {
    let mut root = match labels.map(str::trim) {
        None | Some("") => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text).ok()? {
            Value::Object(m) => m,
            _ => return None,
        },
    };
    if root.contains_key(key) {
        return None;
    }
    root.insert(key.to_owned(), Value::String(value.to_owned()));
    serde_json::to_string(&Value::Object(root)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for a listing without filters writes what the general path writes.
    #[test]
    fn a_listing_without_filters_gets_the_bytes_the_map_would_give() {
        for label in ["sockeye.owner=uid:1000", "o=cert:\"q\" \\ é\u{1}"] {
            let mut set = Map::new();
            set.insert(label.to_owned(), Value::Bool(true));
            let mut root = Map::new();
            root.insert("label".to_owned(), Value::Object(set));
            let general = serde_json::to_string(&Value::Object(root)).unwrap();
            assert_eq!(add_label_filter(None, label).unwrap(), general);
            assert_eq!(add_label_filter(Some("  "), label).unwrap(), general);
        }
    }

    #[test]
    fn a_listing_keeps_the_clients_own_filters_and_adds_the_owner() {
        assert_eq!(
            add_label_filter(None, "sockeye.owner=uid:1000").unwrap(),
            r#"{"label":{"sockeye.owner=uid:1000":true}}"#
        );
        let merged = add_label_filter(
            Some(r#"{"status":{"exited":true},"label":{"app":true}}"#),
            "o=a",
        )
        .unwrap();
        let v: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(v["status"]["exited"], true);
        assert_eq!(v["label"]["app"], true);
        assert_eq!(v["label"]["o=a"], true);
        // The legacy list form stays a list.
        assert_eq!(
            add_label_filter(Some(r#"{"label":["app"]}"#), "o=a").unwrap(),
            r#"{"label":["app","o=a"]}"#
        );
        for bad in ["[1]", "{", r#"{"label":"x"}"#] {
            assert_eq!(add_label_filter(Some(bad), "o=a"), None, "{bad}");
        }
    }

    #[test]
    fn a_build_gets_the_owner_label_unless_it_sets_it_itself() {
        assert_eq!(
            add_build_label(Some(r#"{"a":"b"}"#), "sockeye.owner", "uid:0").unwrap(),
            r#"{"a":"b","sockeye.owner":"uid:0"}"#
        );
        assert_eq!(
            add_build_label(Some(r#"{"sockeye.owner":"x"}"#), "sockeye.owner", "y"),
            None
        );
    }

    #[test]
    fn everything_not_owned_by_one_client_is_refused_under_isolation() {
        assert!(matches!(scope(Operation::SwarmInit), Scope::Refused(_)));
        assert!(matches!(scope(Operation::PluginPull), Scope::Refused(_)));
        assert!(matches!(
            scope(Operation::SystemDataUsage),
            Scope::Refused(_)
        ));
        assert_eq!(scope(Operation::ExecStart), Scope::Object(Owned::Exec));
        assert_eq!(scope(Operation::ContainerList), Scope::Filtered);
    }
}
