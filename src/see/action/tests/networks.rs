//! Network and volume calls from the traces.

use super::*;

/// `network-create-connect-rm`
const NETWORK_CREATE: &str = r#"{"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"probe-net","CheckDuplicate":true}"#;

/// `network-create-connect-rm`
const NETWORK_CONNECT: &str = r#"{"Container":"probe-x","EndpointConfig":{"IPAMConfig":{},"Links":null,"Aliases":[],"MacAddress":"","DriverOpts":{},"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}"#;

/// `volume-create-cifs-opts`
const VOLUME_CREATE_CIFS: &str = r#"{"Driver":"local","DriverOpts":{"device":"//127.0.0.1/share","o":"username=probeuser,password=cifs-password-xyz","type":"cifs"},"Name":"probe-cifsvol"}"#;

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
