use serde_json::{json, Value};

use super::*;
use crate::docker::endpoint::Operation;

const CREATE: Option<Operation> = Some(Operation::ContainerCreate);

/// Parse and canonicalize for `op`.
fn canon(op: Option<Operation>, body: &str) -> Result<Value, Ambiguity> {
    canonical(op, &parse(body.as_bytes())?)
}

fn create(body: &str) -> Result<Value, Ambiguity> {
    canon(CREATE, body)
}

fn host_config(body: &str) -> Value {
    create(body).unwrap()["HostConfig"].clone()
}

fn is_duplicate(r: Result<Value, Ambiguity>) -> bool {
    matches!(r, Err(Ambiguity::DuplicateKey { .. }))
}

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
    for empty in [r#"null"#, "false", "0", "-0.0", r#""""#, "[]", "{}"] {
        for host_config in ["", r#","HostConfig":null"#, r#","HostConfig":{}"#] {
            let body = format!(r#"{{"Image":"x","Privileged":{empty}{host_config}}}"#);
            assert!(create(&body).is_ok(), "{body}");
        }
    }
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

// What the CLI sends passes through untouched.

#[test]
fn cli_bodies_are_already_canonical() {
    for (op, body) in [
        (
            Operation::ContainerCreate,
            include_str!("../../../tests/data/facts/create-dangerous.json"),
        ),
        (
            Operation::ContainerCreate,
            include_str!("../../../tests/data/facts/create-sysctl.json"),
        ),
        (
            Operation::ContainerCreate,
            include_str!("../../../tests/data/facts/run-rm.json"),
        ),
        (
            Operation::ContainerExec,
            include_str!("../../../tests/data/facts/exec-root-priv.json"),
        ),
        (
            Operation::ContainerUpdate,
            include_str!("../../../tests/data/facts/update.json"),
        ),
        (
            Operation::VolumeCreate,
            include_str!("../../../tests/data/facts/volume-create-cifs.json"),
        ),
        (
            Operation::NetworkCreate,
            include_str!("../../../tests/data/facts/network-create.json"),
        ),
        (
            Operation::NetworkConnect,
            include_str!("../../../tests/data/facts/network-connect.json"),
        ),
    ] {
        let c = canonicalize(Some(op), &parse(body.as_bytes()).unwrap()).unwrap();
        let plain: Value = serde_json::from_str(body).unwrap();
        assert_eq!(c.value, plain, "{op}");
        assert!(c.unknown.is_empty(), "{op}: {:?}", c.unknown);
    }
}

// The parser.

#[test]
fn parser_keeps_duplicates_and_raw_numbers() {
    let n = parse(br#"{"a":1e3,"a":-0,"b":[1.50]}"#).unwrap();
    assert_eq!(
        n,
        Node::Object(vec![
            ("a".into(), Node::Number("1e3".into())),
            ("a".into(), Node::Number("-0".into())),
            ("b".into(), Node::Array(vec![Node::Number("1.50".into())])),
        ])
    );
}

#[test]
fn parser_decodes_surrogates_like_go() {
    let n = parse(br#"["\ud83d\ude00","\ud800x","\udc00","\ud800\u0041"]"#).unwrap();
    let Node::Array(items) = n else { panic!() };
    let s: Vec<_> = items
        .iter()
        .map(|i| match i {
            Node::String(s) => s.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(s, ["\u{1f600}", "\u{fffd}x", "\u{fffd}", "\u{fffd}A"]);
}

#[test]
fn parser_refuses_what_go_refuses() {
    for (body, what) in [
        (&b""[..], "empty"),
        (b"  \n", "blank"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b"{\"a\":\"x\ny\"}", "raw newline in string"),
        (b"{\"a\":01}", "leading zero"),
        (b"{\"a\":1.}", "bare decimal point"),
        (b"{\"a\":+1}", "plus sign"),
        (b"{\"a\":.5}", "no integer part"),
        (b"{\"a\":\"\\x\"}", "unknown escape"),
        (b"{\"a\":tru}", "short literal"),
        (b"{\"a\":1,}", "trailing comma"),
        (b"{'a':1}", "single quotes"),
        (b"[1 2]", "missing comma"),
        (b"{\"a\" 1}", "missing colon"),
        (b"\"abc", "unterminated string"),
    ] {
        assert!(parse(body).is_err(), "{what}");
    }
    assert_eq!(parse(b""), Err(Ambiguity::Empty));
}

#[test]
fn parser_limits_depth() {
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(matches!(
        parse(deep.as_bytes()),
        Err(Ambiguity::TooDeep { .. })
    ));
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(ok.as_bytes()).is_ok());
}

#[test]
fn parser_agrees_with_serde_json_on_valid_documents() {
    for body in [
        include_str!("../../../tests/data/facts/create-dangerous.json"),
        r#"{"a":"\u00e9\n\"\\\/","b":[true,false,null,-1.5e-3,0,18446744073709551615]}"#,
        "  [ { } , [ ] , \"\" ]  ",
    ] {
        let ours = canonical(None, &parse(body.as_bytes()).unwrap()).unwrap();
        let theirs: Value = serde_json::from_str(body).unwrap();
        assert_eq!(ours, theirs, "{body}");
    }
}

#[test]
fn numbers_no_go_field_can_hold_are_refused() {
    let r = create(r#"{"HostConfig":{"Memory":1e400}}"#);
    assert_eq!(
        r,
        Err(Ambiguity::Number {
            path: "HostConfig.Memory".into(),
            raw: "1e400".into()
        })
    );
}

// The generated table.

#[test]
fn table_names_are_ascii_and_unambiguous() {
    let mut stack: Vec<&'static Struct> = table_roots();
    let mut seen = std::collections::HashSet::new();
    while let Some(s) = stack.pop() {
        if !seen.insert(s.name) {
            continue;
        }
        let mut folded = std::collections::HashSet::new();
        for f in s.fields {
            assert!(f.name.is_ascii(), "{}.{}", s.name, f.name);
            assert!(
                folded.insert(fold(f.name)),
                "{}.{} folds onto another field",
                s.name,
                f.name
            );
            push_structs(f.shape, &mut stack);
        }
    }
    assert!(seen.contains("HostConfig") && seen.contains("Mount"));
}

#[test]
fn no_config_field_is_mistaken_for_a_top_level_hostconfig_field() {
    for f in table::CONTAINER_CREATE_REQUEST.fields {
        assert!(
            table::HOST_CONFIG.field(f.name).is_none(),
            "{} would be refused at the top level",
            f.name
        );
    }
}

fn table_roots() -> Vec<&'static Struct> {
    let mut out = Vec::new();
    for op in Operation::ALL {
        if let Some(shape) = body_shape(*op) {
            push_structs(shape, &mut out);
        }
    }
    out
}

fn push_structs(shape: Shape, out: &mut Vec<&'static Struct>) {
    match shape {
        Shape::Struct(s) => out.push(s),
        Shape::Array(inner) | Shape::Map(inner) => push_structs(*inner, out),
        Shape::Any | Shape::Scalar => {}
    }
}

// Queries: §2.5 and the query rows of §2.8.

fn all(query: &str) -> bool {
    form(query).unwrap().bool("all")
}

#[test]
fn query_booleans_read_like_dockerd() {
    assert!(all("%61ll=1"), "keys are percent-decoded");
    assert!(!all("all"), "no value is false");
    assert!(all("all=yes"));
    assert!(all("all=%201%20"), "trimmed, still true");
    assert!(all("all=%00"), "anything unlisted is true");
    assert!(!all("all=+"), "+ is a space, trimmed to empty");
    assert!(!all("all=FALSE"));
    assert!(!all("all=none"));
    assert!(!all("all=0&all=1"), "first value wins");
    assert!(all("all=1&all=0"));
    assert!(!all("ALL=1"), "keys are case-sensitive");
    assert!(all("all=1#x"), "a raw # is part of the value");
}

#[test]
fn query_separators_and_escapes_that_go_rejects_are_refused() {
    assert_eq!(form("all=1;x=1"), Err(Ambiguity::QuerySemicolon));
    assert!(matches!(form("all=1%"), Err(Ambiguity::QueryEscape { .. })));
    assert!(matches!(
        form("all=%zz"),
        Err(Ambiguity::QueryEscape { .. })
    ));
    assert!(matches!(form("a=%ff"), Err(Ambiguity::QueryNotUtf8 { .. })));
}

#[test]
fn query_keeps_every_value_in_order() {
    let f = form("t=a&&t=b&x&=v&t=c").unwrap();
    assert_eq!(f.values("t"), ["a", "b", "c"]);
    assert_eq!(f.get("x"), Some(""));
    assert_eq!(f.get(""), Some("v"));
    assert_eq!(f.get("missing"), None);
    assert_eq!(f.value("missing"), "");
}

#[test]
fn form_body_values_win_over_the_query() {
    let q = form("name=probe-query").unwrap();
    let body = form("name=probe-body").unwrap();
    assert_eq!(q.with_body(body).get("name"), Some("probe-body"));
}

#[test]
fn go_bool_trims_unicode_space() {
    assert!(!go_bool("\u{a0}false\u{2003}"));
    assert!(go_bool("true"));
    assert!(!go_bool(""));
}
