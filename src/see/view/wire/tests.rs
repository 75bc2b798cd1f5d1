//! Real byte sequences from the socat traces (shared/reference/traces), fed to the wire view
//! in every way a socket could cut them, checked for what must and must not be shown.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::conn::{MAX_JSON, SHOW};
use super::{visible, Redactor, Wire, REDACT};
use crate::docker::endpoint::Operation;
use crate::event::{Dir, Event};
use crate::see::view::Style;

// --- What the traces show the docker CLI (28.2.2) and dockerd (20.10) sending. ---

const PING: &[u8] =
    b"HEAD /_ping HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\n\r\n";

const PING_OK: &[u8] = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nCache-Control: no-cache, no-store, must-revalidate\r\nContent-Length: 0\r\nContent-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\nOstype: linux\r\nPragma: no-cache\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: Sun, 22 Nov 2026 19:42:25 GMT\r\n\r\n";

/// pull-auth: fake credentials for a local registry.
const PULL: &[u8] = b"POST /v1.41/images/create?fromImage=localhost%3A5999%2Fprobe%2Fimg&tag=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nContent-Length: 0\r\nX-Registry-Auth: eyJ1c2VybmFtZSI6InByb2JldXNlciIsInBhc3N3b3JkIjoicHJvYmUtcGFzc3dvcmQteHl6Iiwic2VydmVyYWRkcmVzcyI6ImxvY2FsaG9zdDo1OTk5In0=\r\n\r\n";
const PULL_AUTH: &str = "eyJ1c2VybmFtZSI6InByb2JldXNlciIsInBhc3N3b3JkIjoicHJvYmUtcGFzc3dvcmQteHl6Iiwic2VydmVyYWRkcmVzcyI6ImxvY2FsaG9zdDo1OTk5In0=";

const PULL_FAILED: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: Sun, 22 Nov 2026 19:42:25 GMT\r\nContent-Length: 102\r\n\r\n{\"message\":\"Get \\\"http://localhost:5999/v2/\\\": dial tcp 127.0.0.1:5999: connect: connection refused\"}\n";

/// create-dangerous: `-e SECRET_TOKEN=env-secret-abc`.
const CREATE: &[u8] = b"POST /v1.41/containers/create?name=probe-danger HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nContent-Length: 1722\r\nContent-Type: application/json\r\n\r\n{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":[\"SECRET_TOKEN=env-secret-abc\"],\"Cmd\":[\"true\"],\"Image\":\"local/busybox:1\",\"Volumes\":{},\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{},\"HostConfig\":{\"Binds\":[\"/:/host\"],\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\"NetworkMode\":\"host\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":[\"ALL\"],\"CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"host\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"host\",\"Privileged\":true,\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\"SecurityOpt\":[\"seccomp=unconfined\",\"apparmor=unconfined\"],\"UTSMode\":\"host\",\"UsernsMode\":\"host\",\"ShmSize\":0,\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"probe-cg\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/xnull\",\"CgroupPermissions\":\"rwm\"}],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,\"Ulimits\":[],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/etc\",\"Target\":\"/hostetc\"}],\"MaskedPaths\":null,\"ReadonlyPaths\":null},\"NetworkingConfig\":{\"EndpointsConfig\":{}}}\n";

const CREATED: &[u8] = b"HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: Sun, 22 Nov 2026 19:42:20 GMT\r\nContent-Length: 88\r\n\r\n{\"Id\":\"8611ff97d1721b097a503b953ac05e505c623170dff31890830fa3e45420e278\",\"Warnings\":[]}\n";

/// login: the password in clear JSON.
const LOGIN: &[u8] = b"POST /v1.41/auth HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nContent-Length: 92\r\nContent-Type: application/json\r\n\r\n{\"username\":\"probeuser\",\"password\":\"probe-login-password\",\"serveraddress\":\"localhost:5999\"}\n";

/// run-rm: attach, the daemon's 101, and one multiplexed stdout frame.
const ATTACH: &[u8] = b"POST /v1.41/containers/d2d49cdd9fd6298a9c5da38c829986854e30c2e9eae06511ad8030cef760e1fa/attach?stderr=1&stdout=1&stream=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nContent-Length: 0\r\nConnection: Upgrade\r\nContent-Type: text/plain\r\nUpgrade: tcp\r\n\r\n";
const UPGRADED: &[u8] = b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
const FRAME_HI: &[u8] = b"\x01\x00\x00\x00\x00\x00\x00\x03hi\n";

/// run-rm: wait, answered chunked.
const WAIT: &[u8] = b"POST /v1.41/containers/d2d49cdd9fd6298a9c5da38c829986854e30c2e9eae06511ad8030cef760e1fa/wait?condition=removed HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nContent-Length: 0\r\n\r\n";
const WAIT_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: Sun, 22 Nov 2026 19:40:32 GMT\r\nTransfer-Encoding: chunked\r\n\r\n";
const WAIT_BODY: &[u8] = b"1e\r\n{\"Error\":null,\"StatusCode\":0}\n\r\n0\r\n\r\n";

/// exec: exec start asks for an upgrade; the body says it is not detached.
const EXEC_START: &[u8] = b"POST /v1.41/exec/706048e3ecbc5d026b20ea2cb5e2f8c5927ea50c51544c5e36c01a2060614121/start HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nContent-Length: 29\r\nConnection: Upgrade\r\nContent-Type: application/json\r\nUpgrade: tcp\r\n\r\n{\"Detach\":false,\"Tty\":false}\n";

/// build-classic: build args in the query, credentials header, chunked tar context.
const BUILD_HEAD: &[u8] = b"POST /v1.41/build?buildargs=%7B%22MYARG%22%3A%22s3cr3t-buildarg%22%7D&dockerfile=Dockerfile&t=probe-build%3Aclassic&version=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-tar\r\nX-Registry-Config: eyJsb2NhbGhvc3Q6NTk5OSI6eyJwYXNzd29yZCI6ImJ1aWxkLXJlZy1wYXNzIn19\r\n\r\n";

// --- A redaction with known rules, so the plumbing is tested whatever crate::see::redact says. ---

fn fake_header<'a>(name: &str, value: &'a [u8]) -> Cow<'a, str> {
    if name.eq_ignore_ascii_case("x-registry-auth")
        || name.eq_ignore_ascii_case("x-registry-config")
    {
        Cow::Owned(format!("<redacted {} bytes>", value.len()))
    } else {
        String::from_utf8_lossy(value)
    }
}

fn fake_json(_op: Option<Operation>, v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let k = k.to_ascii_lowercase();
                if ["env", "password", "identitytoken", "data"].contains(&k.as_str()) {
                    *v = serde_json::Value::String("<redacted>".into());
                } else {
                    fake_json(None, v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| fake_json(None, v)),
        _ => {}
    }
}

fn fake_query(_op: Option<Operation>, q: &str) -> String {
    q.split('&')
        .map(|kv| {
            if kv.starts_with("buildargs=") {
                "buildargs=<redacted>"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

const FAKE: Redactor = Redactor {
    header: fake_header,
    json: fake_json,
    query: fake_query,
};

// --- Feeding. ---

fn wire() -> Wire {
    Wire::with(FAKE, Style::default())
}

/// Feed `(conn, to daemon?, bytes)` chunks; everything shown.
fn feed(w: &mut Wire, chunks: &[(u64, bool, &[u8])]) -> String {
    let mut out = Vec::new();
    for (conn, to_daemon, bytes) in chunks {
        // No drops here: each chunk follows the bytes the view has already seen.
        let side = usize::from(!*to_daemon);
        let at_offset = w.conns.get(conn).map_or(0, |c| c.sent[side]);
        let event = Event::Wire {
            conn: *conn,
            dir: if *to_daemon {
                Dir::ToDaemon
            } else {
                Dir::ToClient
            },
            at: SystemTime::UNIX_EPOCH + Duration::from_micros(1_795_000_000_000_001),
            offset: at_offset,
            bytes: Bytes::copy_from_slice(bytes),
        };
        w.show(&event, &mut out);
    }
    String::from_utf8(out).expect("the view writes text")
}

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

fn show(chunks: &[(bool, &[u8])]) -> String {
    let chunks: Vec<_> = chunks.iter().map(|&(d, b)| (1, d, b)).collect();
    feed(&mut wire(), &chunks)
}

/// Every way of cutting chunk `which` in two, and byte by byte; `check` sees each output.
fn every_cut(chunks: &[(bool, &[u8])], which: usize, check: impl Fn(&str)) {
    let (dir, bytes) = chunks[which];
    let mut cuts: Vec<Vec<(bool, &[u8])>> = (1..bytes.len())
        .map(|at| {
            let mut c = chunks.to_vec();
            c.splice(which..=which, [(dir, &bytes[..at]), (dir, &bytes[at..])]);
            c
        })
        .collect();
    let mut bytewise = chunks[..which].to_vec();
    bytewise.extend(bytes.chunks(1).map(|b| (dir, b)));
    bytewise.extend_from_slice(&chunks[which + 1..]);
    cuts.push(bytewise);
    for chunks in cuts {
        check(&show(&chunks));
    }
}

/// No 10-byte stretch of `secret` is shown.
fn assert_hidden(out: &str, secret: &str) {
    for part in secret.as_bytes().windows(10.min(secret.len())) {
        let part = std::str::from_utf8(part).unwrap();
        assert!(!out.contains(part), "{part:?} of a secret shown:\n{out}");
    }
}

fn assert_shown(out: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(out.contains(w), "{w:?} not shown:\n{out}");
    }
}

// --- Tests. ---

#[test]
fn carriage_returns_are_made_visible_like_socat_does() {
    assert_eq!(
        visible(b"HEAD /_ping HTTP/1.1\r\nHost: x\r\n\r\n"),
        b"HEAD /_ping HTTP/1.1\\r\nHost: x\\r\n\\r\n".to_vec()
    );
    assert_eq!(visible(b"\x01\x00ok"), b"\\x01\\x00ok".to_vec());
}

#[test]
fn a_chunk_has_socat_direction_lines_and_plain_requests_show_as_sent() {
    let out = show(&[(true, PING), (false, PING_OK)]);
    assert!(out.starts_with("> 2026/11/18 "), "{out}");
    assert_shown(
        &out,
        &[
            "  length=92 from=0 to=91  conn=1\nHEAD /_ping HTTP/1.1\\r\nHost: api.moby.localhost\\r\nUser-Agent: Docker-Client/28.2.2 (linux)\\r\n\\r\n--\n",
            "\n< 2026/11/18 ",
            "  length=287 from=0 to=286  conn=1\nHTTP/1.1 200 OK\\r\n",
            "Date: Sun, 22 Nov 2026 19:42:25 GMT\\r\n\\r\n--\n",
        ],
    );
}

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
