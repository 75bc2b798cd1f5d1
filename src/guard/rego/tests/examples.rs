use super::*;

#[test]
fn allow_all() {
    let p = policy("allow-all.rego", ALLOW_ALL);
    for req in [create(DANGEROUS), Req::new("GET", "/v1.41/info", "")] {
        assert_eq!(
            p.evaluate(&req.input()).unwrap(),
            RegoOutcome {
                allow: true,
                reason: None
            }
        );
    }
}

#[test]
fn deny_privileged() {
    let p = policy("deny-privileged.rego", DENY_PRIVILEGED);
    assert!(allowed(&p, &create(RUN_RM).input()));
    assert!(allowed(
        &p,
        &Req::new("GET", "/v1.41/containers/json", "").input()
    ));
    let decision = decide_rego(&p, &create(DANGEROUS).input());
    let Decision::Deny(denial) = decision else {
        panic!("privileged create allowed");
    };
    assert_eq!(denial.rule, "rego:deny-privileged");
    assert_eq!(denial.reason, "privileged containers are not allowed");
    match decide_rego(&p, &create(RUN_RM).input()) {
        Decision::Allow(permit) => assert_eq!(permit.rule(), "rego:deny-privileged"),
        Decision::Deny(d) => panic!("{d}"),
    }
}

#[test]
fn deny_bind_mounts() {
    let p = policy("deny-bind-mounts.rego", DENY_BIND_MOUNTS);
    // No binds (BindMounts is null), or only named volumes.
    assert!(allowed(&p, &create(RUN_RM).input()));
    assert!(allowed(
        &p,
        &create_with(json!({"Binds": ["data:/data"]})).input()
    ));
    let outcome = p.evaluate(&create(DANGEROUS).input()).unwrap();
    assert!(!outcome.allow);
    assert_eq!(
        outcome.reason.unwrap(),
        "bind mount of / is outside /srv/data; bind mount of /etc is outside /srv/data"
    );
    // Unresolvable sources are refused whatever they say.
    let sneaky = create_with(json!({"Binds": ["/srv/data/nonexistent/../../../etc:/x"]}));
    assert!(!allowed(&p, &sneaky.input()));
}

/// Identity by `input.User`, which dockerd fills only for TLS clients: here it is set as
/// dockerd would for a client certificate with that common name.
#[test]
fn read_only_users() {
    let p = policy("read-only-users.rego", READ_ONLY_USERS);
    let as_user = |req: Req, user: &str| {
        let mut doc = req.input();
        doc["User"] = user.into();
        doc["AuthMethod"] = "TLS".into();
        p.evaluate(&doc).unwrap()
    };
    let list = || Req::new("GET", "/v1.41/containers/json", "");
    assert!(as_user(list(), "alice").allow);
    assert!(as_user(list(), "bob").allow);
    assert!(as_user(create(RUN_RM), "alice").allow);
    let bob = as_user(create(RUN_RM), "bob");
    assert!(!bob.allow);
    assert_eq!(bob.reason.as_deref(), Some("bob may only read"));
    // A Unix-socket client has no TLS user.
    let nobody = p.evaluate(&list().input()).unwrap();
    assert_eq!(nobody.reason.as_deref(), Some("unknown user"));
}

/// The decisions of opa-docker-authz's `TestEvaluate` for its example policy.
#[test]
fn authz_example() {
    let p = policy("authz-example.rego", AUTHZ_EXAMPLE);
    let busybox = |user: &str, version: &str| {
        Req::new(
            "POST",
            &format!("/{version}/containers/create"),
            r#"{"Image": "busybox"}"#,
        )
        .header("authz-user", user)
        .input()
    };
    assert!(allowed(&p, &busybox("alice", "v1.47")));
    assert!(!allowed(&p, &busybox("bob", "v1.23")));
    let get = |user: Option<&str>| {
        let req = Req::new("GET", "/v1.23/containers/json", "");
        match user {
            Some(u) => req.header("authz-user", u).input(),
            None => req.input(),
        }
    };
    assert!(allowed(&p, &get(Some("bob"))));
    assert!(!allowed(&p, &get(None)));
    // seccomp=unconfined (create-dangerous) and a prod label off the prod network.
    let dangerous = create(DANGEROUS).header("authz-user", "alice").input();
    assert!(!allowed(&p, &dangerous));
    let prod = |network: &str| {
        create(
            &json!({"Image": "busybox", "Labels": {"com.example/deployment": "prod"},
                    "HostConfig": {"NetworkMode": network}})
            .to_string(),
        )
        .header("authz-user", "alice")
        .input()
    };
    assert!(!allowed(&p, &prod("default")));
    assert!(allowed(&p, &prod("prod-network")));
}

#[test]
fn sockeye_extensions() {
    let p = policy("sockeye-extensions.rego", EXTENSIONS);
    let stranger = Peer::Unix {
        uid: 1001,
        gid: 1001,
        pid: None,
        process: None,
        exe: None,
    };
    assert!(allowed(
        &p,
        &Req::new("GET", "/v1.41/containers/json", "").input()
    ));
    assert!(allowed(
        &p,
        &Req::new("HEAD", "/_ping", "").by(stranger.clone()).input()
    ));
    assert!(allowed(&p, &create(RUN_RM).input()));
    let outcome = p.evaluate(&create(DANGEROUS).input()).unwrap();
    assert!(!outcome.allow);
    let reason = outcome.reason.unwrap();
    for kind in [
        "privileged is not allowed",
        "host_path is not allowed",
        "capability",
    ] {
        assert!(reason.contains(kind), "{reason}");
    }
    let outcome = p.evaluate(&create(RUN_RM).by(stranger).input()).unwrap();
    assert_eq!(outcome.reason.as_deref(), Some("uid 1001 may only read"));
}

#[test]
fn rego_v0_policies_are_read_as_v0() {
    let p = policy("v0-deny-privileged.rego", V0);
    assert!(p.rego_v0());
    assert!(!policy("allow-all.rego", ALLOW_ALL).rego_v0());
    assert!(allowed(&p, &create(RUN_RM).input()));
    let outcome = p.evaluate(&create(DANGEROUS).input()).unwrap();
    assert_eq!(
        outcome.reason.as_deref(),
        Some("privileged containers are not allowed; the host root may not be mounted")
    );
}
