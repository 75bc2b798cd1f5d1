//! The daemon's state turned into facts. Inspect answers are trimmed copies of what dockerd
//! 20.10 returned for the containers and volumes named in each test.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::docker::facts;
use crate::docker::gojson::Form;

/// `docker create --privileged --pid host -v bindvol:/x -v /etc:/hostetc:ro`, where `bindvol`
/// is a local volume with `o=bind,device=/tmp`.
fn dangerous_inspect() -> Value {
    json!({"Id": "7a8419fa9371dbaf6cd53105cc99c6fcb596f361832b55583ed30b2dd6e77c4b",
        "Name": "/skst-c1",
        "Config": {"Image": "sockeye-test/busybox:1", "User": "", "Cmd": ["sleep", "1"],
                   "Env": ["PATH=/bin", "TOKEN=s3cret"], "Labels": {"team": "a"}, "Tty": false},
        "HostConfig": {"Binds": ["bindvol:/x", "/etc:/hostetc:ro"], "NetworkMode": "default",
                       "VolumesFrom": null, "CapAdd": null, "IpcMode": "private", "PidMode": "host",
                       "Privileged": true, "MaskedPaths": null, "ReadonlyPaths": null,
                       "Devices": [], "SecurityOpt": ["label=disable"]},
        "Mounts": [
            {"Type": "volume", "Name": "bindvol",
             "Source": "/var/lib/docker/volumes/bindvol/_data", "Destination": "/x",
             "Driver": "local", "Mode": "z", "RW": true, "Propagation": ""},
            {"Type": "bind", "Source": "/etc", "Destination": "/hostetc", "Mode": "ro",
             "RW": false, "Propagation": "rprivate"}]})
}

/// `docker create -v plain:/data` with an ordinary local volume.
fn plain_inspect() -> Value {
    json!({"Id": "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2",
        "Name": "/plain",
        "Config": {"Image": "sockeye-test/busybox:1", "Cmd": ["sh"], "Labels": null},
        "HostConfig": {"Binds": ["plain:/data"], "NetworkMode": "default", "IpcMode": "private",
                       "PidMode": "", "Privileged": false,
                       "MaskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                           "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                           "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
                       "ReadonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                           "/proc/sysrq-trigger"]},
        "Mounts": [{"Type": "volume", "Name": "plain",
                    "Source": "/var/lib/docker/volumes/plain/_data", "Destination": "/data",
                    "Driver": "local", "Mode": "z", "RW": true, "Propagation": ""}]})
}

fn bind_volume(name: &str, device: &str) -> VolumeState {
    VolumeState::from_inspect(&json!({"Name": name, "Driver": "local",
        "Options": {"type": "none", "o": "bind", "device": device}, "Labels": null}))
    .unwrap()
}

fn plain_volume(name: &str) -> VolumeState {
    VolumeState::from_inspect(&json!({"Name": name, "Driver": "local", "Options": null})).unwrap()
}

fn create(body: Value) -> Facts {
    facts::facts(Some(Operation::ContainerCreate), &body, &Form::default())
}

fn kinds(f: &Facts) -> Vec<String> {
    f.escalations(&[]).iter().map(|e| e.to_string()).collect()
}

#[test]
fn a_named_volume_that_binds_the_hosts_root_counts_as_the_hosts_root() {
    // The no-escape bypass: `docker volume create -o o=bind -o device=/ data`, then
    // `docker run -v data:/x` (Binds) or `--mount type=volume,src=data` (Mounts).
    for body in [
        json!({"Image": "x", "HostConfig": {"Binds": ["data:/x"]}}),
        json!({"Image": "x", "HostConfig": {"Mounts": [
            {"Type": "volume", "Source": "data", "Target": "/x"}]}}),
    ] {
        let mut f = create(body);
        assert!(kinds(&f).is_empty(), "the request alone looks harmless");
        let refs = references(Operation::ContainerCreate, None, &f);
        assert_eq!(
            refs,
            vec![Reference {
                kind: Kind::Volume,
                name: "data".into(),
                role: Role::Volume
            }]
        );
        let answer = Answer::Volume(Arc::new(bind_volume("data", "/")));
        apply(
            Operation::ContainerCreate,
            &mut f,
            &[(refs[0].clone(), answer)],
        );
        assert_eq!(f.host_paths, vec!["/"]);
        assert_eq!(kinds(&f), vec!["host path / outside the allowlist"]);
        assert_eq!(f.resolved[0].id, "data");
    }
}

#[test]
fn an_ordinary_or_missing_named_volume_adds_nothing() {
    let mut f = create(json!({"Image": "x", "HostConfig": {"Binds": ["data:/x"]}}));
    let r = references(Operation::ContainerCreate, None, &f).remove(0);
    apply(
        Operation::ContainerCreate,
        &mut f,
        &[(r.clone(), Answer::Volume(Arc::new(plain_volume("data"))))],
    );
    assert!(kinds(&f).is_empty());
    let mut g = create(json!({"Image": "x", "HostConfig": {"Binds": ["data:/x"]}}));
    apply(Operation::ContainerCreate, &mut g, &[(r, Answer::NoVolume)]);
    assert!(kinds(&g).is_empty());
}

#[test]
fn volumes_from_a_container_with_only_a_plain_volume_is_harmless_once_resolved() {
    let mut f = create(json!({"Image": "x", "HostConfig": {"VolumesFrom": ["plain:ro"]}}));
    assert_eq!(
        kinds(&f),
        vec!["volumes from plain:ro"],
        "unresolved, it is refused"
    );
    let refs = references(Operation::ContainerCreate, None, &f);
    assert_eq!(refs[0].name, "plain");
    let c = ContainerState::from_inspect(&plain_inspect())
        .unwrap()
        .with_volumes(&[plain_volume("plain")]);
    apply(
        Operation::ContainerCreate,
        &mut f,
        &[(refs[0].clone(), Answer::Container(Arc::new(c)))],
    );
    assert!(kinds(&f).is_empty(), "{:?}", kinds(&f));
    assert!(
        f.mounts.iter().all(|m| m.read_only),
        ":ro makes every inherited mount read-only"
    );
}

#[test]
fn volumes_from_a_container_that_mounts_a_bind_volume_gets_its_host_paths() {
    let mut f = create(json!({"Image": "x", "HostConfig": {"VolumesFrom": ["skst-c1"]}}));
    let refs = references(Operation::ContainerCreate, None, &f);
    let c = ContainerState::from_inspect(&dangerous_inspect())
        .unwrap()
        .with_volumes(&[bind_volume("bindvol", "/")]);
    apply(
        Operation::ContainerCreate,
        &mut f,
        &[(refs[0].clone(), Answer::Container(Arc::new(c)))],
    );
    assert_eq!(f.host_paths, vec!["/", "/etc"]);
    // The source's privileges are not inherited by volumes-from: only its mounts.
    assert_eq!(
        kinds(&f),
        vec![
            "host path / outside the allowlist",
            "host path /etc outside the allowlist"
        ]
    );
}

#[test]
fn sharing_the_pid_namespace_of_a_privileged_container_is_judged_by_that_container() {
    let mut f = create(json!({"Image": "x", "HostConfig": {"PidMode": "container:skst-c1"}}));
    let refs = references(Operation::ContainerCreate, None, &f);
    assert_eq!(refs[0].role, Role::Namespace("pid"));
    let c = ContainerState::from_inspect(&dangerous_inspect()).unwrap();
    apply(
        Operation::ContainerCreate,
        &mut f,
        &[(refs[0].clone(), Answer::Container(Arc::new(c)))],
    );
    let k = kinds(&f);
    assert!(
        k.contains(&"container skst-c1 (7a8419fa9371): privileged".to_owned()),
        "{k:?}"
    );
    assert!(k.contains(&"container skst-c1 (7a8419fa9371): pid namespace host".to_owned()));
    assert!(
        !k.iter().any(|e| e.starts_with("pid namespace container:")),
        "{k:?}"
    );
}

#[test]
fn sharing_the_network_of_an_ordinary_container_is_harmless() {
    let mut f = create(json!({"Image": "x", "HostConfig": {"NetworkMode": "container:plain"}}));
    let refs = references(Operation::ContainerCreate, None, &f);
    let c = ContainerState::from_inspect(&plain_inspect()).unwrap();
    apply(
        Operation::ContainerCreate,
        &mut f,
        &[(refs[0].clone(), Answer::Container(Arc::new(c)))],
    );
    assert!(kinds(&f).is_empty(), "{:?}", kinds(&f));
}

#[test]
fn only_the_exact_lowercase_container_prefix_is_resolved_any_other_stays_refused() {
    let f = create(json!({"Image": "x", "HostConfig": {"PidMode": "Container:plain"}}));
    assert!(references(Operation::ContainerCreate, None, &f).is_empty());
    assert_eq!(kinds(&f), vec!["pid namespace Container:plain"]);
}

#[test]
fn an_archive_upload_is_a_host_write_only_through_a_writable_host_mount() {
    let q = Form::default();
    let mut f = facts::facts(Some(Operation::PutContainerArchive), &Value::Null, &q);
    let refs = references(Operation::PutContainerArchive, Some("skst-c1"), &f);
    let c = ContainerState::from_inspect(&dangerous_inspect())
        .unwrap()
        .with_volumes(&[bind_volume("bindvol", "/")]);
    apply(
        Operation::PutContainerArchive,
        &mut f,
        &[(refs[0].clone(), Answer::Container(Arc::new(c)))],
    );
    // The read-only /etc bind is not writable; the bind volume onto / is.
    assert_eq!(f.host_paths, vec!["/"]);
    assert!(
        f.inherited.is_empty(),
        "an upload does not act with the container's powers"
    );

    let mut g = facts::facts(Some(Operation::PutContainerArchive), &Value::Null, &q);
    let c = ContainerState::from_inspect(&plain_inspect()).unwrap();
    apply(
        Operation::PutContainerArchive,
        &mut g,
        &[(refs[0].clone(), Answer::Container(Arc::new(c)))],
    );
    assert!(kinds(&g).is_empty());
}

#[test]
fn an_exec_acts_with_the_powers_of_its_container_and_its_own() {
    let q = Form::default();
    let dangerous = Arc::new(ContainerState::from_inspect(&dangerous_inspect()).unwrap());
    let mut f = facts::facts(Some(Operation::ContainerExec), &json!({"Cmd": ["sh"]}), &q);
    let refs = references(Operation::ContainerExec, Some("skst-c1"), &f);
    apply(
        Operation::ContainerExec,
        &mut f,
        &[(refs[0].clone(), Answer::Container(dangerous))],
    );
    assert!(kinds(&f).iter().any(|k| k.ends_with(": privileged")));

    let plain = Arc::new(ContainerState::from_inspect(&plain_inspect()).unwrap());
    let exec = json!({"ID": "e1", "ContainerID": plain.id, "ProcessConfig": {"privileged": true, "user": ""}});
    assert_eq!(ExecState::container_of(&exec).unwrap(), plain.id);
    let e = ExecState::from_inspect(&exec, plain).unwrap();
    let mut s = facts::facts(Some(Operation::ExecStart), &json!({}), &q);
    let refs = references(Operation::ExecStart, Some("e1"), &s);
    assert_eq!(refs[0].kind, Kind::Exec);
    apply(
        Operation::ExecStart,
        &mut s,
        &[(refs[0].clone(), Answer::Exec(Arc::new(e)))],
    );
    assert_eq!(
        kinds(&s),
        vec!["container plain (b1c2d3e4f5a6): privileged"]
    );
}

#[test]
fn a_container_inspect_that_is_not_what_dockerd_writes_is_an_error_not_a_guess() {
    for bad in [
        json!([]),
        json!({"Id": "abc", "Config": {}, "HostConfig": {}}),
        json!({"Id": "7a8419fa9371dbaf6cd53105cc99c6fcb596f361832b55583ed30b2dd6e77c4b"}),
        json!({"Id": "7a8419fa9371dbaf6cd53105cc99c6fcb596f361832b55583ed30b2dd6e77c4b",
               "Config": {}, "HostConfig": {}, "Mounts": "nope"}),
    ] {
        assert!(ContainerState::from_inspect(&bad).is_err(), "{bad}");
    }
}

#[test]
fn the_containers_env_values_never_become_facts() {
    let c = ContainerState::from_inspect(&dangerous_inspect()).unwrap();
    let text = serde_json::to_string(&c.facts).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    assert_eq!(c.facts.env_keys, vec!["PATH", "TOKEN"]);
    assert_eq!(c.labels.get("team").map(String::as_str), Some("a"));
}
