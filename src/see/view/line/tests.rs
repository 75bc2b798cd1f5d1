//! The one-line view: fitted to a terminal's width, and saying what the daemon said.

use bytes::Bytes;

use super::*;
use crate::caller::Peer;
use crate::event::{sample_call, Captured};

fn peer() -> Peer {
    Peer::Tcp {
        addr: "127.0.0.1:1".parse().unwrap(),
    }
}

fn plain() -> Style {
    Style { color: false }
}

const ID: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// Compose lists its project's containers with a label filter: 400–700 characters a line.
fn compose_list() -> Call {
    let filters = "%7B%22label%22%3A%7B%22com.docker.compose.config-hash%22%3Atrue%2C%22com.docker.compose.oneoff%3DFalse%22%3Atrue%2C%22com.docker.compose.project%3Dmyproject-with-a-long-name%22%3Atrue%7D%7D";
    sample_call(
        peer(),
        "GET",
        &format!("/v1.41/containers/json?all=1&filters={filters}"),
        Some(200),
    )
}

fn width(line: &str) -> usize {
    line.chars().count()
}

#[test]
fn a_compose_line_fits_the_terminal_and_keeps_what_matters() {
    let full = call_line(&compose_list(), &plain());
    assert!(width(&full) > 300, "{full}");
    for w in [80, 120, 160] {
        let line = fit(Parts::of_call(&compose_list()), w).render(&plain());
        assert!(width(&line) <= w, "{w}: {} chars: {line}", width(&line));
        assert!(line.contains("docker ps -a"), "{line}");
        assert!(line.contains("→ 200 OK"), "{line}");
        assert!(line.contains("0.7 ms"), "{line}");
    }
    // The request is given up before the command; its query and API version first.
    let line = fit(Parts::of_call(&compose_list()), 160).render(&plain());
    assert!(
        line.contains("label=com.docker.compose.config-hash"),
        "{line}"
    );
    assert!(!line.contains("GET /"), "{line}");
    let call = sample_call(
        peer(),
        "GET",
        "/v1.41/containers/json?all=1&size=1",
        Some(200),
    );
    let whole = width(&call_line(&call, &plain()));
    let line = fit(Parts::of_call(&call), whole - 1).render(&plain());
    assert!(
        line.contains("GET /v1.41/containers/json?… → 200 OK"),
        "{line}"
    );
    let line = fit(Parts::of_call(&call), whole - 30).render(&plain());
    assert!(line.contains("GET /containers/json?… → 200 OK"), "{line}");
    // Wide enough: nothing is given up.
    let line = fit(Parts::of_call(&compose_list()), 1000).render(&plain());
    assert_eq!(line, full);
}

#[test]
fn a_fitted_line_shows_ids_as_docker_ps_does() {
    let c = sample_call(
        peer(),
        "POST",
        &format!("/v1.41/containers/{ID}/start"),
        Some(204),
    );
    let full = call_line(&c, &plain());
    assert!(full.contains(ID), "{full}");
    let line = fit(Parts::of_call(&c), 200).render(&plain());
    assert!(!line.contains(ID), "{line}");
    assert!(
        line.contains("POST /v1.41/containers/0a1b2c3d4e5f/start → 204"),
        "{line}"
    );
}

#[test]
fn a_line_too_long_to_fit_keeps_time_caller_and_status() {
    let line = fit(Parts::of_call(&compose_list()), 20).render(&plain());
    assert!(line.starts_with("00:53:28.650"), "{line}");
    assert!(line.contains("127.0.0.1:1"), "{line}");
    assert!(line.contains("→ 200 OK"), "{line}");
}

#[test]
fn the_full_line_keeps_the_query_and_the_endpoint() {
    let full = call_line(&compose_list(), &plain());
    assert!(full.contains("com.docker.compose.project"), "{full}");
    assert!(full.ends_with("[ContainerList]"), "{full}");
}

fn failed(status: u16, body: &'static [u8]) -> Call {
    let mut c = sample_call(peer(), "GET", "/v1.41/containers/nosuch/json", Some(status));
    c.response_body = Captured {
        bytes: Bytes::from_static(body),
        whole: true,
    };
    c
}

#[test]
fn a_failed_call_shows_what_the_daemon_said() {
    let c = failed(404, br#"{"message":"No such container: nosuch"}"#);
    let line = call_line(&c, &plain());
    assert!(
        line.contains("→ 404 Not Found: No such container: nosuch"),
        "{line}"
    );
}

#[test]
fn a_daemon_message_cannot_forge_a_line_or_rewrite_the_terminal() {
    let c = failed(
        400,
        b"{\"message\":\"bad name x\\n12:00:00.000  uid=0  docker ps \\u001b[2J\"}",
    );
    let line = call_line(&c, &plain());
    assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line}");
    assert!(line.contains("bad name x\\n12:00"), "{line}");
}

#[test]
fn a_success_or_a_body_without_a_message_adds_nothing() {
    let c = failed(500, b"not json");
    assert!(call_line(&c, &plain()).contains("→ 500 Internal Server Error  0 B"));
    let mut ok = failed(200, br#"{"message":"fine"}"#);
    ok.response_body.whole = true;
    assert!(!call_line(&ok, &plain()).contains("fine"));
}

#[test]
fn the_json_view_carries_the_daemons_message() {
    let c = failed(404, br#"{"message":"No such container: nosuch"}"#);
    let v = crate::see::view::call_json(&c);
    assert_eq!(v["daemon_message"], "No such container: nosuch");
    let ok = sample_call(peer(), "GET", "/v1.41/info", Some(200));
    assert!(crate::see::view::call_json(&ok)["daemon_message"].is_null());
}
