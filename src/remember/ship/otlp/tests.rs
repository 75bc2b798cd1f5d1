use std::collections::BTreeMap;

use serde_json::json;

use super::map::{log_record, request};
use super::proto::{AnyValue, ArrayValue, LogRecord, Value};
use super::*;

/// A record's attributes by name, each name once.
fn attributes(record: &LogRecord) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for kv in &record.attributes {
        let value = kv.value.clone().and_then(|v| v.value).expect("a value");
        assert!(
            out.insert(kv.key.clone(), value).is_none(),
            "{} twice",
            kv.key
        );
    }
    out
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn strings(items: &[&str]) -> Value {
    Value::Array(ArrayValue {
        values: items.iter().map(|i| AnyValue::string(*i)).collect(),
    })
}

fn map(line: serde_json::Value) -> (LogRecord, Option<String>) {
    log_record(line.to_string().as_bytes(), 42)
}

/// The fields every record has, as the file sink writes them, with `caller` and the rest
/// of the call given.
fn line(caller: serde_json::Value, rest: serde_json::Value) -> serde_json::Value {
    let mut record = json!({
        "v": 1, "time": "2026-11-22T23:19:27.983Z", "time_unix": 1795389567.983,
        "id": "#3.1", "conn": 3, "req": 1, "caller": caller,
        "endpoint": "ContainerList", "section": "containers", "action": "docker ps -a",
        "method": "GET", "path": "/v1.41/containers/json?all=1", "api_version": "1.41",
        "params": {}, "decision": "allow", "rule": "default", "reason": null,
        "status": 200, "answered_by": "daemon", "bytes_in": 0, "bytes_out": 3,
        "duration_ms": 1.5, "hijacked": false, "incomplete": false, "error": null,
        "facts": {},
    });
    for (k, v) in rest.as_object().unwrap() {
        record[k] = v.clone();
    }
    record
}

/// The attributes of [`line`]'s common fields, for an allowed `docker ps -a`.
fn common() -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("docker.record.version".into(), Value::Int(1)),
        ("docker.call.id".into(), s("#3.1")),
        ("docker.connection.id".into(), Value::Int(3)),
        ("docker.request.seq".into(), Value::Int(1)),
        ("docker.endpoint".into(), s("ContainerList")),
        ("docker.endpoint.section".into(), s("containers")),
        ("docker.command".into(), s("docker ps -a")),
        ("http.request.method".into(), s("GET")),
        ("url.path".into(), s("/v1.41/containers/json")),
        ("url.query".into(), s("all=1")),
        ("docker.api.version".into(), s("1.41")),
        ("docker.decision".into(), s("allow")),
        ("docker.rule".into(), s("default")),
        ("http.response.status_code".into(), Value::Int(200)),
        ("docker.answered_by".into(), s("daemon")),
        ("docker.bytes_in".into(), Value::Int(0)),
        ("docker.bytes_out".into(), Value::Int(3)),
        ("docker.duration_ms".into(), Value::Double(1.5)),
        ("docker.hijacked".into(), Value::Bool(false)),
        ("docker.incomplete".into(), Value::Bool(false)),
    ])
}

#[test]
fn a_unix_callers_allowed_call_is_an_info_record_named_by_the_conventions() {
    let (record, host) = map(line(
        json!({"transport": "unix", "uid": 1000, "gid": 998, "pid": 4242,
               "process": "docker", "exe": "/usr/bin/docker"}),
        json!({}),
    ));
    assert_eq!(host, None);
    assert_eq!(record.time_unix_nano, 1_795_389_567_983_000_000);
    assert_eq!(record.observed_time_unix_nano, 42);
    assert_eq!(
        (record.severity_number, record.severity_text.as_str()),
        (9, "INFO")
    );
    assert_eq!(record.event_name, "docker.call");
    assert_eq!(record.body, Some(AnyValue::string("docker ps -a")));
    let mut want = common();
    want.extend([
        ("network.transport".into(), s("unix")),
        ("user.id".into(), s("1000")),
        ("docker.caller.gid".into(), Value::Int(998)),
        ("process.pid".into(), Value::Int(4242)),
        ("process.executable.name".into(), s("docker")),
        ("process.executable.path".into(), s("/usr/bin/docker")),
    ]);
    assert_eq!(attributes(&record), want);
}

#[test]
fn a_tls_caller_is_its_address_port_and_certificate() {
    let (record, _) = map(line(
        json!({"transport": "tls", "addr": "[2001:db8::7]:50312",
               "cert": {"subject": "CN=alice,O=ops", "common_name": "alice",
                        "sans": ["alice.example", "10.0.0.7"]}}),
        json!({}),
    ));
    let mut want = common();
    want.extend([
        ("network.transport".into(), s("tcp")),
        ("tls.established".into(), Value::Bool(true)),
        ("client.address".into(), s("2001:db8::7")),
        ("client.port".into(), Value::Int(50312)),
        ("tls.client.subject".into(), s("CN=alice,O=ops")),
        ("docker.caller.cert.common_name".into(), s("alice")),
        (
            "docker.caller.cert.sans".into(),
            strings(&["alice.example", "10.0.0.7"]),
        ),
    ]);
    assert_eq!(attributes(&record), want);
}

#[test]
fn a_tcp_callers_address_is_split_into_address_and_port() {
    let (record, _) = map(line(
        json!({"transport": "tcp", "addr": "127.0.0.1:40000"}),
        json!({}),
    ));
    let got = attributes(&record);
    assert_eq!(got["network.transport"], s("tcp"));
    assert_eq!(got["client.address"], s("127.0.0.1"));
    assert_eq!(got["client.port"], Value::Int(40000));
    assert!(!got.contains_key("tls.established"));
}

#[test]
fn a_container_callers_id_name_and_labels() {
    let (record, _) = map(line(
        json!({"transport": "unix", "uid": 0, "gid": 0, "pid": 77,
               "container": {"id": "3f2a1b9c0d4e", "name": "ci-runner",
                             "labels": {"com.docker.compose.service": "runner", "team": "ops"}}}),
        json!({"params": {"name": "web"}, "path": "/v1.41/containers/web/json",
               "endpoint": "ContainerInspect", "action": "docker inspect web"}),
    ));
    let mut want = common();
    want.remove("url.query");
    want.extend([
        ("network.transport".into(), s("unix")),
        ("user.id".into(), s("0")),
        ("docker.caller.gid".into(), Value::Int(0)),
        ("process.pid".into(), Value::Int(77)),
        ("container.id".into(), s("3f2a1b9c0d4e")),
        ("container.name".into(), s("ci-runner")),
        (
            "container.label.com.docker.compose.service".into(),
            s("runner"),
        ),
        ("container.label.team".into(), s("ops")),
        ("docker.param.name".into(), s("web")),
        ("url.path".into(), s("/v1.41/containers/web/json")),
        ("docker.endpoint".into(), s("ContainerInspect")),
        ("docker.command".into(), s("docker inspect web")),
    ]);
    assert_eq!(attributes(&record), want);
    assert_eq!(record.body, Some(AnyValue::string("docker inspect web")));
}

#[test]
fn a_denied_call_is_a_warning_with_its_rule_reason_and_facts() {
    let (record, _) = map(line(
        json!({"transport": "unix", "uid": 0, "gid": 0}),
        json!({"endpoint": "ContainerCreate", "method": "POST",
               "path": "/v1.41/containers/create", "params": {},
               "action": "docker create --privileged busybox true",
               "decision": "deny", "rule": "no-escape",
               "reason": "the no-escape profile refuses what could give root on the host (privileged)",
               "status": 403, "answered_by": "sockeye", "bytes_in": 1744, "bytes_out": 0,
               "fault": "denied", "error": "denied by rule no-escape",
               "facts": {"image": "busybox", "cmd": ["true"], "privileged": true,
                         "escalations": ["privileged"]}}),
    ));
    assert_eq!(
        (record.severity_number, record.severity_text.as_str()),
        (13, "WARN")
    );
    let got = attributes(&record);
    assert_eq!(got["docker.decision"], s("deny"));
    assert_eq!(got["docker.rule"], s("no-escape"));
    assert_eq!(
        got["docker.reason"],
        s("the no-escape profile refuses what could give root on the host (privileged)")
    );
    assert_eq!(got["error.type"], s("denied"));
    assert_eq!(got["docker.error"], s("denied by rule no-escape"));
    assert_eq!(got["http.response.status_code"], Value::Int(403));
    assert_eq!(got["docker.answered_by"], s("sockeye"));
    assert_eq!(got["docker.bytes_in"], Value::Int(1744));
    // Scalars as their type, arrays and objects as their JSON text.
    assert_eq!(got["docker.facts.image"], s("busybox"));
    assert_eq!(got["docker.facts.privileged"], Value::Bool(true));
    assert_eq!(got["docker.facts.cmd"], s(r#"["true"]"#));
    assert_eq!(got["docker.facts.escalations"], s(r#"["privileged"]"#));
    assert!(!got.contains_key("url.query"));
}

#[test]
fn a_would_deny_and_a_refusal_are_warnings_too() {
    for (decision, fault) in [("would_deny", None), ("refused", Some("unreadable"))] {
        let (record, _) = map(line(
            json!({"transport": "unix", "uid": 0}),
            json!({"decision": decision, "fault": fault}),
        ));
        assert_eq!(record.severity_number, 13, "{decision}");
    }
}

#[test]
fn a_fault_is_an_error_record() {
    let (record, _) = map(line(
        json!({"transport": "unix", "uid": 0}),
        json!({"decision": null, "rule": null, "status": 502, "answered_by": "sockeye",
               "fault": "upstream_unreachable", "incomplete": true,
               "error": "the daemon cannot be reached: connection refused"}),
    ));
    assert_eq!(
        (record.severity_number, record.severity_text.as_str()),
        (17, "ERROR")
    );
    let got = attributes(&record);
    assert_eq!(got["error.type"], s("upstream_unreachable"));
    assert_eq!(
        got["docker.error"],
        s("the daemon cannot be reached: connection refused")
    );
    assert_eq!(got["docker.incomplete"], Value::Bool(true));
    // Absent in the record (null), absent in the log record.
    assert!(!got.contains_key("docker.decision"));
    assert!(!got.contains_key("docker.rule"));

    // sockeye answering 5xx itself is an error even without a fault.
    let (record, _) = map(line(
        json!({"transport": "unix", "uid": 0}),
        json!({"status": 503, "answered_by": "sockeye"}),
    ));
    assert_eq!(record.severity_number, 17);
    // The daemon's 5xx is the daemon's answer, relayed as it was.
    let (record, _) = map(line(
        json!({"transport": "unix", "uid": 0}),
        json!({"status": 500, "answered_by": "daemon"}),
    ));
    assert_eq!(record.severity_number, 9);
}

#[test]
fn redactions_are_an_array_and_new_fields_are_in_the_docker_namespace() {
    let (record, host) = map(line(
        json!({"transport": "unix", "uid": 0}),
        json!({"redacted": ["env", "mounts"], "host": "node-7", "bundle": "rev-12",
               "unrecorded": 3, "escalation": {"a": 1}}),
    ));
    assert_eq!(host.as_deref(), Some("node-7"));
    let got = attributes(&record);
    assert_eq!(got["docker.redacted"], strings(&["env", "mounts"]));
    assert_eq!(got["docker.bundle"], s("rev-12"));
    assert_eq!(got["docker.unrecorded"], Value::Int(3));
    assert_eq!(got["docker.escalation"], s(r#"{"a":1}"#));
    assert!(!got.contains_key("docker.host"));
    assert!(!got.contains_key("docker.time"));
}

#[test]
fn a_record_as_the_audit_log_writes_it_maps_every_field() {
    use crate::caller::{ClientCert, Container, Wire};
    use crate::remember::audit::Record;
    let record: Record = Record {
        v: 1,
        time: "2026-11-22T23:19:27.983Z".into(),
        time_unix: 1795389567.983,
        id: "#1.2".into(),
        conn: 1,
        req: 2,
        host: Some("node-7".into()),
        caller: Wire {
            transport: "tls".into(),
            addr: Some("10.0.0.7:51000".into()),
            cert: Some(ClientCert {
                subject: "CN=ci".into(),
                common_name: Some("ci".into()),
                sans: vec![],
            }),
            container: Some(Container {
                id: "abc".into(),
                name: "runner".into(),
                labels: BTreeMap::new(),
            }),
            ..Wire::default()
        },
        endpoint: "ContainerStart".into(),
        section: Some("containers".into()),
        action: "docker start web".into(),
        method: "POST".into(),
        path: "/v1.41/containers/web/start".into(),
        api_version: Some("1.41".into()),
        params: BTreeMap::from([("name".into(), "web".into())]),
        decision: Some("allow".into()),
        rule: Some("ops".into()),
        reason: None,
        redacted: vec![],
        status: Some(204),
        answered_by: "daemon".into(),
        bytes_in: 0,
        bytes_out: 0,
        duration_ms: 12.25,
        hijacked: false,
        incomplete: false,
        fault: None,
        error: None,
        facts: serde_json::Map::new(),
        unrecorded: 3,
        policy_revision: Some("r42".into()),
    };
    let (mapped, host) = log_record(&serde_json::to_vec(&record).unwrap(), 1);
    assert_eq!(host.as_deref(), Some("node-7"));
    let got = attributes(&mapped);
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "client.address",
            "client.port",
            "container.id",
            "container.name",
            "docker.answered_by",
            "docker.api.version",
            "docker.bytes_in",
            "docker.bytes_out",
            "docker.call.id",
            "docker.caller.cert.common_name",
            "docker.caller.cert.sans",
            "docker.command",
            "docker.connection.id",
            "docker.decision",
            "docker.duration_ms",
            "docker.endpoint",
            "docker.endpoint.section",
            "docker.hijacked",
            "docker.incomplete",
            "docker.param.name",
            "docker.policy_revision",
            "docker.record.version",
            "docker.request.seq",
            "docker.rule",
            "docker.unrecorded",
            "http.request.method",
            "http.response.status_code",
            "network.transport",
            "tls.client.subject",
            "tls.established",
            "url.path",
        ]
    );
    assert_eq!(got["docker.caller.cert.sans"], strings(&[]));
}

#[test]
fn a_damaged_line_is_still_sent_as_its_text() {
    let (record, host) = log_record(b"{\"v\":1,\"time\":\"2026-", 7);
    assert_eq!(host, None);
    assert_eq!(record.severity_number, 17);
    assert_eq!(
        record.body,
        Some(AnyValue::string("{\"v\":1,\"time\":\"2026-"))
    );
    assert_eq!(attributes(&record)["error.type"], s("unreadable_record"));
}

#[test]
fn a_batch_keeps_its_order_with_one_resource_per_run_of_hosts() {
    let at = |host: Option<&str>, id: &str| {
        let mut l = line(json!({"transport": "unix", "uid": 0}), json!({"id": id}));
        if let Some(h) = host {
            l["host"] = json!(h);
        }
        l.to_string().into_bytes()
    };
    let batch = vec![
        at(None, "#1.1"),
        at(None, "#1.2"),
        at(Some("b"), "#1.3"),
        at(None, "#1.4"),
    ];
    let req = request(&batch, "here", 5);
    let hosts: Vec<(String, Vec<String>)> = req
        .resource_logs
        .iter()
        .map(|rl| {
            let resource = rl.resource.as_ref().unwrap();
            let attr = |k: &str| {
                resource
                    .attributes
                    .iter()
                    .find(|kv| kv.key == k)
                    .and_then(|kv| kv.value.clone()?.value)
            };
            assert_eq!(attr("service.name"), Some(s("sockeye")));
            assert_eq!(attr("service.version"), Some(s(env!("CARGO_PKG_VERSION"))));
            let Some(Value::String(host)) = attr("host.name") else {
                panic!("no host.name")
            };
            let ids = rl.scope_logs[0]
                .log_records
                .iter()
                .map(|r| match &attributes(r)["docker.call.id"] {
                    Value::String(id) => id.clone(),
                    other => panic!("{other:?}"),
                })
                .collect();
            (host, ids)
        })
        .collect();
    let want = |h: &str, ids: &[&str]| (h.to_owned(), ids.iter().map(|i| i.to_string()).collect());
    assert_eq!(
        hosts,
        vec![
            want("here", &["#1.1", "#1.2"]),
            want("b", &["#1.3"]),
            want("here", &["#1.4"]),
        ]
    );
}

#[test]
fn an_endpoint_without_a_path_is_sent_to_v1_logs() {
    let e = Endpoint::parse("http://127.0.0.1:4318").unwrap();
    assert_eq!(
        (e.host.as_str(), e.port, e.path.as_str()),
        ("127.0.0.1", 4318, "/v1/logs")
    );
    assert_eq!(Endpoint::parse("http://c:4318/").unwrap().path, "/v1/logs");
    let e = Endpoint::parse("https://collector.example/otlp/v1/logs?tenant=a").unwrap();
    assert!(e.https);
    assert_eq!((e.port, e.path.as_str()), (443, "/otlp/v1/logs?tenant=a"));
    // The query may hold a token: the sink's name leaves it out.
    assert_eq!(e.url(), "https://collector.example/otlp/v1/logs");
    let e = Endpoint::parse("http://[::1]:4318/v1/logs").unwrap();
    assert_eq!(
        (e.host.as_str(), e.authority.as_str()),
        ("::1", "[::1]:4318")
    );
}

#[test]
fn a_bad_endpoint_is_one_sentence() {
    for (url, says) in [
        ("grpc://c:4317", "OTLP/HTTP takes http:// or https://"),
        ("c:4318/v1/logs", "not a URL"),
        ("http://user:secret@c:4318/v1/logs", "--audit-otlp-header"),
        ("127.0.0.1:4318", "give the scheme"),
    ] {
        let err = Endpoint::parse(url).unwrap_err();
        assert!(err.contains(says), "{url}: {err}");
        assert!(!err.contains('\n'));
    }
    let err = Endpoint::parse("http://user:secret@c:4318/v1/logs").unwrap_err();
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn a_header_is_name_equals_value_and_its_value_is_never_repeated() {
    let (k, v) = parse_header("Authorization=Bearer s3cret=").unwrap();
    assert_eq!(k, "authorization");
    assert_eq!(v, "Bearer s3cret=");
    assert!(v.is_sensitive());
    let err = parse_header("X-Token=bad\nvalue s3cret").unwrap_err();
    assert!(!err.contains("s3cret"), "{err}");
    assert!(parse_header("no-equals").is_err());
}

#[test]
fn headers_from_the_environment_are_read_as_opentelemetry_sdks_read_them() {
    let got = parse_env_headers(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "Authorization=Bearer%20s3cret%3D, x-scope-orgid = ops ,",
    )
    .unwrap();
    let got: Vec<(String, String)> = got
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        got,
        [
            ("authorization".into(), "Bearer s3cret=".into()),
            ("x-scope-orgid".into(), "ops".into())
        ]
    );
    let err = parse_env_headers(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "Authorization=Bearer%zz-s3cret",
    )
    .unwrap_err();
    assert!(
        err.starts_with("OTEL_EXPORTER_OTLP_HEADERS Authorization:"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn a_grpc_endpoint_is_an_address_and_the_export_method() {
    let e = Endpoint::parse_grpc("http://127.0.0.1:4317").unwrap();
    assert!(e.grpc);
    assert_eq!(
        e.path,
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    );
    assert_eq!(e.url(), "grpc http://127.0.0.1:4317");
    let err = Endpoint::parse_grpc("http://127.0.0.1:4317/v1/logs/x").unwrap_err();
    assert!(err.contains("by its address alone"), "{err}");
}
