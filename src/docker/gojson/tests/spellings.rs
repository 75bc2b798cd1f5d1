use super::*;

// §2.7 of dockerd-behaviour.md, row by row: each spelling dockerd applied is either refused or
// canonicalized to the field it reached.

#[test]
fn lower_case_hostconfig_privileged_is_not_lost() {
    let hc = host_config(r#"{"Image":"x","hostconfig":{"privileged":true}}"#);
    assert_eq!(hc["Privileged"], true);
}

#[test]
fn upper_case_keys_reach_their_fields() {
    let hc = host_config(r#"{"HOSTCONFIG":{"PRIVILEGED":true,"CAPADD":["SYS_ADMIN"]}}"#);
    assert_eq!(hc["Privileged"], true);
    assert_eq!(hc["CapAdd"], json!(["SYS_ADMIN"]));
}

#[test]
fn long_s_spells_binds() {
    let hc = host_config(r#"{"HostConfig":{"Bind\u017f":["/:/host"]}}"#);
    assert_eq!(hc["Binds"], json!(["/:/host"]));
    // The same, sent as raw UTF-8 rather than an escape.
    let hc = host_config("{\"HostConfig\":{\"Bind\u{17f}\":[\"/:/host\"]}}");
    assert_eq!(hc["Binds"], json!(["/:/host"]));
}

#[test]
fn kelvin_sign_spells_kernel_memory() {
    let hc = host_config(r#"{"HostConfig":{"\u212AernelMemory":7000000}}"#);
    assert_eq!(hc["KernelMemory"], 7000000);
}

#[test]
fn escapes_in_keys_are_decoded_before_matching() {
    let hc = host_config(r#"{"HostConfig":{"Privil\u0065ged":true}}"#);
    assert_eq!(hc["Privileged"], true);
}

#[test]
fn repeated_field_is_refused_not_last_wins() {
    let r = create(r#"{"HostConfig":{"Privileged":false,"Privileged":true}}"#);
    assert_eq!(
        r,
        Err(Ambiguity::DuplicateKey {
            path: "HostConfig".into(),
            first: "Privileged".into(),
            second: "Privileged".into(),
        })
    );
}

#[test]
fn repeated_hostconfig_that_dockerd_would_merge_is_refused() {
    let r = create(r#"{"HostConfig":{"Privileged":true},"HostConfig":{"CapAdd":["NET_ADMIN"]}}"#);
    assert!(is_duplicate(r));
}

#[test]
fn second_document_is_refused() {
    let r = create(r#"{"Image":"x"}{"HostConfig":{"Privileged":true}}"#);
    assert_eq!(r, Err(Ambiguity::TrailingData { offset: 13 }));
    // Whitespace after the document is fine, as in Go.
    assert!(create("{\"Image\":\"x\"} \r\n\t").is_ok());
}

#[test]
fn top_level_hostconfig_fields_are_refused_without_hostconfig() {
    for body in [
        r#"{"Image":"x","Privileged":true}"#,
        r#"{"Image":"x","Binds":["/:/host"]}"#,
        r#"{"Image":"x","PidMode":"host"}"#,
        r#"{"Image":"x","HostConfig":null,"privileged":true}"#,
        r#"{"Image":"x","Privil\u0065ged":true}"#,
    ] {
        assert!(
            matches!(create(body), Err(Ambiguity::TopLevelHostConfig { .. })),
            "{body}"
        );
    }
}

#[test]
fn top_level_hostconfig_fields_are_refused_even_next_to_hostconfig() {
    // 20.10 copies these into an inner HostConfig that leaves them unset.
    for key in [
        "Memory",
        "MemorySwap",
        "CpuShares",
        "CpusetCpus",
        "VolumeDriver",
        "Cpuset",
    ] {
        let body = format!(r#"{{"HostConfig":{{}},"{key}":"x"}}"#);
        assert!(
            matches!(create(&body), Err(Ambiguity::TopLevelHostConfig { .. })),
            "{key}"
        );
    }
}

#[test]
fn dockerode_run_body_with_empty_legacy_fields_is_read_as_dockerd_reads_it() {
    // dockerode's docker.run() sends this with every run: "VolumesFrom" is a HostConfig field
    // at the top level, but empty, so no engine configures anything with it.
    let body = r#"{"Hostname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":true,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["echo","hi"],"Image":"x","Volumes":{},"VolumesFrom":[]}"#;
    let value = create(body).expect("dockerode's run body is readable");
    assert_eq!(value["VolumesFrom"], json!([]));
    assert_eq!(value["HostConfig"], Value::Null);
    for empty in [r#"null"#, r#""""#, "[]", "{}"] {
        for host_config in ["", r#","HostConfig":null"#, r#","HostConfig":{}"#] {
            let body = format!(r#"{{"Image":"x","Privileged":{empty}{host_config}}}"#);
            assert!(create(&body).is_ok(), "{body}");
        }
    }
}

#[test]
fn a_top_level_false_is_not_empty_where_a_pointer_field_would_keep_it() {
    // ≤ 26 stores `Init: &false` and overrides the daemon's --init; ≥ 27 keeps the default.
    for body in [
        r#"{"Image":"x","Init":false}"#,
        r#"{"Image":"x","PidsLimit":0}"#,
    ] {
        assert!(
            matches!(create(body), Err(Ambiguity::TopLevelHostConfig { .. })),
            "{body}"
        );
    }
    // Beside a HostConfig object, ignored by every engine.
    assert!(create(r#"{"Image":"x","HostConfig":{},"Init":false}"#).is_ok());
}

#[test]
fn a_top_level_field_beside_a_host_config_is_relayed_as_every_engine_ignores_it() {
    // The nested HostConfig wins on every engine: top-level Privileged configures nothing, and
    // the policy reads the nested one.
    let body =
        r#"{"Image":"x","HostConfig":{"CapAdd":["CHOWN"]},"Privileged":true,"Binds":["/:/h"]}"#;
    let value = create(body).expect("ignored by every engine");
    assert_eq!(value["HostConfig"], json!({"CapAdd":["CHOWN"]}));
    // Not empty, though its members are: a map's keys are data.
    let body = r#"{"Image":"x","Tmpfs":{"/x":""}}"#;
    assert!(matches!(
        create(body),
        Err(Ambiguity::TopLevelHostConfig {
            beside_host_config: false,
            ..
        })
    ));
}

#[test]
fn invalid_utf8_in_values_is_replaced_like_go() {
    let body = b"{\"Image\":\"a\xffb\xe2\x82\"}";
    let v = canonical(CREATE, &parse(body).unwrap()).unwrap();
    // One U+FFFD per bad byte, as Go's utf8.DecodeRune reports them.
    assert_eq!(v["Image"], "a\u{fffd}b\u{fffd}\u{fffd}");
}

#[test]
fn invalid_utf8_in_keys_is_refused() {
    let body = b"{\"HostConfig\":{\"Privileged\xff\":true}}";
    assert_eq!(parse(body), Err(Ambiguity::InvalidKey { offset: 15 }));
    let lone = br#"{"Privileged\ud800":true}"#;
    assert!(matches!(parse(lone), Err(Ambiguity::InvalidKey { .. })));
}

#[test]
fn wrong_types_are_forwarded_for_dockerd_to_refuse() {
    // dockerd answers 400 to both; canonical keeps them so it still does.
    let hc = host_config(r#"{"HostConfig":{"Privileged":1}}"#);
    assert_eq!(hc["Privileged"], 1);
    let hc = host_config(r#"{"HostConfig":{"Privileged":"true"}}"#);
    assert_eq!(hc["Privileged"], "true");
}

#[test]
fn exec_create_keys_in_any_case_reach_their_fields() {
    let v = canon(
        Some(Operation::ContainerExec),
        r#"{"cmd":["id"],"PRIVILEGED":true,"uSeR":"0:0"}"#,
    )
    .unwrap();
    assert_eq!(v, json!({"Cmd":["id"],"Privileged":true,"User":"0:0"}));
}

#[test]
fn exec_start_lower_case_detach_is_honoured() {
    let v = canon(Some(Operation::ExecStart), r#"{"detach":true}"#).unwrap();
    assert_eq!(v, json!({"Detach":true}));
}
