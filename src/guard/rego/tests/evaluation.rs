use super::*;

/// Conflicting values for a complete rule are an evaluation error in OPA and here: the
/// request is denied with the error.
#[test]
fn runtime_errors_deny() {
    let p = policy(
        "conflict.rego",
        "package docker.authz\n\nallow := true if input.Method == \"GET\"\n\nallow := false if startswith(input.Path, \"/\")\n",
    );
    let doc = Req::new("GET", "/v1.41/info", "").input();
    let err = p.evaluate(&doc).unwrap_err();
    assert!(!err.is_empty());
    let Decision::Deny(denial) = decide_rego(&p, &doc) else {
        panic!("allowed on an error");
    };
    assert_eq!(denial.rule, "rego:conflict");
    assert!(
        denial.reason.starts_with("policy evaluation failed: "),
        "{}",
        denial.reason
    );
    // POST: only one definition holds, no conflict.
    assert!(!allowed(&p, &create(RUN_RM).input()));
    // regorus finds an unknown function only when the call is reached.
    let p = policy(
        "fn.rego",
        "package docker.authz\n\nallow if unknown_fn(1)\n",
    );
    assert_eq!(
        p.evaluate(&doc).unwrap_err(),
        "fn.rego:3:20: could not find function unknown_fn"
    );
}

/// OPA's non-strict built-ins: a type error makes the expression undefined, it does not
/// fail the evaluation. `count(null)` is one, and the CLI sends `"Binds": null`.
#[test]
fn builtin_errors_are_undefined_as_in_opa() {
    let p = policy(
        "count.rego",
        "package docker.authz\n\ndefault allow := false\n\nallow if count(input.Body.HostConfig.Binds) == 0\n",
    );
    let outcome = p.evaluate(&create(RUN_RM).input()).unwrap();
    assert!(!outcome.allow);
    assert!(allowed(&p, &create_with(json!({"Binds": []})).input()));
}

/// Where regorus differs from OPA: `some x in null` fails the evaluation (OPA iterates over
/// nothing). The request is denied, with a hint.
#[test]
fn some_in_null_fails_with_a_hint() {
    let text = "package docker.authz\n\ndefault allow := false\n\nallow if not sys_admin\n\nsys_admin if {\n\tsome cap in input.Body.HostConfig.CapAdd\n\tcap == \"SYS_ADMIN\"\n}\n";
    let p = policy("caps.rego", text);
    let err = p.evaluate(&create(RUN_RM).input()).unwrap_err();
    assert_eq!(
        err,
        "caps.rego:8:38: `some .. in collection` expects array/set/object. Got `null` (OPA iterates over nothing here; write `x := c[_]` instead of `some x in c`)"
    );
    let portable = text.replace(
        "some cap in input.Body.HostConfig.CapAdd",
        "cap := input.Body.HostConfig.CapAdd[_]",
    );
    let p = policy("caps.rego", &portable);
    assert!(allowed(&p, &create(RUN_RM).input()));
    assert!(!allowed(
        &p,
        &create_with(json!({"CapAdd": ["SYS_ADMIN"]})).input()
    ));
}

#[test]
fn answers_that_are_not_booleans() {
    let p = policy("n.rego", "package docker.authz\n\nallow := 1\n");
    let err = p.evaluate(&create(RUN_RM).input()).unwrap_err();
    assert_eq!(
        err,
        "administrative policy decision invalid: data.docker.authz.allow is a number, not a boolean"
    );
    assert!(!decide_rego(&p, &create(RUN_RM).input()).is_allow());
    // Undefined is a plain denial with opa-docker-authz's words.
    let p = policy(
        "u.rego",
        "package docker.authz\n\nallow if input.Method == \"PUT\"\n",
    );
    let Decision::Deny(d) = decide_rego(&p, &create(RUN_RM).input()) else {
        panic!()
    };
    assert_eq!(d.reason, DEFAULT_DENY_REASON);
}

/// A query whose value is `{allow, reason}`.
#[test]
fn object_answers() {
    let text = r#"package docker.authz

decision := {"allow": false, "reason": "creates are off today"} if input.Method == "POST"
decision := {"allow": true} if input.Method == "GET"
decision := {"reason": "no allow member"} if input.Method == "DELETE"
"#;
    let p = RegoPolicy::load("o.rego", text, &with_query("data.docker.authz.decision")).unwrap();
    assert_eq!(
        p.evaluate(&create(RUN_RM).input()).unwrap(),
        RegoOutcome {
            allow: false,
            reason: Some("creates are off today".into())
        }
    );
    assert!(allowed(&p, &Req::new("GET", "/v1.41/info", "").input()));
    assert!(p
        .evaluate(&Req::new("DELETE", "/v1.41/containers/x", "").input())
        .is_err());
    assert!(!allowed(
        &p,
        &Req::new("PUT", "/v1.41/containers/x/archive", "").input()
    ));
}

#[test]
fn ping_is_skipped_as_in_opa_docker_authz() {
    let deny_all = "package docker.authz\n\ndefault allow := false\n";
    let p = policy("deny.rego", deny_all);
    let head = Req::new("HEAD", "/_ping", "").input();
    assert_eq!(
        p.evaluate(&head).unwrap(),
        RegoOutcome {
            allow: true,
            reason: Some("skip-ping".into())
        }
    );
    // Only exactly `HEAD /_ping`.
    for (method, target) in [
        ("GET", "/_ping"),
        ("HEAD", "/v1.41/_ping"),
        ("HEAD", "/_ping?x"),
    ] {
        assert!(
            !allowed(&p, &Req::new(method, target, "").input()),
            "{method} {target}"
        );
    }
    let options = RegoOptions {
        skip_ping: false,
        ..RegoOptions::default()
    };
    let p = RegoPolicy::load("deny.rego", deny_all, &options).unwrap();
    assert!(!allowed(&p, &head));
}

#[test]
fn builtins_policies_use() {
    let text = r#"package docker.authz

allow if {
	regex.match(`^/v\d+\.\d+/containers/\w+$`, input.PathPlain)
	glob.match("/*/containers/*", ["/"], input.PathPlain)
	base64.decode("c29ja2V5ZQ==") == "sockeye"
	base64url.encode("?>") == "Pz4="
	hex.encode("a") == "61"
	time.now_ns() > 0
	time.parse_rfc3339_ns("2026-01-01T00:00:00Z") > 0
	json.unmarshal(input.Query.filters[0]).label[0] == "a=b"
	startswith(input.Headers["User-Agent"], "Docker-Client/")
}
"#;
    let p = policy("builtins.rego", text);
    let req = Req::new(
        "GET",
        "/v1.41/containers/json?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D",
        "",
    );
    assert!(allowed(&p, &req.input()));
}

#[test]
fn concurrent_evaluation() {
    let p = policy("deny-privileged.rego", DENY_PRIVILEGED);
    let good = create(RUN_RM).input();
    let bad = create(DANGEROUS).input();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    assert!(allowed(&p, &good));
                    assert!(!allowed(&p, &bad));
                }
            });
        }
    });
}

/// `cargo test --release --lib guard::rego::tests::evaluation::timing -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, run by hand in release mode"]
fn timing() {
    const N: u32 = 2000;
    let req = create(DANGEROUS);
    let start = Instant::now();
    for _ in 0..N {
        std::hint::black_box(req.input());
    }
    println!("input(): {:?} per request", start.elapsed() / N);
    let doc = req.input();
    for (name, text) in [
        ("allow-all", ALLOW_ALL),
        ("deny-privileged", DENY_PRIVILEGED),
        ("deny-bind-mounts", DENY_BIND_MOUNTS),
        ("authz-example", AUTHZ_EXAMPLE),
        ("sockeye-extensions", EXTENSIONS),
    ] {
        let p = policy(name, text);
        let start = Instant::now();
        for _ in 0..N {
            std::hint::black_box(p.evaluate(&doc).unwrap());
        }
        println!("{name}: {:?} per evaluation", start.elapsed() / N);
    }
    let small = Req::new("GET", "/v1.41/containers/json", "").input();
    let p = policy("deny-privileged", DENY_PRIVILEGED);
    let start = Instant::now();
    for _ in 0..N {
        std::hint::black_box(p.evaluate(&small).unwrap());
    }
    println!(
        "GET /containers/json, deny-privileged: {:?}",
        start.elapsed() / N
    );
}
