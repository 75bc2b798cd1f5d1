use super::*;

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
