use super::*;
use crate::caller::Wire as Caller;
use crate::docker::time::parse_time;
use crate::guard::policy::Glob;
use crate::remember::audit::Record;

fn session() -> Vec<Record> {
    crate::remember::audit::read::recorded_session()
}

fn matching(f: &Filter) -> Vec<Record> {
    session().into_iter().filter(|r| f.matches(r)).collect()
}

fn caller(spec: &str) -> Filter {
    Filter {
        callers: vec![CallerSpec::parse(spec).unwrap()],
        ..Filter::default()
    }
}

#[test]
fn callers_are_found_by_uid_process_exe_or_any_name() {
    assert_eq!(session().len(), 41);
    assert_eq!(matching(&caller("uid=65534")).len(), 1);
    assert_eq!(matching(&caller("process=curl")).len(), 3);
    assert_eq!(matching(&caller("uid=0,process=curl")).len(), 2);
    assert_eq!(matching(&caller("exe=/usr/local/bin/*")).len(), 38);
    // A bare word: process, exe, container name or address.
    assert_eq!(matching(&caller("docker")).len(), 38);
    assert_eq!(matching(&caller("*/docker")).len(), 38);
    assert_eq!(matching(&caller("container=*")).len(), 0);
    assert_eq!(matching(&caller("transport=tcp")).len(), 0);
    // Several --caller: any of them.
    let f = Filter {
        callers: vec![
            CallerSpec::parse("uid=65534").unwrap(),
            CallerSpec::parse("process=dock?r").unwrap(),
        ],
        ..Filter::default()
    };
    assert_eq!(matching(&f).len(), 39);
}

#[test]
fn caller_specs_reject_what_they_do_not_know() {
    assert!(CallerSpec::parse("user=root")
        .unwrap_err()
        .contains("unknown key \"user\""));
    assert!(CallerSpec::parse("uid=root")
        .unwrap_err()
        .contains("not a number"));
    assert!(CallerSpec::parse("uid=0,")
        .unwrap_err()
        .contains("empty term"));
    assert!(CallerSpec::parse("transport=udp").is_err());
}

#[test]
fn containers_and_tcp_clients_match_by_name_and_by_address_with_or_without_port() {
    let c = Caller {
        transport: "tcp".into(),
        addr: Some("10.0.0.5:41234".into()),
        ..Caller::default()
    };
    for spec in [
        "addr=10.0.0.5",
        "addr=10.0.0.*",
        "addr=10.0.0.5:41234",
        "10.0.0.5",
    ] {
        assert!(CallerSpec::parse(spec).unwrap().matches(&c), "{spec}");
    }
    assert!(!CallerSpec::parse("addr=10.0.0.6").unwrap().matches(&c));
    assert!(!CallerSpec::parse("uid=0").unwrap().matches(&c));
    assert_eq!(
        Client::of(&c),
        Client::Tcp {
            ip: "10.0.0.5".into()
        }
    );
    let v6 = Caller {
        addr: Some("[::1]:80".into()),
        ..c.clone()
    };
    assert_eq!(Client::of(&v6), Client::Tcp { ip: "::1".into() });
    assert!(CallerSpec::parse("addr=::1").unwrap().matches(&v6));

    let tls = Caller {
        transport: "tls".into(),
        addr: Some("10.0.0.9:5000".into()),
        cert: Some(crate::caller::ClientCert {
            subject: "CN=ops-alice,O=ops".into(),
            common_name: Some("ops-alice".into()),
            sans: vec!["alice@example.com".into()],
        }),
        ..Caller::default()
    };
    // The whole subject holds a comma, which separates terms: it needs a glob.
    for spec in [
        "cert=ops-*",
        "cert=CN=ops-alice*",
        "cert=*@example.com",
        "transport=tls",
        "ops-alice",
    ] {
        assert!(CallerSpec::parse(spec).unwrap().matches(&tls), "{spec}");
    }
    assert!(!CallerSpec::parse("cert=dev-*").unwrap().matches(&tls));
    assert!(!CallerSpec::parse("cert=*").unwrap().matches(&c));
    assert_eq!(
        Client::of(&tls),
        Client::Cert {
            cn: "ops-alice".into()
        }
    );
    assert_eq!(caller_label(&tls), "cert=ops-alice");
    let anonymous = Caller {
        cert: None,
        ..tls.clone()
    };
    assert_eq!(
        Client::of(&anonymous),
        Client::Tcp {
            ip: "10.0.0.9".into()
        }
    );
    assert_eq!(caller_label(&anonymous), "tls=10.0.0.9:5000");

    let web = Caller {
        transport: "unix".into(),
        uid: Some(0),
        process: Some("traefik".into()),
        exe: Some("/traefik".into()),
        container: Some(crate::caller::Container {
            id: "abc123".into(),
            name: "web-1".into(),
            labels: Default::default(),
        }),
        ..Caller::default()
    };
    assert!(CallerSpec::parse("container=web-*").unwrap().matches(&web));
    assert!(CallerSpec::parse("container_id=abc*")
        .unwrap()
        .matches(&web));
    assert!(CallerSpec::parse("web-1").unwrap().matches(&web));
    assert!(!CallerSpec::parse("container=db").unwrap().matches(&web));
    // The container wins over the executable: it is the stable name of that client.
    assert_eq!(
        Client::of(&web),
        Client::Container {
            name: "web-1".into()
        }
    );
    assert_eq!(caller_label(&web), "container=web-1");
}

#[test]
fn endpoints_are_globs_and_decisions_include_denied_and_none() {
    let ep = |g: &str| Filter {
        endpoints: vec![Glob(g.into())],
        ..Filter::default()
    };
    assert_eq!(matching(&ep("ContainerCreate")).len(), 3);
    assert_eq!(matching(&ep("SystemPing*")).len(), 14);
    assert_eq!(matching(&ep("Unknown")).len(), 1);
    let dec = |d: &str| Filter {
        decisions: vec![DecisionFilter::parse(d).unwrap()],
        ..Filter::default()
    };
    assert_eq!(matching(&dec("would_deny")).len(), 8);
    assert_eq!(matching(&dec("deny")).len(), 1);
    assert_eq!(matching(&dec("refused")).len(), 1);
    assert_eq!(matching(&dec("denied")).len(), 10);
    assert_eq!(matching(&dec("allow")).len(), 31);
    assert_eq!(matching(&dec("none")).len(), 0);
    assert!(DecisionFilter::parse("maybe").is_err());
    // Conditions combine: denied ContainerCreate calls.
    let f = Filter {
        decisions: vec![DecisionFilter::Denied],
        endpoints: vec![Glob("ContainerCreate".into())],
        ..Filter::default()
    };
    assert_eq!(matching(&f).len(), 3);
}

#[test]
fn time_ranges_are_inclusive_and_take_rfc3339_relative_and_epoch_times() {
    let all = session();
    let (first, last) = (all[0].time_unix, all.last().unwrap().time_unix);
    let window = |since: &str, until: &str| Filter {
        since: Some(parse_time(since, last).unwrap()),
        until: Some(parse_time(until, last).unwrap()),
        ..Filter::default()
    };
    assert_eq!(matching(&window(&all[0].time, &all[40].time)).len(), 41);
    // The enforce session came last.
    let enforce = matching(&window("2026-11-22T23:25:49.7Z", "2026-11-23")).len();
    assert_eq!(enforce, 5);
    assert_eq!(matching(&window("1s", "0s")).len(), 5);
    assert_eq!(matching(&window("1.01s", "1s")).len(), 0);
    // A time copied from the output finds its record.
    assert_eq!(matching(&window(&all[5].time, &all[5].time)).len(), 1);
    assert_eq!(
        matching(&window(
            &first.floor().to_string(),
            "2026-11-22T23:25:43.607Z"
        ))
        .len(),
        2
    );
}

#[test]
fn a_line_shows_time_host_caller_action_decision_and_status() {
    let all = session();
    assert_eq!(
        line(&all[1]),
        "2026-11-22T23:25:43.607Z  -             uid=0 docker      docker version  allow/read-only  200"
    );
    let create = all
        .iter()
        .find(|r| r.decision.as_deref() == Some("deny"))
        .unwrap();
    assert_eq!(
        line(create),
        "2026-11-22T23:25:49.752Z  -             uid=0 docker      docker create --rm sockeye-test/busybox:1 true  \
         deny/read-only-deny  403"
    );
    let refused = all.last().unwrap();
    // Without an endpoint, the request itself says more than the action.
    assert_eq!(
        line(refused),
        "2026-11-22T23:25:49.796Z  -             uid=0 curl        GET /v1.41/containers//json  refused  400"
    );
    assert_eq!(one_line("a\nb\tc"), "a b c");
}

#[test]
fn the_summary_counts_callers_endpoints_denials_and_statuses() {
    let mut s = Summary::default();
    for r in session() {
        s.add(&r);
    }
    assert_eq!(s.records(), 41);
    let text = s.render(3);
    let expected = "\
41 record(s), 2026-11-22T23:25:43.599Z to 2026-11-22T23:25:49.796Z
decisions: allow 31, deny 1, refused 1, would_deny 8
statuses: 1xx 2, 2xx 36, 4xx 2, 5xx 1

hosts (1 of 1):
   calls  denied  host
      41      10  -

top callers (3 of 3):
   calls  denied  caller
      38       9  uid 0 /usr/local/bin/docker
       2       1  uid 0 /usr/bin/curl
       1       0  uid 65534 /usr/bin/curl

top endpoints (3 of 14):
   calls  denied  endpoint
      14       0  SystemPingHead
       5       0  ContainerList
       3       3  ContainerCreate

denials by rule and caller (2 of 2):
   calls  rule            caller
       9  read-only-deny  uid 0 /usr/local/bin/docker
       1  (refused)       uid 0 /usr/bin/curl
";
    assert_eq!(text, expected, "\n{text}");
    let json = s.to_json(2);
    assert_eq!(json["records"], 41);
    assert_eq!(json["decisions"]["would_deny"], 8);
    assert_eq!(json["callers"].as_array().unwrap().len(), 2);
    assert_eq!(json["denials"][0]["rule"], "read-only-deny");
    assert_eq!(json["denials"][0]["calls"], 9);

    let empty = Summary::default().render(10);
    assert_eq!(empty, "0 record(s)\n");
}

#[test]
fn the_summary_counts_per_host_and_names_each_callers_host_once_there_are_several() {
    let mut s = Summary::default();
    for (i, r) in session().into_iter().enumerate() {
        let mut r = r;
        r.host = Some(if i % 2 == 0 { "web1" } else { "web2" }.into());
        s.add(&r);
    }
    let text = s.render(2);
    assert!(
        text.contains("hosts (2 of 2):\n   calls  denied  host\n      21       5  web1\n      20       5  web2\n"),
        "\n{text}"
    );
    assert!(
        text.contains("  uid 0 /usr/local/bin/docker on web1\n"),
        "\n{text}"
    );
    assert!(
        text.contains("  read-only-deny  uid 0 /usr/local/bin/docker on web2\n"),
        "\n{text}"
    );
    let json = s.to_json(5);
    assert_eq!(json["hosts"][0]["host"], "web1");
    assert_eq!(json["hosts"][1]["denied"], 5);
    assert_eq!(json["callers"][0]["host"], "web1");
    assert_eq!(json["callers"][0]["caller"], "uid 0 /usr/local/bin/docker");
    // Filtered by host: `-` is a record that names none.
    let web2 = Filter {
        hosts: vec![Glob("web2".into())],
        ..Filter::default()
    };
    let mut named = session()[0].clone();
    assert!(!web2.matches(&named));
    named.host = Some("web2".into());
    assert!(web2.matches(&named));
    let none = Filter {
        hosts: vec![Glob("-".into())],
        ..Filter::default()
    };
    assert!(none.matches(&session()[0]));
}
