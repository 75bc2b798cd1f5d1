use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::caller::Peer;
use crate::event::{sample_call, Fault, Verdict};

fn call(method: &str, path: &str, status: Option<u16>) -> Call {
    let peer = Peer::Tcp {
        addr: "127.0.0.1:1".parse().unwrap(),
    };
    sample_call(peer, method, path, status)
}

fn verdict(decision: Decision) -> Option<Verdict> {
    Some(Verdict {
        decision,
        rule: "r".into(),
        reason: None,
        redacted: Vec::new(),
        policy_revision: None,
        trace: Vec::new(),
    })
}

/// The value of one sample line, `name{labels}` as sockeye writes it.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

#[test]
fn every_call_is_counted_by_endpoint_decision_and_status() {
    let m = Metrics::new(Scraped::default());
    for _ in 0..3 {
        m.call(&call("GET", "/_ping", Some(200)));
    }
    let mut denied = call("POST", "/v1.41/containers/create", Some(403));
    denied.answered_by = AnsweredBy::Sockeye;
    denied.verdict = verdict(Decision::Deny);
    m.call(&denied);
    let mut would = call("POST", "/v1.41/containers/create", Some(201));
    would.verdict = verdict(Decision::WouldDeny);
    m.call(&would);
    let mut allowed = call("GET", "/v1.41/containers/json", Some(200));
    allowed.verdict = verdict(Decision::Allow);
    allowed.bytes_out = 1234;
    m.call(&allowed);
    // Refused before the policy could decide: a client error sockeye answered itself.
    let mut refused = call("POST", "/v1.41/containers/create", Some(400));
    refused.answered_by = AnsweredBy::Sockeye;
    refused.fault = Some(Fault::Unreadable);
    refused.bytes_in = 10;
    m.call(&refused);
    // Not a refusal: the daemon is down.
    let mut down = call("GET", "/v1.41/info", Some(502));
    down.answered_by = AnsweredBy::Sockeye;
    down.fault = Some(Fault::UpstreamUnreachable);
    m.call(&down);
    m.call(&call("GET", "/no/such/thing", Some(404)));

    let text = m.encode();
    let calls = |endpoint: &str, decision: &str, status: u16| {
        sample(
            &text,
            &format!(
                "sockeye_calls_total{{endpoint=\"{endpoint}\",decision=\"{decision}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(calls("SystemPing", "none", 200), Some(3.0), "{text}");
    assert_eq!(calls("ContainerCreate", "deny", 403), Some(1.0));
    assert_eq!(calls("ContainerCreate", "would_deny", 201), Some(1.0));
    assert_eq!(calls("ContainerCreate", "refused", 400), Some(1.0));
    assert_eq!(calls("ContainerList", "allow", 200), Some(1.0));
    assert_eq!(calls("SystemInfo", "none", 502), Some(1.0));
    assert_eq!(calls("Unknown", "none", 404), Some(1.0));
    assert_eq!(sample(&text, "sockeye_upstream_errors_total"), Some(1.0));
    assert_eq!(
        sample(
            &text,
            "sockeye_response_bytes_total{endpoint=\"ContainerList\"}"
        ),
        Some(1234.0)
    );
    assert_eq!(
        sample(
            &text,
            "sockeye_request_bytes_total{endpoint=\"ContainerCreate\"}"
        ),
        Some(10.0)
    );
    // 700 µs lands in the 1 ms bucket and every one above it, not in 0.5 ms.
    let bucket = |le: &str| {
        sample(
            &text,
            &format!("sockeye_call_duration_seconds_bucket{{le=\"{le}\",endpoint=\"SystemPing\"}}"),
        )
    };
    assert_eq!(bucket("0.0005"), Some(0.0));
    assert_eq!(bucket("0.001"), Some(3.0));
    assert_eq!(bucket("+Inf"), Some(3.0));
    assert_eq!(
        sample(
            &text,
            "sockeye_call_duration_seconds_count{endpoint=\"SystemPing\"}"
        ),
        Some(3.0)
    );
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn hijacked_sessions_have_their_own_durations_and_gauge() {
    let m = Metrics::new(Scraped::default());
    m.session(true);
    m.session(true);
    m.session(false);
    let mut session = call("POST", "/v1.41/exec/abc/start", Some(101));
    session.hijacked = true;
    session.duration = Duration::from_secs(42);
    session.bytes_in = 5;
    session.bytes_out = 7;
    m.call(&session);
    let text = m.encode();
    assert_eq!(sample(&text, "sockeye_sessions_open"), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "sockeye_session_duration_seconds_count{endpoint=\"ExecStart\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "sockeye_session_duration_seconds_bucket{le=\"60.0\",endpoint=\"ExecStart\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "sockeye_call_duration_seconds_count{endpoint=\"ExecStart\"}"
        ),
        None,
        "a session is not a call latency"
    );
    assert_eq!(
        sample(
            &text,
            "sockeye_calls_total{endpoint=\"ExecStart\",decision=\"none\",status=\"101\"}"
        ),
        Some(1.0)
    );
}

#[test]
fn connections_open_and_total_and_scrape_time_values() {
    let dropped = Arc::new(AtomicU64::new(0));
    let m = Metrics::new(Scraped {
        view_dropped: Some(dropped.clone()),
        audit: None,
        ship: Vec::new(),
    });
    m.connection(true);
    m.connection(true);
    m.connection(false);
    m.connection(true);
    dropped.store(17, std::sync::atomic::Ordering::Relaxed);
    let text = m.encode();
    assert_eq!(
        sample(&text, "sockeye_connections_open"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(sample(&text, "sockeye_connections_total"), Some(3.0));
    assert_eq!(
        sample(&text, "sockeye_view_dropped_events_total"),
        Some(17.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "sockeye_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )
        ),
        Some(1.0)
    );
    // No audit log, no audit metrics.
    assert!(!text.contains("sockeye_audit"), "{text}");
}

#[test]
fn the_audit_log_state_is_read_when_scraped() {
    let dir = tempfile::tempdir().unwrap();
    let audit = Arc::new(
        AuditLog::open(crate::remember::audit::AuditOptions {
            path: Some(dir.path().join("audit.log")),
            fsync: false,
            fail_open: false,
            max_size: None,
            keep: 1,
            format: Default::default(),
        })
        .unwrap(),
    );
    let m = Metrics::new(Scraped {
        view_dropped: None,
        audit: Some(audit),
        ship: Vec::new(),
    });
    let text = m.encode();
    assert_eq!(sample(&text, "sockeye_audit_writable"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "sockeye_audit_lost_records_total"), Some(0.0));
}

#[test]
fn every_family_is_described_once_and_every_sample_belongs_to_one() {
    let m = Metrics::new(Scraped {
        view_dropped: Some(Arc::default()),
        audit: None,
        ship: Vec::new(),
    });
    m.call(&call("GET", "/_ping", Some(200)));
    let text = m.encode();
    let mut families = std::collections::HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                families
                    .insert(name.to_string(), kind.to_string())
                    .is_none(),
                "{name} twice"
            );
        }
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        let owner = families.iter().find(|(family, kind)| {
            let suffixes: &[&str] = match kind.as_str() {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            suffixes.iter().any(|s| name == format!("{family}{s}"))
        });
        assert!(owner.is_some(), "{line:?} belongs to no family in\n{text}");
    }
}

#[tokio::test]
async fn an_unwritable_audit_log_is_unhealthy_and_shows_in_the_gauge() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let audit = Arc::new(
        AuditLog::open(crate::remember::audit::AuditOptions {
            path: Some(path.clone()),
            fsync: false,
            fail_open: false,
            max_size: None,
            keep: 1,
            format: Default::default(),
        })
        .unwrap(),
    );
    // A directory takes the file's name: the next record cannot be written.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    audit.request_reopen();
    audit.call(&call("GET", "/_ping", Some(200)));

    let m = Metrics::new(Scraped {
        view_dropped: None,
        audit: Some(audit.clone()),
        ship: Vec::new(),
    });
    assert_eq!(sample(&m.encode(), "sockeye_audit_writable"), Some(0.0));
    let health = crate::relay::health::Health {
        upstream: crate::config::UpstreamAddr::Unix(dir.path().join("no-daemon.sock")),
        upstream_tls: None,
        audit: Some(audit),
        ship: Vec::new(),
    };
    let failing = health.check().await.unwrap_err();
    assert_eq!(failing.len(), 2, "{failing:?}");
    assert!(failing[0].starts_with("daemon: "), "{failing:?}");
    assert!(
        failing[1].starts_with("audit: the audit log") && failing[1].contains("cannot be written"),
        "{failing:?}"
    );
}

#[test]
fn metrics_takes_an_ip_and_a_port_and_health_exactly_one_target() {
    use crate::cmd::args::{Cli, Command};
    use clap::Parser;
    let proxy = |extra: &[&str]| {
        let mut argv = vec!["sockeye", "proxy"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).map(|cli| match cli.command {
            Command::Proxy(a) => a.build(None).unwrap().metrics,
            _ => unreachable!(),
        })
    };
    assert_eq!(proxy(&[]).unwrap(), None);
    assert_eq!(
        proxy(&["--metrics", "127.0.0.1:9100"]).unwrap(),
        Some("127.0.0.1:9100".parse().unwrap())
    );
    assert!(proxy(&["--metrics", "9100"]).is_err());
    let health = |extra: &[&str]| {
        let mut argv = vec!["sockeye", "health"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv)
    };
    assert!(health(&["--metrics", "127.0.0.1:9100", "--timeout", "2"]).is_ok());
    assert!(health(&["--listen", "unix:///run/sockeye.sock"]).is_ok());
    assert!(health(&[]).is_err());
    assert!(health(&["--metrics", "127.0.0.1:9100", "--listen", "unix:///x"]).is_err());
}
