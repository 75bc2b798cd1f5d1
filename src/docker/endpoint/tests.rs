use super::*;

fn op(method: &str, path: &str) -> Option<Operation> {
    classify(method, path).operation()
}

#[test]
fn hijack_classes_follow_the_route_not_the_headers() {
    assert_eq!(
        classify("POST", "/v1.41/containers/abc/attach").hijack(),
        Hijack::Always
    );
    assert_eq!(
        classify("POST", "/exec/abc/start").hijack(),
        Hijack::UnlessDetached
    );
    assert_eq!(classify("POST", "/session").hijack(), Hijack::OnUpgrade);
    assert_eq!(classify("POST", "/v1.44/grpc").hijack(), Hijack::OnUpgrade);
    assert_eq!(
        classify("GET", "/containers/abc/attach/ws").hijack(),
        Hijack::OnUpgrade
    );
    assert_eq!(
        classify("GET", "/containers/abc/attach").hijack(),
        Hijack::No
    );
    assert_eq!(
        classify("POST", "/containers/abc/attach/ws").hijack(),
        Hijack::No
    );
    // A container literally named `x/attach` is still attached to, not inspected.
    assert_eq!(
        classify("POST", "/containers/x/attach/attach").hijack(),
        Hijack::Always
    );
}

#[test]
fn hijack_is_decided_on_the_decoded_path() {
    assert_eq!(
        classify("POST", "/containers/abc/%61ttach").hijack(),
        Hijack::Always
    );
    assert_eq!(
        classify("POST", "/%65xec/abc/start").hijack(),
        Hijack::UnlessDetached
    );
}

#[test]
fn a_version_prefix_is_reported_even_when_nothing_matches() {
    let c = classify("GET", "/v1.41/nothing/here");
    assert_eq!(c.disposition(), Disposition::NotFound);
    assert_eq!(c.version().map(|v| v.as_str()), Some("1.41"));
    assert_eq!(classify("GET", "/nothing").version(), None);
}

#[test]
fn debug_routes_differ_between_daemons() {
    let get = classify("GET", "/debug/vars");
    assert_eq!(get.operation(), Some(Operation::DebugVars));
    assert_eq!(get.daemons(), Daemons::BOTH);

    let post = classify("POST", "/debug/vars");
    assert_eq!(post.operation(), Some(Operation::DebugVars));
    assert_eq!(post.daemons(), Daemons::V20_10);

    let versioned = classify("GET", "/v1.41/debug/vars");
    assert_eq!(versioned.operation(), Some(Operation::DebugVars));
    assert_eq!(versioned.daemons(), Daemons::MASTER);

    // 20.10 registers no method matcher: even a lower-case method reaches pprof.
    assert_eq!(op("get", "/debug/pprof/heap"), Some(Operation::DebugPprof));
    assert_eq!(
        classify("get", "/debug/pprof/heap").param("name"),
        Some("heap")
    );
    assert_eq!(op("get", "/v1.41/debug/pprof/heap"), None);
}

#[test]
fn routes_only_one_daemon_has_say_so() {
    assert_eq!(
        classify("POST", "/containers/c/copy").daemons(),
        Daemons::V20_10
    );
    assert_eq!(
        classify("PUT", "/v1.44/volumes/v").daemons(),
        Daemons::MASTER
    );
    assert_eq!(
        classify("GET", "/images/i/attestations").daemons(),
        Daemons::MASTER
    );
    assert_eq!(classify("POST", "/grpc").daemons(), Daemons::BOTH);
    assert_eq!(classify("GET", "/containers/json").daemons(), Daemons::BOTH);
    assert_eq!(classify("GET", "/nope").daemons(), Daemons::NONE);
}

#[test]
fn object_is_the_first_path_variable() {
    let c = classify("DELETE", "/containers/web/checkpoints/cp1");
    assert_eq!(c.operation(), Some(Operation::CheckpointDelete));
    assert_eq!(c.object(), Some("web"));
    assert_eq!(c.param("checkpoint"), Some("cp1"));
    assert_eq!(classify("OPTIONS", "/containers/json").object(), None);
    assert_eq!(
        classify("OPTIONS", "/containers/json").param("anyroute"),
        Some("containers/json")
    );
    assert_eq!(classify("GET", "/containers/json").object(), None);
}

#[test]
fn display_names_the_endpoint_or_says_why_there_is_none() {
    assert_eq!(
        classify("GET", "/v1.41/containers/json").to_string(),
        "ContainerList /containers/json"
    );
    assert_eq!(
        classify("GET", "/containers/x/json").to_string(),
        "ContainerInspect /containers/{id}/json"
    );
    assert_eq!(
        classify("GET", "/nope").to_string(),
        "Unknown (404 not found)"
    );
    assert_eq!(
        classify("GET", "//containers/json").to_string(),
        "Unknown (301 to /containers/json)"
    );
    assert_eq!(
        classify("GET", "/x%zz").to_string(),
        "Unknown (400 invalid percent escape in path)"
    );
    assert_eq!(classify("GET", "/nope").name(), "Unknown");
}

#[test]
fn escape_facts_are_recorded_even_when_the_path_is_fine() {
    let c = classify("GET", "/v1.41%2Fcontainers/json");
    assert_eq!(c.operation(), Some(Operation::ContainerList));
    assert!(c.encoded_slash() && c.percent_encoded());
    let plain = classify("GET", "/v1.41/containers/json");
    assert!(!plain.encoded_slash() && !plain.percent_encoded());
}

#[test]
fn route_minimum_versions_are_carried() {
    let c = classify("POST", "/v1.24/containers/prune");
    assert_eq!(c.operation(), Some(Operation::ContainerPrune));
    let min = c.route().and_then(|r| r.min_api).unwrap();
    assert!(c.version().unwrap() < min);
    assert_eq!(
        classify("GET", "/containers/json").route().unwrap().min_api,
        None
    );
}

// Podman's libpod routes.

#[test]
fn a_libpod_create_is_a_named_libpod_endpoint_not_unknown() {
    let c = classify("POST", "/v4.3.1/libpod/containers/create");
    assert_eq!(c.name(), "ContainerCreateLibpod");
    assert_eq!(c.section(), Some(Section::Libpod));
    assert_eq!(c.daemons(), Daemons::PODMAN);
    assert_eq!(c.version().map(|v| v.as_str()), Some("4.3.1"));
    assert!(!c.operation().unwrap().in_spec());
}

#[test]
fn podmans_version_prefix_takes_letters_and_dashes() {
    assert_eq!(
        op("GET", "/v4.0.0-dev/libpod/containers/json"),
        Some(Operation::ContainerListLibpod)
    );
    assert_eq!(
        op("GET", "/v5/libpod/containers/json"),
        Some(Operation::ContainerListLibpod)
    );
    // Not a version to Podman either: its prefix starts with a digit.
    assert_eq!(op("GET", "/vdev/libpod/containers/json"), None);
}

#[test]
fn libpod_routes_are_only_versioned_except_ping() {
    assert_eq!(op("GET", "/libpod/containers/json"), None);
    assert_eq!(
        op("GET", "/libpod/_ping"),
        Some(Operation::SystemPingLibpod)
    );
    assert_eq!(
        op("HEAD", "/v4.3.1/libpod/_ping"),
        Some(Operation::SystemPingHeadLibpod)
    );
}

#[test]
fn libpod_paths_are_not_found_on_dockerd() {
    let c = classify_for(Daemons::BOTH, "POST", "/v1.41/libpod/containers/create");
    assert_eq!(c.operation(), None);
    assert!(matches!(c.disposition(), Disposition::NotFound));
}

#[test]
fn libpod_image_names_keep_their_slashes_and_attach_hijacks() {
    let c = classify("GET", "/v4.3.1/libpod/images/quay.io/a/b:1/json");
    assert_eq!(c.name(), "ImageInspectLibpod");
    assert_eq!(c.object(), Some("quay.io/a/b:1"));
    assert_eq!(
        classify("POST", "/v4.3.1/libpod/containers/c/attach").hijack(),
        Hijack::Always
    );
    assert_eq!(
        classify("POST", "/v4.3.1/libpod/exec/e/start").hijack(),
        Hijack::UnlessDetached
    );
}

#[test]
fn a_libpod_literal_route_wins_over_the_variable_one_registered_after_it() {
    // Podman registers `DELETE /libpod/images/remove` before `DELETE /libpod/images/{name:.*}`.
    assert_eq!(
        op("DELETE", "/v4.3.1/libpod/images/remove"),
        Some(Operation::ImageDeleteAllLibpod)
    );
    assert_eq!(
        op("DELETE", "/v4.3.1/libpod/images/alpine"),
        Some(Operation::ImageDeleteLibpod)
    );
}

#[test]
fn a_docker_route_behind_podmans_version_prefix_is_that_route_on_podman() {
    // Podman serves its Docker-compatible routes behind its own, wider prefix as well:
    // `/v4.3.0-dev/containers/create` creates a container there. Left Unknown, it would pass
    // a profile that reads create bodies without its body being read.
    let c = classify("POST", "/v4.3.0-dev/containers/create");
    assert_eq!(c.operation(), Some(Operation::ContainerCreate));
    assert_eq!(c.daemons(), Daemons::PODMAN);
    assert_eq!(c.version().map(|v| v.as_str()), Some("4.3.0-dev"));
    let c = classify("GET", "/v5-rc1/containers/web/json");
    assert_eq!(c.operation(), Some(Operation::ContainerInspect));
    assert_eq!(c.param("name"), Some("web"));
    // dockerd answers 404 to it.
    let docker = classify_for(Daemons::BOTH, "POST", "/v4.3.0-dev/containers/create");
    assert_eq!(docker.operation(), None);
    // 20.10's any-method debug routes are not registered behind any prefix.
    assert_eq!(op("POST", "/v4-dev/debug/vars"), None);
}
