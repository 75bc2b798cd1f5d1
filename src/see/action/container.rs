//! Flags rebuilt from container-shaped bodies: create, update, exec and service specs.
//!
//! Bodies arrive here already redacted ([`crate::see::redact::json_body`]), so `Env` is
//! `KEY=<redacted>` and log and driver options carry no secrets: these functions only lay out
//! what is left. Flags come in a fixed order, the ones that weaken isolation first, so the
//! dangerous part of a long line is where the eye lands.

use serde_json::Value;

use super::fields::{entries, ints, items, list, members, objects, on, scalar, text, texts};
use super::line::Line;

/// The objects dockerd reads host settings from. Daemons before 27.0 also took them from the
/// top level of the create body when it has no `HostConfig` object (`"Privileged": true` next
/// to `Image`), so such a body is shown as it would act there.
fn host_configs(body: &Value) -> Vec<&Value> {
    let hosts = objects(&[body], "hostconfig");
    if hosts.is_empty() {
        vec![body]
    } else {
        hosts
    }
}

/// `docker create` flags, image and command from a `POST /containers/create` body.
pub(crate) fn create(line: &mut Line, body: &Value) {
    let c = &[body][..];
    let h = &host_configs(body)[..];
    line.flag_if(on(h, "autoremove"), "--rm")
        .flag_if(on(c, "openstdin"), "-i")
        .flag_if(on(c, "tty"), "-t");
    isolation(line, c, h);
    for (k, v) in entries(h, "portbindings") {
        ports(line, k, v);
    }
    line.flag_if(on(h, "publishallports"), "-P");
    for r in members(h, "restartpolicy") {
        restart(line, r);
    }
    resources(line, h);
    for (k, v) in entries(h, "sysctls") {
        line.opt("--sysctl", &format!("{k}={}", scalar(v)));
    }
    for driver in objects(h, "logconfig") {
        let d = &[driver][..];
        for t in texts(d, "type") {
            line.opt("--log-driver", t);
        }
        for (k, v) in entries(d, "config") {
            line.opt("--log-opt", &format!("{k}={}", scalar(v)));
        }
    }
    line.flag_if(on(h, "readonlyrootfs"), "--read-only");
    for t in texts(c, "hostname") {
        line.opt("--hostname", t);
    }
    for x in list(h, "extrahosts") {
        line.opt("--add-host", x);
    }
    for x in list(h, "dns") {
        line.opt("--dns", x);
    }
    for x in list(h, "links") {
        line.opt("--link", x);
    }
    for (k, v) in entries(c, "labels") {
        line.opt("--label", &format!("{k}={}", scalar(v)));
    }
    for t in texts(c, "stopsignal") {
        line.opt("--stop-signal", t);
    }
    for t in texts(c, "workingdir") {
        line.opt("-w", t);
    }
    let entrypoint = members(c, "entrypoint")
        .into_iter()
        .any(|v| !v.is_null())
        .then(|| list(c, "entrypoint"));
    if let Some(ep) = &entrypoint {
        // The CLI's `--entrypoint` takes one word; further words of an API-set entrypoint
        // run as the first arguments, so they are written before the command.
        line.opt("--entrypoint", ep.first().copied().unwrap_or(""));
    }
    env(line, c);
    if let Some(image) = text(c, "image") {
        line.arg(image);
    }
    if let Some(ep) = &entrypoint {
        line.args(ep.iter().skip(1).copied());
    }
    line.args(list(c, "cmd"));
}

/// A capability as a person types it: the CLI (20.10 and later) sends `--cap-add sys_admin`
/// as `CAP_SYS_ADMIN`, and the docs and `docker run --help` spell it `SYS_ADMIN`. Both
/// spellings mean the same to dockerd, so nothing is hidden by showing the short one.
pub(crate) fn typed_capability(cap: &str) -> &str {
    match cap.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("CAP_") && cap.len() > 4 => &cap[4..],
        _ => cap,
    }
}

/// What escapes the container: privileges, identity, mounts, devices, namespaces.
fn isolation(line: &mut Line, c: &[&Value], h: &[&Value]) {
    line.flag_if(on(h, "privileged"), "--privileged");
    for u in texts(c, "user") {
        line.opt("-u", u);
    }
    for cap in list(h, "capadd") {
        line.opt("--cap-add", typed_capability(cap));
    }
    for cap in list(h, "capdrop") {
        line.opt("--cap-drop", typed_capability(cap));
    }
    for opt in list(h, "securityopt") {
        line.opt("--security-opt", opt);
    }
    // `--security-opt systempaths=unconfined` reaches the API as empty path lists; `null`
    // means the default masking.
    let unmasked = ["maskedpaths", "readonlypaths"].iter().any(|name| {
        members(h, name)
            .iter()
            .any(|v| v.as_array().is_some_and(Vec::is_empty))
    });
    line.flag_if(unmasked, "--security-opt systempaths=unconfined");
    for bind in list(h, "binds") {
        line.opt("-v", bind);
    }
    for m in items(h, "mounts") {
        line.opt("--mount", &mount(m));
    }
    for (path, opts) in entries(h, "tmpfs") {
        let opts = scalar(opts);
        let spec = if opts.is_empty() {
            path.to_owned()
        } else {
            format!("{path}:{opts}")
        };
        line.opt("--tmpfs", &spec);
    }
    for from in list(h, "volumesfrom") {
        line.opt("--volumes-from", from);
    }
    for d in items(h, "devices") {
        line.opt("--device", &device(d));
    }
    for rule in list(h, "devicecgrouprules") {
        line.opt("--device-cgroup-rule", rule);
    }
    for r in items(h, "devicerequests") {
        line.opt("--gpus", &gpus(r));
    }
    for (name, flag) in [
        ("networkmode", "--network"),
        ("pidmode", "--pid"),
        ("ipcmode", "--ipc"),
        ("utsmode", "--uts"),
        ("usernsmode", "--userns"),
        ("cgroupnsmode", "--cgroupns"),
        ("cgroupparent", "--cgroup-parent"),
        ("cgroup", "--cgroup"),
        ("runtime", "--runtime"),
    ] {
        for mode in texts(h, name) {
            // `default` is what the CLI sends when no --network was given.
            if !(name == "networkmode" && mode == "default") {
                line.opt(flag, mode);
            }
        }
    }
    for g in list(h, "groupadd") {
        line.opt("--group-add", g);
    }
}

/// Resource limits, shared by create and update (`docker update` sends them top level).
pub(crate) fn resources(line: &mut Line, h: &[&Value]) {
    for m in ints(h, "memory") {
        line.opt("-m", &bytes(m));
    }
    for m in ints(h, "memoryswap") {
        line.opt("--memory-swap", &if m < 0 { "-1".into() } else { bytes(m) });
    }
    for m in ints(h, "memoryreservation") {
        line.opt("--memory-reservation", &bytes(m));
    }
    for n in ints(h, "nanocpus") {
        line.opt("--cpus", &cpus(n));
    }
    for n in ints(h, "cpushares") {
        line.opt("--cpu-shares", &n.to_string());
    }
    for s in texts(h, "cpusetcpus") {
        line.opt("--cpuset-cpus", s);
    }
    for n in ints(h, "pidslimit") {
        line.opt("--pids-limit", &n.to_string());
    }
    line.flag_if(on(h, "oomkilldisable"), "--oom-kill-disable");
    for n in ints(h, "oomscoreadj") {
        line.opt("--oom-score-adj", &n.to_string());
    }
    for n in ints(h, "shmsize") {
        line.opt("--shm-size", &bytes(n));
    }
}

/// `docker update` flags from a `POST /containers/{id}/update` body.
pub(crate) fn update(line: &mut Line, body: &Value) {
    let b = &[body][..];
    resources(line, b);
    for r in members(b, "restartpolicy") {
        restart(line, r);
    }
}

/// `docker exec` flags and command from a `POST /containers/{id}/exec` body; `container` is
/// the object, placed where the CLI wants it.
pub(crate) fn exec(line: &mut Line, body: &Value, container: &str) {
    let b = &[body][..];
    line.flag_if(on(b, "detach"), "-d")
        .flag_if(on(b, "attachstdin"), "-i")
        .flag_if(on(b, "tty"), "-t");
    for u in texts(b, "user") {
        line.opt("-u", u);
    }
    line.flag_if(on(b, "privileged"), "--privileged");
    env(line, b);
    for w in texts(b, "workingdir") {
        line.opt("-w", w);
    }
    line.object(container);
    line.args(list(b, "cmd"));
}

/// `-e KEY=<redacted>`; values were removed by redaction before the body got here.
pub(crate) fn env(line: &mut Line, srcs: &[&Value]) {
    for e in list(srcs, "env") {
        line.opt("-e", e);
    }
}

/// A `HostConfig.Mounts` (or service `ContainerSpec.Mounts`) entry as `--mount` would take it.
pub(crate) fn mount(m: &Value) -> String {
    let m = &[m][..];
    let mut parts: Vec<String> = Vec::new();
    let mut put = |k: &str, v: &str| {
        let field = format!("{k}={v}");
        // `--mount` is read as CSV: a field with a comma must be double-quoted.
        parts.push(if field.contains(',') || field.contains('"') {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field
        });
    };
    for t in texts(m, "type") {
        put("type", t);
    }
    for s in texts(m, "source") {
        put("src", s);
    }
    for t in texts(m, "target") {
        put("dst", t);
    }
    if on(m, "readonly") {
        put("readonly", "true");
    }
    for b in objects(m, "bindoptions") {
        let b = &[b][..];
        for p in texts(b, "propagation") {
            put("bind-propagation", p);
        }
        if on(b, "nonrecursive") {
            put("bind-recursive", "disabled");
        }
        if on(b, "createmountpoint") {
            put("bind-create-src", "true");
        }
    }
    for v in objects(m, "volumeoptions") {
        let v = &[v][..];
        if on(v, "nocopy") {
            put("volume-nocopy", "true");
        }
        for s in texts(v, "subpath") {
            put("volume-subpath", s);
        }
        for d in objects(v, "driverconfig") {
            let d = &[d][..];
            for n in texts(d, "name") {
                put("volume-driver", n);
            }
            for (k, o) in entries(d, "options") {
                put("volume-opt", &format!("{k}={}", scalar(o)));
            }
        }
        for (k, l) in entries(v, "labels") {
            put("volume-label", &format!("{k}={}", scalar(l)));
        }
    }
    for t in objects(m, "tmpfsoptions") {
        let t = &[t][..];
        for n in ints(t, "sizebytes") {
            put("tmpfs-size", &n.to_string());
        }
        for n in ints(t, "mode") {
            put("tmpfs-mode", &format!("{n:o}"));
        }
    }
    parts.join(",")
}

fn device(d: &Value) -> String {
    let d = &[d][..];
    let host = text(d, "pathonhost").unwrap_or("");
    let inside = text(d, "pathincontainer").unwrap_or(host);
    match text(d, "cgrouppermissions").filter(|p| *p != "rwm") {
        Some(perms) => format!("{host}:{inside}:{perms}"),
        None if inside != host => format!("{host}:{inside}"),
        None => host.to_owned(),
    }
}

fn gpus(r: &Value) -> String {
    let r = &[r][..];
    let ids = list(r, "deviceids");
    match members(r, "count").iter().find_map(|v| v.as_i64()) {
        Some(-1) => "all".to_owned(),
        Some(n) if n > 0 => n.to_string(),
        _ if !ids.is_empty() => format!("\"device={}\"", ids.join(",")),
        _ => text(r, "driver").unwrap_or("all").to_owned(),
    }
}

/// `"80/tcp": [{"HostIp": "", "HostPort": "8080"}]` → `-p 8080:80`.
fn ports(line: &mut Line, port: &str, bindings: &Value) {
    let inner = port.strip_suffix("/tcp").unwrap_or(port);
    for b in bindings.as_array().into_iter().flatten() {
        let b = &[b][..];
        let ip = text(b, "hostip").map(|ip| {
            if ip.contains(':') {
                format!("[{ip}]")
            } else {
                ip.to_owned()
            }
        });
        let host_port = text(b, "hostport");
        let spec = match (ip, host_port) {
            (Some(ip), hp) => format!("{ip}:{}:{inner}", hp.unwrap_or("")),
            (None, Some(hp)) => format!("{hp}:{inner}"),
            (None, None) => inner.to_owned(),
        };
        line.opt("-p", &spec);
    }
}

pub(crate) fn restart(line: &mut Line, policy: &Value) {
    let p = &[policy][..];
    for name in texts(p, "name") {
        if name == "no" {
            continue;
        }
        match ints(p, "maximumretrycount").first() {
            Some(n) if name == "on-failure" => line.opt("--restart", &format!("{name}:{n}")),
            _ => line.opt("--restart", name),
        };
    }
}

/// Bytes the way `-m 512m` is typed, exact: a unit only when it divides evenly.
fn bytes(n: i64) -> String {
    for (unit, size) in [("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
        if n % size == 0 {
            return format!("{}{unit}", n / size);
        }
    }
    n.to_string()
}

/// `NanoCpus` as `--cpus`: 1500000000 → `1.5`.
fn cpus(n: i64) -> String {
    let (whole, frac) = (n / 1_000_000_000, n % 1_000_000_000);
    if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{:09}", frac.abs());
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn created(body: Value) -> String {
        let mut line = Line::docker("create");
        create(&mut line, &body);
        line.finish()
    }

    #[test]
    fn keys_in_any_case_are_shown_as_dockerd_applies_them() {
        assert_eq!(
            created(
                json!({"Image":"img","hostconfig":{"PRIVILEGED":true,"CAPADD":["SYS_ADMIN"],"Bind\u{17F}":["/:/h"]}})
            ),
            "docker create --privileged --cap-add SYS_ADMIN -v /:/h img"
        );
    }

    /// `docker run --cap-add SYS_ADMIN` was shown as `--cap-add CAP_SYS_ADMIN`: the CLI
    /// normalises the name before sending it.
    #[test]
    fn capabilities_are_shown_as_a_person_types_them() {
        assert_eq!(
            created(
                json!({"Image":"img","HostConfig":{"CapAdd":["CAP_SYS_ADMIN","ALL"],"CapDrop":["CAP_NET_RAW","cap_chown"]}})
            ),
            "docker create --cap-add SYS_ADMIN --cap-add ALL --cap-drop NET_RAW --cap-drop chown img"
        );
    }

    #[test]
    fn a_top_level_host_config_is_shown_when_there_is_no_host_config_object() {
        // Applied by daemons before 27.0 (the deprecated embedded HostConfig).
        assert_eq!(
            created(json!({"Image":"img","Privileged":true,"PidMode":"host","HostConfig":null})),
            "docker create --privileged --pid host img"
        );
        assert_eq!(
            created(json!({"Image":"img","Privileged":true,"HostConfig":{}})),
            "docker create img"
        );
    }

    #[test]
    fn two_spellings_of_one_object_show_both() {
        // Go merges duplicate objects; both halves take effect.
        assert_eq!(
            created(
                json!({"Image":"img","HostConfig":{"Privileged":true},"HOSTCONFIG":{"CapAdd":["NET_ADMIN"]}})
            ),
            "docker create --privileged --cap-add NET_ADMIN img"
        );
    }

    #[test]
    fn ports_restart_resources_and_entrypoint_read_like_the_cli() {
        let body = json!({
            "Image":"img","Cmd":["a b"],"Entrypoint":["/bin/sh","-c"],"User":"u","WorkingDir":"/w",
            "Tty":true,"OpenStdin":true,"Labels":{"l":"v"},
            "HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}],
                "53/udp":[{"HostIp":"127.0.0.1","HostPort":""}]},
                "RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},
                "Memory":536870912,"NanoCpus":1500000000,"Sysctls":{"net.ipv4.ip_forward":"1"},
                "MaskedPaths":[],"ReadonlyPaths":[],
                "Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"r"}],
                "LogConfig":{"Type":"splunk","Config":{"splunk-token":"<redacted>"}}}
        });
        assert_eq!(
            created(body),
            "docker create -i -t -u u --security-opt systempaths=unconfined \
             --device /dev/sda:/dev/sda:r -p 127.0.0.1::53/udp -p 8080:80 \
             --restart on-failure:3 -m 512m --cpus 1.5 --sysctl net.ipv4.ip_forward=1 \
             --log-driver splunk --log-opt splunk-token=<redacted> --label l=v -w /w \
             --entrypoint /bin/sh img -c 'a b'"
        );
    }

    #[test]
    fn a_volume_mount_shows_the_host_path_it_binds() {
        let m = json!({"Type":"volume","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local",
            "Options":{"device":"/","o":"bind","type":"none"}}}});
        assert_eq!(
            mount(&m),
            "type=volume,dst=/x,volume-driver=local,volume-opt=device=/,volume-opt=o=bind,volume-opt=type=none"
        );
        let m = json!({"Type":"volume","Source":"v","Target":"/x","VolumeOptions":{"DriverConfig":{
            "Options":{"o":"username=<redacted>,password=<redacted>"}}}});
        assert_eq!(
            mount(&m),
            "type=volume,src=v,dst=/x,\"volume-opt=o=username=<redacted>,password=<redacted>\""
        );
    }
}
