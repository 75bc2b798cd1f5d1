use clap::Parser;

use super::*;
use crate::cmd::args::{Cli, Command};

fn args(argv: &[&str]) -> ProxyArgs {
    let mut full = vec!["sockeye", "proxy"];
    full.extend_from_slice(argv);
    match Cli::try_parse_from(full).unwrap().command {
        Command::Proxy(a) => *a,
        _ => unreachable!(),
    }
}

#[test]
fn defaults_listen_on_a_local_socket_and_follow_docker_host() {
    let cfg = args(&[]).build(Some("unix:///run/dk.sock")).unwrap();
    assert_eq!(cfg.listen.len(), 1);
    assert_eq!(
        cfg.listen[0].addr,
        ListenAddr::Unix("./sockeye.sock".into())
    );
    assert_eq!(cfg.upstream, UpstreamAddr::Unix("/run/dk.sock".into()));
    assert_eq!(cfg.perms.mode, 0o660);
}

#[test]
fn relaying_a_socket_to_itself_is_refused() {
    let err = args(&["--listen", "unix:///a.sock", "--upstream", "unix:///a.sock"])
        .build(None)
        .unwrap_err();
    assert!(err.contains("relay to itself"), "{err}");
}

#[test]
fn listeners_may_be_several_each_with_its_profile() {
    let cfg = args(&[
        "--listen",
        "unix:///run/s.sock",
        "--listen",
        "tls://0.0.0.0:2376,profile=read-only",
        "--tls-cert",
        "c.pem",
        "--tls-key",
        "k.pem",
        "--tls-client-ca",
        "ca.pem",
    ])
    .build(None)
    .unwrap();
    assert_eq!(cfg.listen.len(), 2);
    assert_eq!(cfg.listen[1].profile.as_deref(), Some("read-only"));
    let tls = cfg.tls.unwrap();
    assert_eq!(tls.client_ca, Some("ca.pem".into()));
}

#[test]
fn tls_files_and_tls_listeners_go_together() {
    let err = args(&["--listen", "tls://127.0.0.1:2376"])
        .build(None)
        .unwrap_err();
    assert!(err.contains("needs --tls-cert"), "{err}");
    let err = args(&["--tls-client-ca", "ca.pem"])
        .build(None)
        .unwrap_err();
    assert!(err.contains("no --listen is tls://"), "{err}");
    // clap itself refuses half a key pair.
    let mut argv = vec!["sockeye", "proxy", "--tls-cert", "c.pem"];
    assert!(Cli::try_parse_from(&argv).is_err());
    argv.extend(["--tls-key", "k.pem"]);
    assert!(Cli::try_parse_from(&argv).is_ok());
}

#[test]
fn exposed_plain_tcp_needs_insecure_tcp() {
    let err = args(&["--listen", "tcp://0.0.0.0:2375"])
        .build(None)
        .unwrap_err();
    assert!(err.contains("--insecure-tcp"), "{err}");
    let cfg = args(&["--listen", "tcp://0.0.0.0:2375", "--insecure-tcp"])
        .build(None)
        .unwrap();
    assert!(cfg.listen[0].addr.is_exposed_plain_tcp());
}

#[test]
fn a_tls_upstream_needs_its_ca_and_nothing_else_takes_one() {
    let err = args(&["--upstream", "tls://10.0.0.2:2376"])
        .build(None)
        .unwrap_err();
    assert!(err.contains("--upstream-tls-ca"), "{err}");
    let cfg = args(&[
        "--upstream",
        "tls://10.0.0.2:2376",
        "--upstream-tls-ca",
        "ca.pem",
        "--upstream-tls-cert",
        "cert.pem",
        "--upstream-tls-key",
        "key.pem",
    ])
    .build(None)
    .unwrap();
    let files = cfg.upstream_tls.unwrap();
    assert_eq!(files.cert, Some(("cert.pem".into(), "key.pem".into())));
    let err = args(&[
        "--upstream",
        "unix:///d.sock",
        "--upstream-tls-ca",
        "ca.pem",
    ])
    .build(None)
    .unwrap_err();
    assert!(err.contains("apply to a tls:// --upstream"), "{err}");
}

#[test]
fn socket_group_may_be_a_name_or_a_gid() {
    let cfg = args(&["--socket-group", "docker", "--socket-mode", "0600"])
        .build(None)
        .unwrap();
    assert_eq!(cfg.perms.group, Some(Group::Name("docker".into())));
    assert_eq!(cfg.perms.mode, 0o600);
    let cfg = args(&["--socket-group", "999"]).build(None).unwrap();
    assert_eq!(cfg.perms.group, Some(Group::Id(999)));
}

/// `build` fails with exactly these problems: a line each, starting so.
#[track_caller]
fn assert_problems(argv: &[&str], starts: &[&str]) {
    let err = args(argv).build(None).unwrap_err();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), starts.len(), "{lines:#?}");
    for (line, start) in lines.iter().zip(starts) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
}

#[test]
fn a_bad_listen_and_a_bad_upstream_are_both_reported() {
    assert_problems(
        &["--listen", "bogus://", "--upstream", "nope://"],
        &[
            "--listen \"bogus://\": expected",
            "--upstream \"nope://\": expected",
        ],
    );
}

#[test]
fn every_independent_problem_gets_a_line_of_its_own() {
    assert_problems(
        &[
            "--listen",
            "unix:///ok.sock",
            "--listen",
            "tcp://0.0.0.0:2375",
            "--listen",
            "unix:///p.sock,profile=nope",
            "--upstream",
            "tls://10.0.0.2:2376",
            "--profile",
            "nope",
            "--policy-rego",
            "/nonexistent/sockeye-test/p.rego",
            "--audit",
            "-",
            "--format",
            "json",
        ],
        &[
            "--listen \"tcp://0.0.0.0:2375\": plain TCP is only allowed on a loopback address",
            "--listen unix:///p.sock,profile=nope: unknown profile \"nope\"",
            "--upstream tls://10.0.0.2:2376: a tls:// upstream needs --upstream-tls-ca",
            "--profile: unknown profile \"nope\"",
            "cannot read /nonexistent/sockeye-test/p.rego",
            "--audit - and --format json would both write to standard output",
        ],
    );
}

#[test]
fn a_problem_that_follows_from_another_is_not_reported_too() {
    // The listener that failed may have been meant as tls://: its files are not "for no
    // tls:// listener".
    let tls_files = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
    let argv = [&["--listen", "tls//127.0.0.1:2376"][..], &tls_files].concat();
    assert_problems(&argv, &["--listen \"tls//"]);
    // Likewise the upstream and its CA.
    let argv = [
        "--upstream",
        "tls:/10.0.0.2:2376",
        "--upstream-tls-ca",
        "ca.pem",
    ];
    assert_problems(&argv, &["--upstream \"tls:/"]);
    // A policy that cannot be read was still given: --mode audit has one to report with.
    let argv = [
        "--mode",
        "audit",
        "--policy",
        "/nonexistent/sockeye-test/p.toml",
    ];
    assert_problems(&argv, &["cannot read the policy"]);
}

#[test]
fn a_listener_profile_is_checked_with_the_rest() {
    assert_problems(
        &[
            "--listen",
            "unix:///p.sock,profile=nope",
            "--profile",
            "nope",
        ],
        &[
            "--listen unix:///p.sock,profile=nope: unknown profile",
            "--profile: unknown profile",
        ],
    );
    let cfg = args(&["--listen", "unix:///p.sock,profile=read-only"])
        .build(None)
        .unwrap();
    assert_eq!(cfg.listen[0].profile.as_deref(), Some("read-only"));
}

#[test]
fn a_policy_file_keeps_its_line_per_problem_among_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(&file, "version = 1\ndefualt = \"deny\"\nbase = \"nope\"\n").unwrap();
    let path = file.to_str().unwrap();
    assert_problems(
        &[
            "--listen",
            "unix:///a.sock",
            "--listen",
            "bogus://",
            "--upstream",
            "unix:///a.sock",
            "--policy",
            path,
        ],
        &[
            "--listen \"bogus://\"",
            "--listen unix:///a.sock and --upstream are the same address: sockeye would relay to itself",
            &format!("{path}: defualt: unknown key"),
            &format!("{path}: base: unknown profile \"nope\""),
        ],
    );
}

fn trace(argv: &[&str]) -> TraceArgs {
    let mut full = vec!["sockeye", "trace"];
    full.extend_from_slice(argv);
    match Cli::try_parse_from(full).unwrap().command {
        Command::Trace(a) => *a,
        _ => unreachable!(),
    }
}

#[test]
fn everything_after_the_double_dash_is_the_command_even_its_flags() {
    let t = trace(&["-v", "--", "docker", "run", "--rm", "-v", "/a:/b", "img"]);
    assert!(t.view.verbose);
    assert_eq!(t.command, ["docker", "run", "--rm", "-v", "/a:/b", "img"]);
}

#[test]
fn exports_name_a_kind_and_a_file_and_may_be_repeated() {
    let t = trace(&[
        "--export", "curl", "c.sh", "--export", "har", "t.har", "--", "docker", "ps",
    ]);
    assert_eq!(
        t.exports().unwrap(),
        [Export::Curl("c.sh".into()), Export::Har("t.har".into())]
    );
    let t = trace(&["--export", "pdf", "x", "--", "docker", "ps"]);
    assert!(t.exports().unwrap_err().contains("curl FILE"));
}

/// `proxy --output FILE`: the view's records go to FILE (JSON or text, no colour), so
/// `--audit -` may have stdout; a FILE that cannot be created is a problem like any other.
#[test]
fn the_view_may_write_to_a_file_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.jsonl");
    let file = file.to_str().unwrap();
    let cfg = args(&["--format", "json", "--output", file, "--audit", "-"])
        .build(None)
        .unwrap();
    let view = cfg.view.expect("a view");
    assert!(matches!(view.output, Output::File(_)), "{view:?}");
    assert!(!view.style.color);
    assert!(std::path::Path::new(file).exists());
    let cfg = args(&["--format", "json"]).build(None).unwrap();
    assert!(matches!(cfg.view.unwrap().output, Output::Stdout));
    assert_problems(
        &["--output", "/nonexistent/dir/calls.log"],
        &["--output /nonexistent/dir/calls.log: "],
    );
}

#[test]
fn a_tls_listener_named_by_host_name_says_it_needs_an_ip_address() {
    let err = args(&["--listen", "tls://localhost:2376"])
        .build(None)
        .unwrap_err();
    assert!(
        err.starts_with("--listen \"tls://localhost:2376\": a listener takes tls://IP:PORT"),
        "{err}"
    );
    assert!(!err.contains("tcp://"), "{err}");
    assert!(err.contains("tls://127.0.0.1:PORT"), "{err}");
}

#[test]
fn socket_permissions_without_a_unix_listener_are_refused() {
    assert_problems(
        &["--listen", "tcp://127.0.0.1:2375", "--socket-mode", "0600"],
        &["--socket-mode and --socket-group apply to unix:// listeners, and no --listen is unix:// (tcp://127.0.0.1:2375)"],
    );
    assert_problems(
        &[
            "--listen",
            "tcp://127.0.0.1:2375",
            "--socket-group",
            "docker",
        ],
        &["--socket-mode and --socket-group apply to unix:// listeners"],
    );
    // The default mode applies to the default unix:// listener without being given.
    let cfg = args(&["--listen", "tcp://127.0.0.1:2375"])
        .build(None)
        .unwrap();
    assert_eq!(cfg.perms.mode, 0o660);
    let cfg = args(&[
        "--listen",
        "unix:///a.sock",
        "--listen",
        "tcp://127.0.0.1:2375",
        "--socket-mode",
        "600",
    ])
    .build(None)
    .unwrap();
    assert_eq!(cfg.perms.mode, 0o600);
}

#[test]
fn a_tcp_docker_host_is_the_default_upstream_not_the_standard_socket() {
    let cfg = args(&[]).build(Some("tcp://10.0.0.1:2375")).unwrap();
    assert_eq!(cfg.upstream, UpstreamAddr::Tcp("10.0.0.1:2375".into()));
    assert!(cfg.upstream_tls.is_none());
    let env = DockerEnv::from_vars([
        ("DOCKER_HOST", "tcp://docker.example:2376"),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", "/nonexistent/certs"),
    ]);
    let cfg = args(&[]).build(env).unwrap();
    assert_eq!(
        cfg.upstream,
        UpstreamAddr::Tls("docker.example:2376".into())
    );
    let tls = cfg.upstream_tls.unwrap();
    assert_eq!(tls.ca, PathBuf::from("/nonexistent/certs/ca.pem"));
    // As the docker CLI: no cert.pem/key.pem there, no client certificate.
    assert_eq!(tls.cert, None);
}

#[test]
fn listening_where_docker_host_points_is_refused_as_a_loop() {
    for (listen, host) in [
        ("unix:///run/sockeye.sock", "unix:///run/sockeye.sock"),
        ("tcp://127.0.0.1:2375", "tcp://127.0.0.1:2375"),
        ("tcp://127.0.0.1:2375", "tcp://localhost:2375"),
        ("tcp://0.0.0.0:2375", "tcp://127.0.0.1:2375"),
    ] {
        let err = args(&["--listen", listen, "--insecure-tcp"])
            .build(Some(host))
            .unwrap_err();
        assert_eq!(
            err,
            format!(
                "--listen {listen} and the upstream, DOCKER_HOST={host} (give --upstream with the \
                 daemon's address) are the same address: sockeye would relay to itself"
            )
        );
    }
    // Another port is another daemon.
    args(&["--listen", "tcp://127.0.0.1:2375"])
        .build(Some("tcp://127.0.0.1:2376"))
        .unwrap();
}

#[test]
fn trace_follows_a_tcp_docker_host_and_refuses_a_tls_one_by_name() {
    let t = trace(&["--", "docker", "ps"]);
    assert_eq!(
        t.upstream(Some("tcp://127.0.0.1:2375")).unwrap(),
        UpstreamAddr::Tcp("127.0.0.1:2375".into())
    );
    let env = DockerEnv::from_vars([
        ("DOCKER_HOST", "tcp://d:2376"),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", "/c"),
    ]);
    let err = t.upstream(env).unwrap_err();
    assert!(
        err.starts_with("DOCKER_HOST=tcp://d:2376: sockeye trace takes"),
        "{err}"
    );
}

#[test]
fn an_export_that_cannot_be_written_fails_before_the_command_runs() {
    let t = trace(&[
        "--export",
        "har",
        "/nonexistent/x.har",
        "--",
        "docker",
        "ps",
    ]);
    assert_eq!(
        t.exports().unwrap_err(),
        "--export har /nonexistent/x.har: no directory /nonexistent"
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let t = trace(&["--export", "curl", d, "--", "docker", "ps"]);
    assert!(t.exports().unwrap_err().ends_with(": is a directory"));
    let file = format!("{d}/replay.sh");
    let t = trace(&["--export", "curl", &file, "--", "docker", "ps"]);
    assert_eq!(t.exports().unwrap(), [Export::Curl(file.clone().into())]);
    assert!(
        !std::path::Path::new(&file).exists(),
        "checked, not created"
    );
}

#[test]
fn a_syslog_sink_is_checked_with_its_spool_and_every_problem_said() {
    let cfg = args(&[
        "--audit-syslog",
        "tcp://logs.example",
        "--audit-spool",
        "/var/spool/x",
        "--audit-spool-max",
        "1G",
        "--audit-fail-open",
        "--audit-syslog-facility",
        "local3",
    ])
    .build(Some("unix:///run/dk.sock"))
    .unwrap();
    let syslog = cfg.ship.syslog.as_ref().unwrap();
    assert_eq!(syslog.addr.to_string(), "tcp://logs.example:514");
    assert_eq!((syslog.facility, syslog.app_name.as_str()), (19, "sockeye"));
    assert_eq!(syslog.max_message, 8096);
    assert_eq!(cfg.ship.options.spool, PathBuf::from("/var/spool/x"));
    assert_eq!(cfg.ship.options.max_bytes, 1 << 30);
    assert!(cfg.ship.options.fail_open && cfg.ship.any() && cfg.audit.is_none());

    let err = args(&[
        "--audit-syslog",
        "tls://logs.example",
        "--audit-syslog-app-name",
        "two words",
    ])
    .build(Some("unix:///run/dk.sock"))
    .unwrap_err();
    assert!(
        err.contains("--audit-syslog tls://logs.example:6514 needs --audit-syslog-ca FILE"),
        "{err}"
    );
    assert!(
        err.contains("--audit-syslog-app-name \"two words\""),
        "{err}"
    );

    let err = args(&["--audit-syslog", "udp://h", "--audit-syslog-ca", "/ca.pem"])
        .build(Some("unix:///run/dk.sock"))
        .unwrap_err();
    assert!(err.contains("are for a tls:// receiver"), "{err}");
    let err = args(&["--audit-fail-open"])
        .build(Some("unix:///run/dk.sock"))
        .unwrap_err();
    assert!(
        err.contains("give --audit FILE, --audit-syslog ADDR or --audit-otlp URL"),
        "{err}"
    );
    assert!(Cli::try_parse_from(["sockeye", "proxy", "--audit-spool-max", "1K"]).is_err());
}

#[test]
fn an_otlp_sink_is_checked_and_its_headers_never_repeated() {
    let cfg = args(&[
        "--audit-otlp",
        "http://collector:4318",
        "--audit-otlp-header",
        "Authorization=Bearer s3cret",
        "--audit-otlp-header",
        "X-Scope-OrgID=ops",
    ])
    .build(Some("unix:///run/dk.sock"))
    .unwrap();
    let otlp = cfg.ship.otlp.as_ref().unwrap();
    assert_eq!(otlp.endpoint.url(), "http://collector:4318/v1/logs");
    assert_eq!(otlp.headers.len(), 2);
    assert!(cfg.ship.any());
    assert!(
        !format!("{cfg:?}").contains("s3cret"),
        "Debug shows a token"
    );

    let cfg = args(&[
        "--audit-otlp",
        "https://collector:4317",
        "--audit-otlp-protocol",
        "grpc",
        "--audit-otlp-ca",
        "/ca.pem",
    ])
    .build(Some("unix:///run/dk.sock"))
    .unwrap();
    let otlp = cfg.ship.otlp.as_ref().unwrap();
    assert!(otlp.endpoint.grpc && otlp.endpoint.https);

    let err = args(&[
        "--audit-otlp",
        "http://collector:4318",
        "--audit-otlp-ca",
        "/ca.pem",
        "--audit-otlp-header",
        "Authorization",
    ])
    .build(Some("unix:///run/dk.sock"))
    .unwrap_err();
    assert!(err.contains("are for an https:// receiver"), "{err}");
    assert!(
        err.contains("--audit-otlp-header takes NAME=VALUE"),
        "{err}"
    );

    let err = args(&["--audit-otlp", "ftp://collector"])
        .build(Some("unix:///run/dk.sock"))
        .unwrap_err();
    assert!(err.contains("OTLP/HTTP takes http:// or https://"), "{err}");
    assert!(Cli::try_parse_from(["sockeye", "proxy", "--audit-otlp-ca", "/ca.pem"]).is_err());
}
