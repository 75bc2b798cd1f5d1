use super::*;

// Duplicates in every spelling.

#[test]
fn duplicates_are_refused_in_every_spelling() {
    for hc in [
        r#"{"Privileged":true,"privileged":false}"#,
        r#"{"Binds":[],"Bind\u017f":["/:/h"]}"#,
        r#"{"KernelMemory":1,"\u212aernelmemory":2}"#,
        r#"{"Privileged":false,"Privil\u0065ged":true}"#,
        r#"{"Mounts":[{"Source":"/a","source":"/etc"}]}"#,
        r#"{"LogConfig":{"Type":"none","TYPE":"syslog"}}"#,
    ] {
        let body = format!(r#"{{"HostConfig":{hc}}}"#);
        assert!(is_duplicate(create(&body)), "{hc}");
    }
}

#[test]
fn duplicates_in_bodies_without_a_table_are_refused_by_folding() {
    assert!(is_duplicate(canon(None, r#"{"a":{"Key":1,"\u212aey":2}}"#)));
    assert!(is_duplicate(canon(
        Some(Operation::SystemAuth),
        r#"{"password":"a","PASSWORD":"b"}"#
    )));
}

#[test]
fn map_keys_are_kept_as_sent_but_never_repeated_in_any_case() {
    let v =
        create(r#"{"Labels":{"com.Example":"1"},"HostConfig":{"Sysctls":{"net.x":"1"}}}"#).unwrap();
    assert_eq!(v["Labels"], json!({"com.Example":"1"}));
    assert_eq!(v["HostConfig"]["Sysctls"], json!({"net.x":"1"}));
    let r = create(r#"{"HostConfig":{"Sysctls":{"net.x":"1","net.x":"0"}}}"#);
    assert!(is_duplicate(r));
    // dockerd would keep both labels; the relay refuses rather than guess every reader.
    assert!(is_duplicate(create(r#"{"Labels":{"a":"1","A":"2"}}"#)));
    let r = canon(
        Some(Operation::VolumeCreate),
        r#"{"DriverOpts":{"device":"/a","DEVICE":"/"}}"#,
    );
    assert!(is_duplicate(r));
}

#[test]
fn struct_values_inside_maps_are_structs_again() {
    let v =
        create(r#"{"NetworkingConfig":{"endpointsconfig":{"Net":{"aliases":["a"]}}}}"#).unwrap();
    assert_eq!(
        v["NetworkingConfig"],
        json!({"EndpointsConfig":{"Net":{"Aliases":["a"]}}})
    );
}
