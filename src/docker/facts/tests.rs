use serde_json::{json, Value};

use super::*;
use crate::docker::endpoint::Operation;
use crate::docker::gojson::{self, Ambiguity};

const DANGEROUS: &str = include_str!("../../../tests/data/facts/create-dangerous.json");
const SYSCTL: &str = include_str!("../../../tests/data/facts/create-sysctl.json");
const RUN_RM: &str = include_str!("../../../tests/data/facts/run-rm.json");
const EXEC_ROOT: &str = include_str!("../../../tests/data/facts/exec-root-priv.json");
const CIFS: &str = include_str!("../../../tests/data/facts/volume-create-cifs.json");
const NETWORK: &str = include_str!("../../../tests/data/facts/network-create.json");
const UPDATE: &str = include_str!("../../../tests/data/facts/update.json");

/// The whole path a request takes: strict parse, canonical body, facts.
fn read(op: Operation, body: &str, query: &str) -> Result<Facts, Ambiguity> {
    let value = if body.is_empty() {
        Value::Null
    } else {
        gojson::canonical(Some(op), &gojson::parse(body.as_bytes())?)?
    };
    Ok(facts(Some(op), &value, &gojson::form(query)?))
}

fn of(op: Operation, body: &str) -> Facts {
    read(op, body, "").unwrap()
}

fn kinds(e: &[Escalation]) -> Vec<String> {
    e.iter().map(|e| e.to_string()).collect()
}

fn escalations(op: Operation, body: &str) -> Vec<String> {
    kinds(&of(op, body).escalations(&[]))
}

// The traces.

#[test]
fn docker_create_with_every_dangerous_flag_yields_every_escalation() {
    let f = of(Operation::ContainerCreate, DANGEROUS);
    assert_eq!(
        kinds(&f.escalations(&[])),
        [
            "privileged",
            "host path / outside the allowlist",
            "host path /etc outside the allowlist",
            "pid namespace host",
            "ipc namespace host",
            "network namespace host",
            "uts namespace host",
            "userns namespace host",
            "capability ALL",
            "host device /dev/null",
            "seccomp unconfined",
            "apparmor unconfined",
            "cgroup parent probe-cg",
        ]
    );
    assert_eq!(f.image.as_deref(), Some("local/busybox:1"));
    assert_eq!(f.env_keys, ["SECRET_TOKEN"]);
    assert_eq!(f.binds, ["/:/host"]);
    assert_eq!(f.host_paths, ["/", "/etc"]);
    assert_eq!(f.mounts.len(), 2);
    assert_eq!(f.mounts[1].target, "/hostetc");
}

#[test]
fn facts_never_carry_env_values() {
    let f = of(Operation::ContainerCreate, DANGEROUS);
    assert!(!f.to_value().to_string().contains("env-secret-abc"));
}

#[test]
fn docker_create_with_sysctl_yields_the_sysctl() {
    let f = of(Operation::ContainerCreate, SYSCTL);
    assert_eq!(
        kinds(&f.escalations(&[])),
        ["sysctl kernel.shm_rmid_forced"]
    );
    assert_eq!(f.group_add, ["0"]);
    assert!(f.oom_kill_disable);
    assert_eq!(f.pids_limit, Some(-1));
    assert_eq!(f.networks, ["default"]);
}

#[test]
fn plain_docker_run_yields_nothing() {
    let f = of(Operation::ContainerCreate, RUN_RM);
    assert!(f.escalations(&[]).is_empty(), "{:?}", f.escalations(&[]));
    assert!(!f.privileged && f.host_paths.is_empty() && f.cap_add.is_empty());
    assert_eq!(f.cmd, ["echo", "hi"]);
    assert_eq!(f.network_mode.as_deref(), Some("default"));
}

#[test]
fn root_privileged_exec_is_seen() {
    let f = of(Operation::ContainerExec, EXEC_ROOT);
    assert!(f.privileged && f.user_is_root);
    assert_eq!(f.cmd, ["echo", "root-exec-ok"]);
    assert_eq!(kinds(&f.escalations(&[])), ["privileged"]);
}

#[test]
fn memory_update_yields_nothing() {
    assert!(escalations(Operation::ContainerUpdate, UPDATE).is_empty());
}

#[test]
fn cifs_volume_is_a_volume_mount_and_hides_the_password() {
    let f = of(Operation::VolumeCreate, CIFS);
    assert_eq!(f.driver.as_deref(), Some("local"));
    assert_eq!(f.driver_opt_keys, ["device", "o", "type"]);
    assert_eq!(f.volumes, ["probe-cifsvol"]);
    assert_eq!(
        kinds(&f.escalations(&[])),
        ["volume mounts cifs //127.0.0.1/share"]
    );
    assert!(!f.to_value().to_string().contains("cifs-password-xyz"));
}

#[test]
fn bridge_network_create_yields_nothing() {
    let f = of(Operation::NetworkCreate, NETWORK);
    assert_eq!(f.driver.as_deref(), Some("bridge"));
    assert!(f.escalations(&[]).is_empty());
}

// Every bypass spelling reads the same as the canonical one.

/// Rewrite every object key of `v` with `spell` (the trace bodies' maps are empty, so every
/// key is a struct field).
fn respell(v: &Value, spell: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (spell(k), respell(v, spell)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| respell(v, spell)).collect()),
        v => v.clone(),
    }
}

/// Serialize with every ASCII letter of every key as a `\u00XX` escape.
fn escaped_keys(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let members: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    let key: String = k
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphabetic() {
                                format!("\\u{:04x}", c as u32)
                            } else {
                                c.to_string()
                            }
                        })
                        .collect();
                    format!("\"{key}\":{}", escaped_keys(v))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(escaped_keys).collect();
            format!("[{}]", items.join(","))
        }
        v => v.to_string(),
    }
}

#[test]
fn every_key_spelling_dockerd_accepts_yields_the_same_facts() {
    let plain: Value = serde_json::from_str(DANGEROUS).unwrap();
    let expected = of(Operation::ContainerCreate, DANGEROUS);
    let folded = |k: &str| k.replace('s', "\u{17f}").replace(['k', 'K'], "\u{212a}");
    let variants = [
        respell(&plain, &|k| k.to_lowercase()).to_string(),
        respell(&plain, &|k| k.to_uppercase()).to_string(),
        respell(&plain, &folded).to_string(),
        escaped_keys(&plain),
    ];
    for body in variants {
        assert_eq!(of(Operation::ContainerCreate, &body), expected, "{body}");
    }
}

#[test]
fn bypass_spellings_that_cannot_be_canonicalized_are_refused() {
    for body in [
        r#"{"Image":"x","Privileged":true,"Binds":["/:/host"],"PidMode":"host"}"#,
        r#"{"HostConfig":{"Privileged":false,"privileged":true}}"#,
        r#"{"HostConfig":{"Binds":[]},"hostconfig":{"Binds":["/:/h"]}}"#,
        r#"{"Image":"x"}{"HostConfig":{"Privileged":true}}"#,
    ] {
        assert!(
            read(Operation::ContainerCreate, body, "").is_err(),
            "{body}"
        );
    }
}

// Host paths.

fn host_path_escalations(body: &str, allowed: &[&str]) -> Vec<String> {
    kinds(&of(Operation::ContainerCreate, body).escalations(allowed))
}

#[test]
fn dot_dot_cannot_climb_out_of_an_allowed_directory() {
    let body = r#"{"HostConfig":{"Binds":["/srv/data/../../etc:/x"]}}"#;
    assert_eq!(
        host_path_escalations(body, &["/srv/data"]),
        ["host path /etc outside the allowlist"]
    );
}

#[test]
fn allowlist_compares_whole_components() {
    let body = r#"{"HostConfig":{"Binds":["/srv/database:/x","/srv//data/./sub/:/y"]}}"#;
    assert_eq!(
        host_path_escalations(body, &["/srv/data/"]),
        ["host path /srv/database outside the allowlist"]
    );
    assert!(host_path_escalations(body, &["/"]).is_empty());
}

#[test]
fn a_bind_source_without_a_slash_is_a_named_volume() {
    let f = of(
        Operation::ContainerCreate,
        r#"{"HostConfig":{"Binds":["myvol:/data:ro","/data"]}}"#,
    );
    assert!(f.host_paths.is_empty());
    assert_eq!(f.volumes, ["myvol"]);
    assert!(f.mounts[0].read_only);
    assert_eq!(
        f.mounts[1].source, "",
        "a bare target is an anonymous volume"
    );
}

#[test]
fn volume_mount_with_local_bind_options_is_a_host_path() {
    let body = r#"{"HostConfig":{"Mounts":[{"Type":"volume","Source":"v","Target":"/x",
        "VolumeOptions":{"DriverConfig":{"Name":"local",
        "Options":{"type":"none","o":"bind","device":"/etc/../"}}}}]}}"#;
    let f = of(Operation::ContainerCreate, body);
    assert_eq!(f.host_paths, ["/"]);
    assert_eq!(f.mounts[0].host_path.as_deref(), Some("/"));
    assert_eq!(
        kinds(&f.escalations(&["/srv"])),
        ["host path / outside the allowlist"]
    );
}

#[test]
fn volume_create_with_bind_options_is_a_host_path() {
    let body = r#"{"Name":"v","DriverOpts":{"type":"none","o":"rbind,ro","device":"/var/run"}}"#;
    let f = of(Operation::VolumeCreate, body);
    assert_eq!(f.host_paths, ["/var/run"]);
    assert!(f.escalations(&["/var"]).is_empty());
    assert_eq!(
        kinds(&f.escalations(&[])),
        ["host path /var/run outside the allowlist"]
    );
}

#[test]
fn overlay_volume_exposes_its_layer_directories() {
    let body = r#"{"DriverOpts":{"type":"overlay","device":"overlay",
        "o":"lowerdir=/etc:/root,upperdir=/tmp/u,workdir=/tmp/w"}}"#;
    let f = of(Operation::VolumeCreate, body);
    assert_eq!(f.host_paths, ["/etc", "/root", "/tmp/u", "/tmp/w"]);
}

#[test]
fn bind_propagation_to_the_host_is_an_escalation() {
    let body = r#"{"HostConfig":{"Binds":["/srv:/srv:rshared"],
        "Mounts":[{"Type":"bind","Source":"/srv","Target":"/m","BindOptions":{"Propagation":"shared"}}]}}"#;
    assert_eq!(
        host_path_escalations(body, &["/srv"]),
        ["rshared mount propagation", "shared mount propagation"]
    );
}

// Capabilities, confinement, namespaces.

#[test]
fn capabilities_are_normalized_like_dockerd() {
    for cap_add in [
        r#"["cap_sys_admin"]"#,
        r#"["\u017fys_admin"]"#,
        r#""SYS_ADMIN""#,
        r#"["CAP_SYS_ADMIN"]"#,
    ] {
        let body = format!(r#"{{"HostConfig":{{"CapAdd":{cap_add}}}}}"#);
        assert_eq!(
            escalations(Operation::ContainerCreate, &body),
            ["capability SYS_ADMIN"],
            "{cap_add}"
        );
    }
    let f = of(
        Operation::ContainerCreate,
        r#"{"HostConfig":{"CapAdd":["CHOWN"],"CapDrop":"all"}}"#,
    );
    assert!(f.escalations(&[]).is_empty());
    assert_eq!(f.cap_drop, ["ALL"]);
}

#[test]
fn security_options_are_read_like_dockerd() {
    let body = r#"{"HostConfig":{"SecurityOpt":["seccomp=unconfined","seccomp:{}","disable",
        "label=type:spc_t","label=level:s0:c1","no-new-privileges=false","apparmor:unconfined"]}}"#;
    let f = of(Operation::ContainerCreate, body);
    assert_eq!(
        f.seccomp.as_deref(),
        Some("custom"),
        "the last seccomp wins"
    );
    assert_eq!(f.selinux, ["disable", "type:spc_t", "level:s0:c1"]);
    assert_eq!(
        kinds(&f.escalations(&[])),
        [
            "seccomp custom",
            "apparmor unconfined",
            "selinux label disable",
            "selinux label type:spc_t",
            "no-new-privileges=false",
        ]
    );
}

#[test]
fn empty_masked_paths_expose_proc() {
    let f = of(
        Operation::ContainerCreate,
        r#"{"HostConfig":{"MaskedPaths":[],"ReadonlyPaths":null}}"#,
    );
    assert_eq!(f.unmasked_paths, DEFAULT_MASKED);
    let f = of(
        Operation::ContainerCreate,
        r#"{"HostConfig":{"SecurityOpt":["systempaths=unconfined"]}}"#,
    );
    assert!(f.unmasked_paths.contains(&"/proc/sys".to_owned()));
    let mut list: Vec<&str> = DEFAULT_MASKED.to_vec();
    list.push("/proc/extra");
    let body = json!({"HostConfig":{"MaskedPaths":list}}).to_string();
    assert!(escalations(Operation::ContainerCreate, &body).is_empty());
}

#[test]
fn joining_another_containers_namespaces_is_an_escalation() {
    let body = r#"{"HostConfig":{"PidMode":"container:db","NetworkMode":"container:db","IpcMode":"shareable"}}"#;
    assert_eq!(
        escalations(Operation::ContainerCreate, body),
        [
            "pid namespace container:db",
            "network namespace container:db"
        ]
    );
}

#[test]
fn attaching_to_the_host_network_by_name_is_host_networking() {
    let body = r#"{"HostConfig":{"NetworkMode":"default"},"NetworkingConfig":{"EndpointsConfig":{"host":{}}}}"#;
    assert_eq!(
        escalations(Operation::ContainerCreate, body),
        ["network namespace host"]
    );
}

#[test]
fn devices_and_device_rules_are_escalations() {
    let body = r#"{"HostConfig":{"Devices":[{"PathOnHost":"/dev//sda/"}],
        "DeviceCgroupRules":["b *:* rwm"],"DeviceRequests":[{"Count":-1}],
        "VolumesFrom":["other:ro"]}}"#;
    assert_eq!(
        escalations(Operation::ContainerCreate, body),
        [
            "host device /dev/sda",
            "device cgroup rule \"b *:* rwm\"",
            "device request (auto)",
            "volumes from other:ro",
        ]
    );
}

#[test]
fn legacy_start_body_escalates_like_a_create() {
    assert_eq!(
        escalations(Operation::ContainerStart, r#"{"privileged":true}"#),
        ["privileged"]
    );
}

#[test]
fn user_root_is_recognized_in_every_spelling() {
    for (user, root) in [
        ("0", true),
        ("root", true),
        ("0:0", true),
        ("00:1000", true),
        ("root:staff", true),
        ("1000:0", false),
        ("", false),
        ("nobody", false),
    ] {
        let body = json!({"User": user}).to_string();
        assert_eq!(
            of(Operation::ContainerExec, &body).user_is_root,
            root,
            "{user}"
        );
    }
}

// Services, plugins, builds and the query-driven endpoints.

#[test]
fn service_spec_escalates_like_a_container() {
    let body = r#"{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"img","User":"root",
        "Mounts":[{"Type":"bind","Source":"/var/run/docker.sock","Target":"/s"}],
        "CapabilityAdd":["CAP_SYS_ADMIN"],"Sysctls":{"net.ipv4.ip_forward":"1"},
        "Privileges":{"Seccomp":{"Mode":"unconfined"},"AppArmor":{"Mode":"disabled"},
        "SELinuxContext":{"Disable":true}}},
        "Networks":[{"Target":"host"}]},
        "EndpointSpec":{"Ports":[{"TargetPort":80,"PublishedPort":8080,"PublishMode":"host"}]}}"#;
    let f = of(Operation::ServiceCreate, body);
    assert!(f.user_is_root);
    assert_eq!(f.port_bindings, ["*:8080->80/tcp"]);
    assert_eq!(
        kinds(&f.escalations(&[])),
        [
            "host path /var/run/docker.sock outside the allowlist",
            "network namespace host",
            "capability SYS_ADMIN",
            "seccomp unconfined",
            "apparmor unconfined",
            "selinux label disable",
            "sysctl net.ipv4.ip_forward",
        ]
    );
}

#[test]
fn plugin_privileges_are_escalations() {
    let body = r#"[{"Name":"network","Value":["host"]},{"Name":"mount","Value":["/var/lib/docker"]},
        {"Name":"device","Value":["/dev/cpu_dma_latency"]},{"Name":"capabilities","Value":["CAP_SYS_ADMIN"]}]"#;
    let f = read(Operation::PluginPull, body, "remote=vieux/sshfs&name=sshfs").unwrap();
    assert_eq!(f.plugin_remote.as_deref(), Some("vieux/sshfs"));
    assert_eq!(
        kinds(&f.escalations(&[])),
        [
            "host path /var/lib/docker outside the allowlist",
            "network namespace host",
            "capability SYS_ADMIN",
            "host device /dev/cpu_dma_latency",
            "plugin privilege network=host",
            "plugin privilege mount=/var/lib/docker",
            "plugin privilege device=/dev/cpu_dma_latency",
            "plugin privilege capabilities=CAP_SYS_ADMIN",
        ]
    );
}

#[test]
fn plugin_set_can_repoint_a_mount_at_the_host_root() {
    let f = of(
        Operation::PluginSet,
        r#"["DEBUG=1","data.source=/","dev.path=/dev/sda"]"#,
    );
    assert_eq!(f.plugin_settings, ["DEBUG", "data.source", "dev.path"]);
    assert_eq!(f.host_paths, ["/"]);
    assert_eq!(f.devices, ["/dev/sda"]);
}

#[test]
fn build_with_host_network_is_an_escalation() {
    let q = "remote=http%3A%2F%2F10.0.0.1%2Fctx.tar&networkmode=host&cgroupparent=cg\
             &extrahosts=a%3A1.2.3.4&extrahosts=b%3A5.6.7.8&t=x%3A1&t=y\
             &buildargs=%7B%22TOKEN%22%3A%22s3cr3t%22%2C%22B%22%3Anull%7D&networkmode=none";
    let f = read(Operation::ImageBuild, "", q).unwrap();
    assert_eq!(f.build_remote.as_deref(), Some("http://10.0.0.1/ctx.tar"));
    assert_eq!(f.network_mode.as_deref(), Some("host"), "first value wins");
    assert_eq!(f.extra_hosts, ["a:1.2.3.4", "b:5.6.7.8"]);
    assert_eq!(f.tags, ["x:1", "y"]);
    assert_eq!(f.build_arg_keys, ["TOKEN", "B"]);
    assert!(!f.to_value().to_string().contains("s3cr3t"));
    assert_eq!(
        kinds(&f.escalations(&[])),
        ["network namespace host", "cgroup parent cg"]
    );
}

#[test]
fn image_import_from_a_url_is_seen() {
    let f = read(
        Operation::ImageCreate,
        "",
        "fromSrc=http://127.0.0.1:9/rootfs.tar&repo=r&changes=USER+root&changes=CMD+sh",
    )
    .unwrap();
    assert_eq!(f.from_src.as_deref(), Some("http://127.0.0.1:9/rootfs.tar"));
    assert_eq!(f.changes, ["USER root", "CMD sh"]);
}

#[test]
fn archive_upload_and_commit_queries_are_read() {
    let f = read(
        Operation::PutContainerArchive,
        "",
        "path=%2Fetc&copyUIDGID=yes",
    )
    .unwrap();
    assert_eq!(f.archive_path.as_deref(), Some("/etc"));
    assert!(f.copy_uid_gid);
    let f = read(
        Operation::ImageCommit,
        r#"{"user":"root"}"#,
        "container=probe-x&repo=docker.io%2Flibrary%2Fprobe-commit&changes=USER%20root",
    )
    .unwrap();
    assert_eq!(f.container.as_deref(), Some("probe-x"));
    assert_eq!(f.changes, ["USER root"]);
    assert!(f.user_is_root);
}

#[test]
fn macvlan_network_names_its_host_interface() {
    let f = of(
        Operation::NetworkCreate,
        r#"{"Name":"n","Driver":"macvlan","Options":{"parent":"eth0"}}"#,
    );
    assert_eq!(f.network_parent.as_deref(), Some("eth0"));
}

#[test]
fn exec_start_detach_is_read() {
    assert!(of(Operation::ExecStart, r#"{"detach":true}"#).detach);
}

// The policy-facing surface.

#[test]
fn facts_are_reachable_by_their_documented_names() {
    let f = of(Operation::ContainerCreate, DANGEROUS);
    assert_eq!(f.get("privileged"), Some(json!(true)));
    assert_eq!(f.get("cap_add"), Some(json!(["ALL"])));
    assert_eq!(f.get("user"), Some(json!("")));
    assert_eq!(f.get("seccomp"), Some(json!("unconfined")));
    assert_eq!(f.get("operation"), Some(json!("ContainerCreate")));
    assert_eq!(f.get("no_such_fact"), None);
    let Value::Object(all) = f.to_value() else {
        panic!()
    };
    let names: Vec<&str> = all.keys().map(String::as_str).collect();
    let mut documented = Facts::NAMES.to_vec();
    documented.sort_unstable();
    let mut names = names;
    names.sort_unstable();
    assert_eq!(names, documented);
}

#[test]
fn escalations_serialize_with_a_stable_kind() {
    let e = Escalation::HostNamespace {
        namespace: "pid",
        mode: "host".into(),
    };
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"kind":"host_namespace","namespace":"pid","mode":"host"})
    );
    assert_eq!(e.kind(), "host_namespace");
}

#[test]
fn unknown_operation_has_no_facts() {
    let f = facts(None, &json!({"Privileged":true}), &gojson::Form::default());
    assert_eq!(f.operation, "Unknown");
    assert!(!f.privileged);
}

#[test]
fn clean_is_gos_path_clean() {
    for (input, want) in [
        ("/", "/"),
        ("//", "/"),
        ("/etc/", "/etc"),
        ("/etc/../", "/"),
        ("/../..", "/"),
        ("/a/./b//c/..", "/a/b"),
        ("etc", "/etc"),
        ("", "/"),
    ] {
        assert_eq!(host::clean(input), want, "{input}");
    }
}
