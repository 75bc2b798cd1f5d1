use super::*;

// The policy file.

#[test]
fn every_mistake_in_a_policy_file_is_reported_at_once_with_its_key_path() {
    assert_eq!(
        error_lines(BROKEN),
        [
            "defualt: unknown key; expected one of version, base, default, redact, rules",
            "rules[0].request.endpoint: unknown endpoint \"ContainerLsit\" (did you mean \"ContainerList\"?)",
            "rules[0].request.method: unknown method \"GETT\"",
            "rules[0].request.method: unknown method \"get\" (dockerd compares methods \
             case-sensitively: write it upper-case)",
            "rules[1].reasn: unknown key; expected one of name, action, reason, client, \
             request, body, redact",
            "rules[1].reason: missing; a deny rule must say why",
            "rules[1].client.source[0]: \"10.0.0.0/33\": prefix length must be 0 to 32",
            "rules[1].client.uid[0]: must be an integer, not a string",
            "rules[2].action: unknown action \"permit\"; use allow or deny",
            "rules[2].body.cap_add.subset: unknown key; expected one of any_of, not, subset_of, \
             within, empty",
            "rules[2].body.no_such_fact: unknown fact; see docs/policy.md for the names (or \
             use `escalations`)",
            "rules[2].body.privileged: a Bool fact cannot be compared with a string; for \
             lists use { any_of = [...] } or { subset_of = [...] }",
            "rules[2].name: \"typo-key\" is used by an earlier rule",
        ]
    );
}

#[test]
fn a_toml_syntax_error_says_where() {
    assert_eq!(
        error_lines("version = 1\n[[rules]\nname = \"x\"\n"),
        ["line 2, column 8: invalid table header\nexpected `.`, `]]`"]
    );
}

#[test]
fn a_policy_without_a_version_is_refused() {
    assert_eq!(error_lines(""), ["version: missing; write `version = 1`"]);
    assert_eq!(
        error_lines("version = 2"),
        ["version: unsupported version 2; only 1 exists"]
    );
    // Not "unsupported version String(\"1\")".
    assert_eq!(
        error_lines("version = \"1\""),
        ["version: must be the number 1, not a string"]
    );
}

#[test]
fn unknown_keys_are_rejected_at_every_level() {
    let errs = error_lines(
        r#"
version = 1
colour = "blue"
[[rules]]
name = "r"
action = "allow"
[rules.client]
user = ["root"]
[rules.request]
path = "/containers/json"
param.container = ["x"]
[rules.body]
escalations = { present = false, allowed = ["/srv"] }
"#,
    );
    assert_eq!(
        errs,
        [
            "colour: unknown key; expected one of version, base, default, redact, rules",
            "rules[0].client.user: unknown key; expected one of uid, gid, process, exe, \
             container_name, container_id, container_label, source, cert_subject, cert_san",
            "rules[0].request.path: unknown key; expected one of endpoint, section, method, \
             object, param, query, query_bool",
            "rules[0].request.param.container: unknown path variable; known: id, name, \
             checkpoint",
            "rules[0].body.escalations.allowed: unknown key; expected one of present, \
             allowed_host_paths",
        ]
    );
}

#[test]
fn rule_names_are_unique_across_the_file_and_its_base() {
    let errs = error_lines(
        r#"
version = 1
base = "read-only"
[[rules]]
name = "read-only"
action = "allow"
"#,
    );
    assert_eq!(
        errs,
        ["rules[0].name: \"read-only\" is a rule of the base profile"]
    );
}
