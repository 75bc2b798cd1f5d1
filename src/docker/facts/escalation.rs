//! The reasons a request could give its sender root on the host.

use std::fmt;

use serde::Serialize;

use super::host;
use super::Facts;

/// Capabilities that lead out of a container or into the kernel, upper-case without `CAP_`.
/// `ALL` is every capability. `DAC_OVERRIDE` and `MKNOD` are in Docker's default set; asking
/// for them explicitly is still worth a look.
pub const DANGEROUS_CAPABILITIES: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "SYSLOG",
    "DAC_READ_SEARCH",
    "DAC_OVERRIDE",
    "NET_ADMIN",
    "BPF",
    "PERFMON",
    "MKNOD",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "LINUX_IMMUTABLE",
    "CHECKPOINT_RESTORE",
];

/// dockerd's default `MaskedPaths` (20.10 and later).
pub const DEFAULT_MASKED: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
];

/// dockerd's default `ReadonlyPaths`.
pub const DEFAULT_READONLY: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// One reason a request could give root on the host. `kind` is its stable name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Escalation {
    /// A privileged container or exec.
    Privileged,
    /// A host path outside the allowlist.
    HostPath {
        path: String,
    },
    /// `host` or `container:<id>` for a namespace (`pid`, `ipc`, `network`, `uts`,
    /// `userns`, `cgroupns`, `cgroup`).
    HostNamespace {
        namespace: &'static str,
        mode: String,
    },
    Capability {
        name: String,
    },
    Device {
        path: String,
    },
    DeviceCgroupRule {
        rule: String,
    },
    DeviceRequest {
        driver: String,
    },
    /// `unconfined`, or a custom profile sockeye cannot judge.
    Seccomp {
        profile: String,
    },
    AppArmor {
        profile: String,
    },
    /// `disable`, or a chosen SELinux type (`spc_t` is unconfined).
    Selinux {
        label: String,
    },
    /// `no-new-privileges=false`, overriding a daemon that enforces it.
    NoNewPrivilegesOff,
    WritableCgroups,
    /// A default masked or read-only path exposed.
    SystemPath {
        path: String,
    },
    Sysctl {
        name: String,
    },
    CgroupParent {
        parent: String,
    },
    /// An OCI annotation for the runtime, which may read it as configuration (Kata takes
    /// hypervisor and kernel paths from `io.katacontainers.config.*`): sockeye cannot judge it.
    Annotation {
        key: String,
    },
    /// Inherits every mount of another container (which may hold the socket or `/`).
    VolumesFrom {
        container: String,
    },
    /// Mounts made in the container propagate to the host.
    Propagation {
        mode: String,
    },
    /// The local volume driver mounts a filesystem (block device, NFS, CIFS) as root.
    VolumeMount {
        mount: String,
    },
    /// A plugin, which runs as root on the host, granted this privilege.
    PluginPrivilege {
        privilege: String,
    },
    /// What an object the request joins or acts in can do (`container web (3f2a…)`: its
    /// privileges, when the request shares its namespace or runs an exec in it).
    Inherited {
        from: String,
        escalation: Box<Escalation>,
    },
    /// A BuildKit entitlement: host networking, privileged steps or host devices for any
    /// step of the build (an entitlement sockeye does not know counts too).
    Entitlement {
        name: String,
    },
    /// A BuildKit RPC that could start a process or container sockeye cannot see.
    UninspectedRpc {
        method: String,
    },
}

impl Escalation {
    /// Stable snake_case name, as in serialized output.
    pub fn kind(&self) -> &'static str {
        match self {
            Escalation::Privileged => "privileged",
            Escalation::HostPath { .. } => "host_path",
            Escalation::HostNamespace { .. } => "host_namespace",
            Escalation::Capability { .. } => "capability",
            Escalation::Device { .. } => "device",
            Escalation::DeviceCgroupRule { .. } => "device_cgroup_rule",
            Escalation::DeviceRequest { .. } => "device_request",
            Escalation::Seccomp { .. } => "seccomp",
            Escalation::AppArmor { .. } => "app_armor",
            Escalation::Selinux { .. } => "selinux",
            Escalation::NoNewPrivilegesOff => "no_new_privileges_off",
            Escalation::WritableCgroups => "writable_cgroups",
            Escalation::SystemPath { .. } => "system_path",
            Escalation::Sysctl { .. } => "sysctl",
            Escalation::CgroupParent { .. } => "cgroup_parent",
            Escalation::Annotation { .. } => "annotation",
            Escalation::VolumesFrom { .. } => "volumes_from",
            Escalation::Propagation { .. } => "propagation",
            Escalation::VolumeMount { .. } => "volume_mount",
            Escalation::PluginPrivilege { .. } => "plugin_privilege",
            Escalation::Inherited { .. } => "inherited",
            Escalation::Entitlement { .. } => "entitlement",
            Escalation::UninspectedRpc { .. } => "uninspected_rpc",
        }
    }
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Escalation::Privileged => f.write_str("privileged"),
            Escalation::HostPath { path } => write!(f, "host path {path} outside the allowlist"),
            Escalation::HostNamespace { namespace, mode } => {
                write!(f, "{namespace} namespace {mode}")
            }
            Escalation::Capability { name } => write!(f, "capability {name}"),
            Escalation::Device { path } => write!(f, "host device {path}"),
            Escalation::DeviceCgroupRule { rule } => write!(f, "device cgroup rule {rule:?}"),
            Escalation::DeviceRequest { driver } => write!(f, "device request ({driver})"),
            Escalation::Seccomp { profile } => write!(f, "seccomp {profile}"),
            Escalation::AppArmor { profile } => write!(f, "apparmor {profile}"),
            Escalation::Selinux { label } => write!(f, "selinux label {label}"),
            Escalation::NoNewPrivilegesOff => f.write_str("no-new-privileges=false"),
            Escalation::WritableCgroups => f.write_str("writable cgroups"),
            Escalation::SystemPath { path } => write!(f, "{path} exposed"),
            Escalation::Sysctl { name } => write!(f, "sysctl {name}"),
            Escalation::CgroupParent { parent } => write!(f, "cgroup parent {parent}"),
            Escalation::Annotation { key } => write!(f, "annotation {key}"),
            Escalation::VolumesFrom { container } => write!(f, "volumes from {container}"),
            Escalation::Propagation { mode } => write!(f, "{mode} mount propagation"),
            Escalation::VolumeMount { mount } => write!(f, "volume mounts {mount}"),
            Escalation::PluginPrivilege { privilege } => write!(f, "plugin privilege {privilege}"),
            Escalation::Inherited { from, escalation } => write!(f, "{from}: {escalation}"),
            Escalation::Entitlement { name } => write!(f, "BuildKit entitlement {name}"),
            Escalation::UninspectedRpc { method } => {
                write!(f, "BuildKit call {method}, which sockeye does not read")
            }
        }
    }
}

impl Facts {
    /// Every reason this request could give root on the host, given the host paths the
    /// caller may expose (compared component-wise after cleaning; see [`host::within`] and
    /// the symlink caveat in [`host`]). A service spec, a plugin or a build yields the same
    /// escalations as a container create asking for the same thing.
    pub fn escalations(&self, allowed_host_paths: &[&str]) -> Vec<Escalation> {
        let mut out = Vec::new();
        if self.privileged {
            out.push(Escalation::Privileged);
        }
        for path in &self.host_paths {
            if !allowed_host_paths.iter().any(|a| host::within(path, a)) {
                out.push(Escalation::HostPath { path: path.clone() });
            }
        }
        let namespaces = [
            ("pid", &self.pid_mode, true),
            ("ipc", &self.ipc_mode, true),
            ("network", &self.network_mode, true),
            ("uts", &self.uts_mode, false),
            ("userns", &self.userns_mode, false),
            ("cgroupns", &self.cgroupns_mode, false),
            ("cgroup", &self.cgroup, true),
        ];
        for (namespace, mode, joinable) in namespaces {
            let Some(mode) = mode else { continue };
            // dockerd compares these exactly; any case of `host` is at worst refused by it.
            let lower = mode.to_ascii_lowercase();
            // A container the daemon resolved is judged by what it holds (`inherited`).
            let resolved = mode
                .strip_prefix("container:")
                .is_some_and(|name| self.was_resolved(&format!("{namespace}_namespace"), name));
            if lower == "host" || (joinable && lower.starts_with("container:") && !resolved) {
                out.push(Escalation::HostNamespace {
                    namespace,
                    mode: mode.clone(),
                });
            }
        }
        // Joining the network named `host` is host networking too, whatever `network_mode`
        // says (a service's network target, a create's `EndpointsConfig` key).
        if self.networks.iter().any(|n| n == "host") {
            out.push(Escalation::HostNamespace {
                namespace: "network",
                mode: "host".to_owned(),
            });
        }
        for name in &self.cap_add {
            if DANGEROUS_CAPABILITIES.contains(&name.as_str()) {
                out.push(Escalation::Capability { name: name.clone() });
            }
        }
        for path in &self.devices {
            out.push(Escalation::Device { path: path.clone() });
        }
        for rule in &self.device_cgroup_rules {
            out.push(Escalation::DeviceCgroupRule { rule: rule.clone() });
        }
        for driver in &self.device_requests {
            out.push(Escalation::DeviceRequest {
                driver: driver.clone(),
            });
        }
        if let Some(profile) = &self.seccomp {
            out.push(Escalation::Seccomp {
                profile: profile.clone(),
            });
        }
        if self.apparmor.as_deref() == Some("unconfined") {
            out.push(Escalation::AppArmor {
                profile: "unconfined".to_owned(),
            });
        }
        for label in &self.selinux {
            if label == "disable" || label.starts_with("type:") {
                out.push(Escalation::Selinux {
                    label: label.clone(),
                });
            }
        }
        if self.no_new_privileges == Some(false) {
            out.push(Escalation::NoNewPrivilegesOff);
        }
        if self.writable_cgroups {
            out.push(Escalation::WritableCgroups);
        }
        for path in &self.unmasked_paths {
            out.push(Escalation::SystemPath { path: path.clone() });
        }
        for name in self.sysctls.keys() {
            out.push(Escalation::Sysctl { name: name.clone() });
        }
        if let Some(parent) = &self.cgroup_parent {
            out.push(Escalation::CgroupParent {
                parent: parent.clone(),
            });
        }
        for key in self.annotations.keys() {
            out.push(Escalation::Annotation { key: key.clone() });
        }
        for container in &self.volumes_from {
            // Resolved: its mounts are this request's own, and judged as such above.
            let name = crate::docker::state::volumes_from_name(container);
            if self.was_resolved("volumes_from", name) {
                continue;
            }
            out.push(Escalation::VolumesFrom {
                container: container.clone(),
            });
        }
        for mode in &self.propagation {
            if host::propagates_to_host(mode) {
                out.push(Escalation::Propagation { mode: mode.clone() });
            }
        }
        for mount in &self.volume_mounts {
            out.push(Escalation::VolumeMount {
                mount: mount.clone(),
            });
        }
        for privilege in &self.plugin_privileges {
            out.push(Escalation::PluginPrivilege {
                privilege: privilege.clone(),
            });
        }
        for inherited in &self.inherited {
            for escalation in inherited.facts.escalations(allowed_host_paths) {
                out.push(Escalation::Inherited {
                    from: inherited.from.clone(),
                    escalation: Box::new(escalation),
                });
            }
        }
        for name in &self.entitlements {
            out.push(Escalation::Entitlement { name: name.clone() });
        }
        if self.uninspected {
            out.push(Escalation::UninspectedRpc {
                method: self.operation.clone(),
            });
        }
        let mut unique = Vec::with_capacity(out.len());
        for e in out {
            if !unique.contains(&e) {
                unique.push(e);
            }
        }
        unique
    }
}

impl Facts {
    /// Whether the daemon resolved `reference` in `role` for this request.
    fn was_resolved(&self, role: &str, reference: &str) -> bool {
        self.resolved
            .iter()
            .any(|r| r.role == role && r.reference == reference)
    }
}

/// Default masked and read-only paths a request's own lists leave out. Sent lists replace
/// the defaults rather than adding to them, so `[]` exposes `/proc/kcore` and makes
/// `/proc/sys` writable.
pub(super) fn unmasked(f: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    for (sent, defaults) in [
        (&f.masked_paths, DEFAULT_MASKED),
        (&f.readonly_paths, DEFAULT_READONLY),
    ] {
        let Some(sent) = sent else { continue };
        for d in defaults {
            if !sent.iter().any(|s| host::clean(s) == *d) {
                out.push((*d).to_owned());
            }
        }
    }
    out
}
