use super::*;

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
