//! Answers as dockerd 20.10 wrote them (`tests/data/shape/`), and what a redacting policy
//! leaves of them.

use serde_json::{json, Value};

use super::*;
use crate::docker::endpoint::Operation as O;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/shape/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn shaped(op: Operation, redact: Redact, v: Value) -> (Value, String) {
    let out = answer(op, redact, &serde_json::to_vec(&v).unwrap()).unwrap();
    let text = String::from_utf8(out).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

const ALL: Redact = Redact(7);

#[test]
fn an_inspected_containers_env_values_mount_sources_and_addresses_are_gone_and_nothing_else() {
    let (v, text) = shaped(O::ContainerInspect, ALL, fixture("container-inspect.json"));
    for secret in [
        "hunter2",
        "/tmp/sockeye-dockerd",
        "172.17.",
        "02:42:",
        "\"/tmp\"",
    ] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
    assert_eq!(
        v["Config"]["Env"],
        json!(["SECRET=<redacted>", "PATH=<redacted>"])
    );
    assert_eq!(v["HostConfig"]["Binds"], json!(["<redacted>:/host-tmp:ro"]));
    assert_eq!(v["Mounts"][0]["Source"], "<redacted>");
    assert_eq!(v["Mounts"][0]["Destination"], "/host-tmp");
    assert_eq!(v["Mounts"][1]["Name"], "shapevol");
    assert_eq!(v["GraphDriver"]["Data"]["MergedDir"], "<redacted>");
    assert_eq!(v["LogPath"], "<redacted>");
    // Addresses read as unassigned, which every client decodes.
    assert_eq!(v["NetworkSettings"]["IPAddress"], "");
    assert_eq!(v["NetworkSettings"]["Networks"]["bridge"]["Gateway"], "");
    assert_eq!(
        v["NetworkSettings"]["Networks"]["bridge"]["IPPrefixLen"],
        16
    );
    assert_eq!(
        v["NetworkSettings"]["Networks"]["bridge"]["IPAMConfig"],
        Value::Null
    );
    // What identifies the container stays.
    assert_eq!(v["Name"], "/shape-probe");
    assert_eq!(v["Config"]["Image"], "sockeye-test/busybox:1");
}

#[test]
fn each_kind_is_hidden_only_when_asked_for() {
    let (v, _) = shaped(
        O::ContainerInspect,
        Redact::ENV,
        fixture("container-inspect.json"),
    );
    assert_eq!(v["Config"]["Env"][0], "SECRET=<redacted>");
    assert_eq!(v["Mounts"][0]["Source"], "/tmp");
    assert_eq!(v["NetworkSettings"]["IPAddress"], "172.17.0.3");

    let (v, _) = shaped(
        O::ContainerInspect,
        Redact::MOUNTS,
        fixture("container-inspect.json"),
    );
    assert_eq!(v["Config"]["Env"][0], "SECRET=hunter2");
    assert_eq!(v["Mounts"][0]["Source"], "<redacted>");

    let (v, _) = shaped(
        O::ContainerInspect,
        Redact::NONE,
        fixture("container-inspect.json"),
    );
    assert_eq!(v, fixture("container-inspect.json"));
}

#[test]
fn a_listing_shows_no_mount_source_or_address_of_any_container() {
    let (v, text) = shaped(O::ContainerList, ALL, fixture("container-list.json"));
    for secret in ["/tmp", "172.17.", "02:42:"] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
    assert_eq!(v[0]["Mounts"][1]["Destination"], "/v");
    assert_eq!(v[0]["Names"][0], "/shape-probe");
}

#[test]
fn a_network_shows_no_subnet_gateway_or_member_address() {
    let (v, text) = shaped(O::NetworkInspect, ALL, fixture("network-inspect.json"));
    for secret in ["172.17.", "02:42:"] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
    assert_eq!(v["IPAM"]["Config"][0]["Subnet"], "");
    let members = v["Containers"].as_object().unwrap();
    assert!(members.values().all(|m| m["Name"].is_string()));
}

#[test]
fn an_image_hides_env_values_in_config_container_config_and_the_classic_builders_command() {
    // An image built by the classic builder on an engine before 25.
    let image = json!({
        "Id": "sha256:1",
        "Config": {"Env": ["PATH=/bin", "TOKEN=abc123"], "Cmd": ["sh"]},
        "ContainerConfig": {
            "Env": ["PATH=/bin", "TOKEN=abc123"],
            "Cmd": ["/bin/sh", "-c", "#(nop) ", "ENV TOKEN=abc123"]
        },
        "GraphDriver": {"Data": {"UpperDir": "/var/lib/docker/overlay2/x/diff"}, "Name": "overlay2"}
    });
    let (v, text) = shaped(O::ImageInspect, ALL, image);
    assert!(!text.contains("abc123"), "{text}");
    assert!(!text.contains("/var/lib/docker"), "{text}");
    assert_eq!(v["ContainerConfig"]["Cmd"][3], "ENV TOKEN=<redacted>");
    assert_eq!(v["Config"]["Cmd"], json!(["sh"]));
}

#[test]
fn an_image_history_keeps_the_keys_an_env_line_set_and_never_a_value() {
    let history = json!([
        {"CreatedBy": "ENV TOKEN=abc123 MODE=\"very secret\""},
        {"CreatedBy": "/bin/sh -c #(nop)  ENV TOKEN=abc123"},
        {"CreatedBy": "/bin/sh -c #(nop)  ENV TOKEN abc123 and more"},
        {"CreatedBy": "RUN /bin/sh -c make # buildkit"},
    ]);
    let (v, text) = shaped(O::ImageHistory, Redact::ENV, history);
    for secret in ["abc123", "very", "secret\"", "more"] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
    assert_eq!(v[0]["CreatedBy"], "ENV TOKEN=<redacted> MODE=<redacted>");
    assert_eq!(v[1]["CreatedBy"], "/bin/sh -c #(nop)  ENV TOKEN=<redacted>");
    assert_eq!(v[2]["CreatedBy"], "/bin/sh -c #(nop)  ENV TOKEN <redacted>");
    assert_eq!(v[3]["CreatedBy"], "RUN /bin/sh -c make # buildkit");
}

#[test]
fn a_volume_hides_where_it_lives_and_what_it_binds() {
    let volume = json!({
        "Name": "data", "Driver": "local",
        "Mountpoint": "/var/lib/docker/volumes/data/_data",
        "Options": {"type": "none", "o": "bind", "device": "/srv/data"}
    });
    let (v, _) = shaped(O::VolumeInspect, Redact::MOUNTS, volume);
    assert_eq!(v["Mountpoint"], "<redacted>");
    assert_eq!(v["Options"]["device"], "<redacted>");
    assert_eq!(v["Options"]["o"], "bind");
}

#[test]
fn a_service_hides_its_containers_env_mounts_and_virtual_ips() {
    let service = json!({
        "Spec": {"TaskTemplate": {"ContainerSpec": {
            "Env": ["DB_PASSWORD=pw"],
            "Mounts": [{"Type": "bind", "Source": "/srv", "Target": "/data"}]
        }}},
        "Endpoint": {"VirtualIPs": [{"NetworkID": "n", "Addr": "10.0.0.2/24"}]}
    });
    let (_, text) = shaped(O::ServiceInspect, ALL, service);
    for secret in ["pw\"", "\"/srv\"", "10.0.0.2"] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
}

#[test]
fn streams_and_other_answers_are_never_read_for_shaping() {
    for op in [
        O::ContainerLogs,
        O::ContainerAttach,
        O::SystemEvents,
        O::ContainerStats,
        O::ContainerArchive,
        O::ContainerExport,
        O::ImageGet,
    ] {
        assert!(!shapes(Some(op), ALL), "{op:?}");
    }
    assert!(!shapes(None, ALL));
    assert!(!shapes(Some(O::ContainerInspect), Redact::NONE));
    assert!(shapes(Some(O::ContainerInspect), Redact::ENV));
    assert!(!shapes(Some(O::NetworkInspect), Redact::ENV));
}

#[test]
fn names_round_trip() {
    for (name, r) in Redact::NAMES {
        assert_eq!(Redact::from_name(name), Some(*r));
    }
    assert_eq!(Redact::from_name("Env"), None);
    assert_eq!(ALL.names(), ["env", "mounts", "addresses"]);
    assert_eq!(
        Redact::ENV.union(Redact::ADDRESSES).to_string(),
        "env, addresses"
    );
}

#[test]
fn the_rewritten_answer_keeps_the_daemons_order_and_numbers_and_changes_only_what_is_hidden() {
    let daemon = br#"{"Id":"x","Config":{"Env":["A=1","B"],"Image":"i"},"Size":1.50,"Zero":-0}
"#;
    let out = answer(O::ContainerInspect, Redact::ENV, daemon).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"Id\":\"x\",\"Config\":{\"Env\":[\"A=<redacted>\",\"B\"],\"Image\":\"i\"},\"Size\":1.50,\"Zero\":-0}\n"
    );
}

#[test]
fn an_answer_that_is_not_json_cannot_be_redacted() {
    assert!(answer(O::ContainerInspect, Redact::ENV, b"{\"Env\":[\"A=1\"]").is_err());
    assert!(answer(O::ContainerInspect, Redact::ENV, b"<html>").is_err());
}

#[test]
fn a_key_written_twice_is_redacted_both_times() {
    let daemon =
        br#"{"Mounts":[{"Source":"/a","Source":"/b"}],"Config":{"Env":["A=1"],"Env":["B=2"]}}"#;
    let out = answer(O::ContainerInspect, ALL, daemon).unwrap();
    let text = String::from_utf8(out).unwrap();
    for secret in ["/a", "/b", "=1", "=2"] {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
}
