//! Keeping track: bytes the live channel dropped, peers that do not speak HTTP, several
//! connections at once, connections forgotten.

use super::*;

#[test]
fn after_the_live_channel_drops_bytes_nothing_more_of_that_connection_is_shown() {
    // The first chunk (head and the start of the body) was dropped by the lossy channel;
    // the rest of a create body with a secret env value arrives on its own.
    let rest: &[u8] = br#"E=hunter2-gap-secret"],"Image":"x"}"#;
    let mut w = wire();
    let mut out = Vec::new();
    let event = Event::Wire {
        conn: 7,
        dir: Dir::ToDaemon,
        at: SystemTime::UNIX_EPOCH,
        offset: 180,
        bytes: Bytes::copy_from_slice(rest),
    };
    w.show(&event, &mut out);
    let shown = String::from_utf8(out).unwrap();
    assert!(!shown.contains("hunter2-gap-secret"), "{shown}");
    assert!(shown.contains("length=35"), "{shown}");
}

#[test]
fn a_client_speaking_garbage_is_shown_escaped_and_never_buffered_without_end() {
    let out = show(&[(true, b"\x16\x03\x01\x02\x00hello"), (true, b"more\n")]);
    assert_shown(
        &out,
        &["\\x16\\x03\\x01\\x02\\x00hello\n--\n", "more\n--\n"],
    );
    let out = show(&[(true, b"hello there, daemon\r\n")]);
    assert_shown(&out, &["hello there, daemon\\r\n"]);

    // A head without end is counted once it is longer than can be redacted.
    let mut w = wire();
    let mut shown = feed(&mut w, &[(1, true, b"GET /" as &[u8])]);
    let line = vec![b'a'; 64 * 1024];
    for _ in 0..20 {
        shown += &feed(&mut w, &[(1, true, &line)]);
    }
    assert_shown(
        &shown,
        &["bytes not shown: a head longer than 1 MiB cannot be redacted"],
    );
    assert!(shown.len() < 20_000, "{}", shown.len());
}

#[test]
fn bytes_that_stop_being_http_after_http_are_not_shown() {
    // As if the view had dropped the chunk with the head: the rest of a body arrives.
    let out = show(&[(true, PING), (true, b"\"Env\":[\"X=lost-track-secret\"]}")]);
    assert_hidden(&out, "lost-track-secret");
    assert_shown(
        &out,
        &["(30 bytes not shown: not HTTP where a message was expected; the view lost track)"],
    );
    let out = show(&[(
        true,
        b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab{\"secret\":1}",
    )]);
    assert_shown(
        &out,
        &["bytes not shown: body framing the view does not follow"],
    );
    let out = show(&[(
        true,
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nsecret-after-bad-chunk\r\n",
    )]);
    assert_hidden(&out, "secret-after-bad-chunk");
}

#[test]
fn connections_are_parsed_apart() {
    let mut w = wire();
    let out = feed(
        &mut w,
        &[
            (1, true, &CREATE[..300]),
            (2, true, &PULL[..150]),
            (2, true, &PULL[150..]),
            (1, true, &CREATE[300..]),
            (2, false, PULL_FAILED),
            (1, false, CREATED),
        ],
    );
    assert_hidden(&out, "SECRET_TOKEN=env-secret-abc");
    assert_hidden(&out, PULL_AUTH);
    assert_shown(
        &out,
        &[
            "length=161 from=150 to=310  conn=2\n",
            "length=1604 from=300 to=1903  conn=1\n",
            "\"Env\":\"<redacted>\"",
        ],
    );
}

#[test]
fn a_forgotten_connection_is_not_parsed_from_the_middle() {
    let mut w = wire();
    let mut out = feed(
        &mut w,
        &[(1, true, &CREATE[..300]), (2, true, &CREATE[..300])],
    );
    for conn in 3..=super::MAX_CONNS as u64 + 1 {
        feed(&mut w, &[(conn, true, PING), (2, true, b"")]);
    }
    // Connection 1 was quiet the longest and was forgotten; 2 was not.
    out += &feed(
        &mut w,
        &[(1, true, &CREATE[300..]), (2, true, &CREATE[300..])],
    );
    assert_hidden(&out, "env-secret-abc");
    assert_shown(
        &out,
        &[
            "conn=1\n(1604 bytes not shown: the view forgot this connection)\n--\n",
            "conn=2\n{\"AttachStderr\":true,",
        ],
    );
}
