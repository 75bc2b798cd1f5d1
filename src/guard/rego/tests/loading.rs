use super::*;

#[test]
fn syntax_errors_are_located() {
    let err = RegoPolicy::from_text(
        "/etc/sockeye/bad.rego",
        "package docker.authz\n\nallow if {\n  input.Method ==\n}\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("/etc/sockeye/bad.rego:5:1: expecting expression\n"),
        "{err}"
    );
    assert!(err.contains("5 | }"), "{err}");
    // Not v1, and not v0 either: the v0 error, saying why it was tried.
    let err = RegoPolicy::from_text(
        "old.rego",
        "package docker.authz\n\nallow {\n  input.x ==\n}\n",
    )
    .unwrap_err();
    assert!(
        err.starts_with("old.rego:3:7: expecting } (read as Rego v0, since as v1: old.rego:3:7: `if` keyword is required before rule body)\n"),
        "{err}"
    );
}

#[test]
fn a_policy_without_the_queried_rule_is_refused() {
    let err = RegoPolicy::from_text("other.rego", "package other\n\nallow := true\n").unwrap_err();
    assert_eq!(
        err,
        "other.rego: the policy defines no rule data.docker.authz.allow"
    );
}

#[test]
fn queries() {
    let text = "package my.authz\n\nok if input.Method == \"GET\"\n";
    let p = RegoPolicy::from_text("q.rego", "package docker.authz\n\nallow := true\n").unwrap();
    assert_eq!(p.query(), DEFAULT_QUERY);
    assert_eq!(p.rule(), "rego:q");
    assert_eq!(p.name(), "q.rego");
    let err = RegoPolicy::from_text("q.rego", text).unwrap_err();
    assert!(err.contains("defines no rule data.docker.authz.allow"));
    // Both of opa-docker-authz's spellings of -allowPath.
    for query in ["data.my.authz.ok", "/my/authz/ok"] {
        let p = RegoPolicy::load("q.rego", text, &with_query(query)).unwrap();
        assert_eq!(p.query(), "data.my.authz.ok");
        assert!(allowed(&p, &Req::new("GET", "/v1.41/info", "").input()));
    }
    for bad in [
        "allow",
        "data",
        "data.my.authz.ok == true",
        "data.a..b",
        "x.a",
        "/",
    ] {
        let err = RegoPolicy::load("q.rego", text, &with_query(bad)).unwrap_err();
        assert!(err.contains("is not a rule path"), "{bad}: {err}");
    }
}

#[test]
fn unavailable_builtins_are_refused_at_load() {
    let text = "package docker.authz\n\n# http.send(x) in a comment is fine\nok := \"yaml.marshal(x)\"\n\nallow if {\n\tr := http.send({\"url\": \"http://x\"})\n}\n";
    let err = RegoPolicy::from_text("net.rego", text).unwrap_err();
    assert_eq!(
        err.lines().next().unwrap(),
        "net.rego:7: http.send() is an OPA built-in sockeye does not provide (no network, YAML, JSON schema, JWT, crypto, UUID, semver or URL query functions)"
    );
    for call in ["io.jwt.decode(x)", "uuid.rfc4122(x)", "yaml.unmarshal (x)"] {
        let text = format!("package docker.authz\n\nallow if {{\n\tx := \"a\"\n\t{call}\n}}\n");
        assert!(RegoPolicy::from_text("x.rego", &text).is_err(), "{call}");
    }
    // Every listed name is really missing, and nothing that is there is listed.
    let builtins: Vec<&str> = regorus::unstable::BUILTINS.keys().copied().collect();
    for name in UNAVAILABLE {
        assert!(
            !builtins.iter().any(|b| b.starts_with(name)),
            "{name} is available"
        );
    }
    for name in [
        "walk",
        "net.cidr_contains",
        "time.now_ns",
        "regex.match",
        "glob.match",
    ] {
        assert!(builtins.contains(&name), "{name} is missing");
    }
}
