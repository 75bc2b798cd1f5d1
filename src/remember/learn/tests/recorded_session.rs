use super::*;

#[test]
fn a_recorded_session_yields_a_policy_that_allows_it_again_and_nothing_new() {
    let records = session();
    let opts = Options::default();
    let (learned, policy) = learn_from(&records, opts.clone());
    let text = &learned.text;
    assert_eq!(learned.records, 41);
    assert_eq!(learned.learned, 38);
    assert_eq!(learned.clients, 3);
    // Six for the clients, and the ping rule.
    assert_eq!(learned.rules, 7);
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
    assert_eq!(learned.rules, 2);
    assert_eq!(replays_allowed(&policy, &records, &opts, &learned.text), 1);
    assert!(learned
        .text
        .contains("# Only the calls of --client uid=65534."));
    assert!(!decide(&policy, by_action(&records, "docker version")).is_allow());
}

#[test]
fn nothing_learned_is_a_policy_that_denies_everything() {
    let (learned, policy) = learn_from(&[], Options::default());
    assert_eq!(learned.learned, 0);
    assert_eq!(learned.rules, 0);
    assert!(policy.rules().is_empty());
    assert_eq!(policy.default_action(), crate::guard::policy::Action::Deny);
}
