//! Bodies: JSON buffered whole and redacted, chunked framing shown, tar and other bodies
//! escaped up to a cap.

use super::*;

#[test]
fn env_in_a_create_body_is_never_shown_however_the_body_is_cut() {
    assert_eq!(CREATE.len(), 182 + 1722);
    let chunks: &[(bool, &[u8])] = &[
        (true, PING),
        (false, PING_OK),
        (true, CREATE),
        (false, CREATED),
    ];
    every_cut(chunks, 2, |out| {
        assert_hidden(out, "SECRET_TOKEN=env-secret-abc");
        assert_shown(
            out,
            &[
                "POST /v1.41/containers/create?name=probe-danger HTTP/1.1\\r\n",
                "Content-Length: 1722\\r\nContent-Type: application/json\\r\n\\r\n",
                "\"Env\":\"<redacted>\"",
                "\"Privileged\":true",
                "HTTP/1.1 201 Created\\r\n",
                "{\"Id\":\"8611ff97d1721b097a503b953ac05e505c623170dff31890830fa3e45420e278\",\"Warnings\":[]}\n",
            ],
        );
    });
}

#[test]
fn crate_redact_decides_what_a_create_body_shows() {
    // Whatever crate::see::redact's rules, the view shows exactly what json_body leaves.
    let body = &CREATE[182..];
    let mut expected: serde_json::Value = serde_json::from_slice(body).unwrap();
    crate::see::redact::json_body(Some(Operation::ContainerCreate), &mut expected);
    let mut w = Wire::with(REDACT, Style::default());
    let out = feed(
        &mut w,
        &[(1, true, &CREATE[..500]), (1, true, &CREATE[500..])],
    );
    assert_shown(&out, &[&format!("conn=1\n{expected}\n--\n")]);
    if !expected.to_string().contains("env-secret-abc") {
        assert_hidden(&out, "env-secret-abc");
    }
}

#[test]
fn the_auth_password_and_identity_token_are_not_shown() {
    let answer: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 68\r\n\r\n{\"IdentityToken\":\"tok-identity-123456\",\"Status\":\"Login Succeeded\"}\n\n";
    let chunks: &[(bool, &[u8])] = &[(true, LOGIN), (false, answer)];
    every_cut(chunks, 1, |out| {
        assert_hidden(out, "probe-login-password");
        assert_hidden(out, "tok-identity-123456");
        assert_shown(
            out,
            &[
                "POST /v1.41/auth HTTP/1.1\\r\n",
                "\"username\":\"probeuser\"",
                "Login Succeeded",
            ],
        );
    });
    every_cut(chunks, 0, |out| assert_hidden(out, "probe-login-password"));
}

#[test]
fn a_chunked_tar_upload_shows_its_chunk_lines_and_escaped_payload_and_redacts_the_head() {
    let body: &[u8] = b"a\r\nDockerfile\r\n5\r\n\x00\x00\x01\xffz\r\n0\r\n\r\n";
    let request = [BUILD_HEAD, body, PING].concat();
    let chunks: &[(bool, &[u8])] = &[(true, &request)];
    every_cut(chunks, 0, |out| {
        assert_hidden(out, "s3cr3t-buildarg");
        assert_hidden(
            out,
            "eyJsb2NhbGhvc3Q6NTk5OSI6eyJwYXNzd29yZCI6ImJ1aWxkLXJlZy1wYXNzIn19",
        );
        assert_shown(
            out,
            &[
                "POST /v1.41/build?buildargs=<redacted>&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1 HTTP/1.1\\r\n",
                "Transfer-Encoding: chunked\\r\nContent-Type: application/x-tar\\r\n",
                "X-Registry-Config: <redacted 64 bytes>\\r\n",
                "HEAD /_ping HTTP/1.1\\r\n",
            ],
        );
    });
    assert_shown(
        &show(chunks),
        &["\\r\n\\r\na\\r\nDockerfile\\r\n5\\r\n\\x00\\x00\\x01\\xffz\\r\n0\\r\n\\r\nHEAD /_ping"],
    );
}

#[test]
fn a_chunked_json_body_is_redacted_whole_however_it_is_cut() {
    let json: &[u8] = b"{\"Cmd\":[\"sh\"],\"Env\":[\"TOKEN=chunked-secret-xyz\"]}";
    let (a, b) = json.split_at(20);
    let request = [
        b"POST /v1.41/containers/abc/exec HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            as &[u8],
        format!("{:x}\r\n", a.len()).as_bytes(),
        a,
        b"\r\n",
        format!("{:X};ext=1\r\n", b.len()).as_bytes(),
        b,
        b"\r\n0\r\nX-Trailer: t\r\n\r\n",
    ]
    .concat();
    let chunks: &[(bool, &[u8])] = &[(true, &request)];
    let second = format!("{:X};ext=1\\r\n", b.len());
    every_cut(chunks, 0, |out| {
        assert_hidden(out, "chunked-secret-xyz");
        assert_shown(
            out,
            &[
                "POST /v1.41/containers/abc/exec HTTP/1.1\\r\n",
                "14\\r\n",
                &second,
                "0\\r\n",
                "X-Trailer: t\\r\n",
                "{\"Cmd\":[\"sh\"],\"Env\":\"<redacted>\"}\n",
            ],
        );
    });
}

#[test]
fn a_chunked_answer_shows_its_chunks_and_json_at_the_end() {
    let answer = [WAIT_HEAD, WAIT_BODY].concat();
    let out = show(&[
        (true, WAIT),
        (false, &answer),
        (true, PING),
        (false, PING_OK),
    ]);
    assert_shown(
        &out,
        &[
            "/wait?condition=removed HTTP/1.1\\r\n",
            "Transfer-Encoding: chunked\\r\n\\r\n1e\\r\n\\r\n0\\r\n\\r\n{\"Error\":null,\"StatusCode\":0}\n",
            "HEAD /_ping",
        ],
    );
    // The body ended: the next answer parses as one.
    assert!(
        out.ends_with("Date: Sun, 22 Nov 2026 19:42:25 GMT\\r\n\\r\n--\n"),
        "{out}"
    );
}

#[test]
fn tar_bodies_are_shown_escaped_up_to_a_cap() {
    let n = 100_000;
    let head = format!("PUT /v1.41/containers/x/archive?path=%2F HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {n}\r\n\r\n");
    let body = vec![b't'; n];
    let out = show(&[
        (true, head.as_bytes()),
        (true, &body[..60_000]),
        (true, &body[60_000..]),
        (true, PING),
    ]);
    assert_shown(
        &out,
        &[
            "(55904 bytes not shown: past the first 4096 bytes of this body)",
            "(40000 bytes not shown: past the first 4096 bytes of this body)",
            "HEAD /_ping HTTP/1.1",
        ],
    );
    assert!(out.len() < SHOW + 2000, "{}", out.len());
}

#[test]
fn a_capped_chunked_body_still_shows_where_it_ends() {
    let head = b"POST /v1.41/images/load?quiet=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunk = [b"2710\r\n" as &[u8], &[b't'; 10_000], b"\r\n"].concat();
    let out = show(&[
        (true, head),
        (true, &chunk),
        (true, &chunk),
        (true, b"0\r\n\r\n"),
        (true, PING),
    ]);
    assert_shown(
        &out,
        &[
            "conn=1\n2710\\r\ntttt",
            "\n(5912 bytes not shown: past the first 4096 bytes of this body)\n--\n",
            "conn=1\n(10008 bytes not shown: past the first 4096 bytes of this body)\n--\n",
            "conn=1\n0\\r\n\\r\n--\n",
            "conn=1\nHEAD /_ping HTTP/1.1\\r\n",
        ],
    );
}

#[test]
fn a_json_body_too_large_to_redact_is_not_shown() {
    let filler = "y".repeat(MAX_JSON);
    let body = format!("{{\"Env\":[\"BIG=too-large-secret\"],\"Labels\":{{\"f\":\"{filler}\"}}}}");
    let head = format!(
        "POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let out = show(&[
        (true, head.as_bytes()),
        (true, &body.as_bytes()[..1000]),
        (true, &body.as_bytes()[1000..]),
        (true, PING),
    ]);
    assert_hidden(&out, "too-large-secret");
    assert_shown(
        &out,
        &[
            &format!(
                "({} bytes not shown: a JSON body larger than 1 MiB cannot be redacted)",
                body.len()
            ),
            "HEAD /_ping",
        ],
    );
}

#[test]
fn a_body_on_a_json_endpoint_that_is_not_json_is_not_shown() {
    let req = b"POST /v1.41/secrets/create HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nData=not-json-secret";
    let out = show(&[(true, req)]);
    assert_hidden(&out, "not-json-secret");
    assert_shown(
        &out,
        &["(20 bytes not shown: not valid JSON, so not redactable)"],
    );
}
