use super::*;

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
