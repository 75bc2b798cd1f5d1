use super::*;

// The policy-facing surface.

#[test]
fn facts_are_reachable_by_their_documented_names() {
    let f = of(Operation::ContainerCreate, DANGEROUS);
    assert_eq!(f.get("privileged"), Some(json!(true)));
    assert_eq!(f.get("cap_add"), Some(json!(["ALL"])));
    assert_eq!(f.get("user"), Some(json!("")));
    assert_eq!(f.get("seccomp"), Some(json!("unconfined")));
    assert_eq!(f.get("operation"), Some(json!("ContainerCreate")));
    assert_eq!(f.get("no_such_fact"), None);
    let Value::Object(all) = f.to_value() else {
        panic!()
    };
    let names: Vec<&str> = all.keys().map(String::as_str).collect();
    let mut documented = Facts::NAMES.to_vec();
    documented.sort_unstable();
    let mut names = names;
    names.sort_unstable();
    assert_eq!(names, documented);
}

#[test]
fn escalations_serialize_with_a_stable_kind() {
    let e = Escalation::HostNamespace {
        namespace: "pid",
        mode: "host".into(),
    };
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"kind":"host_namespace","namespace":"pid","mode":"host"})
    );
    assert_eq!(e.kind(), "host_namespace");
}

#[test]
fn unknown_operation_has_no_facts() {
    let f = facts(None, &json!({"Privileged":true}), &gojson::Form::default());
    assert_eq!(f.operation, "Unknown");
    assert!(!f.privileged);
}

#[test]
fn clean_is_gos_path_clean() {
    for (input, want) in [
        ("/", "/"),
        ("//", "/"),
        ("/etc/", "/etc"),
        ("/etc/../", "/"),
        ("/../..", "/"),
        ("/a/./b//c/..", "/a/b"),
        ("etc", "/etc"),
        ("", "/"),
    ] {
        assert_eq!(host::clean(input), want, "{input}");
    }
}
