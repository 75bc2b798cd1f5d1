//! Connections the daemon takes over (attach, exec start, BuildKit sessions): tunnels shown
//! capped, HTTP/2 counted, client bytes held until the answer decides what they are.

use super::*;

#[test]
fn after_a_101_the_bytes_both_ways_are_a_tunnel() {
    let stdin: &[u8] = b"echo secretless\n";
    let upgraded_and_frame = [UPGRADED, FRAME_HI].concat();
    let chunks: &[(bool, &[u8])] = &[
        (true, ATTACH),
        (false, &upgraded_and_frame),
        (true, stdin),
        (false, FRAME_HI),
    ];
    let out = show(chunks);
    assert_shown(
        &out,
        &[
            "/attach?stderr=1&stdout=1&stream=1 HTTP/1.1\\r\n",
            "Upgrade: tcp\\r\n\\r\n",
            "HTTP/1.1 101 UPGRADED\\r\n",
            "Upgrade: tcp\\r\n\\r\n\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x03hi\n--\n",
            "conn=1\necho secretless\n--\n",
            "conn=1\n\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x03hi\n--\n",
        ],
    );
    every_cut(chunks, 1, |out| {
        assert_shown(
            out,
            &[
                "HTTP/1.1 101 UPGRADED\\r\n",
                "\\x03hi\n",
                "echo secretless\n",
            ],
        );
        assert!(!out.contains("not shown"), "{out}");
    });
}

#[test]
fn a_tunnel_chunk_is_capped() {
    let big = vec![b'x'; SHOW + 1000];
    let out = show(&[(true, ATTACH), (false, UPGRADED), (false, &big)]);
    assert_shown(
        &out,
        &["(1000 bytes not shown: past the first 4096 bytes of this chunk)"],
    );
    assert!(out.len() < 2 * SHOW + 2000);
}

#[test]
fn exec_start_hijacked_without_an_upgrade_header_is_a_tunnel_both_ways() {
    let start = b"POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"Detach\":false}";
    let hijacked: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n";
    let out = show(&[
        (true, start),
        (false, hijacked),
        (true, b"GET /x HTTP/1.1\r\n"),
        (false, FRAME_HI),
    ]);
    assert_shown(
        &out,
        &[
            "{\"Detach\":false}\n",
            "conn=1\nGET /x HTTP/1.1\\r\n--\n",
            "\\x03hi\n",
        ],
    );
}

#[test]
fn a_detached_exec_start_keeps_the_connection_http() {
    let start = b"POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"detach\":true}";
    let ok: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let out = show(&[(true, start), (true, PULL), (false, ok)]);
    assert_hidden(&out, PULL_AUTH);
    assert_shown(&out, &["X-Registry-Auth: <redacted 120 bytes>"]);
}

#[test]
fn client_bytes_sent_before_a_refused_hijack_are_parsed_as_http_once_it_is_refused() {
    let missing: &[u8] = b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n{\"message\":\"No such exec: x\"}";
    let out = show(&[(true, EXEC_START), (true, PULL), (false, missing)]);
    assert_hidden(&out, PULL_AUTH);
    assert_shown(
        &out,
        &[
            "{\"Detach\":false,\"Tty\":false}\n",
            "(held until what it belongs to is complete)",
            "HTTP/1.1 404 Not Found",
            "{\"message\":\"No such exec: x\"}\n(> the 311 bytes the client sent before this answer:)\nPOST /v1.41/images/create?",
            "X-Registry-Auth: <redacted 120 bytes>",
        ],
    );
}

#[test]
fn http2_after_an_h2c_upgrade_or_with_prior_knowledge_is_not_shown() {
    let session = b"POST /session HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nX-Docker-Expose-Session-Uuid: u1\r\n\r\n";
    let switching: &[u8] =
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    let out = show(&[
        (true, session),
        (false, switching),
        (false, b"PRI-ish TOPSECRET-VALUE-123"),
        (true, b"TOPSECRET-VALUE-123"),
    ]);
    assert_hidden(&out, "TOPSECRET-VALUE-123");
    assert_shown(
        &out,
        &[
            "HTTP/1.1 101 Switching Protocols",
            "(27 bytes not shown: HTTP/2",
        ],
    );

    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04TOPSECRET-VALUE-123";
    let out = show(&[
        (true, preface),
        (false, b"\x00\x00\x00\x04TOPSECRET-VALUE-123"),
    ]);
    assert_hidden(&out, "TOPSECRET-VALUE-123");
    assert_shown(&out, &["PRI * HTTP/2.0\\r\n\\r\n"]);
}
