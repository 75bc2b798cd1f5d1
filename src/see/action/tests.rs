//! Actions and summaries for the requests of real CLI traces (docker CLI 28.2.2 against API
//! 1.41, `shared/reference/traces/`). Request lines and bodies are copied here verbatim so the
//! tests need nothing outside the repository.

use serde_json::Value;

use super::*;
use crate::docker::endpoint::classify;

/// One request as the trace shows it: method, request target, JSON body.
fn call(method: &str, target: &str, body: Option<&str>) -> ActionRecord {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let route = classify(method, path);
    let body: Option<Value> = body.map(|b| serde_json::from_str(b).expect("trace body is JSON"));
    let facts = CallFacts {
        method,
        route: &route,
        query,
        body: body.as_ref(),
    };
    let record = ActionRecord::new(&facts);
    // `action` takes its own, cheaper way there; it must arrive at the same line.
    assert_eq!(action(&facts), record.action, "{method} {target}");
    record
}

fn act(method: &str, target: &str, body: Option<&str>) -> String {
    call(method, target, body).action
}

fn ping() -> ActionRecord {
    call("HEAD", "/_ping", None)
}

/// Fake credentials and values planted in the traces; no output may contain them.
const SECRETS: &[&str] = &[
    "env-secret-abc",
    "s3cr3t-buildarg",
    "argval",
    "probe-login-password",
    "probe-password-xyz",
    "cifs-password-xyz",
    "ghp_token123",
    "SWMTKN-1-join",
    "c2VjcmV0LWRhdGE=",
    "plugin-secret-1",
];

fn assert_clean(record: &ActionRecord) {
    let body = record.body().map(Value::to_string).unwrap_or_default();
    for text in [record.action.as_str(), record.query(), body.as_str()] {
        for s in SECRETS {
            assert!(!text.contains(s), "{s:?} shown in {text}");
        }
    }
}

/// `run-rm`
const RUN_RM_CREATE: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["echo","hi"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

/// `run-d`
const RUN_D_CREATE: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sh","-c","trap \"exit 0\" TERM; echo out1; echo err1 \u003e\u00262; while true; do echo tick; sleep 1; done"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

/// `run-it`
const RUN_IT_CREATE: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":true,"AttachStdout":true,"AttachStderr":true,"Tty":true,"OpenStdin":true,"StdinOnce":true,"Env":null,"Cmd":["sh","-c","echo hi; exit"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[30,100],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}"#;

/// `create-dangerous`
const CREATE_DANGEROUS: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["SECRET_TOKEN=env-secret-abc"],"Cmd":["true"],"Image":"local/busybox:1","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":["/:/host"],"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"host","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":["ALL"],"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"host","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"host","Privileged":true,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":["seccomp=unconfined","apparmor=unconfined"],"UTSMode":"host","UsernsMode":"host","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"probe-cg","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"rwm"}],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"Mounts":[{"Type":"bind","Source":"/etc","Target":"/hostetc"}],"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{}}}"#;

/// `exec`
const EXEC_CREATE: &str = r#"{"User":"","Privileged":false,"Tty":false,"AttachStdin":false,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["echo","hi"]}"#;

/// `exec-it`
const EXEC_IT_CREATE: &str = r#"{"User":"","Privileged":false,"Tty":true,"AttachStdin":true,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["sh","-c","echo hi; exit"]}"#;

/// `exec-root-priv`
const EXEC_ROOT_PRIV_CREATE: &str = r#"{"User":"0","Privileged":true,"Tty":false,"AttachStdin":false,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["echo","root-exec-ok"]}"#;

/// `exec-d`
const EXEC_D_CREATE: &str = r#"{"User":"","Privileged":false,"Tty":false,"AttachStdin":false,"AttachStderr":false,"AttachStdout":false,"Detach":true,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["sh","-c","echo bg"]}"#;

/// `login`
const LOGIN: &str = r#"{"username":"probeuser","password":"probe-login-password","serveraddress":"localhost:5999"}"#;

/// `network-create-connect-rm`
const NETWORK_CREATE: &str = r#"{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"probe-net","CheckDuplicate":true}"#;

/// `network-create-connect-rm`
const NETWORK_CONNECT: &str = r#"{"Container":"probe-x","EndpointConfig":{"IPAMConfig":{},"Links":null,"Aliases":[],"MacAddress":"","DriverOpts":{},"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}"#;

/// `volume-create-cifs-opts`
const VOLUME_CREATE_CIFS: &str = r#"{"Driver":"local","DriverOpts":{"device":"//127.0.0.1/share","o":"username=probeuser,password=cifs-password-xyz","type":"cifs"},"Name":"probe-cifsvol"}"#;

/// `update`
const UPDATE: &str = r#"{"CpuShares":0,"Memory":67108864,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":null,"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":null,"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":134217728,"MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":null,"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"RestartPolicy":{"Name":"","MaximumRetryCount":0}}"#;

const RUN_RM_ID: &str = "d2d49cdd9fd6298a9c5da38c829986854e30c2e9eae06511ad8030cef760e1fa";
const RUN_D_ID: &str = "6336c44b261a78a17938eaafd8f8a1c1360d0d28b0bd08b5426ff4fe8c640faa";
const RUN_IT_ID: &str = "f54dbcd4cf9ec75caf7d0ba0cbaf5cce35e141d69383dfbcda3472ab24e336c3";

#[test]
fn ps_and_images_are_the_plain_commands() {
    assert_eq!(act("GET", "/v1.41/containers/json", None), "docker ps");
    assert_eq!(
        act("GET", "/v1.41/containers/json?all=1", None),
        "docker ps -a"
    );
    assert_eq!(act("GET", "/v1.41/images/json", None), "docker images");
    let ps = [ping(), call("GET", "/v1.41/containers/json?all=1", None)];
    assert_eq!(summarize(&ps), "docker ps -a");
}

#[test]
fn the_ping_says_what_it_is_for() {
    assert_eq!(ping().action, "docker (ping: API version negotiation)");
    assert_eq!(
        summarize(&[ping()]),
        "docker (ping: API version negotiation)"
    );
    assert_eq!(summarize(&[]), "");
}

#[test]
fn query_flags_are_read_the_way_dockerd_reads_them() {
    // First value wins, keys are decoded but case-sensitive, any non-false word is true.
    assert_eq!(
        act("GET", "/containers/json?all=0&all=1", None),
        "docker ps"
    );
    assert_eq!(act("GET", "/containers/json?%61ll=1", None), "docker ps -a");
    assert_eq!(act("GET", "/containers/json?ALL=1", None), "docker ps");
    assert_eq!(act("GET", "/containers/json?all=yes", None), "docker ps -a");
    assert_eq!(act("GET", "/containers/json?all=+no+", None), "docker ps");
    assert_eq!(
        act("GET", "/containers/json?limit=3&size=1&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D", None),
        "docker ps -n 3 -s --filter status=running"
    );
}

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
fn exec_is_inspect_create_start_inspect() {
    let id = "706048e3ecbc5d026b20ea2cb5e2f8c5927ea50c51544c5e36c01a2060614121";
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/probe-x/json", None),
        call("POST", "/v1.41/containers/probe-x/exec", Some(EXEC_CREATE)),
        call(
            "POST",
            &format!("/v1.41/exec/{id}/start"),
            Some(r#"{"Detach":false,"Tty":false}"#),
        ),
        call("GET", &format!("/v1.41/exec/{id}/json"), None),
    ];
    let actions: Vec<&str> = calls[1..].iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "docker inspect probe-x",
            "docker exec probe-x echo hi",
            "docker exec (start) 706048e3ecbc",
            "docker exec (inspect) 706048e3ecbc",
        ]
    );
    assert_eq!(summarize(&calls), "docker exec probe-x echo hi");
}

#[test]
fn exec_it_root_and_detached_keep_their_flags() {
    let id = "0bb4579e828bc8cfe04fe6ba613557e8c31f4312c56a9c8b8926ec451e09d3f3";
    let calls = [
        ping(),
        call("GET", "/v1.41/containers/probe-x/json", None),
        call(
            "POST",
            "/v1.41/containers/probe-x/exec",
            Some(EXEC_IT_CREATE),
        ),
        call(
            "POST",
            &format!("/v1.41/exec/{id}/start"),
            Some(r#"{"Detach":false,"Tty":true}"#),
        ),
        call("POST", &format!("/v1.41/exec/{id}/resize?h=30&w=100"), None),
        call("GET", &format!("/v1.41/exec/{id}/json"), None),
    ];
    assert_eq!(
        summarize(&calls),
        "docker exec -i -t probe-x sh -c 'echo hi; exit'"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/containers/probe-x/exec",
            Some(EXEC_ROOT_PRIV_CREATE)
        ),
        "docker exec -u 0 --privileged probe-x echo root-exec-ok"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/containers/probe-x/exec",
            Some(EXEC_D_CREATE)
        ),
        "docker exec -d probe-x sh -c 'echo bg'"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/exec/60840be6e2d8d210b359b593f35e082ba0e22bfdc2437f704ad5297dd96c2319/start",
            Some(r#"{"Detach":true,"Tty":false}"#)
        ),
        "docker exec -d (start) 60840be6e2d8"
    );
}

#[test]
fn exec_env_and_case_games_are_shown_redacted() {
    // dockerd decodes these keys case-insensitively and ran this as a privileged root exec.
    let exec = call(
        "POST",
        "/containers/c/exec",
        Some(
            r#"{"cmd":["sh"],"PRIVILEGED":true,"uSeR":"0:0","ENV":["TOKEN=env-secret-abc"],"workingdir":"/root"}"#,
        ),
    );
    assert_eq!(
        exec.action,
        "docker exec -u 0:0 --privileged -e TOKEN=<redacted> -w /root c sh"
    );
    assert_clean(&exec);
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
fn build_args_are_named_but_not_shown() {
    // build-classic: `--build-arg MYARG=s3cr3t-buildarg`.
    let build = call(
        "POST",
        "/v1.41/build?buildargs=%7B%22MYARG%22%3A%22s3cr3t-buildarg%22%7D&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1",
        None,
    );
    assert_eq!(
        build.action,
        "docker build -t probe-build:classic --build-arg MYARG=<redacted> -"
    );
    assert_clean(&build);
    // build-buildkit-cli20: the context and the secret travel over /session.
    let calls = [
        ping(),
        call("POST", "/v1.41/build?buildargs=%7B%22MYARG%22%3A%22argval%22%7D&buildid=1a9b68023f8715d2847a9100dede6b4d8de3e1ca968a03e5dab20538046e58be&cachefrom=%5B%5D&cgroupparent=&cpuperiod=0&cpuquota=0&cpusetcpus=&cpusetmems=&cpushares=0&dockerfile=&labels=%7B%7D&memory=0&memswap=0&networkmode=default&remote=client-session&rm=1&session=9y24d2e2d80eubv3upqjsamq3&shmsize=0&t=probe-build%3Abk&target=&ulimits=null&version=2", None),
        call("POST", "/session", None),
    ];
    assert_eq!(calls[2].action, "docker build (BuildKit session)");
    assert_eq!(
        summarize(&calls),
        "docker build (BuildKit) -t probe-build:bk --build-arg MYARG=<redacted> (context from the session)"
    );
    calls.iter().for_each(assert_clean);
}

#[test]
fn pull_and_push_name_the_image_not_the_credentials() {
    // The credentials are in X-Registry-Auth, which only redact::header_value ever shows.
    let pull = call(
        "POST",
        "/v1.41/images/create?fromImage=localhost%3A5999%2Fprobe%2Fimg&tag=1",
        None,
    );
    assert_eq!(pull.action, "docker pull localhost:5999/probe/img:1");
    assert_eq!(
        act(
            "POST",
            "/v1.41/images/localhost:5999/probe/img/push?tag=1",
            None
        ),
        "docker push localhost:5999/probe/img:1"
    );
    assert_eq!(
        act(
            "POST",
            "/images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest",
            None
        ),
        "docker pull busybox:latest"
    );
    assert_eq!(
        act("POST", "/images/create?fromImage=busybox", None),
        "docker pull -a busybox"
    );
    assert_eq!(
        act(
            "POST",
            "/images/create?fromImage=busybox&tag=sha256%3Aabc",
            None
        ),
        "docker pull busybox@sha256:abc"
    );
    assert_eq!(
        act(
            "POST",
            "/images/create?fromSrc=https%3A%2F%2Fu%3Aghp_token123%40h%2Fr.tar&repo=r&tag=1",
            None
        ),
        "docker import https://<redacted>@h/r.tar r:1"
    );
}

#[test]
fn login_shows_the_server_only() {
    let login = call("POST", "/v1.41/auth", Some(LOGIN));
    assert_eq!(login.action, "docker login localhost:5999");
    assert_clean(&login);
    assert_eq!(act("POST", "/auth", Some("{}")), "docker login");
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
        "docker cp probe-x:/etc/hostname -"
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
    assert_eq!(summarize(&to), "docker cp - probe-x:/etc");
}

#[test]
fn networks_and_volumes() {
    assert_eq!(
        act("POST", "/v1.41/networks/create", Some(NETWORK_CREATE)),
        "docker network create probe-net"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/networks/probe-net/connect",
            Some(NETWORK_CONNECT)
        ),
        "docker network connect probe-net probe-x"
    );
    assert_eq!(
        act(
            "POST",
            "/v1.41/networks/probe-net/disconnect",
            Some(r#"{"Container":"probe-x","Force":false}"#)
        ),
        "docker network disconnect probe-net probe-x"
    );
    assert_eq!(act("GET", "/v1.41/networks", None), "docker network ls");
    let cifs = call("POST", "/v1.41/volumes/create", Some(VOLUME_CREATE_CIFS));
    assert_eq!(
        cifs.action,
        "docker volume create -o device=//127.0.0.1/share -o o=username=<redacted>,password=<redacted> -o type=cifs probe-cifsvol"
    );
    assert_clean(&cifs);
    assert_eq!(
        act(
            "POST",
            "/v1.41/volumes/create",
            Some(r#"{"Driver":"local","Name":"probe-vol"}"#)
        ),
        "docker volume create probe-vol"
    );
    assert_eq!(act("GET", "/v1.41/volumes", None), "docker volume ls");
    assert_eq!(
        act("GET", "/v1.41/volumes/probe-vol", None),
        "docker volume inspect probe-vol"
    );
    assert_eq!(
        act("DELETE", "/v1.41/volumes/probe-vol", None),
        "docker volume rm probe-vol"
    );
}

#[test]
fn everyday_commands_from_the_traces() {
    for (method, target, expected) in [
        ("GET", "/v1.41/version", "docker version"),
        ("GET", "/v1.41/info", "docker info"),
        ("GET", "/v1.41/system/df", "docker system df"),
        ("GET", "/v1.41/events", "docker events"),
        ("GET", "/v1.41/events?filters=%7B%22type%22%3A%7B%22volume%22%3Atrue%7D%7D", "docker events --filter type=volume"),
        ("GET", "/v1.41/containers/probe-x/stats?stream=0", "docker stats --no-stream probe-x"),
        ("GET", "/v1.41/containers/probe-x/stats?stream=1", "docker stats probe-x"),
        ("GET", "/v1.41/containers/probe-x/top", "docker top probe-x"),
        ("GET", "/v1.41/containers/probe-x/changes", "docker diff probe-x"),
        ("GET", "/v1.41/containers/probe-x/export", "docker export probe-x"),
        ("POST", "/v1.41/commit?author=&comment=&container=probe-x&repo=docker.io%2Flibrary%2Fprobe-commit&tag=1", "docker commit probe-x probe-commit:1"),
        ("POST", "/v1.41/containers/probe-x/stop?t=1", "docker stop -t 1 probe-x"),
        ("POST", "/v1.41/containers/probe-x/restart?t=1", "docker restart -t 1 probe-x"),
        ("POST", "/v1.41/containers/probe-x/kill?signal=USR1", "docker kill -s USR1 probe-x"),
        ("POST", "/v1.41/containers/probe-x/rename?name=probe-y", "docker rename probe-x probe-y"),
        ("POST", "/v1.41/containers/probe-x/pause", "docker pause probe-x"),
        ("POST", "/v1.41/containers/probe-x/unpause", "docker unpause probe-x"),
        ("GET", "/v1.41/images/get?names=local%2Fbusybox%3A1", "docker save local/busybox:1"),
        ("POST", "/v1.41/images/load?quiet=1", "docker load"),
        ("POST", "/v1.41/images/local/busybox:1/tag?repo=docker.io%2Flibrary%2Fprobe-tag&tag=1", "docker tag local/busybox:1 probe-tag:1"),
        ("DELETE", "/v1.41/images/probe-tag:1", "docker rmi probe-tag:1"),
        ("GET", "/v1.41/images/local/busybox:1/json", "docker image inspect local/busybox:1"),
        ("GET", "/v1.41/images/local/busybox:1/history", "docker history local/busybox:1"),
        ("GET", "/v1.41/plugins", "docker plugin ls"),
        ("GET", "/v1.41/secrets", "docker secret ls"),
        ("POST", "/v1.41/swarm/leave?force=1", "docker swarm leave -f"),
        ("DELETE", "/v1.41/services/web", "docker service rm web"),
    ] {
        assert_eq!(act(method, target, None), expected, "{method} {target}");
    }
}

#[test]
fn routes_dockerd_would_not_run_are_not_guessed_at() {
    assert_eq!(
        act("GET", "/v1.41/nothing/here", None),
        "(unknown endpoint)"
    );
    assert_eq!(act("GET", "//containers/json", None), "(unknown endpoint)");
    assert_eq!(act("POST", "/containers/json", None), "(unknown endpoint)");
    assert_eq!(act("GET", "/debug/vars", None), "(DebugVars)");
    assert_eq!(
        summarize(&[ping(), call("GET", "/nope", None)]),
        "(unknown endpoint)"
    );
}

#[test]
fn a_crafted_name_cannot_forge_a_second_line() {
    assert_eq!(
        act(
            "POST",
            "/containers/it's/rename?name=y%0Adocker+ps%1B%5B2J",
            None
        ),
        "docker rename 'it'\\''s' $'y\\ndocker ps\\x1b[2J'"
    );
}

#[test]
fn swarm_services_secrets_and_plugins_keep_their_secrets() {
    let calls = [
        call(
            "POST",
            "/swarm/join",
            Some(r#"{"RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"SWMTKN-1-join"}"#),
        ),
        call(
            "POST",
            "/services/create",
            Some(
                r#"{"Name":"web","Mode":{"Replicated":{"Replicas":2}},
            "TaskTemplate":{"ContainerSpec":{"Image":"nginx","Args":["-g","daemon off;"],"Env":["PW=env-secret-abc"]}},
            "EndpointSpec":{"Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080}]}}"#,
            ),
        ),
        call(
            "POST",
            "/secrets/create",
            Some(r#"{"Name":"db","Data":"c2VjcmV0LWRhdGE="}"#),
        ),
        call(
            "POST",
            "/plugins/vieux%2Fsshfs/set",
            Some(r#"["DEBUG=plugin-secret-1"]"#),
        ),
        call(
            "POST",
            "/build?remote=https%3A%2F%2Fghp_token123%40github.com%2Fo%2Fr.git&t=x",
            None,
        ),
        call(
            "POST",
            "/commit?container=c&changes=ENV+PW%3Denv-secret-abc",
            None,
        ),
    ];
    let actions: Vec<&str> = calls.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "docker swarm join --token <redacted> 10.0.0.1:2377",
            "docker service create --name web --replicas 2 -p 8080:80 -e PW=<redacted> nginx -g 'daemon off;'",
            "docker secret create db -",
            "docker plugin set vieux/sshfs DEBUG=<redacted>",
            "docker build -t x https://<redacted>@github.com/o/r.git",
            "docker commit -c 'ENV PW=<redacted>' c",
        ]
    );
    calls.iter().for_each(assert_clean);
}

#[test]
fn an_empty_query_needs_no_redaction() {
    for op in Operation::ALL.iter().copied().map(Some).chain([None]) {
        assert_eq!(redact::query(op, ""), "", "{op:?}");
        assert_eq!(redacted_query(op, ""), "", "{op:?}");
    }
    let route = classify("GET", "/containers/json");
    assert_eq!(
        redacted_query(route.operation(), "all=1&filters=%7B%7D"),
        redact::query(route.operation(), "all=1&filters=%7B%7D")
    );
}
