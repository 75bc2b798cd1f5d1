//! Real byte sequences from the socat traces (shared/reference/traces), fed to the wire view
//! in every way a socket could cut them, checked for what must and must not be shown.

mod bodies;
mod heads;
mod takeover;
mod tracking;

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::{visible, Redactor, Wire, MAX_CONNS, REDACT};
use crate::docker::endpoint::Operation;
use crate::event::{Dir, Event};
use crate::see::view::wire::conn::{MAX_JSON, SHOW};
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

// --- What every chunk shows. ---

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
