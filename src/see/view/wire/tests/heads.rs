//! Request and response heads: each line shown as sent unless the redaction changes its
//! value, and each answer paired with its request.

use super::*;

#[test]
fn x_registry_auth_is_never_shown_however_the_head_is_cut() {
    let chunks: &[(bool, &[u8])] = &[
        (true, PING),
        (false, PING_OK),
        (true, PULL),
        (false, PULL_FAILED),
    ];
    every_cut(chunks, 2, |out| {
        assert_hidden(out, PULL_AUTH);
        assert_shown(
            out,
            &[
                "POST /v1.41/images/create?fromImage=localhost%3A5999%2Fprobe%2Fimg&tag=1 HTTP/1.1\\r\n",
                "User-Agent: Docker-Client/28.2.2 (linux)\\r\nContent-Length: 0\\r\n",
                "X-Registry-Auth: <redacted 120 bytes>\\r\n\\r\n",
                "HTTP/1.1 500 Internal Server Error\\r\n",
                "dial tcp 127.0.0.1:5999",
            ],
        );
    });
}

#[test]
fn crate_redact_hides_x_registry_auth_in_this_view() {
    let mut w = Wire::with(REDACT, Style::default());
    let out = feed(&mut w, &[(1, true, &PULL[..100]), (1, true, &PULL[100..])]);
    assert_hidden(&out, PULL_AUTH);
    assert_shown(&out, &["POST /v1.41/images/create?", "X-Registry-Auth: "]);
}

#[test]
fn a_folded_secret_header_is_redacted_as_one_value() {
    let req = b"POST /v1.41/images/create?fromImage=x HTTP/1.1\r\nHost: x\r\nX-Registry-Auth: first-half-of-it\r\n  second-half-of-it\r\nContent-Length: 0\r\n\r\n";
    let out = show(&[(true, req)]);
    assert_hidden(&out, "first-half-of-it");
    assert_hidden(&out, "second-half-of-it");
    assert_shown(
        &out,
        &["X-Registry-Auth: <redacted 34 bytes>\\r\nContent-Length: 0\\r\n"],
    );
}

#[test]
fn pipelined_requests_in_one_chunk_are_each_parsed_and_answered_in_order() {
    let version: &[u8] = b"GET /v1.41/version HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n";
    let requests = [PING, CREATE, PULL, version].concat();
    let version_ok: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"Version\":\"20\"}\n";
    // The HEAD answer's Content-Length announces a body that never comes.
    let ping_ok: &[u8] = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\n";
    let answers = [ping_ok, CREATED, PULL_FAILED, version_ok].concat();
    let out = show(&[(true, &requests), (false, &answers)]);
    assert_hidden(&out, "SECRET_TOKEN=env-secret-abc");
    assert_hidden(&out, PULL_AUTH);
    let order = [
        "HEAD /_ping HTTP/1.1",
        "POST /v1.41/containers/create?name=probe-danger HTTP/1.1",
        "\"Env\":\"<redacted>\"",
        "POST /v1.41/images/create?",
        "X-Registry-Auth: <redacted",
        "GET /v1.41/version HTTP/1.1",
        "\n< ",
        "\nHTTP/1.1 200 OK\\r\nApi-Version: 1.41\\r\nContent-Length: 2\\r\n\\r\n",
        "HTTP/1.1 201 Created",
        "\"Warnings\":[]}\n",
        "HTTP/1.1 500 Internal Server Error",
        "connection refused",
        "HTTP/1.1 200 OK\\r\nContent-Type: application/json\\r\nContent-Length: 17",
        "{\"Version\":\"20\"}\n--\n",
    ];
    let mut at = 0;
    for want in order {
        let found = out[at..]
            .find(want)
            .unwrap_or_else(|| panic!("{want:?} missing after {at}:\n{out}"));
        at += found + want.len();
    }
    assert!(!out.contains("not shown"), "{out}");
}

#[test]
fn a_head_answer_with_content_length_has_no_body() {
    let stat = b"HEAD /v1.41/containers/x/archive?path=%2Fetc HTTP/1.1\r\nHost: x\r\n\r\n";
    let answer: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 123456\r\nX-Docker-Container-Path-Stat: eyJuYW1lIjoiZXRjIn0=\r\n\r\n";
    let out = show(&[
        (true, stat),
        (false, answer),
        (true, PING),
        (false, PING_OK),
    ]);
    assert_shown(
        &out,
        &["X-Docker-Container-Path-Stat: eyJuYW1lIjoiZXRjIn0=\\r\n\\r\n--\n"],
    );
    assert!(
        out.ends_with("Date: Sun, 22 Nov 2026 19:42:25 GMT\\r\n\\r\n--\n"),
        "{out}"
    );
    assert!(!out.contains("not shown"), "{out}");
}

#[test]
fn informational_answers_do_not_use_up_the_request() {
    let put = b"POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n";
    let out = show(&[
        (true, put),
        (false, b"HTTP/1.1 100 Continue\r\n\r\n"),
        (true, b"{\"Env\":[\"A=continue-sec\"]}"),
        (false, CREATED),
    ]);
    assert_hidden(&out, "continue-sec");
    assert_shown(
        &out,
        &[
            "HTTP/1.1 100 Continue\\r\n\\r\n--",
            "{\"Env\":\"<redacted>\"}\n",
            "\"Warnings\":[]}\n--\n",
        ],
    );
}
