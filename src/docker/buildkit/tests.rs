//! Solve requests as BuildKit clients send them, built with prost from sockeye's own message
//! structs, and what sockeye reads in them.

use std::collections::BTreeMap;

use prost::Message;

use super::grpc::{percent_encode, unary_message, FrameError};
use super::proto::*;
use super::{facts, rpc, Rpc, SOLVE};
use crate::docker::facts::{Escalation, Facts};

/// What `docker build .` through buildx 0.29's docker driver asks for.
fn ordinary() -> SolveRequest {
    SolveRequest {
        r#ref: "x5ev0k7c1l8n2b3a9".into(),
        session: "s0m3s3ss10n".into(),
        frontend: "dockerfile.v0".into(),
        frontend_attrs: BTreeMap::from([
            ("context".to_owned(), "context".to_owned()),
            ("dockerfile".to_owned(), "dockerfile".to_owned()),
            ("filename".to_owned(), "Dockerfile".to_owned()),
            ("build-arg:HTTP_PROXY".to_owned(), "".to_owned()),
        ]),
        exporters: vec![Exporter {
            r#type: "moby".into(),
            attrs: BTreeMap::from([("name".to_owned(), "docker.io/library/app:1".to_owned())]),
        }],
        ..SolveRequest::default()
    }
}

fn solve_facts(req: &SolveRequest) -> Facts {
    facts(SOLVE, &req.encode_to_vec()).unwrap()
}

fn escalations(f: &Facts) -> Vec<String> {
    f.escalations(&[]).iter().map(ToString::to_string).collect()
}

/// An LLB definition of the given exec steps.
fn llb(execs: Vec<ExecOp>) -> Definition {
    Definition {
        def: execs
            .into_iter()
            .map(|exec| {
                Op {
                    exec: Some(exec),
                    ..Op::default()
                }
                .encode_to_vec()
            })
            .collect(),
    }
}

#[test]
fn an_ordinary_dockerfile_build_reaches_nothing_on_the_host() {
    let mut req = ordinary();
    // buildx also names its exporter the deprecated way, for older daemons.
    req.exporter_deprecated = "moby".into();
    req.exporter_attrs_deprecated = req.exporters[0].attrs.clone();
    let f = solve_facts(&req);
    assert_eq!(escalations(&f), Vec::<String>::new());
    assert_eq!(f.operation, SOLVE);
    assert_eq!(f.tags, ["docker.io/library/app:1"]);
    assert_eq!(f.build_arg_keys, ["HTTP_PROXY"]);
}

#[test]
fn build_network_host_asks_for_the_entitlement_and_the_host_network() {
    // `docker build --network host`: buildx grants the entitlement and forces the mode.
    let mut req = ordinary();
    req.entitlements = vec!["network.host".into()];
    req.frontend_attrs
        .insert("force-network-mode".into(), "host".into());
    let f = solve_facts(&req);
    assert_eq!(
        escalations(&f),
        [
            "network namespace host",
            "BuildKit entitlement network.host"
        ]
    );
}

#[test]
fn allow_security_insecure_and_devices_are_entitlements_that_reach_the_host() {
    for ent in [
        "security.insecure",
        "device",
        "device=nvidia.com/gpu=all",
        "some.future",
    ] {
        let mut req = ordinary();
        req.entitlements = vec![ent.into()];
        let f = solve_facts(&req);
        assert_eq!(f.entitlements, [ent]);
        assert_eq!(
            f.escalations(&[]),
            [Escalation::Entitlement { name: ent.into() }]
        );
    }
}

#[test]
fn the_network_none_twin_and_extra_hosts_are_not_escalations() {
    let mut req = ordinary();
    req.frontend_attrs
        .insert("force-network-mode".into(), "none".into());
    req.frontend_attrs
        .insert("add-hosts".into(), "db=10.0.0.5,cache=10.0.0.6".into());
    let f = solve_facts(&req);
    assert_eq!(f.network_mode.as_deref(), Some("none"));
    assert_eq!(f.extra_hosts, ["db=10.0.0.5", "cache=10.0.0.6"]);
    assert!(f.escalations(&[]).is_empty());
}

#[test]
fn a_cgroup_parent_for_the_build_steps_is_one_as_for_a_container() {
    let mut req = ordinary();
    req.frontend_attrs
        .insert("cgroup-parent".into(), "/".into());
    assert_eq!(escalations(&solve_facts(&req)), ["cgroup parent /"]);
}

#[test]
fn llb_steps_sent_by_the_client_are_read_one_by_one() {
    // A client that builds LLB itself (`buildctl`) names each step's network and security.
    let mut req = SolveRequest {
        definition: Some(llb(vec![
            ExecOp {
                mounts: vec![Mount {
                    dest: "/".into(),
                    mount_type: 0,
                }],
                ..ExecOp::default()
            },
            ExecOp {
                network: NET_HOST,
                ..ExecOp::default()
            },
            ExecOp {
                security: SECURITY_INSECURE,
                cdi_devices: vec![CdiDevice {
                    name: "vendor.com/gpu=0".into(),
                    optional: false,
                }],
                meta: Some(Meta {
                    extra_hosts: vec![HostIp {
                        host: "h".into(),
                        ip: "1.2.3.4".into(),
                    }],
                    cgroup_parent: "system.slice".into(),
                }),
                ..ExecOp::default()
            },
        ])),
        ..SolveRequest::default()
    };
    let f = solve_facts(&req);
    assert_eq!(
        escalations(&f),
        [
            "privileged",
            "network namespace host",
            "device request (cdi vendor.com/gpu=0)",
            "cgroup parent system.slice",
        ]
    );
    assert_eq!(f.extra_hosts, ["h:1.2.3.4"]);
    // The same steps handed to the frontend as a named input count the same.
    let def = req.definition.take().unwrap();
    req.frontend_inputs.insert("context".into(), def);
    assert_eq!(escalations(&solve_facts(&req)).len(), 4);
}

#[test]
fn a_step_inside_a_nested_build_is_read_too() {
    let inner = llb(vec![ExecOp {
        network: NET_HOST,
        ..ExecOp::default()
    }]);
    let outer = Definition {
        def: vec![Op {
            build: Some(BuildOp { def: Some(inner) }),
            ..Op::default()
        }
        .encode_to_vec()],
    };
    let req = SolveRequest {
        definition: Some(outer),
        ..SolveRequest::default()
    };
    assert_eq!(solve_facts(&req).network_mode.as_deref(), Some("host"));
}

#[test]
fn a_solve_split_in_two_is_read_merged_as_buildkit_reads_it() {
    // Protobuf concatenation is merging: repeated fields add up, so an entitlement in a
    // second half is still seen.
    let first = ordinary().encode_to_vec();
    let second = SolveRequest {
        entitlements: vec!["network.host".into()],
        ..SolveRequest::default()
    }
    .encode_to_vec();
    let f = facts(SOLVE, &[first, second].concat()).unwrap();
    assert_eq!(f.entitlements, ["network.host"]);
    assert_eq!(f.tags, ["docker.io/library/app:1"]);
}

#[test]
fn fields_sockeye_does_not_know_are_skipped_as_buildkit_skips_them() {
    let mut bytes = ordinary().encode_to_vec();
    // Field 99, length-delimited, 3 bytes.
    bytes.extend_from_slice(&[0x9a, 0x06, 3, b'a', b'b', b'c']);
    assert!(facts(SOLVE, &bytes).unwrap().escalations(&[]).is_empty());
}

#[test]
fn a_message_buildkit_could_not_read_is_an_error_not_a_guess() {
    assert!(facts(SOLVE, &[0x4a, 0x05, b'a']).is_err());
}

#[test]
fn gateway_containers_with_the_host_network_are_read() {
    let req = NewContainerRequest {
        container_id: "c1".into(),
        network: NET_HOST,
        extra_hosts: vec![],
    };
    let f = facts(
        "/moby.buildkit.v1.frontend.LLBBridge/NewContainer",
        &req.encode_to_vec(),
    )
    .unwrap();
    assert_eq!(escalations(&f), ["network namespace host"]);
}

#[test]
fn each_rpc_is_read_relayed_or_decided_unread() {
    assert_eq!(rpc(SOLVE), Rpc::Read);
    assert_eq!(rpc("/moby.buildkit.v1.frontend.LLBBridge/Solve"), Rpc::Read);
    assert_eq!(rpc("/moby.buildkit.v1.Control/Status"), Rpc::Relayed);
    assert_eq!(rpc("/moby.buildkit.v1.Control/ListWorkers"), Rpc::Relayed);
    assert_eq!(rpc("/grpc.health.v1.Health/Check"), Rpc::Relayed);
    // buildx 0.29 exports its spans after every build.
    assert_eq!(
        rpc("/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
        Rpc::Relayed
    );
    assert_eq!(
        rpc("/moby.buildkit.v1.frontend.LLBBridge/ExecProcess"),
        Rpc::Unread
    );
    assert_eq!(rpc("/moby.buildkit.v1.Control/SomethingNew"), Rpc::Unread);
    let f = super::unread("/moby.buildkit.v1.Control/SomethingNew");
    assert_eq!(
        escalations(&f),
        ["BuildKit call /moby.buildkit.v1.Control/SomethingNew, which sockeye does not read"]
    );
}

#[test]
fn a_unary_body_is_exactly_one_uncompressed_frame() {
    assert_eq!(unary_message(&[0, 0, 0, 0, 2, 7, 8]), Ok(&[7u8, 8][..]));
    assert_eq!(unary_message(&[0, 0, 0, 0, 0]), Ok(&[][..]));
    assert_eq!(unary_message(&[0, 0, 0]), Err(FrameError::Truncated));
    assert_eq!(
        unary_message(&[0, 0, 0, 0, 3, 1]),
        Err(FrameError::Truncated)
    );
    assert_eq!(
        unary_message(&[0, 0, 0, 0, 1, 1, 0]),
        Err(FrameError::Trailing)
    );
    assert_eq!(
        unary_message(&[1, 0, 0, 0, 1, 1]),
        Err(FrameError::Compressed)
    );
    assert_eq!(unary_message(&[2, 0, 0, 0, 0]), Err(FrameError::BadFlag(2)));
}

#[test]
fn grpc_message_is_percent_encoded_as_grpc_requires() {
    assert_eq!(percent_encode("a b:c"), "a b:c");
    assert_eq!(percent_encode("100%"), "100%25");
    assert_eq!(percent_encode("é\n"), "%C3%A9%0A");
}
