use super::*;

fn record(n: u64) -> Record {
    Record {
        v: record::VERSION,
        time: "2026-11-22T00:00:00.000Z".into(),
        time_unix: 0.0,
        id: format!("#1.{n}"),
        conn: 1,
        req: n,
        host: Some("web1".into()),
        caller: crate::caller::Wire::default(),
        endpoint: "ContainerList".into(),
        section: Some("containers".into()),
        action: "docker ps".into(),
        method: "GET".into(),
        path: "/containers/json".into(),
        api_version: None,
        params: Default::default(),
        decision: None,
        rule: None,
        reason: None,
        redacted: Vec::new(),
        policy_revision: None,
        status: Some(200),
        answered_by: "daemon".into(),
        bytes_in: 0,
        bytes_out: 2,
        duration_ms: 0.1,
        hijacked: false,
        incomplete: false,
        fault: None,
        error: None,
        facts: Default::default(),
        unrecorded: 0,
    }
}

fn opts(path: &Path) -> AuditOptions {
    AuditOptions {
        path: Some(path.to_owned()),
        fsync: false,
        fail_open: false,
        max_size: None,
        keep: 3,
        format: AuditFormat::Json,
    }
}

fn lines(path: &Path) -> Vec<Record> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole record"))
        .collect()
}

#[test]
fn each_record_is_one_whole_line_and_the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(opts(&path)).unwrap();
    for n in 1..=3 {
        log.write(&record(n));
    }
    let got = lines(&path);
    assert_eq!(got.len(), 3);
    assert_eq!(got[2], record(3));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn an_unwritable_log_refuses_calls_keeps_records_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(opts(&path)).unwrap();
    log.write(&record(1));
    assert!(log.admit().is_ok());

    // The file is moved away and a directory takes its name: reopening fails.
    std::fs::rename(&path, dir.path().join("moved.log")).unwrap();
    std::fs::create_dir(&path).unwrap();
    log.request_reopen();
    log.write(&record(2));
    let why = log.admit().unwrap_err();
    assert!(why.contains("cannot be written"), "{why}");
    log.write(&record(3));

    std::fs::remove_dir(&path).unwrap();
    std::thread::sleep(RETRY);
    assert!(log.admit().is_ok(), "writable again");
    let got: Vec<u64> = lines(&path).iter().map(|r| r.req).collect();
    assert_eq!(got, [2, 3], "nothing lost, in order");
}

#[test]
fn fail_open_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(AuditOptions {
        fail_open: true,
        ..opts(&path)
    })
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    log.request_reopen();
    log.write(&record(1));
    assert!(log.admit().is_ok());
    assert!(log.health().is_err());
}

#[test]
fn size_rotation_keeps_n_files_of_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let one = serde_json::to_vec(&record(1)).unwrap().len() as u64 + 1;
    let log = AuditLog::open(AuditOptions {
        max_size: Some(one * 2),
        keep: 2,
        ..opts(&path)
    })
    .unwrap();
    for n in 1..=7 {
        log.write(&record(n));
    }
    let req = |p: &Path| lines(p).iter().map(|r| r.req).collect::<Vec<_>>();
    assert_eq!(req(&path), [7]);
    assert_eq!(req(&dir.path().join("audit.log.1")), [5, 6]);
    assert_eq!(req(&dir.path().join("audit.log.2")), [3, 4]);
    assert!(!dir.path().join("audit.log.3").exists());
}

#[test]
fn reopen_follows_logrotate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(opts(&path)).unwrap();
    log.write(&record(1));
    std::fs::rename(&path, dir.path().join("audit.log.old")).unwrap();
    log.write(&record(2)); // still into the moved file, as logrotate expects before HUP
    log.request_reopen();
    log.write(&record(3));
    assert_eq!(lines(&dir.path().join("audit.log.old")).len(), 2);
    assert_eq!(lines(&path).len(), 1);
}

mod lines {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use bytes::Bytes;
    use http::HeaderValue;

    use super::super::{AuditLog, Record};
    use super::opts;
    use crate::caller::ClientCert;
    use crate::caller::ClientContainer;
    use crate::caller::Peer;
    use crate::docker::facts::Facts;
    use crate::event::{
        sample_call, AnsweredBy, Call, CallId, Captured, Decision, RequestHead, Verdict,
    };

    fn unix_peer() -> Peer {
        Peer::Unix {
            uid: 0,
            gid: 0,
            pid: Some(5162),
            process: Some("curl".into()),
            exe: Some("/usr/bin/curl".into()),
        }
    }

    fn call(peer: Peer, method: &str, target: &str, status: Option<u16>) -> Call {
        Call {
            bytes_out: 3,
            duration: Duration::from_micros(289),
            verdict: Some(Verdict {
                decision: Decision::Allow,
                rule: "no-escape-allow".into(),
                reason: None,
                redacted: Vec::new(),
                policy_revision: None,
                trace: Vec::new(),
            }),
            ..sample_call(peer, method, target, status)
        }
    }

    fn with_head(c: &mut Call, f: impl FnOnce(&mut RequestHead)) {
        f(Arc::get_mut(&mut c.head).expect("not shared yet"));
    }

    /// `docker ps` as the relay benchmark makes it.
    fn ps() -> Call {
        call(unix_peer(), "GET", "/v1.41/containers/json", Some(200))
    }

    /// A denied create with a body, a query, facts and escalations, from a TCP client.
    fn denied_create() -> Call {
        let mut c = call(
            Peer::Tcp {
                addr: "10.0.0.7:41234".parse().unwrap(),
            },
            "POST",
            "/v1.41/containers/create?name=web&platform=linux%2Famd64",
            Some(403),
        );
        let body = r#"{"Image":"busybox","Cmd":["sh","-c","echo \"hi\"\n"],"Env":["TOKEN=s3cret"],
            "HostConfig":{"Privileged":true,"Binds":["/:/host"]}}"#;
        with_head(&mut c, |h| {
            h.headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        });
        c.request_body = Captured {
            bytes: Bytes::from(body),
            whole: true,
        };
        c.bytes_in = body.len() as u64;
        c.bytes_out = 0;
        c.answered_by = AnsweredBy::Sockeye;
        c.verdict = Some(Verdict {
            decision: Decision::Deny,
            rule: "no-escape".into(),
            reason: Some("refuses \"privileged\"\nand / mounts\t\u{1}".into()),
            redacted: Vec::new(),
            policy_revision: None,
            trace: Vec::new(),
        });
        c.error = Some("denied by rule no-escape: \\ é \u{2028} \u{7f}".into());
        c.facts = Some(Arc::new(Facts {
            operation: "ContainerCreate".into(),
            name: Some("web".into()),
            image: Some("busybox".into()),
            cmd: vec!["sh".into(), "-c".into(), "echo \"hi\"\n".into()],
            env_keys: vec!["TOKEN".into()],
            privileged: true,
            binds: vec!["/:/host".into()],
            host_paths: vec!["/".into()],
            ..Facts::default()
        }));
        c
    }

    /// Every branch of the record: peers, containers, decisions, missing values, odd text.
    fn cases() -> Vec<Call> {
        let mut out = vec![ps(), denied_create()];

        let mut c = call(
            Peer::Unix {
                uid: 1000,
                gid: 100,
                pid: None,
                process: None,
                exe: None,
            },
            "HEAD",
            "/_ping",
            Some(200),
        );
        c.verdict = None;
        out.push(c);

        for cert in [
            None,
            Some(ClientCert {
                subject: "CN=alice,O=ops \"x\"".into(),
                common_name: Some("alice".into()),
                sans: vec!["alice.example".into(), "10.0.0.1".into()],
            }),
            Some(ClientCert {
                subject: "O=nobody".into(),
                common_name: None,
                sans: vec![],
            }),
        ] {
            let mut c = call(
                Peer::Tls {
                    addr: "[::1]:2376".parse().unwrap(),
                    cert,
                },
                "POST",
                "/v1.41/containers/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/attach?stream=1&stdin=1&stdout=1",
                Some(101),
            );
            c.hijacked = true;
            c.incomplete = true;
            c.bytes_in = u64::MAX;
            c.duration = Duration::from_secs(86_400 * 3) + Duration::from_nanos(123_456_789);
            c.verdict = Some(Verdict {
                decision: Decision::WouldDeny,
                rule: "default".into(),
                reason: Some("not allowed".into()),
                redacted: Vec::new(),
                policy_revision: None,
                trace: Vec::new(),
            });
            out.push(c);
        }

        for labels in [
            BTreeMap::new(),
            BTreeMap::from([
                ("com.docker.compose.project".to_owned(), "app".to_owned()),
                ("quote\"d".to_owned(), "new\nline ü".to_owned()),
            ]),
        ] {
            let mut c = ps();
            with_head(&mut c, |h| {
                Arc::make_mut(&mut h.caller).container = Some(ClientContainer {
                    id: "f00d".repeat(16),
                    name: "ci-runner".into(),
                    labels,
                });
                h.target =
                    "/v1.41/containers/json?all=1&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D"
                        .into();
            });
            out.push(c);
        }

        // Refused before the policy; an unknown endpoint; a path with odd bytes.
        let mut c = call(
            unix_peer(),
            "GET",
            "/v1.41/nothing/%22here%5C?x=%01",
            Some(400),
        );
        c.verdict = None;
        c.answered_by = AnsweredBy::Sockeye;
        c.fault = Some(crate::event::Fault::Unreadable);
        c.error = Some("unreadable".into());
        out.push(c);

        // No answer at all.
        let mut c = call(
            unix_peer(),
            "DELETE",
            "/containers/c1/checkpoints/cp1",
            None,
        );
        c.verdict = None;
        c.error = Some("the daemon went away".into());
        c.duration = Duration::ZERO;
        out.push(c);

        // Secrets in the query, an empty query, two path parameters.
        for (method, target) in [
            (
                "POST",
                "/v1.41/build?t=img&buildargs=%7B%22PASSWORD%22%3A%22hunter2%22%7D",
            ),
            (
                "POST",
                "/v1.41/images/create?fromImage=https%3A%2F%2Fu%3Ap%40reg.example%2Fimg",
            ),
            ("GET", "/v1.41/containers/json?"),
            ("GET", "/containers/c1/json?size=1"),
            ("DELETE", "/v1.41/containers/c1/checkpoints/cp1?dir=%2Ftmp"),
            ("POST", "/exec/e1/start"),
            ("GET", "/v1.41/images/docker.io%2Flibrary%2Fbusybox:1/json"),
        ] {
            out.push(call(unix_peer(), method, target, Some(200)));
        }

        // Before 1970, and an odd process name.
        let mut c = ps();
        with_head(&mut c, |h| {
            h.start = UNIX_EPOCH - Duration::new(86_400 * 365, 1);
            h.id = CallId {
                conn: u64::MAX,
                req: 0,
            };
            Arc::make_mut(&mut h.caller).peer = Peer::Unix {
                uid: u32::MAX,
                gid: 0,
                pid: Some(-1),
                process: Some("ev\"il\u{1b}[2J".into()),
                exe: Some("/tmp/\\x".into()),
            };
        });
        out.push(c);

        let mut c = ps();
        with_head(&mut c, |h| h.start = SystemTime::now());
        out.push(c);
        out
    }

    /// The exact bytes the audit log wrote when each line was an owned `Record` built for
    /// it (before records borrowed from the call).
    const PS: &str = r##"{"v":1,"time":"2026-11-23T00:53:28.650Z","time_unix":1795395208.6508741,"id":"#1.2000","conn":1,"req":2000,"caller":{"transport":"unix","uid":0,"gid":0,"pid":5162,"process":"curl","exe":"/usr/bin/curl"},"endpoint":"ContainerList","section":"containers","action":"docker ps","method":"GET","path":"/v1.41/containers/json","api_version":"1.41","params":{},"decision":"allow","rule":"no-escape-allow","reason":null,"status":200,"answered_by":"daemon","bytes_in":0,"bytes_out":3,"duration_ms":0.289,"hijacked":false,"incomplete":false,"error":null,"facts":{}}"##;
    const DENIED_CREATE: &str = "{\"v\":1,\"time\":\"2026-11-23T00:53:28.650Z\",\"time_unix\":1795395208.6508741,\"id\":\"#1.2000\",\"conn\":1,\"req\":2000,\"caller\":{\"transport\":\"tcp\",\"addr\":\"10.0.0.7:41234\"},\"endpoint\":\"ContainerCreate\",\"section\":\"containers\",\"action\":\"docker create --name web --platform linux/amd64 --privileged -v /:/host -e TOKEN=<redacted> busybox sh -c $'echo \\\"hi\\\"\\\\n'\",\"method\":\"POST\",\"path\":\"/v1.41/containers/create?name=web&platform=linux%2Famd64\",\"api_version\":\"1.41\",\"params\":{},\"decision\":\"deny\",\"rule\":\"no-escape\",\"reason\":\"refuses \\\"privileged\\\"\\nand / mounts\\t\\u0001\",\"status\":403,\"answered_by\":\"sockeye\",\"bytes_in\":142,\"bytes_out\":0,\"duration_ms\":0.289,\"hijacked\":false,\"incomplete\":false,\"error\":\"denied by rule no-escape: \\\\ é \u{2028} \u{7f}\",\"facts\":{\"binds\":[\"/:/host\"],\"cmd\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\n\"],\"env_keys\":[\"TOKEN\"],\"escalations\":[\"privileged\",\"host path / outside the allowlist\"],\"host_paths\":[\"/\"],\"image\":\"busybox\",\"name\":\"web\",\"privileged\":true}}";

    /// The line the audit log writes for `call`, without its newline.
    fn line(call: &Call) -> String {
        Record::with_call(call, |r| serde_json::to_string(r).unwrap())
    }

    #[test]
    fn records_serialize_to_the_pinned_lines() {
        // Every record names its host, after the call's number (the pinned lines are older).
        let host = format!(
            "\"req\":2000,\"host\":{},",
            serde_json::to_string(crate::remember::audit::record::host()).unwrap()
        );
        let pinned = |l: &str| l.replacen("\"req\":2000,", &host, 1);
        assert_eq!(line(&ps()), pinned(PS));
        assert_eq!(line(&denied_create()), pinned(DENIED_CREATE));
    }

    #[test]
    fn lines_read_back_as_records_that_are_written_the_same() {
        // serde_json reads floats back to within a bit, not exactly: compare them apart.
        let floats = |line: &str| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            let o = v.as_object_mut().unwrap();
            let f = |o: &mut serde_json::Map<_, _>, k| o.remove(k).unwrap().as_f64().unwrap();
            let t = (f(o, "time_unix"), f(o, "duration_ms"));
            (v, t)
        };
        for call in cases() {
            let written = line(&call);
            let back: Record = serde_json::from_str(&written).unwrap();
            let again = serde_json::to_string(&back).unwrap();
            let ((a, (ta, da)), (b, (tb, db))) = (floats(&written), floats(&again));
            assert_eq!(a, b, "{written}");
            assert!((ta - tb).abs() <= ta.abs() * 1e-15, "{ta} {tb}");
            assert!((da - db).abs() <= da.abs() * 1e-15, "{da} {db}");
        }
    }

    #[test]
    fn calls_written_while_the_log_is_broken_are_kept_in_order() {
        use crate::event::Sink;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(opts(&path)).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        log.request_reopen();
        let calls = cases();
        for call in &calls[..3] {
            log.call(call);
        }
        assert!(log.admit().is_err());
        assert_eq!(log.lock().pending.len(), 3, "kept, not lost");
        std::fs::remove_dir(&path).unwrap();
        log.call(&calls[3]);
        assert!(log.admit().is_ok(), "writable again");
        assert!(log.lock().pending.is_empty());
        let want: String = calls[..4].iter().map(|c| line(c) + "\n").collect();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    }

    #[test]
    fn each_call_is_written_as_its_line_whatever_the_line_before() {
        use crate::event::Sink;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(opts(&path)).unwrap();
        // A line longer than the buffer a thread keeps, then short ones again.
        let mut long = ps();
        with_head(&mut long, |h| {
            h.target = format!("/v1.41/containers/json?filters={}", "x".repeat(100_000));
        });
        let mut calls = cases();
        calls.insert(1, long);
        let mut want = String::new();
        for call in &calls {
            log.call(call);
            want.push_str(&line(call));
            want.push('\n');
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
    }
}

#[test]
fn an_ecs_log_reads_back_as_the_records_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let log = AuditLog::open(AuditOptions {
        format: AuditFormat::Ecs,
        ..opts(&path)
    })
    .unwrap();
    log.write(&record(1));
    log.write_event(&serde_json::json!({"v":1,"time":"2026-11-22T00:00:00.000Z",
        "time_unix":0.0,"event":"reload","what":"policy","ok":true}));
    log.write(&record(2));
    let text = std::fs::read(&path).unwrap();
    let first: serde_json::Value =
        serde_json::from_slice(text.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["event"]["id"], "#1.1");
    assert_eq!(first["ecs"]["version"], ecs::ECS_VERSION);
    let lines: Vec<read::Line> = read::Lines::new(&text[..]).map(|l| l.unwrap().1).collect();
    assert_eq!(lines.len(), 3);
    match (&lines[0], &lines[1], &lines[2]) {
        (read::Line::Record(a, _), read::Line::Event, read::Line::Record(b, _)) => {
            assert_eq!(**a, record(1));
            assert_eq!(**b, record(2));
        }
        other => panic!("{other:?}"),
    }
}
