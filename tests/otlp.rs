//! The OTLP sink (`--audit-otlp`) as a receiver sees it: a test receiver decodes what
//! sockeye sends with OpenTelemetry's own generated messages (`opentelemetry-proto`, not
//! sockeye's hand-written ones) and finds one log record per call, each attribute under the
//! name docs/audit-log.md's mapping table gives it; and the receiver's answers (busy,
//! refusing, too large, partial success) leave no record lost and none sent twice.
//!
//! The cases with docker commands need a Docker daemon (see `tests/common`).

mod support;

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use serde_json::{json, Value as Json};
use sockeye::remember::ship::otlp::{self, Endpoint, Otlp, OtlpOptions};
use sockeye::remember::ship::Transport;
use support::common::{docker_at, output_text, tail, Sockeye};
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------------------------
// The test receiver
// ---------------------------------------------------------------------------------------------

/// What the receiver answers one request with.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: vec![],
            body: vec![],
        }
    }
}

/// One request as the receiver saw it.
struct Seen {
    content_type: Option<String>,
    authorization: Option<String>,
    status: u16,
    request: ExportLogsServiceRequest,
}

/// An OTLP/HTTP logs receiver on a loopback port: answers each request with the next
/// scripted [`Answer`], then with 200 and an empty `ExportLogsServiceResponse`.
struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    connections: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start() -> Receiver {
        Receiver::serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    fn serve(listener: TcpListener) -> Receiver {
        let receiver = Receiver {
            addr: listener.local_addr().unwrap(),
            seen: Arc::default(),
            script: Arc::default(),
            connections: Arc::default(),
        };
        let (seen, script, connections) = (
            receiver.seen.clone(),
            receiver.script.clone(),
            receiver.connections.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                *connections.lock().unwrap() += 1;
                let (seen, script) = (seen.clone(), script.clone());
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (seen, script) = (seen.clone(), script.clone());
                    async move {
                        let header =
                            |k: &str| req.headers().get(k).map(|v| v.to_str().unwrap().to_owned());
                        let content_type = header("content-type");
                        let authorization = header("authorization");
                        assert_eq!(req.method(), "POST");
                        assert_eq!(req.uri().path(), "/v1/logs");
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let request = ExportLogsServiceRequest::decode(body)
                            .expect("a request the official definitions decode");
                        let answer = script.lock().unwrap().pop_front().unwrap_or(Answer {
                            status: 200,
                            headers: vec![("content-type", "application/x-protobuf".into())],
                            body: ExportLogsServiceResponse::default().encode_to_vec(),
                        });
                        seen.lock().unwrap().push(Seen {
                            content_type,
                            authorization,
                            status: answer.status,
                            request,
                        });
                        let mut resp = Response::builder().status(answer.status);
                        for (k, v) in &answer.headers {
                            resp = resp.header(*k, v);
                        }
                        Ok::<_, Infallible>(resp.body(Full::new(Bytes::from(answer.body))).unwrap())
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        receiver
    }

    fn url(&self) -> String {
        format!("http://{}/v1/logs", self.addr)
    }

    fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.script.lock().unwrap().extend(answers);
    }

    /// The log records of the requests it took (2xx), in order.
    fn accepted(&self) -> Vec<(BTreeMap<String, Val>, LogRecord)> {
        let seen = self.seen.lock().unwrap();
        let mut out = Vec::new();
        for s in seen.iter().filter(|s| (200..300).contains(&s.status)) {
            for rl in &s.request.resource_logs {
                let resource = attributes(&rl.resource.as_ref().expect("a resource").attributes);
                for sl in &rl.scope_logs {
                    for lr in &sl.log_records {
                        out.push((resource.clone(), lr.clone()));
                    }
                }
            }
        }
        out
    }

    /// The call IDs of the records it took, in order.
    fn accepted_ids(&self) -> Vec<String> {
        self.accepted()
            .iter()
            .map(
                |(_, lr)| match &attributes(&lr.attributes)["docker.call.id"] {
                    Val::Str(id) => id.clone(),
                    other => panic!("docker.call.id {other:?}"),
                },
            )
            .collect()
    }
}

/// An attribute's value, as the test compares it.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    Array(Vec<Val>),
}

fn val(v: &AnyValue) -> Val {
    match v.value.as_ref().expect("a value") {
        any_value::Value::StringValue(s) => Val::Str(s.clone()),
        any_value::Value::IntValue(i) => Val::Int(*i),
        any_value::Value::DoubleValue(d) => Val::Double(*d),
        any_value::Value::BoolValue(b) => Val::Bool(*b),
        any_value::Value::ArrayValue(a) => Val::Array(a.values.iter().map(val).collect()),
        other => panic!("an attribute sockeye does not send: {other:?}"),
    }
}

fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, Val> {
    let mut out = BTreeMap::new();
    for kv in kvs {
        let v = val(kv.value.as_ref().expect("a value"));
        assert!(out.insert(kv.key.clone(), v).is_none(), "{} twice", kv.key);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The mapping, as docs/audit-log.md's table gives it
// ---------------------------------------------------------------------------------------------

/// The attributes an audit record's log record must have: the table, written out again
/// from the record's JSON, so the sink's own mapping is checked against it.
fn expected(record: &Json) -> BTreeMap<String, Val> {
    fn plain(v: &Json) -> Option<Val> {
        Some(match v {
            Json::Null => return None,
            Json::Bool(b) => Val::Bool(*b),
            Json::Number(n) if n.is_i64() => Val::Int(n.as_i64().unwrap()),
            Json::Number(n) => Val::Double(n.as_f64().unwrap()),
            Json::String(s) => Val::Str(s.clone()),
            other => Val::Str(other.to_string()),
        })
    }
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: Option<Val>| {
        if let Some(v) = v {
            out.insert(k.to_owned(), v);
        }
    };
    for (field, v) in record.as_object().unwrap() {
        let name = match field.as_str() {
            "time" | "time_unix" | "host" => continue,
            "caller" => {
                for (cf, cv) in v.as_object().unwrap() {
                    match cf.as_str() {
                        "transport" => put("network.transport", plain(cv)),
                        "uid" => put("user.id", Some(Val::Str(cv.to_string()))),
                        "gid" => put("docker.caller.gid", plain(cv)),
                        "pid" => put("process.pid", plain(cv)),
                        "process" => put("process.executable.name", plain(cv)),
                        "exe" => put("process.executable.path", plain(cv)),
                        "container" => {
                            put("container.id", plain(&cv["id"]));
                            put("container.name", plain(&cv["name"]));
                            for (k, l) in cv["labels"].as_object().into_iter().flatten() {
                                put(&format!("container.label.{k}"), plain(l));
                            }
                        }
                        other => panic!("a caller field this test does not know: {other}"),
                    }
                }
                continue;
            }
            "path" => {
                let p = v.as_str().unwrap();
                let (path, query) = p.split_once('?').map_or((p, None), |(a, b)| (a, Some(b)));
                put("url.path", Some(Val::Str(path.into())));
                put("url.query", query.map(|q| Val::Str(q.into())));
                continue;
            }
            "params" | "facts" => {
                let prefix = if field == "params" {
                    "docker.param"
                } else {
                    "docker.facts"
                };
                for (k, pv) in v.as_object().unwrap() {
                    put(&format!("{prefix}.{k}"), plain(pv));
                }
                continue;
            }
            "redacted" => {
                let items = v.as_array().unwrap().iter().filter_map(plain).collect();
                put("docker.redacted", Some(Val::Array(items)));
                continue;
            }
            "duration_ms" => {
                put("docker.duration_ms", v.as_f64().map(Val::Double));
                continue;
            }
            "v" => "docker.record.version",
            "id" => "docker.call.id",
            "conn" => "docker.connection.id",
            "req" => "docker.request.seq",
            "endpoint" => "docker.endpoint",
            "section" => "docker.endpoint.section",
            "action" => "docker.command",
            "method" => "http.request.method",
            "api_version" => "docker.api.version",
            "decision" => "docker.decision",
            "rule" => "docker.rule",
            "reason" => "docker.reason",
            "status" => "http.response.status_code",
            "answered_by" => "docker.answered_by",
            "bytes_in" => "docker.bytes_in",
            "bytes_out" => "docker.bytes_out",
            "hijacked" => "docker.hijacked",
            "incomplete" => "docker.incomplete",
            "fault" => "error.type",
            "error" => "docker.error",
            // A field the table does not name: in the docker namespace.
            other => {
                put(&format!("docker.{other}"), plain(v));
                continue;
            }
        };
        put(name, plain(v));
    }
    out
}

/// The log record of audit record `record` is exactly what the table says.
fn check(record: &Json, resource: &BTreeMap<String, Val>, got: &LogRecord, host: &str) {
    let id = &record["id"];
    assert_eq!(
        resource,
        &BTreeMap::from([
            ("service.name".into(), Val::Str("sockeye".into())),
            (
                "service.version".into(),
                Val::Str(env!("CARGO_PKG_VERSION").into())
            ),
            ("host.name".into(), Val::Str(host.into())),
        ]),
        "{id}: resource"
    );
    assert_eq!(
        attributes(&got.attributes),
        expected(record),
        "{id}: attributes"
    );
    assert_eq!(got.event_name, "docker.call", "{id}");
    assert_eq!(
        got.body.as_ref().map(val),
        Some(Val::Str(record["action"].as_str().unwrap().into())),
        "{id}: body"
    );
    let t = record["time_unix"].as_f64().unwrap();
    let want = (t.trunc() as u64) * 1_000_000_000 + ((t - t.trunc()) * 1e6).round() as u64 * 1000;
    assert_eq!(got.time_unix_nano, want, "{id}: time");
    assert!(
        got.observed_time_unix_nano >= want,
        "{id}: observed before it happened"
    );
    let severity = match (record["decision"].as_str(), record["fault"].as_str()) {
        (_, Some(f)) if f != "denied" && record["decision"] != "refused" => (17, "ERROR"),
        (Some("deny" | "would_deny" | "refused"), _) => (13, "WARN"),
        _ => (9, "INFO"),
    };
    assert_eq!(
        (got.severity_number, got.severity_text.as_str()),
        severity,
        "{id}: severity"
    );
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

fn options(url: &str) -> OtlpOptions {
    OtlpOptions {
        endpoint: Endpoint::parse(url).unwrap(),
        headers: vec![],
        tls: None,
        host: sockeye::remember::audit::record::host().to_owned(),
        timeout: otlp::TIMEOUT,
    }
}

fn read_records(path: &std::path::Path) -> Vec<Json> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Calls through sockeye
// ---------------------------------------------------------------------------------------------

/// `sockeye proxy --profile no-escape --audit FILE --audit-otlp URL --audit-spool DIR`.
fn sockeye(daemon: &Path, file: &Path, url: &str, spool: &Path) -> Sockeye {
    Sockeye::start_with(
        daemon,
        &[
            "-q",
            "--profile",
            "no-escape",
            "--audit",
            file.to_str().unwrap(),
            "--audit-otlp",
            url,
            "--audit-spool",
            spool.to_str().unwrap(),
        ],
    )
}

/// Stop sockeye the way a supervisor does (SIGTERM): it delivers what it can, and what it
/// cannot stays in its spool.
fn stop(mut s: Sockeye) -> String {
    s.signal("-TERM");
    s.wait_exit(Duration::from_secs(30))
        .expect("sockeye stops on SIGTERM");
    s.log()
}

async fn docker(host: &str, args: &'static [&'static str]) -> std::process::Output {
    let host = host.to_owned();
    tokio::task::spawn_blocking(move || docker_at(&host, args))
        .await
        .unwrap()
}

/// A record's identity across runs: `#conn.req` starts again at each start.
fn identity(record: &Json) -> (String, String) {
    (
        record["id"].as_str().unwrap().to_owned(),
        record["time"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_reaches_the_receiver_as_one_log_record_with_every_attribute() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let s = sockeye(&daemon, &audit, &receiver.url(), &dir.path().join("spool"));
    let host = s.host();
    let out = docker(&host, &["ps", "-a", "--filter", "label=sockeye-otlp-test"]).await;
    assert!(out.status.success(), "{}", output_text(&out));
    let out = docker(
        &host,
        &[
            "run",
            "--rm",
            "--privileged",
            "sockeye-test/busybox:1",
            "true",
        ],
    )
    .await;
    assert!(
        !out.status.success(),
        "a privileged run is denied: {}",
        output_text(&out)
    );
    let out = docker(&host, &["inspect", "sockeye-otlp-no-such-container"]).await;
    assert!(!out.status.success(), "{}", output_text(&out));
    let log = stop(s);

    // The file sink's records are the calls; the receiver has each once, in order.
    let records = read_records(&audit);
    assert!(records.len() >= 3, "{records:?}");
    let got = receiver.accepted();
    assert_eq!(
        got.len(),
        records.len(),
        "one log record per call\n--- sockeye's log:\n{}",
        tail(&log, 3000)
    );
    for (record, (resource, lr)) in records.iter().zip(&got) {
        check(record, resource, lr, &host_name());
    }
    let denied = records
        .iter()
        .zip(&got)
        .find(|(r, _)| r["decision"] == "deny")
        .expect("the privileged run's record");
    assert_eq!(denied.1 .1.severity_number, 13);
    for seen in receiver.seen.lock().unwrap().iter() {
        assert_eq!(seen.content_type.as_deref(), Some("application/x-protobuf"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_spooled_while_the_receiver_is_down_survive_a_restart_and_arrive_once() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    // The receiver's port, taken and let go: the receiver is down.
    let port = {
        let l = reusable(0);
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/v1/logs");
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let first = dir.path().join("first.log");
    let s = sockeye(&daemon, &first, &url, &spool);
    for args in [&["version"][..], &["ps", "-a"]] {
        let out = docker(&s.host(), args).await;
        assert!(out.status.success(), "{}", output_text(&out));
    }
    s.wait_for_log(&["audit sink otlp", "cannot deliver"]);
    let log = stop(s);
    assert!(
        log.contains("not delivered stay in its spool"),
        "{}",
        tail(&log, 3000)
    );

    let second = dir.path().join("second.log");
    let s = sockeye(&daemon, &second, &url, &spool);
    s.wait_for_log(&["from an earlier run wait in its spool"]);
    let receiver = Receiver::serve(reusable(port));
    let out = docker(&s.host(), &["ps", "-a"]).await;
    assert!(out.status.success(), "{}", output_text(&out));
    let log = stop(s);

    let want: Vec<(String, String)> = read_records(&first)
        .iter()
        .chain(&read_records(&second))
        .map(identity)
        .collect();
    let got: Vec<(String, String)> = receiver
        .accepted()
        .iter()
        .map(|(_, lr)| {
            let a = attributes(&lr.attributes);
            let Val::Str(id) = &a["docker.call.id"] else {
                panic!("docker.call.id")
            };
            (id.clone(), time_of(lr.time_unix_nano))
        })
        .collect();
    assert_eq!(
        got,
        want,
        "the first run's records, then the second's, each once\n--- sockeye's log:\n{}",
        tail(&log, 3000)
    );
}

/// A record's `time` (RFC 3339, milliseconds) from its log record's nanoseconds.
fn time_of(nanos: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(nanos.into()).unwrap();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A loopback listener on `port` (0: any) that a later one may bind again.
fn reusable(port: u16) -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .unwrap();
    socket.listen(64).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The receiver's answers
// ---------------------------------------------------------------------------------------------

/// Records as the file sink writes them, `#1.1` …
fn lines(n: usize) -> Vec<Vec<u8>> {
    (1..=n)
        .map(|i| {
            json!({"v": 1, "time": "2026-12-07T10:00:00.000Z", "time_unix": 1796637600.0,
                   "id": format!("#1.{i}"), "conn": 1, "req": i,
                   "caller": {"transport": "unix", "uid": 0, "gid": 0},
                   "endpoint": "SystemPing", "section": "system", "action": "docker (ping)",
                   "method": "GET", "path": "/_ping", "api_version": null, "params": {},
                   "decision": null, "rule": null, "reason": null, "status": 200,
                   "answered_by": "daemon", "bytes_in": 0, "bytes_out": 2,
                   "duration_ms": 0.5, "hijacked": false, "incomplete": false,
                   "error": null, "facts": {}})
            .to_string()
            .into_bytes()
        })
        .collect()
}

fn ids(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|i| format!("#1.{i}")).collect()
}

#[tokio::test]
async fn batches_share_one_keep_alive_connection() {
    let receiver = Receiver::start().await;
    let mut sink = Otlp::new(options(&receiver.url()));
    let all = lines(6);
    for batch in all.chunks(2) {
        sink.send(batch).await.unwrap();
    }
    assert_eq!(receiver.accepted_ids(), ids(1..=6));
    assert_eq!(*receiver.connections.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_url_without_a_path_is_sent_to_v1_logs() {
    let receiver = Receiver::start().await;
    let mut sink = Otlp::new(options(&format!("http://{}", receiver.addr)));
    sink.send(&lines(1)).await.unwrap();
    assert_eq!(receiver.accepted_ids(), ids(1..=1));
}

#[tokio::test]
async fn a_busy_receiver_gets_the_batch_again() {
    let receiver = Receiver::start().await;
    receiver.answer([
        Answer {
            headers: vec![("retry-after", "1".into())],
            ..Answer::status(503)
        },
        Answer::status(429),
    ]);
    let mut sink = Otlp::new(options(&receiver.url()));
    let batch = lines(3);
    let err = sink.send(&batch).await.unwrap_err();
    assert!(err.contains("unavailable (HTTP 503"), "{err}");
    // Asked again before its Retry-After, it is not asked at all.
    let err = sink.send(&batch).await.unwrap_err();
    assert!(err.contains("(Retry-After)"), "{err}");
    assert_eq!(receiver.seen.lock().unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let err = sink.send(&batch).await.unwrap_err();
    assert!(err.contains("unavailable (HTTP 429"), "{err}");
    sink.send(&batch).await.unwrap();
    assert_eq!(receiver.accepted_ids(), ids(1..=3));
}

#[tokio::test]
async fn a_refusing_receiver_keeps_the_records_spooled_until_it_takes_them() {
    let receiver = Receiver::start().await;
    receiver.answer([
        Answer {
            headers: vec![("content-type", "text/plain".into())],
            body: b"invalid token".to_vec(),
            ..Answer::status(401)
        },
        Answer::status(404),
    ]);
    let mut opts = options(&receiver.url());
    opts.headers = vec![otlp::parse_header("Authorization=Bearer otlp-s3cret").unwrap()];
    let mut sink = Otlp::new(opts);
    let batch = lines(2);
    let err = sink.send(&batch).await.unwrap_err();
    assert!(
        err.contains("refuses the records (HTTP 401 Unauthorized: invalid token)"),
        "{err}"
    );
    assert!(err.contains("stay spooled"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    let err = sink.send(&batch).await.unwrap_err();
    assert!(err.contains("HTTP 404"), "{err}");
    sink.send(&batch).await.unwrap();
    assert_eq!(receiver.accepted_ids(), ids(1..=2));
    let seen = receiver.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for s in seen.iter() {
        assert_eq!(s.authorization.as_deref(), Some("Bearer otlp-s3cret"));
    }
}

#[tokio::test]
async fn a_batch_too_large_for_the_receiver_is_sent_in_halves() {
    let receiver = Receiver::start().await;
    // The whole batch, then its first half, are too large.
    receiver.answer([Answer::status(413), Answer::status(413)]);
    let mut sink = Otlp::new(options(&receiver.url()));
    sink.send(&lines(8)).await.unwrap();
    assert_eq!(receiver.accepted_ids(), ids(1..=8));
    let sizes: Vec<usize> = receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.request.resource_logs[0].scope_logs[0].log_records.len())
        .collect();
    assert_eq!(sizes, [8, 4, 2, 2, 4]);
}

#[tokio::test]
async fn records_a_receiver_rejects_in_a_partial_success_are_counted_not_sent_again() {
    let receiver = Receiver::start().await;
    receiver.answer([Answer {
        status: 200,
        headers: vec![("content-type", "application/x-protobuf".into())],
        body: ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 1,
                error_message: "body too long".into(),
            }),
        }
        .encode_to_vec(),
    }]);
    let mut sink = Otlp::new(options(&receiver.url()));
    let rejected = sink.rejected();
    sink.send(&lines(3)).await.unwrap();
    assert_eq!(rejected.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(receiver.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_receiver_that_is_not_there_is_an_error_not_a_hang() {
    // A port nothing listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut sink = Otlp::new(options(&format!("http://127.0.0.1:{port}/v1/logs")));
    let err = sink.send(&lines(1)).await.unwrap_err();
    assert!(err.contains("cannot connect"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// OTLP/gRPC
// ---------------------------------------------------------------------------------------------

/// An OTLP/gRPC logs receiver: HTTP/2, `LogsService/Export`, answering each call with the
/// next scripted gRPC status (then OK), its records kept for an OK.
struct GrpcReceiver {
    addr: SocketAddr,
    ids: Arc<Mutex<Vec<String>>>,
    calls: Arc<Mutex<usize>>,
    connections: Arc<Mutex<usize>>,
    script: Arc<Mutex<VecDeque<(u32, &'static str)>>>,
}

impl GrpcReceiver {
    async fn start() -> GrpcReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = GrpcReceiver {
            addr: listener.local_addr().unwrap(),
            ids: Arc::default(),
            calls: Arc::default(),
            connections: Arc::default(),
            script: Arc::default(),
        };
        let (ids, calls, connections, script) = (
            r.ids.clone(),
            r.calls.clone(),
            r.connections.clone(),
            r.script.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                *connections.lock().unwrap() += 1;
                let (ids, calls, script) = (ids.clone(), calls.clone(), script.clone());
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (ids, calls, script) = (ids.clone(), calls.clone(), script.clone());
                    async move {
                        assert_eq!(
                            req.uri().path(),
                            "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
                        );
                        assert_eq!(req.headers()["content-type"], "application/grpc");
                        assert_eq!(req.headers()["te"], "trailers");
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        assert_eq!(body[0], 0, "not compressed");
                        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
                        assert_eq!(len, body.len() - 5);
                        let request = ExportLogsServiceRequest::decode(body.slice(5..))
                            .expect("a request the official definitions decode");
                        *calls.lock().unwrap() += 1;
                        let (code, message) = script.lock().unwrap().pop_front().unwrap_or((0, ""));
                        if code == 0 {
                            for rl in &request.resource_logs {
                                for sl in &rl.scope_logs {
                                    for lr in &sl.log_records {
                                        let Val::Str(id) =
                                            &attributes(&lr.attributes)["docker.call.id"]
                                        else {
                                            panic!("docker.call.id")
                                        };
                                        ids.lock().unwrap().push(id.clone());
                                    }
                                }
                            }
                        }
                        let answer = ExportLogsServiceResponse::default().encode_to_vec();
                        let mut framed = vec![0];
                        framed.extend_from_slice(&(answer.len() as u32).to_be_bytes());
                        framed.extend_from_slice(&answer);
                        let mut trailers = http::HeaderMap::new();
                        trailers.insert("grpc-status", code.to_string().parse().unwrap());
                        if !message.is_empty() {
                            trailers.insert("grpc-message", message.parse().unwrap());
                        }
                        let body = Full::new(Bytes::from(if code == 0 { framed } else { vec![] }))
                            .with_trailers(async move { Some(Ok(trailers)) });
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("content-type", "application/grpc")
                                .body(body)
                                .unwrap(),
                        )
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http2::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                });
            }
        });
        r
    }
}

fn grpc_options(addr: SocketAddr) -> OtlpOptions {
    OtlpOptions {
        endpoint: Endpoint::parse_grpc(&format!("http://{addr}")).unwrap(),
        ..options(&format!("http://{addr}"))
    }
}

#[tokio::test]
async fn over_grpc_batches_share_one_http2_connection() {
    let receiver = GrpcReceiver::start().await;
    let mut sink = Otlp::new(grpc_options(receiver.addr));
    assert_eq!(sink.name(), format!("otlp grpc http://{}", receiver.addr));
    for batch in lines(6).chunks(3) {
        sink.send(batch).await.unwrap();
    }
    assert_eq!(*receiver.ids.lock().unwrap(), ids(1..=6));
    assert_eq!(*receiver.connections.lock().unwrap(), 1);
}

#[tokio::test]
async fn over_grpc_an_unavailable_or_refusing_receiver_gets_the_batch_again() {
    let receiver = GrpcReceiver::start().await;
    receiver.script.lock().unwrap().extend([
        (14, "shutting%20down"),
        (7, "no token"),
        // RESOURCE_EXHAUSTED: the batch goes again in halves.
        (8, "message too large"),
    ]);
    let mut sink = Otlp::new(grpc_options(receiver.addr));
    let batch = lines(4);
    let err = sink.send(&batch).await.unwrap_err();
    assert!(
        err.contains("unavailable (gRPC status 14: shutting down)"),
        "{err}"
    );
    let err = sink.send(&batch).await.unwrap_err();
    assert!(
        err.contains("refuses the records (gRPC status 7: no token)"),
        "{err}"
    );
    sink.send(&batch).await.unwrap();
    assert_eq!(*receiver.ids.lock().unwrap(), ids(1..=4));
    assert_eq!(*receiver.calls.lock().unwrap(), 5);
}
