use super::*;

use http::{header, HeaderMap, HeaderValue};

use crate::docker::endpoint::classify;

fn parts(method: &str, target: &str, content_type: Option<&str>) -> http::request::Parts {
    let mut b = http::Request::builder().method(method).uri(target);
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(()).unwrap().into_parts().0
}

fn read_req(
    method: &str,
    target: &str,
    content_type: Option<&str>,
    body: &str,
) -> Result<(Reading, bool), ProxyError> {
    let p = parts(method, target, content_type);
    let route = classify(method, p.uri.path());
    let needs = needs_body(&p, &route, false)?;
    let body = (needs || !body.is_empty()).then(|| Bytes::from(body.to_owned()));
    read(&p, &route, body).map(|r| (r, needs))
}

#[test]
fn a_path_dockerd_would_redirect_is_refused_before_anything_is_read() {
    for target in [
        "/v1.41//containers/create",
        "/v1.41/containers/../containers/create",
        "/v1.41/%2e%2e/containers/create",
        "/v1.41%2Fcontainers/create",
    ] {
        let err = read_req("POST", target, None, "").unwrap_err();
        assert!(
            matches!(err, ProxyError::UnroutablePath { .. }),
            "{target}: {err}"
        );
        assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
    }
}

#[test]
fn a_percent_encoded_path_is_decided_as_dockerd_decodes_it() {
    let (r, needs) = read_req(
        "POST",
        "/v1.41/containers/cre%61te",
        Some("application/json"),
        r#"{"Image":"a","HostConfig":{"Privileged":true}}"#,
    )
    .unwrap();
    assert!(needs, "ContainerCreate is read whole");
    assert!(r.facts.unwrap().privileged);
}

#[test]
fn the_body_is_forwarded_re_serialized_so_dockerd_decodes_what_was_decided() {
    let (r, _) = read_req(
        "POST",
        "/containers/create",
        Some("application/json"),
        r#"{"image":"a","hostconfig":{"privil\u0065ged":false,"CapAdd":"SYS_ADMIN"}}"#,
    )
    .unwrap();
    let sent: Value = serde_json::from_slice(&r.forward.unwrap()).unwrap();
    assert_eq!(sent["Image"], "a");
    assert_eq!(sent["HostConfig"]["Privileged"], false);
    assert_eq!(r.facts.unwrap().cap_add, ["SYS_ADMIN"]);
}

#[test]
fn case_folded_duplicate_keys_and_trailing_data_are_refused() {
    for body in [
        r#"{"HostConfig":{"Privileged":false,"privileged":true}}"#,
        r#"{"HostConfig":{"SecurityOpt":[],"ſecurityOpt":["seccomp=unconfined"]}}"#,
        r#"{"Image":"a"}{"HostConfig":{"Privileged":true}}"#,
        r#"{"Image":"a","Privileged":true}"#,
        "{",
    ] {
        let err =
            read_req("POST", "/containers/create", Some("application/json"), body).unwrap_err();
        assert!(matches!(err, ProxyError::Ambiguous { .. }), "{body}: {err}");
    }
}

#[test]
fn an_empty_or_blank_start_body_is_no_body() {
    for body in ["", "  \r\n"] {
        let (r, needs) = read_req("POST", "/containers/x/start", None, body).unwrap();
        assert!(needs);
        assert_eq!(r.forward.as_deref(), Some(body.as_bytes()));
        assert!(!r.facts.unwrap().privileged);
    }
}

#[test]
fn a_start_body_that_could_carry_a_configuration_is_refused() {
    // dockerd 20.10 applies these below API 1.24, the nested HostConfig winning.
    for body in [
        r#"{"Privileged":true}"#,
        r#"{"HostConfig":{"Binds":["/:/host"]}}"#,
        r#"{"Privileged":false,"hostconfig":{"privileged":true}}"#,
    ] {
        let err = read_req(
            "POST",
            "/v1.23/containers/x/start",
            Some("application/json"),
            body,
        )
        .unwrap_err();
        assert!(
            matches!(err, ProxyError::UnreadableBody { .. }),
            "{body}: {err}"
        );
    }
    for body in ["{}", " null ", ""] {
        assert!(read_req("POST", "/v1.23/containers/x/start", None, body).is_ok());
    }
}

#[test]
fn a_form_body_overrides_the_query_as_go_parse_form_does() {
    let (r, needs) = read_req(
        "POST",
        "/build?networkmode=default",
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        "networkmode=host",
    )
    .unwrap();
    assert!(needs, "a form body is read whole");
    assert_eq!(r.query.get("networkmode"), Some("host"));
    assert_eq!(r.facts.unwrap().network_mode.as_deref(), Some("host"));
    assert_eq!(r.forward.as_deref(), Some(&b"networkmode=host"[..]));
}

#[test]
fn a_form_body_on_get_is_not_read_by_go() {
    let (r, needs) = read_req(
        "GET",
        "/containers/json?all=1",
        Some("application/x-www-form-urlencoded"),
        "",
    )
    .unwrap();
    assert!(!needs);
    assert_eq!(r.query.get("all"), Some("1"));
}

#[test]
fn multipart_bodies_and_bad_queries_are_refused() {
    let err = read_req(
        "POST",
        "/build",
        Some("Multipart/Form-Data; boundary=x"),
        "",
    )
    .unwrap_err();
    assert!(matches!(err, ProxyError::BadContentType), "{err}");
    let err = read_req("GET", "/containers/json?all=1;x=2", None, "").unwrap_err();
    assert!(matches!(err, ProxyError::Ambiguous { .. }), "{err}");
    let err = read_req("GET", "/containers/json?all=%zz", None, "").unwrap_err();
    assert!(matches!(err, ProxyError::Ambiguous { .. }), "{err}");
}

#[test]
fn tar_bodies_stream_and_their_facts_come_from_the_query() {
    let (r, needs) = read_req(
        "POST",
        "/build?networkmode=host&networkmode=none",
        Some("application/x-tar"),
        "",
    )
    .unwrap();
    assert!(!needs, "a build context is streamed, never held");
    assert_eq!(r.facts.unwrap().network_mode.as_deref(), Some("host"));
}

#[test]
fn a_replaced_body_gets_its_own_framing() {
    let mut h = HeaderMap::new();
    h.insert(
        header::TRANSFER_ENCODING,
        HeaderValue::from_static("chunked"),
    );
    h.insert(header::EXPECT, HeaderValue::from_static("100-continue"));
    set_body(&mut h, &Bytes::from_static(b"{}"));
    assert_eq!(h[header::CONTENT_LENGTH], "2");
    assert!(!h.contains_key(header::TRANSFER_ENCODING));
    assert!(!h.contains_key(header::EXPECT));
}

// ---------------------------------------------------------------------------------------------
// Decisions on the daemon's state, pinned to what was resolved
// ---------------------------------------------------------------------------------------------

/// A daemon that holds one ordinary container, `web`, and nothing else.
struct OneContainer;

const WEB_ID: &str = "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2";

impl state::Daemon for OneContainer {
    fn get(&self, path: String) -> state::Fetched<'_> {
        let web = serde_json::json!({"Id": WEB_ID, "Name": "/web",
            "Config": {"Image": "busybox", "Cmd": ["sh"]}, "HostConfig": {}, "Mounts": []});
        let answer = match path.as_str() {
            "/containers/web/json" | "/containers/b1c2/json" => (200, web.to_string()),
            p if p == format!("/containers/{WEB_ID}/json") => (200, web.to_string()),
            _ => (404, r#"{"message":"nope"}"#.to_owned()),
        };
        Box::pin(async move { Ok((answer.0, Bytes::from(answer.1))) })
    }
}

fn stateful_guard() -> Guard {
    let g = Guard::new(None, None, Mode::Enforce, 1 << 20);
    g.connect_state(Arc::new(DaemonState::new(Box::new(OneContainer))));
    g
}

async fn consult(
    g: &Guard,
    method: &str,
    target: &str,
    body: &str,
) -> (Reading, Result<Option<http::Uri>, ProxyError>) {
    let p = parts(method, target, Some("application/json"));
    let route = classify(method, p.uri.path());
    let mut reading = read(&p, &route, Some(Bytes::from(body.to_owned()))).unwrap();
    let pinned = g.consult_state(&p, &route, &mut reading).await;
    (reading, pinned)
}

#[tokio::test]
async fn an_exec_is_forwarded_to_the_container_that_was_judged_even_if_the_name_moves_on() {
    // The rename race: between the lookup of `web` and the forward, `web` could be renamed
    // and a privileged container take its name. The forwarded path names the judged one.
    let g = stateful_guard();
    for name in ["web", "b1c2"] {
        let (reading, pinned) = consult(
            &g,
            "POST",
            &format!("/v1.41/containers/{name}/exec?x=1"),
            r#"{"Cmd":["true"]}"#,
        )
        .await;
        let pinned = pinned.unwrap().expect("pinned");
        assert_eq!(
            pinned.to_string(),
            format!("/v1.41/containers/{WEB_ID}/exec?x=1")
        );
        let facts = reading.facts.unwrap();
        assert_eq!(facts.resolved[0].id, WEB_ID);
        assert_eq!(facts.resolved[0].reference, name);
    }
    // Already the full ID: nothing to rewrite.
    let (_, pinned) = consult(&g, "POST", &format!("/containers/{WEB_ID}/exec"), "{}").await;
    assert_eq!(pinned.unwrap(), None);
}

#[tokio::test]
async fn a_create_that_joins_another_container_names_it_by_full_id_in_what_is_forwarded() {
    let g = stateful_guard();
    let (reading, pinned) = consult(
        &g,
        "POST",
        "/v1.41/containers/create",
        r#"{"Image":"x","HostConfig":{"VolumesFrom":["web:ro"],"PidMode":"container:web"}}"#,
    )
    .await;
    assert_eq!(pinned.unwrap(), None, "the path names no container");
    let sent: serde_json::Value = serde_json::from_slice(&reading.forward.unwrap()).unwrap();
    assert_eq!(sent["HostConfig"]["VolumesFrom"][0], format!("{WEB_ID}:ro"));
    assert_eq!(sent["HostConfig"]["PidMode"], format!("container:{WEB_ID}"));
    assert!(reading.facts.unwrap().escalations(&[]).is_empty());
}

#[tokio::test]
async fn a_container_the_daemon_does_not_have_gets_its_own_no_such_container() {
    let g = stateful_guard();
    let (_, pinned) = consult(&g, "POST", "/v1.41/containers/ghost/exec", "{}").await;
    let err = pinned.unwrap_err();
    assert_eq!(err.status(), http::StatusCode::NOT_FOUND);
    assert_eq!(err.to_string(), "No such container: ghost");
}

#[tokio::test]
async fn a_guard_that_cannot_ask_the_daemon_refuses_what_it_would_have_to_ask_about() {
    let g = Guard::new(None, None, Mode::Enforce, 1 << 20);
    let (_, pinned) = consult(&g, "POST", "/v1.41/containers/web/exec", "{}").await;
    let err = pinned.unwrap_err();
    assert_eq!(err.status(), http::StatusCode::BAD_GATEWAY);
    assert!(
        err.to_string()
            .starts_with("cannot decide without knowing container web"),
        "{err}"
    );
}

/// The permit a guard gives a body-less request from uid 1000.
async fn permit_for(g: &Guard, method: &str, target: &str) -> Permit {
    let p = parts(method, target, None);
    let route = classify(method, p.uri.path());
    let caller = Caller::bare(crate::caller::Peer::Unix {
        uid: 1000,
        gid: 1000,
        pid: None,
        process: None,
        exe: None,
    });
    match g.check(&caller, &p, &route, &mut None).await {
        Ok(cleared) => cleared.permit,
        Err(refused) => panic!("{}", refused.error),
    }
}

const REDACTING: &str = "version = 1\nbase = \"read-only\"\nredact = [\"env\"]\n";

#[tokio::test]
async fn audit_mode_lets_a_denied_read_through_shaped_as_the_policy_shapes_an_allowed_one() {
    // A rule that denies has no `redact`; the client must still not get more than an
    // allowed client would.
    let policy = Policy::from_toml(
        "version = 1\nredact = [\"env\"]\n[[rules]]\nname = \"no-inspect\"\naction = \"deny\"\nreason = \"no\"\nrequest.endpoint = [\"ContainerInspect\"]\n",
    )
    .unwrap();
    let g = Guard::new(Some(policy), None, Mode::Audit, 1 << 20);
    let permit = permit_for(&g, "GET", "/v1.41/containers/web/json").await;
    assert!(permit.overruled().is_some());
    assert_eq!(permit.redact(), crate::docker::shape::Redact::ENV);
}

#[tokio::test]
async fn a_rego_policy_that_also_allows_keeps_the_toml_rules_shaping() {
    let rego = crate::guard::rego::RegoPolicy::from_text(
        "allow-all",
        "package docker.authz\nallow := true\n",
    )
    .unwrap();
    let g = Guard::new(
        Some(Policy::from_toml(REDACTING).unwrap()),
        Some(rego),
        Mode::Enforce,
        1 << 20,
    );
    let permit = permit_for(&g, "GET", "/v1.41/containers/web/json").await;
    assert_eq!(permit.rule(), "rego:allow-all");
    assert_eq!(permit.redact(), crate::docker::shape::Redact::ENV);
}
