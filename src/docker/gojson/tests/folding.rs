use super::*;

// Folding is exactly Go's, no wider.

#[test]
fn dotless_i_is_not_an_i_to_go() {
    let c = canonicalize(
        CREATE,
        &parse("{\"HostConfig\":{\"Pr\u{131}vileged\":true}}".as_bytes()).unwrap(),
    )
    .unwrap();
    assert!(c.value["HostConfig"].get("Privileged").is_none());
    assert_eq!(c.unknown, ["HostConfig.Pr\u{131}vileged"]);
}

#[test]
fn fold_matches_go_simple_folding() {
    assert_eq!(fold("Bind\u{17f}"), "BINDS");
    assert_eq!(fold("\u{212a}ernel"), "KERNEL");
    assert_eq!(fold("\u{131}"), "\u{131}");
    assert_eq!(fold("\u{e9}"), "\u{c9}");
}

#[test]
fn unknown_keys_are_kept_and_listed() {
    let c = canonicalize(
        CREATE,
        &parse(br#"{"HostConfig":{"Privileged ":true,"FutureField":1}}"#).unwrap(),
    )
    .unwrap();
    assert_eq!(c.value["HostConfig"]["Privileged "], true);
    assert_eq!(
        c.unknown,
        ["HostConfig.Privileged ", "HostConfig.FutureField"]
    );
}

#[test]
fn null_stays_null_and_changes_nothing() {
    let hc = host_config(r#"{"HostConfig":{"Privileged":null,"Binds":null}}"#);
    assert_eq!(hc, json!({"Privileged":null,"Binds":null}));
    let v = create(r#"{"Image":"x","HostConfig":null}"#).unwrap();
    assert_eq!(v, json!({"Image":"x","HostConfig":null}));
}

#[test]
fn legacy_start_body_is_a_hostconfig() {
    let v = canon(Some(Operation::ContainerStart), r#"{"privileged":true}"#).unwrap();
    assert_eq!(v, json!({"Privileged":true}));
}

#[test]
fn plugin_privileges_array_is_canonicalized() {
    let v = canon(
        Some(Operation::PluginPull),
        r#"[{"name":"network","value":["host"]}]"#,
    )
    .unwrap();
    assert_eq!(v, json!([{"Name":"network","Value":["host"]}]));
}

#[test]
fn service_spec_nested_keys_are_canonicalized() {
    let v = canon(
        Some(Operation::ServiceCreate),
        r#"{"tasktemplate":{"containerspec":{"mounts":[{"type":"bind","source":"/"}]}}}"#,
    )
    .unwrap();
    assert_eq!(
        v,
        json!({"TaskTemplate":{"ContainerSpec":{"Mounts":[{"Type":"bind","Source":"/"}]}}})
    );
}
