//! Every condition against requests it does and does not fit: `decide` (which renders no
//! reasons) must reach the decision `explain` reaches, and `explain` must word each
//! mismatch as it always has.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::*;
use crate::caller::ClientCert;
use crate::docker::endpoint::{Operation, Section};

fn rule(name: &str, action: Action, set: impl FnOnce(&mut Rule)) -> Rule {
    let mut r = Rule {
        name: name.to_owned(),
        action,
        reason: format!("{name} says no"),
        origin: Origin::Policy,
        client: ClientMatch::default(),
        request: RequestMatch::default(),
        body: BTreeMap::new(),
        redact: None,
    };
    set(&mut r);
    r
}

fn globs(list: &[&str]) -> Vec<Glob> {
    list.iter().map(|g| Glob((*g).to_owned())).collect()
}

fn ops(list: &[&str]) -> BodyCond {
    BodyCond::Ops {
        any_of: None,
        not: None,
        subset_of: None,
        within: None,
        empty: None,
    }
    .with(list)
}

trait With {
    fn with(self, list: &[&str]) -> Self;
}

/// `key=glob,glob` pairs set the named test of an `Ops` condition.
impl With for BodyCond {
    fn with(mut self, list: &[&str]) -> Self {
        if let BodyCond::Ops {
            any_of,
            not,
            subset_of,
            within,
            empty,
        } = &mut self
        {
            for item in list {
                let (key, values) = item.split_once('=').unwrap();
                let values: Vec<&str> = values.split(',').collect();
                match key {
                    "any_of" => *any_of = Some(globs(&values)),
                    "not" => *not = Some(globs(&values)),
                    "subset_of" => *subset_of = Some(globs(&values)),
                    "within" => *within = Some(values.iter().map(|v| (*v).to_owned()).collect()),
                    "empty" => *empty = Some(values[0] == "true"),
                    _ => panic!("{key}"),
                }
            }
        }
        self
    }
}

fn rules() -> Vec<Rule> {
    use Action::{Allow, Deny};
    let body = |name: &str, action, fact: &str, cond: BodyCond| {
        rule(name, action, |r| {
            r.body.insert(fact.to_owned(), cond);
        })
    };
    vec![
        rule("uid", Allow, |r| r.client.uid = Some(vec![0, 1001])),
        rule("gid", Deny, |r| r.client.gid = Some(vec![0])),
        rule("process", Allow, |r| {
            r.client.process = Some(globs(&["traefik", "x*"]))
        }),
        rule("exe", Allow, |r| {
            r.client.exe = Some(globs(&["/usr/bin/*"]))
        }),
        rule("container-name", Allow, |r| {
            r.client.container_name = Some(globs(&["web-*"]))
        }),
        rule("container-id", Allow, |r| {
            r.client.container_id = Some(globs(&["abc*"]))
        }),
        rule("container-label", Allow, |r| {
            r.client
                .container_label
                .insert("role".into(), globs(&["web"]));
        }),
        rule("source", Allow, |r| {
            r.client.source = Some(vec![Cidr::parse("10.0.0.0/8").unwrap()])
        }),
        rule("cert-subject", Allow, |r| {
            r.client.cert_subject = Some(globs(&["alice"]))
        }),
        rule("cert-san", Allow, |r| {
            r.client.cert_san = Some(globs(&["*.example"]))
        }),
        rule("endpoint", Deny, |r| {
            r.request.endpoint = Some(vec![Operation::ContainerCreate])
        }),
        rule("section", Allow, |r| {
            r.request.section = Some(vec![Section::Images, Section::System])
        }),
        rule("method", Allow, |r| {
            r.request.method = Some(vec!["POST".into(), "PUT".into()])
        }),
        rule("object", Allow, |r| {
            r.request.object = Some(globs(&["web-*"]))
        }),
        rule("param", Allow, |r| {
            r.request.param.insert("checkpoint".into(), globs(&["k*"]));
        }),
        rule("query", Deny, |r| {
            r.request
                .query
                .insert("force".into(), globs(&["1", "true"]));
        }),
        rule("query-bool", Allow, |r| {
            r.request.query_bool.insert("force".into(), true);
        }),
        body(
            "equals-bool",
            Allow,
            "privileged",
            BodyCond::Equals(Scalar::Bool(false)),
        ),
        body(
            "equals-int",
            Deny,
            "pids_limit",
            BodyCond::Equals(Scalar::Int(100)),
        ),
        body(
            "equals-str",
            Allow,
            "network_mode",
            BodyCond::Equals(Scalar::Str("bridge".into())),
        ),
        body(
            "any-of",
            Deny,
            "network_mode",
            ops(&["any_of=host,container:*"]),
        ),
        body("not", Allow, "cap_add", ops(&["not=SYS_*,NET_ADMIN"])),
        body("subset-of", Allow, "binds", ops(&["subset_of=/srv/*"])),
        body("within", Allow, "host_paths", ops(&["within=/srv,/data"])),
        body("empty", Allow, "devices", ops(&["empty=true"])),
        body("not-empty", Deny, "sysctls", ops(&["empty=false"])),
        body(
            "escalations",
            Deny,
            "escalations",
            BodyCond::Escalations {
                present: true,
                allowed_host_paths: vec!["/srv".into()],
            },
        ),
        body(
            "no-escalations",
            Allow,
            "escalations",
            BodyCond::Escalations {
                present: false,
                allowed_host_paths: Vec::new(),
            },
        ),
    ]
}

fn tls(cert: Option<ClientCert>) -> Peer {
    Peer::Tls {
        addr: "10.1.2.3:5000".parse::<SocketAddr>().unwrap(),
        cert,
    }
}

fn requests() -> Vec<(&'static str, Req)> {
    const RISKY: &str = r#"{"Image":"alpine","HostConfig":{"Privileged":true,"Binds":["/:/host","/srv/x:/x"],"NetworkMode":"host","CapAdd":["SYS_ADMIN"],"PidsLimit":7,"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda"}],"Sysctls":{"net.ipv4.ip_forward":"1"}}}"#;
    const TAME: &str = r#"{"Image":"alpine","HostConfig":{"NetworkMode":"bridge","PidsLimit":100,"Binds":["/srv/a:/a"]}}"#;
    let in_container = |mut req: Req, labels: &[(&str, &str)]| {
        req.caller.container = Some(ClientContainer {
            id: "def456".into(),
            name: "/db".into(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
        req
    };
    let mut uninspected = Req::new("POST", "/containers/create", RISKY);
    uninspected.facts = None;
    let mut exe = Req::new("GET", "/info", "");
    exe.caller.peer = Peer::Unix {
        uid: 0,
        gid: 0,
        pid: None,
        process: None,
        exe: Some("/bin/sh".into()),
    };
    vec![
        ("list", Req::new("GET", "/v1.41/containers/json", "")),
        (
            "risky",
            Req::new("POST", "/containers/create", RISKY).by(unix(1001, "xterm")),
        ),
        (
            "tame",
            Req::new("POST", "/v1.41/containers/create?force=1", TAME),
        ),
        ("empty-body", Req::new("POST", "/containers/create", "")),
        ("uninspected", uninspected),
        (
            "delete",
            Req::new("DELETE", "/containers/web-1?force=yes", ""),
        ),
        (
            "checkpoint",
            Req::new("DELETE", "/containers/db/checkpoints/cp1", ""),
        ),
        ("nowhere", Req::new("GET", "/v1.41/nothing", "")),
        ("exe", exe),
        (
            "tcp",
            Req::new("GET", "/_ping", "").by(tcp("192.168.1.5:1234")),
        ),
        ("tls-no-cert", Req::new("GET", "/info", "").by(tls(None))),
        (
            "tls-no-cn",
            Req::new("GET", "/info", "").by(tls(Some(ClientCert {
                subject: "O=ops".into(),
                common_name: None,
                sans: vec!["b.example".into(), "10.0.0.1".into()],
            }))),
        ),
        (
            "tls-bob",
            Req::new("GET", "/info", "").by(tls(Some(ClientCert {
                subject: "CN=bob".into(),
                common_name: Some("bob".into()),
                sans: vec!["bob.other".into()],
            }))),
        ),
        (
            "container",
            in_container(Req::new("GET", "/images/json", ""), &[("role", "db")]),
        ),
        (
            "container-unlabelled",
            in_container(Req::new("PUT", "/v1.41/volumes/v", ""), &[]),
        ),
    ]
}

/// Every line `explain` writes for each rule alone in a policy, against each request,
/// sorted and without repeats.
const WORDING: &str = include_str!("mismatches.txt");

#[test]
fn decide_agrees_with_explain_and_reasons_keep_their_wording() {
    let mut lines = Vec::new();
    for rule in rules() {
        let name = rule.name.clone();
        for default in [Action::Allow, Action::Deny] {
            let policy = Policy::from_parts(vec![rule.clone()], default);
            for (label, req) in requests() {
                let e = policy.explain(&req.rf());
                assert_eq!(e.decision, policy.decide(&req.rf()), "{name} on {label}");
                if default == Action::Deny {
                    let text = e.to_string();
                    lines.extend(text.lines().map(|l| l.trim_start().to_owned()));
                }
            }
        }
    }
    lines.sort();
    lines.dedup();
    let want: Vec<&str> = WORDING.lines().collect();
    assert_eq!(lines, want);
}
