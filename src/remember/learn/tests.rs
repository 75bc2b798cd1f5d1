use super::*;
use crate::caller::{Container, Wire as Caller};
use crate::docker::endpoint::classify;
use crate::guard::policy::{Decision, Policy};
use crate::remember::audit::Record;
use serde_json::{json, Value};

fn session() -> Vec<Record> {
    crate::remember::audit::read::recorded_session()
}

fn learn_from(records: &[Record], opts: Options) -> (Learned, Policy) {
    let mut l = Learner::new(opts);
    for r in records {
        l.add(r);
    }
    let learned = l.finish(&["test.log".into()]);
    let policy =
        Policy::from_toml(&learned.text).unwrap_or_else(|e| panic!("{e:?}\n{}", learned.text));
    (learned, policy)
}

fn decide(policy: &Policy, r: &Record) -> Decision {
    replay(policy, r).expect("a replayable record")
}

/// Every record that was learned is allowed again; returns how many there were.
#[track_caller]
fn replays_allowed(policy: &Policy, records: &[Record], opts: &Options, text: &str) -> usize {
    let mut n = 0;
    for r in records {
        if learnable(r, opts).is_err() {
            continue;
        }
        n += 1;
        let d = decide(policy, r);
        assert!(d.is_allow(), "{} {}: {d:?}\n{text}", r.method, r.path);
    }
    n
}

fn by_action<'a>(records: &'a [Record], prefix: &str) -> &'a Record {
    records
        .iter()
        .find(|r| r.action.starts_with(prefix))
        .unwrap_or_else(|| panic!("no record of {prefix:?}"))
}

/// A `docker create` from the same client, with this body's facts.
fn create_like(template: &Record, facts: Value) -> Record {
    let mut r = template.clone();
    r.endpoint = "ContainerCreate".into();
    r.method = "POST".into();
    r.path = "/v1.41/containers/create".into();
    r.params.clear();
    r.facts = facts.as_object().unwrap().clone();
    r
}

#[test]
fn a_recorded_session_yields_a_policy_that_allows_it_again_and_nothing_new() {
    let records = session();
    let opts = Options::default();
    let (learned, policy) = learn_from(&records, opts.clone());
    let text = &learned.text;
    assert_eq!(learned.records, 41);
    assert_eq!(learned.learned, 38);
    assert_eq!(learned.clients, 3);
    assert_eq!(learned.rules, 5);
    assert_eq!(
        learned.skipped,
        [(Skip::Denied, 2), (Skip::Escalation, 1)],
        "{text}"
    );
    assert_eq!(replays_allowed(&policy, &records, &opts, text), 38);

    // The privileged run was not learned, and stays denied: by the default, since the one
    // ContainerCreate rule asks for no escalation.
    let privileged = by_action(&records, "docker create --rm --privileged");
    let d = decide(&policy, privileged);
    assert_eq!(d.rule(), "default", "{d:?}");
    // Nor another host path, nor another image, nor a capability.
    let docker = by_action(&records, "docker version");
    for facts in [
        json!({"image": "sockeye-test/busybox:1", "host_paths": ["/srv"], "binds": ["/srv:/x"]}),
        json!({"image": "alpine"}),
        json!({"image": "sockeye-test/busybox:1", "cap_add": ["NET_BIND_SERVICE"]}),
        json!({"image": "sockeye-test/busybox:1", "privileged": true}),
    ] {
        let d = decide(&policy, &create_like(docker, facts.clone()));
        assert!(!d.is_allow(), "{facts}: {d:?}");
    }
    // What it did learn: the same image with the recorded host path, or none.
    for facts in [
        json!({"image": "sockeye-test/busybox:1", "host_paths": ["/tmp/learn-data"]}),
        json!({"image": "sockeye-test/busybox:1", "network_mode": "default"}),
    ] {
        let d = decide(&policy, &create_like(docker, facts.clone()));
        assert!(d.is_allow(), "{facts}: {d:?}");
    }

    // Each client has its own endpoints: curl as root listed containers, as nobody it
    // asked for info, and neither may do what the other did.
    let curl_root = records
        .iter()
        .find(|r| r.caller.process.as_deref() == Some("curl") && r.caller.uid == Some(0))
        .unwrap();
    let mut info = curl_root.clone();
    info.endpoint = "SystemInfo".into();
    info.path = "/v1.41/info".into();
    assert!(decide(&policy, curl_root).is_allow());
    assert_eq!(decide(&policy, &info).rule(), "default");
    let mut nobody_list = curl_root.clone();
    nobody_list.caller.uid = Some(65534);
    assert_eq!(decide(&policy, &nobody_list).rule(), "default");
    // Another program of the same uid is another client.
    let mut other = docker.clone();
    other.caller.exe = Some("/usr/bin/python3".into());
    other.caller.process = Some("docker".into());
    assert_eq!(decide(&policy, &other).rule(), "default");
    // Pids differ between runs and do not matter.
    let mut rerun = docker.clone();
    rerun.caller.pid = Some(1);
    assert!(decide(&policy, &rerun).is_allow());
    // Endpoints it never called are denied.
    let mut delete = docker.clone();
    delete.method = "DELETE".into();
    delete.path = "/v1.41/containers/learn-web-1".into();
    assert_eq!(decide(&policy, &delete).rule(), "default");

    for needle in [
        "# Learned by `sockeye policy learn` from test.log.",
        "# 41 record(s), 2026-11-22T23:25:43.599Z to 2026-11-22T23:25:49.796Z: 38 learned, \
         for 3 clients.",
        "# Not learned: 2 calls denied or refused when recorded",
        "version = 1\ndefault = \"deny\"\n",
        "# ---- uid 0 /usr/local/bin/docker, process docker: 36 calls",
        "# Not learned (--allow-escalations would): 1 call that could give root on the host \
         (privileged), e.g. docker create --rm --privileged sockeye-test/busybox:1 true",
        "name = \"uid0-docker\"\naction = \"allow\"\nclient.uid = [0]\n\
         client.exe = [\"/usr/local/bin/docker\"]\n",
        "#   ContainerInspect  GET     3 calls  e.g. docker inspect learn-web-1\n",
        "body.escalations = { present = false, allowed_host_paths = [\"/tmp/learn-data\"] }\n\
         body.privileged = false\n",
        "body.host_paths = { within = [\"/tmp/learn-data\"] }\n",
        "body.image = { subset_of = [\"sockeye-test/busybox:1\"] }\n",
        "name = \"uid65534-curl\"",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    // Every rule is commented.
    for (i, _) in text.match_indices("[[rules]]") {
        assert!(
            text[..i].ends_with('\n')
                && text[..i]
                    .trim_end()
                    .lines()
                    .last()
                    .unwrap()
                    .starts_with('#')
        );
    }
}

#[test]
fn recorded_facts_give_back_the_escalations_the_relay_found() {
    for r in session() {
        let Some(rp) = Replay::of(&r) else {
            panic!("{r:?}")
        };
        let Some(f) = &rp.facts else { continue };
        let found: Vec<Value> = f
            .escalations(&[])
            .iter()
            .map(|e| Value::String(e.to_string()))
            .collect();
        let recorded = r
            .facts
            .get("escalations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert_eq!(found, recorded, "{}", r.action);
        assert_eq!(rp.route.name(), r.endpoint);
    }
}

#[test]
fn one_client_can_be_learned_alone() {
    let records = session();
    let opts = Options {
        client: Some(CallerSpec::parse("uid=65534").unwrap()),
        ..Options::default()
    };
    let (learned, policy) = learn_from(&records, opts.clone());
    assert_eq!(learned.clients, 1);
    assert_eq!(learned.rules, 1);
    assert_eq!(replays_allowed(&policy, &records, &opts, &learned.text), 1);
    assert!(learned
        .text
        .contains("# Only the calls of --client uid=65534."));
    assert!(!decide(&policy, by_action(&records, "docker version")).is_allow());
}

#[test]
fn escalations_are_learned_only_when_asked_and_then_said_loudly() {
    let records = session();
    let opts = Options {
        allow_escalations: true,
        ..Options::default()
    };
    let (learned, policy) = learn_from(&records, opts.clone());
    let text = &learned.text;
    assert_eq!(learned.learned, 39);
    assert_eq!(replays_allowed(&policy, &records, &opts, text), 39);
    assert!(decide(
        &policy,
        by_action(&records, "docker create --rm --privileged")
    )
    .is_allow());
    assert!(
        text.contains(
            "# WARNING: learned with --allow-escalations: these calls could give root on the \
             host: privileged (1 call)"
        ),
        "{text}"
    );
    // No escalation condition, and privileged is no longer pinned to false.
    assert!(
        !text.contains("body.escalations = { present = false"),
        "{text}"
    );
    let create = &text[text.find("name = \"uid0-docker-ContainerCreate\"").unwrap()..];
    let create = &create[..create.find("\n\n").unwrap()];
    assert!(!create.contains("body.privileged"), "{create}");
}

#[test]
fn sensitive_host_paths_and_unread_bodies_are_not_learned() {
    let records = session();
    let docker = by_action(&records, "docker version");
    let socket = create_like(
        docker,
        json!({"image": "x", "host_paths": ["/var/run/docker.sock"]}),
    );
    let root = create_like(docker, json!({"image": "x", "host_paths": ["/"]}));
    let data = create_like(docker, json!({"image": "x", "host_paths": ["/srv/data"]}));
    let mut no_policy = create_like(docker, json!({"image": "y"}));
    no_policy.decision = None;
    let opts = Options::default();
    assert_eq!(learnable(&socket, &opts).err(), Some(Skip::Escalation));
    assert_eq!(learnable(&root, &opts).err(), Some(Skip::Escalation));
    assert!(learnable(&data, &opts).is_ok());
    assert_eq!(learnable(&no_policy, &opts).err(), Some(Skip::BodyUnknown));
    // Without a policy, endpoints without a body are still learned.
    let mut ps = by_action(&records, "docker ps").clone();
    ps.decision = None;
    assert!(learnable(&ps, &opts).is_ok());

    let (learned, policy) = learn_from(&[socket.clone(), root, data.clone(), no_policy], opts);
    assert_eq!(learned.learned, 1);
    assert!(decide(&policy, &data).is_allow());
    assert!(!decide(&policy, &socket).is_allow());
    assert!(
        learned.text.contains(
            "# Not learned: 1 call with a body recorded without a policy (body not read)"
        ),
        "{}",
        learned.text
    );
}

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
    assert_eq!(learned.rules, 3, "{text}");
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
    assert_eq!(learned.rules, 1);
}

#[test]
fn callers_are_identified_by_what_is_stable_and_written_as_valid_toml() {
    let records = session();
    let ps = by_action(&records, "docker ps");
    let with = |f: &dyn Fn(&mut Caller)| {
        let mut r = ps.clone();
        f(&mut r.caller);
        r
    };
    let no_exe = with(&|c| {
        c.exe = None;
        c.process = Some("we\"ird\\proc\u{1}".into());
    });
    let bare = with(&|c| {
        c.exe = None;
        c.process = None;
        c.uid = Some(1000);
    });
    let tcp = with(&|c| {
        *c = Caller {
            transport: "tcp".into(),
            addr: Some("10.0.0.5:41234".into()),
            ..Caller::default()
        }
    });
    let unknown = with(&|c| c.uid = None);
    let opts = Options::default();
    assert_eq!(learnable(&unknown, &opts).err(), Some(Skip::Unidentified));
    let (learned, policy) = learn_from(&[no_exe.clone(), bare.clone(), tcp.clone(), unknown], opts);
    let text = &learned.text;
    assert_eq!(learned.clients, 3, "{text}");
    for r in [&no_exe, &bare, &tcp] {
        assert!(decide(&policy, r).is_allow(), "{:?}\n{text}", r.caller);
    }
    assert!(
        text.contains("client.process = [\"we\\\"ird\\\\proc\\u0001\"]"),
        "{text}"
    );
    assert!(text.contains("client.source = [\"10.0.0.5\"]"), "{text}");
    assert!(text.contains("every process of this uid"), "{text}");
    // The TCP client from another port is the same client; from another address it is not.
    let mut again = tcp.clone();
    again.caller.addr = Some("10.0.0.5:5555".into());
    assert!(decide(&policy, &again).is_allow());
    again.caller.addr = Some("10.0.0.6:5555".into());
    assert!(!decide(&policy, &again).is_allow());
    // A TLS client is its verified certificate, wherever it connects from.
    let tls = |cn: Option<&str>, addr: &str| {
        with(&|c| {
            *c = Caller {
                transport: "tls".into(),
                addr: Some(addr.into()),
                cert: Some(crate::caller::ClientCert {
                    subject: format!("CN={},O=ops", cn.unwrap_or("")),
                    common_name: cn.map(str::to_owned),
                    sans: vec!["ci.example".into()],
                }),
                ..Caller::default()
            }
        })
    };
    let (learned, policy) = learn_from(
        &[
            tls(Some("ci-runner"), "10.0.0.7:4000"),
            tls(None, "10.0.0.8:4000"),
        ],
        Options::default(),
    );
    let text = &learned.text;
    assert!(
        text.contains("client.cert_subject = [\"ci-runner\"]\n"),
        "{text}"
    );
    assert!(
        text.contains("client.cert_san = [\"ci.example\"]\n"),
        "{text}"
    );
    assert!(decide(&policy, &tls(Some("ci-runner"), "10.9.9.9:1")).is_allow());
    let mut plain = tls(Some("ci-runner"), "10.0.0.7:4000");
    plain.caller.cert = None;
    plain.caller.transport = "tcp".into();
    assert!(!decide(&policy, &plain).is_allow(), "{text}");

    // Rule names are valid and unique even when clients slug alike.
    let a = with(&|c| c.exe = Some("/a/docker".into()));
    let b = with(&|c| c.exe = Some("/b/docker".into()));
    let (learned, policy) = learn_from(&[a.clone(), b.clone()], Options::default());
    assert!(learned.text.contains("name = \"uid0-docker\""));
    assert!(learned.text.contains("name = \"uid0-docker-2\""));
    assert!(decide(&policy, &a).is_allow() && decide(&policy, &b).is_allow());
}

#[test]
fn nothing_learned_is_a_policy_that_denies_everything() {
    let (learned, policy) = learn_from(&[], Options::default());
    assert_eq!(learned.learned, 0);
    assert_eq!(learned.rules, 0);
    assert!(policy.rules().is_empty());
    assert_eq!(policy.default_action(), crate::guard::policy::Action::Deny);
}

#[test]
fn pulls_learn_their_images_and_tags() {
    let records = session();
    let docker = by_action(&records, "docker version");
    let pull = |image: &str, tag: &str| {
        let mut r = docker.clone();
        r.endpoint = "ImageCreate".into();
        r.method = "POST".into();
        r.path = format!("/v1.41/images/create?fromImage={image}&tag={tag}");
        r.facts = json!({"from_image": image, "tag": tag})
            .as_object()
            .unwrap()
            .clone();
        r
    };
    let (learned, policy) = learn_from(&[pull("alpine", "3")], Options::default());
    let text = &learned.text;
    assert!(
        text.contains("body.from_image = { subset_of = [\"alpine\"] }\n"),
        "{text}"
    );
    assert!(
        text.contains("body.tag = { subset_of = [\"3\"] }\n"),
        "{text}"
    );
    assert!(
        text.contains("body.from_src = { empty = true }\n"),
        "{text}"
    );
    assert!(decide(&policy, &pull("alpine", "3")).is_allow());
    assert!(!decide(&policy, &pull("alpine", "edge")).is_allow());
    assert!(!decide(&policy, &pull("evil/miner", "3")).is_allow());
}
