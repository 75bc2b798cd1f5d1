use super::*;
use crate::caller::{ClientCert, Container, Wire};
use crate::remember::audit::Record;

/// A record with every field set, nested caller fields included.
fn full(transport: &str) -> Record {
    Record {
        v: 1,
        time: "2026-11-22T23:19:27.983Z".into(),
        time_unix: 1795389567.983412,
        id: "#3.2".into(),
        conn: 3,
        req: 2,
        host: Some("web1".into()),
        caller: Wire {
            transport: transport.into(),
            uid: Some(1000),
            gid: Some(999),
            pid: Some(4242),
            process: Some("docker".into()),
            exe: Some("/usr/bin/docker".into()),
            addr: Some("[2001:db8::5]:41234".into()),
            cert: Some(ClientCert {
                subject: "CN=ci,O=ops".into(),
                common_name: Some("ci".into()),
                sans: vec!["ci.example".into()],
            }),
            container: Some(Container {
                id: "3f2a1b9c0d4e".into(),
                name: "/traefik".into(),
                labels: [("com.docker.compose.service".into(), "proxy".into())].into(),
            }),
        },
        endpoint: "ContainerCreate".into(),
        section: Some("containers".into()),
        action: "docker create --privileged busybox".into(),
        method: "POST".into(),
        path: "/v1.41/containers/create?name=web".into(),
        api_version: Some("1.41".into()),
        params: [("name".into(), "web".into())].into(),
        decision: Some("deny".into()),
        rule: Some("no-escape".into()),
        reason: Some("privileged".into()),
        redacted: vec!["env".into()],
        status: Some(403),
        answered_by: "sockeye".into(),
        bytes_in: 1744,
        bytes_out: 12,
        duration_ms: 0.933,
        hijacked: false,
        incomplete: true,
        fault: Some("denied".into()),
        error: Some("denied by rule no-escape".into()),
        facts: serde_json::from_str(r#"{"privileged":true,"escalations":["privileged"]}"#).unwrap(),
        unrecorded: 7,
        policy_revision: Some("r42".into()),
    }
}

fn round_trip(r: &Record) -> (Value, Record) {
    let doc = to_ecs(&serde_json::to_value(r).unwrap());
    let Read::Record(back) = from_ecs(&doc) else {
        panic!("not read back as a record: {doc:#}");
    };
    (doc, serde_json::from_value(back).unwrap())
}

#[test]
fn every_field_is_mapped_and_read_back() {
    for transport in ["unix", "tcp", "tls"] {
        let r = full(transport);
        let (doc, back) = round_trip(&r);
        assert_eq!(back, r, "{transport}: {doc:#}");
        // Nothing fell through to `docker.<field>` for want of a mapping: `docker` holds
        // only what the table names.
        let mut custom: Vec<&String> = doc["docker"].as_object().unwrap().keys().collect();
        custom.sort();
        assert_eq!(
            custom,
            [
                "answered_by",
                "api",
                "connection",
                "decision",
                "endpoint",
                "facts",
                "hijacked",
                "incomplete",
                "param",
                "record",
                "redacted",
                "request",
                "time_unix",
                "unrecorded"
            ],
            "{doc:#}"
        );
    }
}

#[test]
fn the_document_has_the_ecs_fields_people_search_for() {
    let (doc, _) = round_trip(&full("tls"));
    let at = |p: &str| get(&doc, p).cloned().unwrap_or(Value::Null);
    assert_eq!(at("@timestamp"), json!("2026-11-22T23:19:27.983Z"));
    assert_eq!(at("ecs.version"), json!(ECS_VERSION));
    assert_eq!(at("event.kind"), json!("event"));
    assert_eq!(at("event.category"), json!(["api"]));
    assert_eq!(at("event.type"), json!(["access", "denied"]));
    assert_eq!(at("event.outcome"), json!("failure"));
    assert_eq!(at("event.duration"), json!(933_000));
    assert_eq!(at("event.action"), json!("ContainerCreate"));
    assert_eq!(at("http.request.method"), json!("POST"));
    assert_eq!(at("url.path"), json!("/v1.41/containers/create"));
    assert_eq!(at("url.query"), json!("name=web"));
    assert_eq!(at("http.response.status_code"), json!(403));
    assert_eq!(at("client.ip"), json!("2001:db8::5"));
    assert_eq!(at("client.port"), json!(41234));
    assert_eq!(at("network.transport"), json!("tcp"));
    assert_eq!(at("tls.established"), json!(true));
    assert_eq!(at("tls.client.subject"), json!("CN=ci,O=ops"));
    assert_eq!(at("user.id"), json!("1000"));
    assert_eq!(at("group.id"), json!("999"));
    assert_eq!(at("process.pid"), json!(4242));
    assert_eq!(at("container.name"), json!("/traefik"));
    assert_eq!(at("host.name"), json!("web1"));
    assert_eq!(at("rule.name"), json!("no-escape"));
    assert_eq!(at("error.type"), json!("denied"));
    assert_eq!(at("message"), json!("docker create --privileged busybox"));
}

#[test]
fn an_allowed_call_succeeds_and_nulls_are_left_out() {
    let mut r = full("unix");
    (r.decision, r.rule, r.reason, r.fault, r.error) =
        (Some("allow".into()), None, None, None, None);
    r.status = Some(200);
    r.section = None;
    let (doc, back) = round_trip(&r);
    assert_eq!(back, r);
    assert_eq!(doc["event"]["type"], json!(["access", "allowed"]));
    assert_eq!(doc["event"]["outcome"], json!("success"));
    assert!(doc.get("error").is_none(), "{doc:#}");
    assert!(doc["docker"]["endpoint"].get("section").is_none());
}

#[test]
fn a_field_the_mapping_does_not_know_arrives_under_docker() {
    let mut v = serde_json::to_value(full("unix")).unwrap();
    v["bundle_revision"] = json!("r42");
    let doc = to_ecs(&v);
    assert_eq!(doc["docker"]["bundle_revision"], json!("r42"));
}

#[test]
fn events_of_sockeyes_own_are_told_from_calls() {
    let event = json!({"v":1,"time":"2026-12-07T09:45:15.705Z","time_unix":1796636715.705,
        "event":"reload","what":"policy","ok":false,"error":"bad rule"});
    let doc = event_to_ecs(&event, "web1");
    assert_eq!(doc["event"]["action"], json!("reload"));
    assert_eq!(doc["event"]["outcome"], json!("failure"));
    assert_eq!(doc["error"]["message"], json!("bad rule"));
    assert_eq!(doc["docker"]["what"], json!("policy"));
    assert_eq!(from_ecs(&doc), Read::Event);
    assert_eq!(from_ecs(&json!({"message":"hello"})), Read::Foreign);
}

/// The leaf paths of a record's JSON, maps (labels, params, facts) as `name.K`.
fn paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in v.as_object().unwrap() {
        let p = format!("{prefix}{k}");
        match (k.as_str(), v) {
            ("labels" | "params" | "facts", _) => out.push(format!("{p}.K")),
            (_, Value::Object(_)) => paths(v, &format!("{p}."), out),
            _ => out.push(p),
        }
    }
}

#[test]
fn the_docs_table_names_every_record_field() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit-log.md")).unwrap();
    let table = docs
        .split("## Field names")
        .nth(1)
        .expect("docs/audit-log.md has a section \"Field names\"");
    let mut all = Vec::new();
    paths(&serde_json::to_value(full("tls")).unwrap(), "", &mut all);
    let missing: Vec<&String> = all
        .iter()
        .filter(|p| !table.contains(&format!("| `{p}` |")))
        .collect();
    assert!(missing.is_empty(), "not in the table: {missing:?}");
    for (_, ecs) in SIMPLE.iter().chain(CALLER) {
        assert!(
            table.contains(&format!("`{ecs}")),
            "{ecs} is not in the table"
        );
    }
}
