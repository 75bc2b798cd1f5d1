use super::*;

/// A call on a named object by a client in a container.
fn named(name: &str, container: &str, method: &str, path: &str) -> Record {
    let mut r = by_action(&session(), "docker inspect").clone();
    r.caller = Caller {
        transport: "unix".into(),
        uid: Some(0),
        gid: Some(0),
        pid: Some(42),
        process: Some("dash".into()),
        exe: Some("/app/dash".into()),
        container: Some(Container {
            id: "c0ffee".into(),
            name: container.into(),
            labels: Default::default(),
        }),
        addr: None,
        cert: None,
    };
    r.method = method.into();
    r.path = path.replace("{}", name);
    r.endpoint = classify(method, &r.path).name().into();
    r.action = format!("{method} {}", r.path);
    r
}

#[test]
fn objects_named_stably_are_kept_and_ids_or_many_names_are_not() {
    let opts = Options::default();
    let records = vec![
        named("web-1", "dash", "GET", "/v1.41/containers/{}/json"),
        named("web-2", "dash", "GET", "/v1.41/containers/{}/logs?tail=5"),
        named("web-1", "dash", "GET", "/v1.41/containers/json"),
        named("nginx:1", "dash", "GET", "/v1.41/images/{}/json"),
    ];
    let (learned, policy) = learn_from(&records, opts.clone());
    let text = &learned.text;
    assert_eq!(replays_allowed(&policy, &records, &opts, text), 4);
    assert!(
        text.contains("client.container_name = [\"dash\"]\n"),
        "{text}"
    );
    assert!(
        text.contains("# 2 endpoints on containers named only web-1, web-2"),
        "{text}"
    );
    assert!(text.contains("request.object = [\"web-*\"]\n"), "{text}");
    assert!(text.contains("request.object = [\"nginx:1\"]\n"), "{text}");
    // The clients' rules, and the ping rule every learned policy starts with.
    assert_eq!(learned.rules, 4, "{text}");
    assert!(decide(
        &policy,
        &named("web-9", "dash", "GET", "/v1.41/containers/{}/json")
    )
    .is_allow());
    assert!(!decide(
        &policy,
        &named("db", "dash", "GET", "/v1.41/containers/{}/json")
    )
    .is_allow());
    assert!(!decide(
        &policy,
        &named("redis", "dash", "GET", "/v1.41/images/{}/json")
    )
    .is_allow());
    // Another container is another client.
    assert!(!decide(
        &policy,
        &named("web-1", "other", "GET", "/v1.41/containers/{}/json")
    )
    .is_allow());

    // Named by ID once: the ID changes when the container is recreated, so no restriction.
    let mut with_id = records.clone();
    with_id.push(named(
        "a060bf78453e",
        "dash",
        "GET",
        "/v1.41/containers/{}/stats?stream=0",
    ));
    let (learned, policy) = learn_from(&with_id, opts.clone());
    assert!(!learned.text.contains("web-*"), "{}", learned.text);
    assert!(decide(
        &policy,
        &named("db", "dash", "GET", "/v1.41/containers/{}/json")
    )
    .is_allow());
    // Images are still restricted: a kind of object of its own.
    assert!(learned.text.contains("request.object = [\"nginx:1\"]"));

    // Many names without a shared prefix: no restriction either.
    let many: Vec<Record> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|n| named(n, "dash", "GET", "/v1.41/containers/{}/json"))
        .collect();
    let (learned, _) = learn_from(&many, opts);
    assert!(!learned.text.contains("request.object"), "{}", learned.text);

    // And --endpoints-only never restricts.
    let (learned, _) = learn_from(
        &records,
        Options {
            endpoints_only: true,
            ..Options::default()
        },
    );
    assert!(!learned.text.contains("request.object"), "{}", learned.text);
    assert_eq!(learned.rules, 2);
}
