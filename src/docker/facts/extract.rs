//! Facts from canonical bodies. Field names are exact here because `gojson::canonical`
//! already spelled every key the way the table names it.
//!
//! Values of the wrong JSON type are skipped: dockerd answers 400 to those, so nothing they
//! say happens. The one exception is Go's `StrSlice` (`Cmd`, `Entrypoint`, `CapAdd`,
//! `CapDrop`), which dockerd also accepts as a single string.

use serde_json::{Map, Value};

use super::host::{self, Bind, LocalVolume};
use super::json::{
    boolean, env_keys, items, mode, obj, present_strings, str_slice, string, string_map, strings,
};
use super::{Facts, Mount};
use crate::docker::endpoint::Operation;

pub(super) fn body(f: &mut Facts, op: Operation, body: &Value) {
    let Some(root) = body.as_object() else {
        match op {
            Operation::PluginPull | Operation::PluginUpgrade => plugin_privileges(f, body),
            Operation::PluginSet => plugin_settings(f, body),
            _ => {}
        }
        return;
    };
    match op {
        Operation::ContainerCreate => {
            config(f, root);
            if let Some(hc) = obj(root, "HostConfig") {
                host_config(f, hc);
            }
            if let Some(nc) = obj(root, "NetworkingConfig").and_then(|n| obj(n, "EndpointsConfig"))
            {
                f.networks.extend(nc.keys().cloned());
                for endpoint in nc.values().filter_map(Value::as_object) {
                    endpoint_sysctls(f, endpoint);
                }
            }
        }
        // The update body is `Resources` plus `RestartPolicy`, flat; a legacy start body
        // (API < 1.24) is a whole HostConfig.
        Operation::ContainerUpdate | Operation::ContainerStart => host_config(f, root),
        Operation::ImageCommit => config(f, root),
        Operation::ContainerExec => {
            f.user = string(root, "User");
            f.privileged = boolean(root, "Privileged");
            f.tty = boolean(root, "Tty");
            f.cmd = str_slice(root, "Cmd");
            f.env_keys = env_keys(root, "Env");
        }
        Operation::ExecStart => {
            f.detach = boolean(root, "Detach");
            f.tty = boolean(root, "Tty");
        }
        Operation::ServiceCreate | Operation::ServiceUpdate => service(f, root),
        Operation::VolumeCreate => volume_create(f, root),
        Operation::NetworkCreate => network_create(f, root),
        Operation::NetworkConnect | Operation::NetworkDisconnect => {
            f.container = string(root, "Container");
            if let Some(endpoint) = obj(root, "EndpointConfig") {
                endpoint_sysctls(f, endpoint);
            }
        }
        _ => {}
    }
}

/// `Config`: what runs and as whom.
fn config(f: &mut Facts, c: &Map<String, Value>) {
    f.image = string(c, "Image");
    f.user = string(c, "User");
    f.cmd = str_slice(c, "Cmd");
    f.entrypoint = str_slice(c, "Entrypoint");
    f.env_keys = env_keys(c, "Env");
    f.tty = boolean(c, "Tty");
}

fn host_config(f: &mut Facts, hc: &Map<String, Value>) {
    f.privileged = boolean(hc, "Privileged");
    f.binds = strings(hc, "Binds");
    for raw in f.binds.clone() {
        let bind = Bind::parse(&raw);
        let host_path = bind.host_path();
        f.mounts.push(Mount {
            kind: if host_path.is_some() {
                "bind"
            } else {
                "volume"
            }
            .to_owned(),
            source: bind.source.unwrap_or("").to_owned(),
            target: bind.target.to_owned(),
            host_path,
            read_only: bind.read_only(),
            propagation: bind.propagation().map(str::to_owned),
            driver: None,
        });
    }
    if let Some(driver) = string(hc, "VolumeDriver").filter(|d| !d.is_empty()) {
        f.volume_drivers.push(driver);
    }
    mounts(f, hc, "Mounts");
    f.volumes_from = strings(hc, "VolumesFrom");

    f.pid_mode = mode(hc, "PidMode");
    f.ipc_mode = mode(hc, "IpcMode");
    f.network_mode = mode(hc, "NetworkMode");
    f.uts_mode = mode(hc, "UTSMode");
    f.userns_mode = mode(hc, "UsernsMode");
    f.cgroupns_mode = mode(hc, "CgroupnsMode");
    f.cgroup = mode(hc, "Cgroup");

    f.cap_add = str_slice(hc, "CapAdd")
        .iter()
        .map(|c| capability(c))
        .collect();
    f.cap_drop = str_slice(hc, "CapDrop")
        .iter()
        .map(|c| capability(c))
        .collect();
    for device in items(hc, "Devices") {
        if let Some(path) = device.as_object().and_then(|d| string(d, "PathOnHost")) {
            f.devices.push(host::clean(&path));
        }
    }
    f.device_cgroup_rules = strings(hc, "DeviceCgroupRules");
    for request in items(hc, "DeviceRequests") {
        if let Some(r) = request.as_object() {
            let driver = string(r, "Driver").filter(|d| !d.is_empty());
            f.device_requests
                .push(driver.unwrap_or_else(|| "auto".to_owned()));
        }
    }
    f.masked_paths = present_strings(hc, "MaskedPaths");
    f.readonly_paths = present_strings(hc, "ReadonlyPaths");
    f.security_opt = strings(hc, "SecurityOpt");
    security_opts(f);
    f.sysctls.extend(string_map(hc, "Sysctls"));
    f.annotations = string_map(hc, "Annotations");
    f.cgroup_parent = string(hc, "CgroupParent").filter(|s| !s.is_empty());
    f.runtime = string(hc, "Runtime").filter(|s| !s.is_empty());
    f.group_add = strings(hc, "GroupAdd");
    f.oom_kill_disable = boolean(hc, "OomKillDisable");
    f.pids_limit = hc.get("PidsLimit").and_then(Value::as_i64);
    f.log_driver = obj(hc, "LogConfig")
        .and_then(|l| string(l, "Type"))
        .filter(|s| !s.is_empty());

    if let Some(ports) = obj(hc, "PortBindings") {
        for (port, bindings) in ports {
            for b in bindings.as_array().into_iter().flatten() {
                let Some(b) = b.as_object() else { continue };
                let ip = string(b, "HostIp").filter(|s| !s.is_empty());
                let host_port = string(b, "HostPort").filter(|s| !s.is_empty());
                f.port_bindings.push(format!(
                    "{}:{}->{port}",
                    ip.as_deref().unwrap_or("*"),
                    host_port.as_deref().unwrap_or("*")
                ));
            }
        }
    }
    f.publish_all = boolean(hc, "PublishAllPorts");
    f.extra_hosts = strings(hc, "ExtraHosts");
}

/// `Mounts` of a HostConfig or a service's ContainerSpec.
fn mounts(f: &mut Facts, parent: &Map<String, Value>, key: &str) {
    for m in items(parent, key) {
        let Some(m) = m.as_object() else { continue };
        // dockerd matches the type exactly; lower-casing here can only over-report.
        let kind = string(m, "Type").unwrap_or_default().to_ascii_lowercase();
        let source = string(m, "Source").unwrap_or_default();
        let mut mount = Mount {
            target: string(m, "Target").unwrap_or_default(),
            read_only: boolean(m, "ReadOnly"),
            ..Mount::default()
        };
        match kind.as_str() {
            "bind" => {
                mount.host_path = Some(host::clean(&source));
                mount.propagation = obj(m, "BindOptions")
                    .and_then(|b| string(b, "Propagation"))
                    .filter(|p| !p.is_empty());
            }
            // Windows' named pipes: `\\.\pipe\docker_engine` is the daemon's own socket.
            // Kept as sent, never cleaned as a Unix path.
            "npipe" => mount.host_path = Some(source.clone()),
            "volume" => {
                let dc = obj(m, "VolumeOptions").and_then(|v| obj(v, "DriverConfig"));
                let driver = dc.and_then(|d| string(d, "Name")).filter(|d| !d.is_empty());
                if driver.as_deref().is_none_or(|d| d == "local") {
                    if let Some(opts) = dc.and_then(|d| obj(d, "Options")) {
                        let local = LocalVolume::from_options(opts);
                        mount.host_path = local.host_paths.first().cloned();
                        f.host_paths.extend(local.host_paths);
                        f.volume_mounts.extend(local.filesystem);
                    }
                }
                f.volume_drivers.extend(driver.clone());
                mount.driver = driver;
            }
            _ => {}
        }
        mount.kind = kind;
        mount.source = source;
        f.mounts.push(mount);
    }
}

/// dockerd's `parseSecurityOpt` (20.10, plus newer keys): `key=value`, the deprecated
/// `key:value`, bare `no-new-privileges` and bare `disable`; the last value of a key wins.
fn security_opts(f: &mut Facts) {
    for opt in f.security_opt.clone() {
        match opt.as_str() {
            "no-new-privileges" => {
                f.no_new_privileges = Some(true);
                continue;
            }
            "disable" => {
                f.selinux.push("disable".to_owned());
                continue;
            }
            _ => {}
        }
        let Some((key, value)) = opt.split_once('=').or_else(|| opt.split_once(':')) else {
            continue;
        };
        match key {
            "label" => f.selinux.push(value.to_owned()),
            "apparmor" => f.apparmor = Some(value.to_owned()).filter(|v| !v.is_empty()),
            "seccomp" => f.seccomp = seccomp(value),
            "no-new-privileges" => f.no_new_privileges = go_parse_bool(value),
            "writable-cgroups" => f.writable_cgroups = go_parse_bool(value).unwrap_or(false),
            // Not a daemon option (the CLI turns it into empty path lists), but say so.
            "systempaths" if value == "unconfined" => {
                f.masked_paths = Some(Vec::new());
                f.readonly_paths = Some(Vec::new());
            }
            _ => {}
        }
    }
}

fn seccomp(value: &str) -> Option<String> {
    match value {
        "" | "builtin" => None,
        "unconfined" => Some("unconfined".to_owned()),
        _ => Some("custom".to_owned()),
    }
}

/// Go's `strconv.ParseBool`.
fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A capability as dockerd normalizes it: Go's `strings.ToUpper` (simple Unicode mapping,
/// so `ſ` becomes `S` and `ı` becomes `I`), then without its `CAP_` prefix.
fn capability(raw: &str) -> String {
    let upper: String = raw
        .chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect();
    match upper.strip_prefix("CAP_") {
        Some(rest) => rest.to_owned(),
        None => upper,
    }
}

/// `TaskTemplate` of a service spec: the container part becomes container facts.
fn service(f: &mut Facts, spec: &Map<String, Value>) {
    let Some(task) = obj(spec, "TaskTemplate") else {
        return;
    };
    if let Some(cs) = obj(task, "ContainerSpec") {
        f.image = string(cs, "Image");
        f.user = string(cs, "User");
        f.group_add = strings(cs, "Groups");
        f.entrypoint = strings(cs, "Command");
        f.cmd = strings(cs, "Args");
        f.env_keys = env_keys(cs, "Env");
        f.tty = boolean(cs, "TTY");
        f.extra_hosts = strings(cs, "Hosts");
        mounts(f, cs, "Mounts");
        f.cap_add = strings(cs, "CapabilityAdd")
            .iter()
            .map(|c| capability(c))
            .collect();
        f.cap_drop = strings(cs, "CapabilityDrop")
            .iter()
            .map(|c| capability(c))
            .collect();
        f.sysctls.extend(string_map(cs, "Sysctls"));
        if let Some(p) = obj(cs, "Privileges") {
            if let Some(mode) = obj(p, "Seccomp").and_then(|s| string(s, "Mode")) {
                f.seccomp = match mode.as_str() {
                    "" | "default" => None,
                    "unconfined" => Some(mode),
                    _ => Some("custom".to_owned()),
                };
            }
            if let Some(mode) = obj(p, "AppArmor").and_then(|a| string(a, "Mode")) {
                if mode == "disabled" {
                    f.apparmor = Some("unconfined".to_owned());
                }
            }
            if let Some(se) = obj(p, "SELinuxContext") {
                if boolean(se, "Disable") {
                    f.selinux.push("disable".to_owned());
                }
                for (key, label) in [("User", "user"), ("Role", "role"), ("Type", "type")] {
                    if let Some(v) = string(se, key).filter(|v| !v.is_empty()) {
                        f.selinux.push(format!("{label}:{v}"));
                    }
                }
                if let Some(v) = string(se, "Level").filter(|v| !v.is_empty()) {
                    f.selinux.push(format!("level:{v}"));
                }
            }
            if boolean(p, "NoNewPrivileges") {
                f.no_new_privileges = Some(true);
            }
        }
    }
    let networks = items(task, "Networks").chain(items(spec, "Networks"));
    for n in networks {
        if let Some(n) = n.as_object() {
            endpoint_sysctls(f, n);
        }
        if let Some(target) = n.as_object().and_then(|n| string(n, "Target")) {
            if target == "host" {
                f.network_mode = Some("host".to_owned());
            }
            f.networks.push(target);
        }
    }
    f.pids_limit = obj(task, "Resources")
        .and_then(|r| obj(r, "Limits"))
        .and_then(|l| l.get("Pids"))
        .and_then(Value::as_i64);
    f.log_driver = obj(task, "LogDriver")
        .and_then(|l| string(l, "Name"))
        .filter(|s| !s.is_empty());
    if let Some(plugin) = obj(task, "PluginSpec") {
        f.plugin_remote = string(plugin, "Remote");
        plugin_privileges(f, plugin.get("PluginPrivilege").unwrap_or(&Value::Null));
    }
    if let Some(ports) = obj(spec, "EndpointSpec").map(|e| items(e, "Ports")) {
        for p in ports {
            let Some(p) = p.as_object() else { continue };
            let published = p.get("PublishedPort").and_then(Value::as_u64).unwrap_or(0);
            let target = p.get("TargetPort").and_then(Value::as_u64).unwrap_or(0);
            let proto = string(p, "Protocol").filter(|s| !s.is_empty());
            f.port_bindings.push(format!(
                "*:{}->{target}/{}",
                if published == 0 {
                    "*".to_owned()
                } else {
                    published.to_string()
                },
                proto.as_deref().unwrap_or("tcp")
            ));
        }
    }
}

/// The endpoint driver option dockerd (27+, API 1.46) turns into per-interface sysctls of
/// the container's network namespace, `net.ipv4.conf.IFNAME.forwarding=1,…`; from API 1.48
/// it is the only way to set them, so a rule on `sysctls` must see these too.
const ENDPOINT_SYSCTLS: &str = "com.docker.network.endpoint.sysctls";

/// An `EndpointSettings` (create, connect) or a service's network attachment.
fn endpoint_sysctls(f: &mut Facts, endpoint: &Map<String, Value>) {
    let opts = obj(endpoint, "DriverOpts");
    let Some(list) = opts
        .and_then(|o| o.get(ENDPOINT_SYSCTLS))
        .and_then(Value::as_str)
    else {
        return;
    };
    for setting in list.split(',').filter(|s| !s.is_empty()) {
        let (key, value) = setting.split_once('=').unwrap_or((setting, ""));
        f.sysctls.insert(key.trim().to_owned(), value.to_owned());
    }
}

fn volume_create(f: &mut Facts, v: &Map<String, Value>) {
    let driver = string(v, "Driver").filter(|d| !d.is_empty());
    if let Some(name) = string(v, "Name").filter(|n| !n.is_empty()) {
        f.volumes.push(name);
    }
    if let Some(opts) = obj(v, "DriverOpts") {
        f.driver_opt_keys = opts.keys().cloned().collect();
        if driver.as_deref().is_none_or(|d| d == "local") {
            let local = LocalVolume::from_options(opts);
            f.host_paths.extend(local.host_paths);
            f.volume_mounts.extend(local.filesystem);
        }
    }
    f.volume_drivers.extend(driver.clone());
    f.driver = Some(driver.unwrap_or_else(|| "local".to_owned()));
}

fn network_create(f: &mut Facts, n: &Map<String, Value>) {
    f.driver = string(n, "Driver").filter(|d| !d.is_empty());
    f.network_options = string_map(n, "Options");
    f.driver_opt_keys = f.network_options.keys().cloned().collect();
    // A config-only network holds options for the networks created `ConfigFrom` it, whatever
    // their driver: its `parent` is the interface a later macvlan or ipvlan will take.
    let config_only = boolean(n, "ConfigOnly");
    if config_only || matches!(f.driver.as_deref(), Some("macvlan" | "ipvlan")) {
        f.network_parent = f.network_options.get("parent").cloned();
    }
    f.network_config_from = obj(n, "ConfigFrom")
        .and_then(|c| string(c, "Network"))
        .filter(|s| !s.is_empty());
}

/// A plugin pull or upgrade body: the privileges the plugin will hold, as root on the host.
/// Names are those dockerd's `computePrivileges` produces.
fn plugin_privileges(f: &mut Facts, list: &Value) {
    for p in list.as_array().into_iter().flatten() {
        let Some(p) = p.as_object() else { continue };
        let name = string(p, "Name").unwrap_or_default();
        let values = strings(p, "Value");
        f.plugin_privileges
            .push(format!("{name}={}", values.join(",")));
        match name.as_str() {
            "network" if values.iter().any(|v| v == "host") => {
                f.network_mode = Some("host".to_owned());
            }
            "mount" => f.host_paths.extend(values.iter().map(|v| host::clean(v))),
            "device" => f.devices.extend(values.iter().map(|v| host::clean(v))),
            "capabilities" => f.cap_add.extend(values.iter().map(|v| capability(v))),
            "host pid namespace" => f.pid_mode = Some("host".to_owned()),
            "host ipc namespace" => f.ipc_mode = Some("host".to_owned()),
            _ => {}
        }
    }
}

/// A plugin set body: `KEY=value`, or `mount.source=/path` and `device.path=/dev/x`, which
/// re-point a plugin's mounts and devices on the host.
fn plugin_settings(f: &mut Facts, list: &Value) {
    for s in list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let (key, value) = s.split_once('=').unwrap_or((s, ""));
        f.plugin_settings.push(key.to_owned());
        match key.rsplit_once('.') {
            Some((_, "source")) => f.host_paths.push(host::clean(value)),
            Some((_, "path")) => f.devices.push(host::clean(value)),
            _ => {}
        }
    }
}
