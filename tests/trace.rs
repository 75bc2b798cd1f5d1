//! `sockeye trace` and the views, driven with the real docker CLI against the real daemon.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const IMAGE: &str = "sockeye-test/busybox:1";

fn sockeye() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sockeye"))
}

/// `sockeye trace [flags] -- docker ARGS` against the test daemon.
fn trace(daemon: &Path, flags: &[&str], docker_args: &[&str]) -> Output {
    let mut c = sockeye();
    c.arg("trace")
        .args(flags)
        .arg("--")
        .arg("docker")
        .args(docker_args);
    c.env("DOCKER_HOST", format!("unix://{}", daemon.display()));
    c.env("NO_COLOR", "1");
    c.stdin(Stdio::null());
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Index of the first line containing `needle`, to check order.
fn line_of(haystack: &str, needle: &str) -> usize {
    haystack
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{haystack}"))
}

#[test]
fn trace_of_docker_run_shows_each_call_named_and_leaves_the_output_alone() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let out = trace(&daemon, &[], &["run", "--rm", IMAGE, "echo", "hi"]);
    let err = text(&out.stderr);
    assert_eq!(text(&out.stdout), "hi\n", "{err}");
    assert!(out.status.success(), "{err}");
    // In the order the CLI makes them, each with its CLI action.
    let create = line_of(&err, "POST /v1.41/containers/create");
    let attach = line_of(&err, "/attach?");
    let start = line_of(&err, "/start → 204");
    assert!(
        err.lines().nth(create).unwrap().contains("docker create"),
        "{err}"
    );
    assert!(err.lines().nth(create).unwrap().contains(IMAGE), "{err}");
    assert!(
        err.lines().nth(attach).unwrap().contains("docker attach"),
        "{err}"
    );
    assert!(
        err.lines().nth(start).unwrap().contains("docker start"),
        "{err}"
    );
    assert!(create < start, "{err}");
    // ...and with the endpoint each call is, as dockerd routes it.
    for (line, endpoint) in [
        (create, "[ContainerCreate]"),
        (attach, "[ContainerAttach]"),
        (start, "[ContainerStart]"),
    ] {
        assert!(err.lines().nth(line).unwrap().ends_with(endpoint), "{err}");
    }
    // The summary groups them as the one command a person typed.
    let summary = &err[err.find("sockeye trace:").expect("no summary")..];
    assert!(summary.contains("docker run --rm"), "{summary}");
    assert!(summary.contains("ContainerCreate"), "{summary}");
    assert!(summary.contains("201 Created"), "{summary}");
}

#[test]
fn trace_exits_with_the_commands_exit_status() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let out = trace(
        &daemon,
        &["-q"],
        &["run", "--rm", IMAGE, "sh", "-c", "exit 7"],
    );
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let out = trace(
        &daemon,
        &["-q"],
        &["inspect", "no-such-container-sockeye-trace"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("No such"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_seed_exercise_commands_are_each_named_as_typed() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let name = support::unique("sockeye-seed");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["images"], "docker images".into()),
        (vec!["ps", "-a"], "docker ps -a".into()),
        (
            vec!["run", "-d", "--name", &name, IMAGE, "sleep", "infinity"],
            format!("docker create --name {name}"),
        ),
        (
            vec!["exec", &name, "echo", "hi"],
            format!("docker exec {name} echo hi"),
        ),
        (vec!["logs", &name], format!("docker logs {name}")),
        (vec!["rm", "-f", &name], format!("docker rm -f {name}")),
    ];
    for (args, action) in cases {
        let out = trace(&daemon, &[], &args);
        let err = text(&out.stderr);
        assert!(out.status.success(), "docker {args:?}: {err}");
        assert!(
            err.contains(&action),
            "docker {args:?}: no {action:?} in\n{err}"
        );
    }
}

#[test]
fn exec_it_is_shown_with_its_flags() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let name = support::unique("sockeye-execit");
    let _c = support::Container::run(&daemon, &name, &["sleep", "30"]);
    // The CLI needs a terminal for -it: give it one with `script`.
    let cmd = format!(
        "{} trace -- docker exec -it {name} sh -c 'echo in-tty; exit 0'",
        env!("CARGO_BIN_EXE_sockeye")
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("DOCKER_HOST", format!("unix://{}", daemon.display()))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(all.contains("in-tty"), "{all}");
    assert!(
        all.contains(&format!("docker exec -i -t {name}"))
            || all.contains(&format!("docker exec -it {name}")),
        "{all}"
    );
}

#[test]
fn a_curl_export_of_docker_ps_a_replays_to_the_same_answer() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("replay.sh");
    let har = dir.path().join("trace.har");
    let out = trace(
        &daemon,
        &[
            "-q",
            "--export",
            "curl",
            script.to_str().unwrap(),
            "--export",
            "har",
            har.to_str().unwrap(),
        ],
        &["ps", "-a", "--no-trunc"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sh = std::fs::read_to_string(&script).unwrap();
    assert!(sh.contains("curl --unix-socket"), "{sh}");
    assert!(sh.contains("/v1.41/containers/json?all=1"), "{sh}");
    // The script talks to the traced daemon, not to /var/run/docker.sock, and is a program.
    assert!(
        sh.contains(&format!("\nsock='{}'\n", daemon.display())),
        "{sh}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755, "{mode:o}");
    // Replay against the daemon's socket and compare with asking directly, just before and
    // just after: other tests (and other test runs) share the daemon, so only the containers
    // in both lists must be in the replay.
    let list = || -> Vec<String> {
        let direct = Command::new("curl")
            .args(["-sS", "--unix-socket", &daemon.display().to_string()])
            .arg("http://docker/v1.41/containers/json?all=1")
            .output()
            .unwrap();
        let listed: serde_json::Value = serde_json::from_slice(&direct.stdout).unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["Id"].as_str().unwrap().to_string())
            .collect()
    };
    let before = list();
    let replay = Command::new(&script).output().unwrap();
    assert!(replay.status.success(), "{}", text(&replay.stderr));
    let after = list();
    let replayed = text(&replay.stdout);
    for id in before.iter().filter(|id| after.contains(id)) {
        assert!(replayed.contains(id.as_str()), "replay lacks {id}");
    }
    // The HAR file is HAR 1.2 with one entry per call.
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    assert_eq!(har["log"]["version"], "1.2");
    let entries = har["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{har:#}");
    for e in entries {
        for key in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            assert!(e.get(key).is_some(), "entry lacks {key}: {e:#}");
        }
        assert!(e["request"]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://docker/"));
        assert!(e["response"]["status"].is_u64());
    }
}

/// Fake credentials of the kind that travel over the socket; none may ever be printed.
const SECRETS: &[&str] = &[
    "hunter2-registry-password",
    "SUPER_SECRET_ENV_VALUE",
    "s3cr3t-buildarg-value",
    "exec-env-secret-value",
];

#[test]
fn secrets_sent_through_sockeye_appear_in_no_view_and_no_export() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = support::unique("sockeye-secrets");
    let _c = support::Container::run(&daemon, &name, &["sleep", "30"]);
    // A script that makes the calls: a pull with registry credentials (fails: no registry),
    // a create with a secret env value, a build with a secret build arg, an exec with env.
    let ctx = dir.path().join("ctx");
    std::fs::create_dir(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {IMAGE}\nARG TOKEN\nRUN true\n"),
    )
    .unwrap();
    let docker_config = dir.path().join("docker-config");
    std::fs::create_dir(&docker_config).unwrap();
    // base64("u:hunter2-registry-password")
    std::fs::write(
        docker_config.join("config.json"),
        r#"{"auths":{"localhost:5999":{"auth":"dTpodW50ZXIyLXJlZ2lzdHJ5LXBhc3N3b3Jk"}}}"#,
    )
    .unwrap();
    let script = format!(
        "docker pull localhost:5999/nothing:1 >/dev/null 2>&1; \
         docker create --name {name}-c -e TOKEN=SUPER_SECRET_ENV_VALUE {IMAGE} true >/dev/null; \
         docker inspect {name}-c >/dev/null; \
         docker rm {name}-c >/dev/null; \
         DOCKER_BUILDKIT=0 docker build -q --build-arg TOKEN=s3cr3t-buildarg-value -t {name}-img {ctx} >/dev/null 2>&1; \
         docker rmi {name}-img >/dev/null 2>&1; \
         docker exec -e X=exec-env-secret-value {name} true; true",
        ctx = ctx.display()
    );
    let har = dir.path().join("t.har");
    let curl = dir.path().join("t.sh");
    let views: Vec<Vec<String>> = vec![
        vec![],
        vec!["-v".into()],
        vec!["--raw".into()],
        vec!["--format".into(), "json".into()],
        vec![
            "-v".into(),
            "--export".into(),
            "har".into(),
            har.display().to_string(),
            "--export".into(),
            "curl".into(),
            curl.display().to_string(),
        ],
    ];
    for flags in views {
        let out = sockeye()
            .arg("trace")
            .args(&flags)
            .args(["--", "sh", "-c", &script])
            .env("DOCKER_HOST", format!("unix://{}", daemon.display()))
            .env("DOCKER_CONFIG", &docker_config)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let shown = text(&out.stdout) + &text(&out.stderr);
        // The calls were really made and shown...
        assert!(
            shown.contains("containers/create") || shown.contains("ContainerCreate"),
            "{flags:?}: {shown}"
        );
        // ...and no secret is in what was shown.
        for s in SECRETS {
            assert!(!shown.contains(s), "{flags:?} shows {s}:\n{shown}");
        }
        // Registry credentials travel base64-encoded in headers: no value may be shown.
        for line in shown.lines() {
            let l = line.to_ascii_lowercase();
            if l.contains("x-registry-auth:") || l.contains("x-registry-config:") {
                assert!(
                    l.contains("redacted"),
                    "{flags:?} shows a credential header: {line}"
                );
            }
        }
    }
    for file in [&har, &curl] {
        let written = std::fs::read_to_string(file).unwrap();
        assert!(!written.is_empty());
        for s in SECRETS {
            assert!(!written.contains(s), "{} contains {s}", file.display());
        }
    }
}

/// `sockeye trace --format json -- docker ps | jq .` failed: the records were on stdout,
/// mixed with docker's own output.
#[test]
fn trace_format_json_leaves_stdout_to_the_command_and_records_parse() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let name = support::unique("sockeye-json");
    let _c = support::Container::run(&daemon, &name, &["sleep", "30"]);
    let ps = [
        "ps",
        "--filter",
        &format!("name=^{name}$"),
        "--format",
        "{{.Names}} {{.Image}}",
    ];
    let out = trace(&daemon, &["--format", "json"], &ps);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(text(&out.stdout), format!("{name} {IMAGE}\n"), "{err}");
    // By default the records are the JSON lines on stderr (beside the summary).
    let records: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        records.iter().any(|r| r["endpoint"] == "ContainerList"),
        "{err}"
    );

    // With --output FILE: every line of FILE is a record, and stdout is still docker's.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.jsonl");
    let out = trace(
        &daemon,
        &["--format", "json", "--output", file.to_str().unwrap()],
        &ps,
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(text(&out.stdout), format!("{name} {IMAGE}\n"), "{err}");
    assert!(!err.lines().any(|l| l.starts_with('{')), "{err}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.lines().count() >= 2, "{written}");
    for line in written.lines() {
        let r: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        // Durations to the microsecond, not `0.7053689999999999`.
        let ms = r["duration_ms"].to_string();
        let decimals = ms.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 3, "duration_ms {ms} in {line}");
    }
    // Text lines go there too, without colour.
    let out = trace(&daemon, &["--output", file.to_str().unwrap()], &ps);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("docker ps"), "{written}");
    assert!(!written.contains('\x1b'), "{written}");
    assert!(!text(&out.stderr).contains("[ContainerList]"));
}

#[test]
fn the_summary_says_how_the_command_ended_and_when_it_made_no_calls() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let out = trace(
        &daemon,
        &["-q"],
        &["run", "--rm", IMAGE, "sh", "-c", "exit 3"],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("\ncommand: exited with status 3\n"), "{err}");
    // A command that never talks to the daemon.
    let out = sockeye()
        .args(["trace", "--", "true"])
        .env("DOCKER_HOST", format!("unix://{}", daemon.display()))
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("sockeye trace: 0 calls"), "{err}");
    assert!(err.contains("no API calls"), "{err}");
    assert!(!err.contains("statuses:"), "{err}");
}

/// Run an exported curl script against the daemon; its stdout and stderr.
fn replay(script: &Path) -> (String, String) {
    let out = Command::new(script).output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        std::fs::read_to_string(script).unwrap()
    );
    (text(&out.stdout), text(&out.stderr))
}

/// The export did not replay: bodies one byte short were left out, and IDs from the
/// recording were sent again (`start` of the old container: 404).
#[test]
fn a_curl_export_of_docker_run_and_exec_replays_their_effect() {
    let Some(daemon) = support::daemon() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run.sh");
    let label = support::unique("sockeye-replay");
    let out = trace(
        &daemon,
        &["-q", "--export", "curl", script.to_str().unwrap()],
        &["run", "--rm", "--label", &label, IMAGE, "echo", "hi"],
    );
    assert_eq!(text(&out.stdout), "hi\n", "{}", text(&out.stderr));
    let sh = std::fs::read_to_string(&script).unwrap();
    assert!(!sh.contains("bytes were captured"), "{sh}");
    let (stdout, stderr) = replay(&script);
    // Created (the create answer), started, ran (its output, through the attach), removed
    // (the wait for removal answered).
    assert!(stdout.contains("\"Id\":"), "{stdout}{stderr}\n{sh}");
    assert!(stdout.contains("hi\n"), "{stdout}{stderr}\n{sh}");
    assert!(
        stdout.contains("\"StatusCode\":0"),
        "{stdout}{stderr}\n{sh}"
    );
    assert!(!stdout.contains("No such container"), "{stdout}\n{sh}");

    // An exec: its create and start bodies are in, its ID comes from the replay's create.
    let name = support::unique("sockeye-replay-exec");
    let _c = support::Container::run(&daemon, &name, &["sleep", "60"]);
    let script = dir.path().join("exec.sh");
    let out = trace(
        &daemon,
        &["-q", "--export", "curl", script.to_str().unwrap()],
        &["exec", &name, "sh", "-c", "echo exec-replayed-$((6*7))"],
    );
    assert_eq!(
        text(&out.stdout),
        "exec-replayed-42\n",
        "{}",
        text(&out.stderr)
    );
    let sh = std::fs::read_to_string(&script).unwrap();
    assert!(sh.contains("exec_"), "{sh}");
    let (stdout, stderr) = replay(&script);
    assert!(
        stdout.contains("exec-replayed-42"),
        "{stdout}{stderr}\n{sh}"
    );
    assert!(stdout.contains("\"ExitCode\":0"), "{stdout}{stderr}\n{sh}");
    assert!(!stdout.contains("No such exec"), "{stdout}\n{sh}");
}
