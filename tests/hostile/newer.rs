//! Fields engines newer than 20.10 read (API 1.42–1.56), and Podman's routes.
//!
//! sockeye must decide these the same way whatever the engine: the hostile ones are refused
//! before they reach any daemon. dockerd 20.10 ignores most of the new fields (Go's decoder
//! drops unknown keys), so sent directly there a case is often harmless, and says so; the
//! twins whose new field 20.10 refuses (an image mount) are judged by the daemon's own answer.

use super::*;

/// An image mount: an image's content, read-only, no host path (API 1.48+, Docker 28).
const IMAGE_MOUNT: &str = r#""Mounts":[{"Type":"image","Source":"{img}","Target":"/img","ImageOptions":{"Subpath":"bin"}}]"#;

pub(super) fn newer_fields(v: &mut Vec<Case>) {
    let k = "newer-fields";
    let mount = |name, mounts: &str| {
        Case::new(k, name, create_hc(&format!(r#""Mounts":[{mounts}]"#)), DENY)
            // 20.10 answers 400 "mount type unknown"; Docker 28 mounts the image.
            .twin_like_daemon(create_hc(IMAGE_MOUNT))
    };
    v.push(
        mount(
            "bind / with BindOptions.CreateMountpoint",
            r#"{"Type":"bind","Source":"/","Target":"/h","BindOptions":{"CreateMountpoint":true}}"#,
        )
        .proof(Obj::Container, "/HostConfig/Mounts/0/Source", r#""/""#),
    );
    v.push(mount(
        "bind /etc read-only, but not its submounts (ReadOnlyNonRecursive)",
        r#"{"Type":"bind","Source":"/etc","Target":"/h","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}}"#,
    ));
    v.push(mount(
        "bind / behind an image mount",
        r#"{"Type":"image","Source":"{img}","Target":"/img"},{"Type":"bind","Source":"/","Target":"/h"}"#,
    ).refused_by_daemon("20.10 does not know the image mount type and refuses the whole create"));
    v.push(mount(
        "volume Subpath of a local volume binding /",
        r#"{"Type":"volume","Source":"{v}","Target":"/h","VolumeOptions":{"Subpath":"etc","DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}"#,
    ));
    v.push(
        mount(
            "npipe (Windows' daemon socket)",
            r#"{"Type":"npipe","Source":"\\\\.\\pipe\\docker_engine","Target":"/p"}"#,
        )
        .refused_by_daemon("a Linux daemon has no named pipes: mount type unknown"),
    );
    let hc_case = |name, fields: &str| {
        Case::new(k, name, create_hc(fields), DENY).twin(create_hc(r#""CpuShares":512"#))
    };
    v.push(
        hc_case(
            "HostConfig.Annotations for the runtime",
            r#""Annotations":{"io.katacontainers.config.hypervisor.kernel":"/tmp/kernel"}"#,
        )
        .harmless(
            "20.10 (API 1.41) drops Annotations (1.43+); dockerd 25+ hands them to the runtime",
        ),
    );
    v.push(hc_case(
        "CDI device request",
        r#""DeviceRequests":[{"Driver":"cdi","DeviceIDs":["vendor.com/class=all"]}]"#,
    ));
    v.push(
        Case::new(
            k,
            "endpoint sysctls in the endpoint driver options",
            create(
                r#"{"Image":"{img}","Cmd":["true"],"NetworkingConfig":{"EndpointsConfig":{"bridge":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.forwarding=1"}}}}}"#,
            ),
            DENY,
        )
        .harmless("20.10 passes the option to the bridge driver, which ignores it; dockerd 27+ sets the sysctl")
        .twin(create(
            r#"{"Image":"{img}","Cmd":["true"],"NetworkingConfig":{"EndpointsConfig":{"bridge":{}}}}"#,
        )),
    );
}

pub(super) fn podman(v: &mut Vec<Case>) {
    let k = "podman";
    v.push(
        Case::new(
            k,
            "privileged create behind Podman's version prefix",
            post("/v4.3.0-dev/containers/create?name={c}", PRIV),
            DENY,
        )
        .refused_by_daemon("dockerd's prefix is [0-9.]+, so it answers 404; Podman creates it")
        .twin(create(PLAIN)),
    );
    v.push(
        Case::new(
            k,
            "privileged libpod create",
            post(
                "/v4.3.1/libpod/containers/create",
                r#"{"name":"{c}","image":"{img}","command":["true"],"privileged":true}"#,
            ),
            Want::Deny("no-escape-libpod"),
        )
        .refused_by_daemon("dockerd has no libpod routes (404); Podman creates it")
        .twin(create(PLAIN)),
    );
}
