use super::*;

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
