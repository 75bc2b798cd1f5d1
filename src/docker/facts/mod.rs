//! What a request would make dockerd do, as named facts a policy can test.
//!
//! [`facts`] reads the canonical body from [`crate::docker::gojson::canonical`] (exact field names,
//! no duplicates: no other spelling needs considering) and the query parsed by
//! [`crate::docker::gojson::form`]. The same fact comes from every place dockerd takes it from:
//! `host_paths` collects `Binds`, bind `Mounts`, volume mounts and created volumes whose
//! local-driver options bind a host directory, service mounts, plugin mount privileges and
//! plugin settings, so one allowlist rule covers them all. [`Facts::escalations`] names each
//! reason the request could give its sender root on the host.
//!
//! Every field of [`Facts`] is a fact, under the field's name ([`Facts::NAMES`],
//! [`Facts::get`]); a fact that does not apply to the operation has its empty value.

mod escalation;
mod extract;
pub mod host;
mod json;
mod query;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use escalation::{Escalation, DANGEROUS_CAPABILITIES, DEFAULT_MASKED, DEFAULT_READONLY};

use crate::docker::endpoint::Operation;
use crate::docker::gojson::Form;
use crate::docker::state::{Inherited, Resolved};

/// One mount the container (or service task) would get.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mount {
    /// `bind`, `volume`, `tmpfs`, `image` (an image's content, read-only: no host path),
    /// `npipe`, `cluster`, … (a `Binds` entry is `bind` or `volume`).
    pub kind: String,
    /// As sent: host path of a bind, volume name (empty for an anonymous volume).
    pub source: String,
    pub target: String,
    /// The cleaned host path this mount exposes: a bind's source, the `device` of a local
    /// volume with `o=bind`, or a named pipe as sent.
    pub host_path: Option<String>,
    pub read_only: bool,
    pub propagation: Option<String>,
    /// Volume driver, when the request names one.
    pub driver: Option<String>,
}

/// The security-relevant content of one request. Field names are the fact names.
///
/// Deserializable so that an audit record's `facts` (which leaves out empty ones) can be
/// read back and decided on again (`sockeye policy learn`): every field defaults to empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    /// The operationId (`ContainerCreate`), or `Unknown`.
    pub operation: String,
    /// `?name=` of a container create.
    pub name: Option<String>,

    // What runs, and as whom.
    /// Container or service image (or the frontend image a BuildKit `gateway.v0` solve
    /// runs).
    pub image: Option<String>,
    /// The user as sent (`Config.User`, exec `User`, service `ContainerSpec.User`, commit);
    /// unset means the image's user, which may well be root.
    pub user: Option<String>,
    /// `user` names uid 0 explicitly: `0`, `root`, `0:0`, `root:staff`.
    pub user_is_root: bool,
    /// Extra groups (`GroupAdd`, service `Groups`).
    pub group_add: Vec<String>,
    /// `Cmd` (exec, create, commit) or service `Args`.
    pub cmd: Vec<String>,
    /// `Entrypoint`, or service `Command`.
    pub entrypoint: Vec<String>,
    /// Names of environment variables; values may be secrets and are not facts.
    pub env_keys: Vec<String>,
    pub tty: bool,
    /// Exec start without a hijacked stream.
    pub detach: bool,
    /// Privileged container or exec: every capability and device, no confinement.
    pub privileged: bool,

    // Filesystem.
    /// `HostConfig.Binds` as sent.
    pub binds: Vec<String>,
    /// Every mount, from `Binds`, `Mounts` and service `ContainerSpec.Mounts`.
    pub mounts: Vec<Mount>,
    /// Every host path the request exposes, cleaned, from any source (see the module doc).
    pub host_paths: Vec<String>,
    /// Named volumes used, or created by a volume create.
    pub volumes: Vec<String>,
    pub volume_drivers: Vec<String>,
    pub volumes_from: Vec<String>,
    /// Mount propagation modes requested (`rshared`, `slave`, …).
    pub propagation: Vec<String>,
    /// Filesystems the local volume driver would mount (`cifs //srv/share`, `nfs :/export`,
    /// `ext4 /dev/sda1`), without credentials.
    pub volume_mounts: Vec<String>,

    // Namespaces: `host`, `container:<id>`, or the mode as sent.
    pub pid_mode: Option<String>,
    pub ipc_mode: Option<String>,
    /// Network mode; `host` for a build with `networkmode=host`, a BuildKit build that
    /// forces it or has a step on the host network, a service on the `host` network or a
    /// plugin with the host network privilege.
    pub network_mode: Option<String>,
    pub uts_mode: Option<String>,
    pub userns_mode: Option<String>,
    pub cgroupns_mode: Option<String>,
    /// `HostConfig.Cgroup` (`container:<id>` joins another container's cgroup).
    pub cgroup: Option<String>,
    /// Networks joined (`EndpointsConfig` keys, service network targets).
    pub networks: Vec<String>,

    // Kernel and confinement.
    /// Capabilities added, upper-cased without `CAP_`, as dockerd normalizes them
    /// (`cap_sys_admin` and `ſys_admin` are both `SYS_ADMIN`).
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// Host device paths (`Devices[].PathOnHost`, plugin device privileges and settings).
    pub devices: Vec<String>,
    pub device_cgroup_rules: Vec<String>,
    /// Device requests (GPUs, CDI) by driver, `auto` when unnamed.
    pub device_requests: Vec<String>,
    pub security_opt: Vec<String>,
    /// `unconfined` or `custom` (an inline profile, not analysed); unset is the default.
    pub seccomp: Option<String>,
    /// `unconfined` or a profile name; unset is the default.
    pub apparmor: Option<String>,
    /// SELinux label options: `disable`, `type:spc_t`, `level:s0:c1,c2`, …
    pub selinux: Vec<String>,
    /// `no-new-privileges` when the request sets it.
    pub no_new_privileges: Option<bool>,
    /// `writable-cgroups=true` (newer daemons).
    pub writable_cgroups: bool,
    /// `MaskedPaths` when sent: replaces the daemon's list.
    pub masked_paths: Option<Vec<String>>,
    /// `ReadonlyPaths` when sent: replaces the daemon's list.
    pub readonly_paths: Option<Vec<String>>,
    /// Default masked or read-only paths this request exposes (a custom list that leaves
    /// them out, or `systempaths=unconfined`).
    pub unmasked_paths: Vec<String>,
    /// `HostConfig.Sysctls`, service `Sysctls`, and per-interface sysctls from the endpoint
    /// driver option `com.docker.network.endpoint.sysctls` (create, connect, service).
    pub sysctls: BTreeMap<String, String>,
    /// `HostConfig.Annotations` (API 1.43+): OCI annotations handed to the runtime, which may
    /// read them as configuration (Kata's hypervisor paths, crun's `run.oci.*`).
    pub annotations: BTreeMap<String, String>,
    pub cgroup_parent: Option<String>,
    pub runtime: Option<String>,
    pub oom_kill_disable: bool,
    /// `PidsLimit`; zero or negative means unlimited.
    pub pids_limit: Option<i64>,
    pub log_driver: Option<String>,

    // Network exposure.
    /// `hostip:hostport->port/proto`, `*` for any address or a random port.
    pub port_bindings: Vec<String>,
    pub publish_all: bool,
    pub extra_hosts: Vec<String>,

    // Volume and network create.
    /// Volume or network driver.
    pub driver: Option<String>,
    /// Names of driver options (values may hold credentials: CIFS `o=password=…`).
    pub driver_opt_keys: Vec<String>,
    /// Network create options (bridge name, MTU, macvlan `parent`, …).
    pub network_options: BTreeMap<String, String>,
    /// Host interface of a macvlan or ipvlan network, or the `parent` a config-only network
    /// holds for the networks that will take their configuration from it.
    pub network_parent: Option<String>,
    /// The config-only network whose configuration (subnets, a macvlan `parent`) this
    /// network takes (`ConfigFrom`): its options are in that network's create, not this one.
    pub network_config_from: Option<String>,

    // Plugins.
    /// Plugin reference pulled, upgraded or run by a service.
    pub plugin_remote: Option<String>,
    /// Privileges granted, `name=value,value` (`network=host`, `mount=/`, `capabilities=…`).
    pub plugin_privileges: Vec<String>,
    /// Setting names of a plugin set (`DEBUG`, `mymount.source`).
    pub plugin_settings: Vec<String>,

    // Build.
    /// `remote=`: a URL or git repository the daemon fetches.
    pub build_remote: Option<String>,
    pub build_arg_keys: Vec<String>,
    pub platform: Option<String>,
    /// Image tags a build produces.
    pub tags: Vec<String>,
    /// BuildKit entitlements a build asks for (`network.host`, `security.insecure`,
    /// `device`, `device=<name>`): each lets every step of the build reach the host.
    pub entitlements: Vec<String>,
    /// A BuildKit RPC whose request sockeye does not read (an interactive build process, a
    /// method it does not know).
    pub uninspected: bool,

    // Image create, commit, network connect, archive upload.
    pub from_image: Option<String>,
    /// Image import source: `-` for the request body, otherwise a URL the daemon fetches.
    pub from_src: Option<String>,
    pub repo: Option<String>,
    pub tag: Option<String>,
    /// Dockerfile instructions applied by commit or import (`USER root`, `ENTRYPOINT …`).
    pub changes: Vec<String>,
    /// Container committed or connected to a network.
    pub container: Option<String>,
    /// Destination directory of an archive upload.
    pub archive_path: Option<String>,
    pub copy_uid_gid: bool,

    // What the daemon holds (see `docker::state`): filled in only when the guard asked.
    /// Objects the request names, as the daemon resolved them.
    pub resolved: Vec<Resolved>,
    /// Objects whose powers the request gets (a namespace it joins, the container an exec
    /// or attach acts in): their escalations count as the request's own.
    pub inherited: Vec<Inherited>,
}

/// The facts of one request: `op` from the endpoint classifier, `canonical` the body as
/// [`crate::docker::gojson::canonical`] returned it (`Value::Null` when there is none), `query` the
/// parsed query.
pub fn facts(op: Option<Operation>, canonical: &Value, query: &Form) -> Facts {
    let mut f = Facts {
        operation: op.map_or("Unknown", Operation::name).to_owned(),
        ..Facts::default()
    };
    if let Some(op) = op {
        extract::body(&mut f, op, canonical);
        query::query(&mut f, op, query);
    }
    f.finish();
    f
}

impl Facts {
    /// Every fact name, in declaration order.
    pub const NAMES: &'static [&'static str] = &[
        "operation",
        "name",
        "image",
        "user",
        "user_is_root",
        "group_add",
        "cmd",
        "entrypoint",
        "env_keys",
        "tty",
        "detach",
        "privileged",
        "binds",
        "mounts",
        "host_paths",
        "volumes",
        "volume_drivers",
        "volumes_from",
        "propagation",
        "volume_mounts",
        "pid_mode",
        "ipc_mode",
        "network_mode",
        "uts_mode",
        "userns_mode",
        "cgroupns_mode",
        "cgroup",
        "networks",
        "cap_add",
        "cap_drop",
        "devices",
        "device_cgroup_rules",
        "device_requests",
        "security_opt",
        "seccomp",
        "apparmor",
        "selinux",
        "no_new_privileges",
        "writable_cgroups",
        "masked_paths",
        "readonly_paths",
        "unmasked_paths",
        "sysctls",
        "annotations",
        "cgroup_parent",
        "runtime",
        "oom_kill_disable",
        "pids_limit",
        "log_driver",
        "port_bindings",
        "publish_all",
        "extra_hosts",
        "driver",
        "driver_opt_keys",
        "network_options",
        "network_parent",
        "network_config_from",
        "plugin_remote",
        "plugin_privileges",
        "plugin_settings",
        "build_remote",
        "build_arg_keys",
        "platform",
        "tags",
        "entitlements",
        "uninspected",
        "from_image",
        "from_src",
        "repo",
        "tag",
        "changes",
        "container",
        "archive_path",
        "copy_uid_gid",
        "resolved",
        "inherited",
    ];

    /// All facts as one JSON object keyed by fact name.
    pub fn to_value(&self) -> Value {
        // Plain data with string keys: serialization cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// One fact by name (`"privileged"` → `true`); `None` for a name that is not a fact.
    /// Unset optional facts are `null`, empty lists `[]`.
    pub fn get(&self, name: &str) -> Option<Value> {
        match self.to_value() {
            Value::Object(mut map) => map.remove(name),
            _ => None,
        }
    }

    /// Derived facts and de-duplication, once everything is collected (again after the
    /// daemon's state added to them; repeating it changes nothing).
    pub(crate) fn finish(&mut self) {
        self.user_is_root = self.user.as_deref().is_some_and(host::names_root);
        for m in &self.mounts {
            self.host_paths.extend(m.host_path.clone());
            self.propagation.extend(m.propagation.clone());
            if m.kind == "volume" && !m.source.is_empty() {
                self.volumes.push(m.source.clone());
            }
        }
        self.unmasked_paths = escalation::unmasked(self);
        for list in [
            &mut self.host_paths,
            &mut self.volumes,
            &mut self.volume_drivers,
            &mut self.propagation,
            &mut self.devices,
            &mut self.networks,
            &mut self.volume_mounts,
            &mut self.entitlements,
        ] {
            dedup(list);
        }
    }
}

/// Keep the first of each value, in order.
fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|v| seen.insert(v.clone()));
}

#[cfg(test)]
mod tests;
