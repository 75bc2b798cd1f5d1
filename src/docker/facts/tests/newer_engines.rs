use super::*;

// Fields engines newer than 20.10 read (API 1.42–1.56): each either reaches the host or
// does not, and the facts must say which.

#[test]
fn an_image_mount_is_not_a_host_path() {
    let body = r#"{"Image":"alpine","HostConfig":{"Mounts":[
        {"Type":"image","Source":"alpine:3","Target":"/ro","ImageOptions":{"Subpath":"etc"}}]}}"#;
    let f = of(Operation::ContainerCreate, body);
    assert_eq!(f.mounts[0].kind, "image");
    assert_eq!(f.mounts[0].source, "alpine:3");
    assert!(f.host_paths.is_empty());
    assert!(f.volumes.is_empty(), "an image is not a volume");
    assert!(f.escalations(&[]).is_empty());
}

#[test]
fn a_bind_that_creates_its_host_directory_is_still_that_host_path() {
    let body = r#"{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/etc/cron.d/x",
        "Target":"/x","BindOptions":{"CreateMountpoint":true,"ReadOnlyNonRecursive":true}}]}}"#;
    assert_eq!(
        escalations(Operation::ContainerCreate, body),
        ["host path /etc/cron.d/x outside the allowlist"]
    );
}

#[test]
fn a_named_pipe_mount_is_a_host_path() {
    // `npipe` is Windows' socket: `\\.\pipe\docker_engine` is the daemon itself.
    let body = r#"{"HostConfig":{"Mounts":[{"Type":"npipe",
        "Source":"\\\\.\\pipe\\docker_engine","Target":"\\\\.\\pipe\\docker_engine"}]}}"#;
    let f = of(Operation::ContainerCreate, body);
    assert_eq!(f.host_paths, [r"\\.\pipe\docker_engine"]);
    assert_eq!(
        kinds(&f.escalations(&["/srv"])),
        [r"host path \\.\pipe\docker_engine outside the allowlist"]
    );
}

#[test]
fn annotations_reach_the_runtime_and_are_escalations() {
    // Kata reads `io.katacontainers.config.*` (hypervisor and kernel paths), crun `run.oci.*`:
    // what an annotation does depends on a runtime sockeye cannot see.
    let body = r#"{"HostConfig":{"Annotations":{
        "io.katacontainers.config.hypervisor.kernel":"/tmp/evil","com.example.ok":"1"}}}"#;
    let f = of(Operation::ContainerCreate, body);
    assert_eq!(
        f.get("annotations"),
        Some(
            json!({"com.example.ok":"1","io.katacontainers.config.hypervisor.kernel":"/tmp/evil"})
        )
    );
    assert_eq!(
        kinds(&f.escalations(&[])),
        [
            "annotation com.example.ok",
            "annotation io.katacontainers.config.hypervisor.kernel"
        ]
    );
}

#[test]
fn a_cdi_device_request_is_a_device() {
    let body = r#"{"HostConfig":{"DeviceRequests":[
        {"Driver":"cdi","DeviceIDs":["nvidia.com/gpu=all"]}]}}"#;
    assert_eq!(
        escalations(Operation::ContainerCreate, body),
        ["device request (cdi)"]
    );
}

#[test]
fn endpoint_sysctls_in_driver_options_are_sysctls() {
    // Docker 27+ (API 1.46) sets per-interface sysctls from this endpoint driver option;
    // from 1.48 it is the only way, so a rule on `sysctls` must see it.
    let create = r#"{"NetworkingConfig":{"EndpointsConfig":{"n":{"DriverOpts":{
        "com.docker.network.endpoint.sysctls":
        "net.ipv4.conf.IFNAME.forwarding=1,net.ipv6.conf.IFNAME.accept_ra=2"}}}}}"#;
    let f = of(Operation::ContainerCreate, create);
    assert_eq!(
        f.get("sysctls"),
        Some(json!({
            "net.ipv4.conf.IFNAME.forwarding":"1",
            "net.ipv6.conf.IFNAME.accept_ra":"2"
        }))
    );
    assert_eq!(
        kinds(&f.escalations(&[])),
        [
            "sysctl net.ipv4.conf.IFNAME.forwarding",
            "sysctl net.ipv6.conf.IFNAME.accept_ra"
        ]
    );
    let connect = r#"{"Container":"c","EndpointConfig":{"DriverOpts":{
        "com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.rp_filter=0"}}}"#;
    assert_eq!(
        escalations(Operation::NetworkConnect, connect),
        ["sysctl net.ipv4.conf.IFNAME.rp_filter"]
    );
    let service = r#"{"TaskTemplate":{"ContainerSpec":{"Image":"a"},"Networks":[{"Target":"n",
        "DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.forwarding=1"}}]}}"#;
    assert_eq!(
        escalations(Operation::ServiceCreate, service),
        ["sysctl net.ipv4.conf.IFNAME.forwarding"]
    );
}

#[test]
fn other_endpoint_driver_options_are_not_sysctls() {
    let body = r#"{"NetworkingConfig":{"EndpointsConfig":{"n":{"DriverOpts":{
        "com.example.opt":"net.ipv4.ip_forward=1"}}}}}"#;
    assert!(of(Operation::ContainerCreate, body).sysctls.is_empty());
}

#[test]
fn a_config_only_network_names_the_host_interface_its_users_will_take() {
    // `docker network create --config-only -o parent=eth0 conf` then
    // `docker network create -d macvlan --config-from conf net`: the second request names no
    // interface, the first names no macvlan driver; the interface must show on one of them.
    let conf = of(
        Operation::NetworkCreate,
        r#"{"Name":"conf","ConfigOnly":true,"Options":{"parent":"eth0"}}"#,
    );
    assert_eq!(conf.network_parent.as_deref(), Some("eth0"));
    let net = of(
        Operation::NetworkCreate,
        r#"{"Name":"net","Driver":"macvlan","ConfigFrom":{"Network":"conf"}}"#,
    );
    assert_eq!(net.network_config_from.as_deref(), Some("conf"));
    assert_eq!(net.get("network_config_from"), Some(json!("conf")));
}
