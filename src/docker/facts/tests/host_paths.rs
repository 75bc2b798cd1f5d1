use super::*;

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
