use super::*;

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
