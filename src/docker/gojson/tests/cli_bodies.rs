use super::*;

// What the CLI sends passes through untouched.

#[test]
fn cli_bodies_are_already_canonical() {
    for (op, body) in [
        (
            Operation::ContainerCreate,
            include_str!("../../../../tests/data/facts/create-dangerous.json"),
        ),
        (
            Operation::ContainerCreate,
            include_str!("../../../../tests/data/facts/create-sysctl.json"),
        ),
        (
            Operation::ContainerCreate,
            include_str!("../../../../tests/data/facts/run-rm.json"),
        ),
        (
            Operation::ContainerExec,
            include_str!("../../../../tests/data/facts/exec-root-priv.json"),
        ),
        (
            Operation::ContainerUpdate,
            include_str!("../../../../tests/data/facts/update.json"),
        ),
        (
            Operation::VolumeCreate,
            include_str!("../../../../tests/data/facts/volume-create-cifs.json"),
        ),
        (
            Operation::NetworkCreate,
            include_str!("../../../../tests/data/facts/network-create.json"),
        ),
        (
            Operation::NetworkConnect,
            include_str!("../../../../tests/data/facts/network-connect.json"),
        ),
    ] {
        let c = canonicalize(Some(op), &parse(body.as_bytes()).unwrap()).unwrap();
        let plain: Value = serde_json::from_str(body).unwrap();
        assert_eq!(c.value, plain, "{op}");
        assert!(c.unknown.is_empty(), "{op}: {:?}", c.unknown);
    }
}
