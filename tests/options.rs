//! Every option of every subcommand, as a person types it: numbers out of any sensible range
//! (`--head-timeout 1e30`, `--days 4294967295`, `NaN`, `-1`, `u64::MAX`) are one line of error
//! and a non-zero exit, never a panic (exit 101 with a backtrace); and no command line a
//! property test generates from clap's own description of the options panics on its way to a
//! subcommand's real work (`sockeye::cmd::check::check`, in-process).
//!
//! Needs no Docker daemon.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::process::{Command as Process, Output};

use clap::error::ErrorKind;
use clap::CommandFactory;
use proptest::prelude::*;
use sockeye::cmd::args::Cli;
use sockeye::config::DockerEnv;

const SOCKEYE: &str = env!("CARGO_BIN_EXE_sockeye");

/// Every subcommand that runs something (`certs init`, `proxy`, …), as its words.
fn leaves() -> Vec<(Vec<String>, clap::Command)> {
    fn walk(path: Vec<String>, cmd: &clap::Command, out: &mut Vec<(Vec<String>, clap::Command)>) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() {
            out.push((path, cmd.clone()));
            return;
        }
        for s in subs {
            let mut p = path.clone();
            p.push(s.get_name().to_owned());
            walk(p, s, out);
        }
    }
    let mut out = Vec::new();
    walk(Vec::new(), &Cli::command(), &mut out);
    out
}

/// What each subcommand needs besides the option tried, and what goes last (`trace`'s command
/// after `--`). A subcommand missing here fails the tests: say what it needs.
fn base(path: &[String]) -> (Vec<&'static str>, Vec<&'static str>) {
    let (before, after): (&[&str], &[&str]) = match path.join(" ").as_str() {
        "proxy" | "drop-in" | "certs crl" | "certs list" => (&[], &[]),
        "trace" => (&[], &["--", "true"]),
        "audit" => (&["audit.log", "--summary"], &[]),
        "health" => (&["--metrics", "127.0.0.1:9"], &[]),
        "certs init" => (&["tls", "--host", "localhost"], &[]),
        "certs client" => (&["alice"], &[]),
        "certs revoke" => (&["alice"], &[]),
        "policy check" => (&["policy.toml"], &[]),
        "policy explain" => (&["--profile", "full", "--request", "GET /_ping"], &[]),
        "policy learn" => (&["audit.log"], &[]),
        "ui" => (&["audit.log"], &[]),
        other => panic!("tests/options.rs: say what `sockeye {other}` needs in `base`"),
    };
    (before.to_vec(), after.to_vec())
}

/// Options an option requires (clap's `requires`).
fn requirements(long: &str) -> &'static [&'static str] {
    match long {
        "audit-max-size" | "audit-fsync" | "audit-fail-open" => &["--audit", "audit.log"],
        "audit-keep" => &["--audit", "audit.log", "--audit-max-size", "1048576"],
        "ui-keep" | "ui-keep-bytes" | "ui-insecure" => &["--ui", "127.0.0.1:0"],
        "audit-syslog-max-message" | "audit-syslog-facility" | "audit-syslog-app-name" => {
            &["--audit-syslog", "tcp://127.0.0.1:1"]
        }
        _ => &[],
    }
}

fn argv(path: &[String], option: &[&str]) -> Vec<OsString> {
    let (before, after) = base(path);
    let long = option.first().map_or("", |o| o.trim_start_matches("--"));
    std::iter::once("sockeye")
        .chain(path.iter().map(String::as_str))
        .chain(before)
        .chain(requirements(long).iter().copied())
        .chain(option.iter().copied())
        .chain(after)
        .map(OsString::from)
        .collect()
}

/// Every option that takes a number: a number parses and `abc` does not.
fn numeric_options() -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    for (path, cmd) in leaves() {
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if !arg.get_action().takes_values() {
                continue;
            }
            let flag = format!("--{long}");
            let number = ["10", "2048", "1048576"]
                .iter()
                .any(|n| sockeye::cmd::try_parse(argv(&path, &[&flag, n])).is_ok());
            let abc = sockeye::cmd::try_parse(argv(&path, &[&flag, "abc"]));
            if number && abc.is_err() {
                found.push((path.clone(), flag));
            }
        }
    }
    found
}

/// Numbers no option accepts.
const REFUSED: &[&str] = &[
    "-1",
    "-0.5",
    "1e30",
    "NaN",
    "inf",
    "-inf",
    "18446744073709551615",
    "18446744073709551616",
];
/// Numbers an option may accept or refuse: whatever it does, it does not panic.
const EDGES: &[&str] = &["0", "1e-30", "0.0001", "4294967295", "4294967296", "65535"];

fn run(args: &[OsString]) -> Output {
    Process::new(SOCKEYE)
        .args(&args[1..])
        .env_remove("DOCKER_HOST")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run sockeye")
}

/// The one line of error (`error: …` from the parser, `sockeye: …` after it), asserting there
/// is exactly one and no panic.
#[track_caller]
fn one_error_line(out: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    assert_ne!(code, Some(101), "{what}: panicked:\n{err}");
    assert!(!err.contains("panicked"), "{what}:\n{err}");
    assert_ne!(code, Some(0), "{what}: accepted:\n{err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("error:") || l.starts_with("sockeye:"))
        .collect();
    assert_eq!(lines.len(), 1, "{what}: one line of error:\n{err}");
    lines[0].to_owned()
}

#[test]
fn clap_accepts_its_own_description_of_the_command_line() {
    Cli::command().debug_assert();
}

#[test]
fn extreme_numbers_are_one_line_of_error_for_every_numeric_option() {
    let numeric = numeric_options();
    let names: BTreeSet<String> = numeric
        .iter()
        .map(|(p, f)| format!("{} {f}", p.join(" ")))
        .collect();
    // The ones the report found panicking, so that discovery cannot quietly find nothing.
    for must in [
        "certs init --days",
        "certs client --days",
        "certs client --hours",
        "proxy --head-timeout",
        "proxy --drain-timeout",
        "proxy --max-body",
        "proxy --audit-max-size",
        "proxy --audit-keep",
        "proxy --audit-syslog-max-message",
        "proxy --audit-spool-max",
        "trace --body-limit",
        "health --timeout",
        "audit --top",
    ] {
        assert!(names.contains(must), "{must} not found among {names:#?}");
    }
    for (path, flag) in &numeric {
        for value in REFUSED {
            let args = argv(path, &[flag, value]);
            let what = format!("sockeye {} {flag} {value}", path.join(" "));
            let line = one_error_line(&run(&args), &what);
            assert!(line.contains(flag.as_str()), "{what}: {line}");
        }
        for value in EDGES {
            let args = argv(path, &[flag, value]);
            if let Ok(cli) = sockeye::cmd::try_parse(args) {
                let _ = sockeye::cmd::check::check(cli.command, DockerEnv::default(), &[]);
            }
        }
    }
}

#[test]
fn the_numbers_of_the_report_no_longer_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (args, says) in [
        (
            vec![
                "certs",
                "init",
                "D",
                "--host",
                "localhost",
                "--days",
                "4000000",
            ],
            "from 1 to 3650 days (the CA's own ten years)",
        ),
        (
            vec![
                "certs",
                "client",
                "x",
                "--dir",
                "tls",
                "--days",
                "4294967295",
            ],
            "from 1 to 3650 days",
        ),
        (
            vec!["proxy", "--head-timeout", "1e30"],
            "from 0.001 to 31536000 seconds",
        ),
        (
            vec!["proxy", "--drain-timeout", "18446744073709551615"],
            "from 0.001 to 31536000 seconds",
        ),
        (
            vec!["health", "--metrics", "127.0.0.1:9", "--timeout", "1e30"],
            "from 0.001 to 31536000 seconds",
        ),
    ] {
        let out = Process::new(SOCKEYE)
            .args(&args)
            .current_dir(d)
            .output()
            .unwrap();
        let line = one_error_line(&out, &args.join(" "));
        assert!(line.contains(says), "{args:?}: {line}");
    }
    assert!(
        std::fs::read_dir(d).unwrap().next().is_none(),
        "nothing written"
    );
}

/// A value for any option: numbers at the edges, the option's own possible values, addresses,
/// paths and arbitrary text.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            [REFUSED, EDGES, &["10", "1", "0660", "999", "0o777", "1.5"]].concat()
        )
        .prop_map(str::to_owned),
        prop::sample::select(vec![
            "unix:///nonexistent/sockeye.sock",
            "unix://",
            "tcp://127.0.0.1:2375",
            "tcp://localhost:2375",
            "tcp://0.0.0.0:65536",
            "tls://[::]:2376",
            "tls://localhost:2376,profile=read-only",
            "tcp://127.0.0.1:1,profile=",
            "127.0.0.1:9100",
            "[::1]:0",
            "curl",
            "har",
            "/nonexistent/x.har",
            "read-only",
            "no-escape",
            "full",
            "audit",
            "enforce",
            "json",
            "text",
            "uid=0,exe=/usr/bin/docker",
            "container=web-*",
            "denied",
            "2h",
            "2026-11-22T23:19:27Z",
            "GET /_ping",
            "POST /v1.41/containers/create",
            "@/nonexistent/body.json",
            "{\"Image\":\"x\"}",
            "image=sockeye-test/*",
            "bad host!",
            "*.example",
            "a@b",
            "",
            "-",
            "--",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,16}",
    ]
}

fn docker_env() -> impl Strategy<Value = DockerEnv> {
    let host = prop::option::of(prop::sample::select(vec![
        "unix:///nonexistent/docker.sock",
        "tcp://127.0.0.1:2375",
        "tcp://docker.example",
        "tcp://[::1]",
        "ssh://me@host",
        "npipe:////./pipe/docker_engine",
        "tcp://:",
        "",
    ]));
    (host, any::<bool>(), any::<bool>()).prop_map(|(host, verify, tls)| {
        let mut vars = vec![("DOCKER_CERT_PATH", "/nonexistent/certs")];
        if let Some(h) = host {
            vars.push(("DOCKER_HOST", h));
        }
        if verify {
            vars.push(("DOCKER_TLS_VERIFY", "1"));
        }
        if tls {
            vars.push(("DOCKER_TLS", "1"));
        }
        DockerEnv::from_vars(vars)
    })
}

/// A command line for one subcommand: some of its options (long or short, with generated
/// values), generated positionals, and what it needs.
fn command_line() -> impl Strategy<Value = Vec<OsString>> {
    let leaves = leaves();
    (0..leaves.len()).prop_flat_map(move |i| {
        let (path, cmd) = leaves[i].clone();
        let options: Vec<(String, bool)> = cmd
            .get_arguments()
            .filter_map(|a| {
                let takes = a.get_action().takes_values();
                a.get_long()
                    .map(|l| format!("--{l}"))
                    .or_else(|| a.get_short().map(|s| format!("-{s}")))
                    .map(|f| (f, takes))
                    .or_else(|| a.is_positional().then(|| (String::new(), true)))
            })
            .collect();
        let token = prop::sample::select(options).prop_flat_map(|(flag, takes)| {
            let v = if takes {
                value().boxed()
            } else {
                Just(String::new()).boxed()
            };
            (Just(flag), Just(takes), v)
        });
        let path = path.clone();
        (prop::collection::vec(token, 0..6), any::<bool>()).prop_map(move |(tokens, with_base)| {
            let mut argv: Vec<OsString> = std::iter::once("sockeye".into())
                .chain(path.iter().map(Into::into))
                .collect();
            let (before, after) = base(&path);
            if with_base {
                argv.extend(before.iter().map(Into::into));
            }
            for (flag, takes, v) in tokens {
                if !flag.is_empty() {
                    argv.push(flag.into());
                }
                if takes {
                    argv.push(v.into());
                }
            }
            if with_base {
                argv.extend(after.iter().map(Into::into));
            }
            argv
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    /// Parsed, checked and built as the subcommand's run would: an error or a configuration,
    /// never a panic.
    #[test]
    fn no_generated_command_line_panics(argv in command_line(), env in docker_env()) {
        match sockeye::cmd::try_parse(argv) {
            Ok(cli) => {
                let _ = sockeye::cmd::check::check(cli.command, env, &[]);
            }
            Err(e) => {
                // Rendering the error is part of the path too.
                let _ = e.render().to_string();
                prop_assert!(e.kind() != ErrorKind::DisplayHelp || e.exit_code() == 0);
            }
        }
    }
}

fn sockeye(args: &[&str], dir: &std::path::Path) -> Output {
    Process::new(SOCKEYE)
        .args(args)
        .current_dir(dir)
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap()
}

#[test]
fn mistakes_of_the_report_each_get_the_right_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        (
            &["proxy", "--listen", "tls://localhost:2376"],
            "a listener takes tls://IP:PORT",
        ),
        (
            &["certs", "init", "D", "--host", "bad host!"],
            "--host \"bad host!\" is not a DNS name or an IP address",
        ),
        (&["trace", "docker", "ps"], "unexpected argument 'docker'"),
        (
            &["proxy", "--audit", "a.log", "--audit-max-size", "0"],
            "give from 65536 to",
        ),
        (
            &["proxy", "--audit", "a.log", "--audit-max-size", "100"],
            "give from 65536 to",
        ),
        (
            &[
                "proxy",
                "--listen",
                "tcp://127.0.0.1:0",
                "--socket-mode",
                "0600",
            ],
            "--socket-mode and --socket-group apply to unix:// listeners",
        ),
        (
            &["audit", "a.log", "--summary", "--top", "0"],
            "give from 1 to",
        ),
    ];
    for (args, says) in cases {
        let line = one_error_line(&sockeye(args, d), &args.join(" "));
        assert!(line.contains(says), "{args:?}: {line}");
    }
    // The hint that the command goes after `--`.
    let err = String::from_utf8_lossy(&sockeye(&["trace", "docker", "ps"], d).stderr).into_owned();
    assert!(
        err.contains("tip: the command to trace goes after `--`"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(d).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn an_export_that_cannot_be_written_stops_trace_before_the_command_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let out = sockeye(
        &[
            "trace",
            "--export",
            "har",
            "/nonexistent/x.har",
            "--",
            "touch",
            marker.to_str().unwrap(),
        ],
        dir.path(),
    );
    let line = one_error_line(&out, "trace --export har /nonexistent/x.har");
    assert_eq!(
        line,
        "sockeye: --export har /nonexistent/x.har: no directory /nonexistent"
    );
    assert!(!marker.exists(), "the command ran before the export failed");
}

#[test]
fn policy_check_reads_a_rego_file_as_rego() {
    let dir = tempfile::tempdir().unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/rego/deny-privileged.rego"
    );
    let out = sockeye(&["policy", "check", example], dir.path());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("valid Rego"), "{said}");
    let bad = dir.path().join("bad.rego");
    std::fs::write(&bad, "package docker.authz\n\nallow if {\n").unwrap();
    let out = sockeye(&["policy", "check", bad.to_str().unwrap()], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.rego:"), "{err}");
    assert!(
        !err.contains("TOML") && !err.contains("expected"),
        "read as TOML: {err}"
    );
}

/// `2>log` must read as text: no escape codes off a terminal; and the startup line says what
/// is enforced and warns about an upstream socket that is not there.
#[test]
fn the_log_off_a_terminal_has_no_colour_codes_and_the_startup_line_says_what_it_does() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let socket = dir.path().join("s.sock");
    let mut child = Process::new(SOCKEYE)
        .args([
            "proxy",
            "--listen",
            &format!("unix://{}", socket.display()),
            "--upstream",
            "unix:///nonexistent/docker.sock",
            "--profile",
            "read-only",
            "--mode",
            "audit",
        ])
        .stderr(std::fs::File::create(&log).unwrap())
        .env_remove("NO_COLOR")
        .spawn()
        .unwrap();
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.contains("does not exist") {
            break text;
        }
        assert!(child.try_wait().unwrap().is_none(), "exited:\n{text}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !text.contains('\x1b'),
        "escape codes in a log file:\n{text:?}"
    );
    let start = text.lines().find(|l| l.contains("relaying")).unwrap();
    assert!(start.contains("profile read-only (sha256:"), "{start}");
    assert!(start.contains("mode audit: NOTHING IS ENFORCED"), "{start}");
    assert!(start.contains("audit none"), "{start}");
    assert!(
        text.contains("the upstream socket /nonexistent/docker.sock does not exist"),
        "{text}"
    );
}
