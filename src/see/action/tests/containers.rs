//! Container calls from the traces: run as create, attach, wait and start; logs, attach,
//! removals, updates and copies.

use super::*;

/// `run-rm`
const RUN_RM_CREATE: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["echo","hi"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

/// `run-d`
const RUN_D_CREATE: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sh","-c","trap \"exit 0\" TERM; echo out1; echo err1 \u003e\u00262; while true; do echo tick; sleep 1; done"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

/// `run-it`
const RUN_IT_CREATE: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":true,"AttachStdout":true,"AttachStderr":true,"Tty":true,"OpenStdin":true,"StdinOnce":true,"Env":null,"Cmd":["sh","-c","echo hi; exit"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[30,100],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

/// `create-dangerous`
const CREATE_DANGEROUS: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["SECRET_TOKEN=env-secret-abc"],"Cmd":["true"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":["/:/host"],"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"host","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":["ALL"],"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"host","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"host","Privileged":true,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":["seccomp=unconfined","apparmor=unconfined"],"UTSMode":"host","UsernsMode":"host","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"probe-cg","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"rwm"}],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"Mounts":[{"Type":"bind","Source":"/etc","Target":"/hostetc"}],"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{}}}"#;

/// `update`
const UPDATE: &str = r#"{"CpuShares":0,"Memory":67108864,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":null,"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":null,"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":134217728,"MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":null,"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"RestartPolicy":{"Name":"","MaximumRetryCount":0}}"#;

const RUN_RM_ID: &str = "d2d49cdd9fd6298a9c5da38c829986854e30c2e9eae06511ad8030cef760e1fa";
const RUN_D_ID: &str = "6336c44b261a78a17938eaafd8f8a1c1360d0d28b0bd08b5426ff4fe8c640faa";
const RUN_IT_ID: &str = "f54dbcd4cf9ec75caf7d0ba0cbaf5cce35e141d69383dfbcda3472ab24e336c3";

#[test]
fn run_rm_is_create_attach_wait_start() {
    let calls = [
        ping(),
        call("POST", "/v1.41/containers/create", Some(RUN_RM_CREATE)),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_RM_ID}/attach?stderr=1&stdout=1&stream=1"),
            None,
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_RM_ID}/wait?condition=removed"),
            None,
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_RM_ID}/start"),
            None,
        ),
    ];
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "docker (ping: API version negotiation)",
            "docker create --rm local/busybox:1 echo hi",
            "docker attach --no-stdin d2d49cdd9fd6",
            "docker wait d2d49cdd9fd6 (until removed)",
            "docker start d2d49cdd9fd6",
        ]
    );
    assert_eq!(summarize(&calls), "docker run --rm local/busybox:1 echo hi");
}

#[test]
fn run_without_attach_is_detached() {
    let calls = [
        ping(),
        call(
            "POST",
            "/v1.41/containers/create?name=probe-x",
            Some(RUN_D_CREATE),
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_D_ID}/wait?condition=next-exit"),
            None,
        ),
        call("POST", &format!("/v1.41/containers/{RUN_D_ID}/start"), None),
    ];
    assert_eq!(
        summarize(&calls),
        r#"docker run -d --name probe-x local/busybox:1 sh -c 'trap "exit 0" TERM; echo out1; echo err1 >&2; while true; do echo tick; sleep 1; done'"#
    );
}

#[test]
fn run_it_shows_the_terminal_flags_and_hides_the_resizes() {
    let calls = [
        ping(),
        call(
            "POST",
            "/v1.41/containers/create?name=probe-it",
            Some(RUN_IT_CREATE),
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_IT_ID}/attach?stderr=1&stdin=1&stdout=1&stream=1"),
            None,
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_IT_ID}/wait?condition=removed"),
            None,
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_IT_ID}/start"),
            None,
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_IT_ID}/resize?h=30&w=100"),
            None,
        ),
        call(
            "POST",
            &format!("/v1.41/containers/{RUN_IT_ID}/resize?h=30&w=100"),
            None,
        ),
    ];
    assert_eq!(calls[2].action, "docker attach f54dbcd4cf9e");
    assert_eq!(calls[5].action, "docker (tty resize) f54dbcd4cf9e 100x30");
    assert_eq!(
        summarize(&calls),
        "docker run --name probe-it --rm -i -t local/busybox:1 sh -c 'echo hi; exit'"
    );
}

#[test]
fn create_dangerous_shows_every_escalation_and_no_env_value() {
    let create = call(
        "POST",
        "/v1.41/containers/create?name=probe-danger",
        Some(CREATE_DANGEROUS),
    );
    let expected = "docker create --name probe-danger --privileged --cap-add ALL \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined -v /:/host \
        --mount type=bind,src=/etc,dst=/hostetc --device /dev/null:/dev/xnull --network host \
        --pid host --ipc host --uts host --userns host --cgroup-parent probe-cg \
        -e SECRET_TOKEN=<redacted> local/busybox:1 true";
    assert_eq!(create.action, expected);
    assert_clean(&create);
    assert_eq!(summarize(&[ping(), create]), expected);
}

#[test]
fn logs_name_the_container_that_was_typed() {
    let logs = |query: &str| {
        [
            ping(),
            call("GET", "/v1.41/containers/probe-x/json", None),
            call(
                "GET",
                &format!("/v1.41/containers/{RUN_D_ID}/logs?{query}"),
                None,
            ),
        ]
    };
    let plain = logs("stderr=1&stdout=1&tail=3");
    assert_eq!(plain[2].action, "docker logs --tail 3 6336c44b261a");
    assert_eq!(summarize(&plain), "docker logs --tail 3 probe-x");
    assert_eq!(
        summarize(&logs("follow=1&stderr=1&stdout=1&tail=1")),
        "docker logs -f --tail 1 probe-x"
    );
    assert_eq!(
        summarize(&logs("stderr=1&stdout=1&tail=2&timestamps=1")),
        "docker logs --tail 2 -t probe-x"
    );
    assert_eq!(
        act(
            "GET",
            "/containers/c/logs?follow=1&tail=10&timestamps=1",
            None
        ),
        "docker logs -f --tail 10 -t c"
    );
}

#[test]
fn attach_is_wait_inspect_attach() {
    let calls = [
        ping(),
        call("POST", "/v1.41/containers/probe-x/wait", None),
        call("GET", "/v1.41/containers/probe-x/json", None),
        call(
            "POST",
            "/v1.41/containers/probe-x/attach?stderr=1&stdout=1&stream=1",
            None,
        ),
        call("GET", "/v1.41/containers/probe-x/json", None),
        call("POST", "/v1.41/containers/probe-x/kill?signal=TERM", None),
    ];
    assert_eq!(summarize(&calls), "docker attach --no-stdin probe-x");
    let start_a = [
        ping(),
        call(
            "POST",
            "/containers/c/attach?stderr=1&stdin=1&stdout=1&stream=1",
            None,
        ),
        call("POST", "/containers/c/start", None),
    ];
    assert_eq!(summarize(&start_a), "docker start -a -i c");
}

#[test]
fn parallel_removals_are_one_command() {
    let calls = [
        ping(),
        call("DELETE", "/v1.41/containers/probe-sysctl?force=1", None),
        call("DELETE", "/v1.41/containers/probe-x?force=1", None),
        call("DELETE", "/v1.41/containers/probe-danger?force=1", None),
    ];
    assert_eq!(
        summarize(&calls),
        "docker rm -f probe-sysctl probe-x probe-danger"
    );
    let network_rm = [
        ping(),
        call("GET", "/v1.41/networks/probe-net", None),
        call("DELETE", "/v1.41/networks/probe-net", None),
    ];
    assert_eq!(summarize(&network_rm), "docker network rm probe-net");
    assert_eq!(
        summarize(&[ping(), call("GET", "/v1.41/containers/probe-x/json", None)]),
        "docker inspect probe-x"
    );
}

#[test]
fn update_shows_the_limits_it_changes() {
    // `docker update --memory 64m --memory-swap 128m probe-x`; the CLI sends every field.
    assert_eq!(
        act("POST", "/v1.41/containers/probe-x/update", Some(UPDATE)),
        "docker update -m 64m --memory-swap 128m probe-x"
    );
}

#[test]
fn copies_are_tar_streams_to_and_from_the_container() {
    assert_eq!(
        act(
            "GET",
            "/v1.41/containers/probe-x/archive?path=%2Fetc%2Fhostname",
            None
        ),
        "docker cp probe-x:/etc/hostname <path>"
    );
    let to = [
        ping(),
        call(
            "HEAD",
            "/v1.41/containers/probe-x/archive?path=%2Fetc%2Fhostfile.txt",
            None,
        ),
        call(
            "PUT",
            "/v1.41/containers/probe-x/archive?noOverwriteDirNonDir=true&path=%2Fetc",
            None,
        ),
    ];
    assert_eq!(to[1].action, "docker cp (stat) probe-x:/etc/hostfile.txt");
    // `docker cp hostfile.txt probe-x:/etc` was shown as `docker cp - probe-x:/etc`, as if
    // the file came from stdin: the wire carries a tar either way.
    assert_eq!(summarize(&to), "docker cp <path> probe-x:/etc");
}

/// `docker logs fakecontainer` was listed as the step `docker inspect fakecontainer`: the CLI
/// looks the name up first and stops when it is not found. That failed look-up is all the
/// daemon sees of `logs`, `exec`, `port` or `container inspect`, so the step says so.
#[test]
fn a_command_that_stopped_at_its_failed_look_up_is_not_called_inspect() {
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/fakecontainer/json", None).with_status(Some(404)),
    ];
    let step = summarize(&calls);
    assert!(!step.starts_with("docker inspect"), "{step}");
    assert_eq!(
        step,
        "docker logs|exec|attach|port|container inspect fakecontainer \
         (no such container: the command stopped at its look-up)"
    );
    // Found, one container look-up is `docker inspect` (which tries containers first).
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/web/json", None).with_status(Some(200)),
    ];
    assert_eq!(summarize(&calls), "docker inspect web");
}

/// `docker inspect fakecontainer` was listed as `docker info`: it tries every kind of object
/// in turn, and asks `info` whether swarm kinds are worth trying.
#[test]
fn docker_inspect_of_a_name_that_is_nothing_is_still_docker_inspect() {
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/fakecontainer/json", None).with_status(Some(404)),
        call("GET", "/v1.41/images/fakecontainer/json", None).with_status(Some(404)),
        call("GET", "/v1.41/networks/fakecontainer", None).with_status(Some(404)),
        call("GET", "/v1.41/volumes/fakecontainer", None).with_status(Some(404)),
        call("GET", "/v1.41/info", None).with_status(Some(200)),
        call("GET", "/v1.41/plugins/fakecontainer/json", None).with_status(Some(404)),
    ];
    assert_eq!(summarize(&calls), "docker inspect fakecontainer");
    // An image found on the second try.
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/busybox/json", None).with_status(Some(404)),
        call("GET", "/v1.41/images/busybox/json", None).with_status(Some(200)),
    ];
    assert_eq!(summarize(&calls), "docker inspect busybox");
}

/// `docker attach fakecontainer` (CLI 28) was listed as `docker wait fakecontainer`.
#[test]
fn an_attach_that_found_no_container_is_attach() {
    let calls = [
        ping(),
        call("POST", "/v1.41/containers/fakecontainer/wait", None).with_status(Some(404)),
        call("GET", "/v1.41/containers/fakecontainer/json", None).with_status(Some(404)),
    ];
    assert_eq!(summarize(&calls), "docker attach fakecontainer");
    // `docker wait` alone is still `docker wait`.
    let calls = [
        ping(),
        call("POST", "/v1.41/containers/web/wait", None).with_status(Some(200)),
    ];
    assert_eq!(summarize(&calls), "docker wait web");
}
